import Fluent

/// Files a citizen attached to a petition, stored outside `Public/` under generated names; the type is the
/// one read from the content, never the name.
struct CreatePetitionAttachment: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("petition_attachments")
            .id()
            .field("tenant_id", .string, .required)
            .field("petition_id", .uuid, .required, .references("petitions", "id", onDelete: .cascade))
            .field("field_key", .string, .required)
            .field("file_name", .string, .required)
            .field("original_name", .string, .required)
            .field("mime_type", .string, .required)
            .field("bytes", .int, .required)
            .field("sha256", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await SQLIndex.create("petition_attachments_petition", on: "petition_attachments", columns: ["petition_id"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("petition_attachments").delete()
    }
}
