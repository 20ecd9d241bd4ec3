import Fluent

/// A complaint being filed in a LINE chat, one per tenant and LINE user: the chosen service, the step it waits at,
/// the photos already in the file store (JSON), the place and the answers so far. Gone once filed, cancelled or left
/// for 30 minutes (a sweep deletes the leftovers and their photos). `revision` counts the writes: a change is written
/// only over the revision it was made from, so two events of one user handled at once cannot lose one another's
/// photo or answer. `events_json` holds the webhook events already applied (a retried job is not applied twice);
/// `citizen_id` is the account that started it (a relink or a closed account ends it); `started_event_ms` is LINE's
/// time of the event that started it (an older event, retried late, belongs to an earlier chat).
struct CreateLineConversation: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("line_conversations")
            .id()
            .field("tenant_id", .string, .required)
            .field("user_id", .string, .required)
            .field("citizen_id", .uuid, .required)
            .field("revision", .int, .required)
            .field("events_json", .string, .required)
            .field("started_event_ms", .int64)
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
        try await SQLIndex.create(
            "line_conversations_citizen", on: "line_conversations", columns: ["tenant_id", "citizen_id"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("line_conversations").delete()
    }
}
