import Fluent

/// A new e-mail address the citizen asked for, waiting for its confirmation link to be followed: until then
/// notices and password resets keep going to `email`, the confirmed one.
struct UpdateCitizenAddPendingEmail: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("citizens").field("pending_email", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("citizens").deleteField("pending_email").update()
    }
}
