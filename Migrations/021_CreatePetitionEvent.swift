import Fluent

/// A petition's timeline: filing and every status change, with who made it and the officer's note.
struct CreatePetitionEvent: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("petition_events")
            .id()
            .field("tenant_id", .string, .required)
            .field("petition_id", .uuid, .required, .references("petitions", "id", onDelete: .cascade))
            .field("from_status", .string)
            .field("to_status", .string, .required)
            .field("note", .string)
            .field("actor_kind", .string, .required)
            .field("actor_id", .uuid)
            .field("actor_name", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await SQLIndex.create("petition_events_petition", on: "petition_events", columns: ["petition_id", "created_at"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("petition_events").delete()
    }
}
