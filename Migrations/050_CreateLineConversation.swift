import Fluent

/// A complaint being filed in a LINE chat, one per tenant and LINE user: the chosen service, the step it waits at,
/// the photos already in the file store (JSON), the place and the answers so far. Gone once filed, cancelled or left
/// for 30 minutes (a sweep deletes the leftovers and their photos).
struct CreateLineConversation: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("line_conversations")
            .id()
            .field("tenant_id", .string, .required)
            .field("user_id", .string, .required)
            .field("service", .string)
            .field("step", .string, .required)
            .field("photos_json", .string, .required)
            .field("location_json", .string)
            .field("answers_json", .string, .required)
            .field("petition_number", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "tenant_id", "user_id")
            .create()
        try await SQLIndex.create("line_conversations_updated", on: "line_conversations", columns: ["updated_at"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("line_conversations").delete()
    }
}
