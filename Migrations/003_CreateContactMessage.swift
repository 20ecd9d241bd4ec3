import Fluent

/// Messages a citizen sends to a municipality from its "ติดต่อหน่วยงาน" page.
struct CreateContactMessage: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("contact_messages")
            .id()
            .field("tenant_id", .string, .required)
            .field("reference", .string, .required)
            .field("token_hash", .string, .required)
            .field("name", .string, .required)
            .field("email", .string, .required)
            .field("phone", .string)
            .field("subject", .string, .required)
            .field("body", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "tenant_id", "reference")
            .unique(on: "tenant_id", "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("contact_messages").delete()
    }
}
