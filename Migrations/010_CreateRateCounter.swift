import Fluent

/// Fixed-window counters for rate limits (sign-in, password reset), in the database so that every
/// instance counts together.
struct CreateRateCounter: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("rate_counters")
            .field("key", .string, .identifier(auto: false))
            .field("window_start", .int64, .required)
            .field("hits", .int, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("rate_counters").delete()
    }
}
