import Fluent

/// A petition's timeline holds more than status changes: a note to the citizen, an internal note only staff
/// see, an assignment, a request for more information and the citizen's answer (`PetitionEventKind`). Files the
/// citizen sends with an answer are attachments that name the answer's event.
struct UpdatePetitionEventAddKind: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("petition_events").field("kind", .string, .required, .custom("DEFAULT 'status'")).update()
        try await database.schema("petition_attachments").field("event_id", .uuid).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("petition_attachments").deleteField("event_id").update()
        try await database.schema("petition_events").deleteField("kind").update()
    }
}
