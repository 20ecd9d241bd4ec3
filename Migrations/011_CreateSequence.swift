import Fluent

/// Numbered series (request numbers per Buddhist-era year, later tracking numbers per tenant).
struct CreateSequence: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("sequences")
            .field("scope", .string, .required)
            .field("year", .int, .required)
            .field("value", .int, .required)
            .unique(on: "scope", "year")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sequences").delete()
    }
}
