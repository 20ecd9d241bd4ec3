import Fluent

/// Single-use links for citizens (password reset). Only the token's SHA-256 is stored.
struct CreateCitizenToken: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("citizen_tokens")
            .id()
            .field("tenant_id", .string, .required)
            .field("citizen_id", .uuid, .required, .references("citizens", "id", onDelete: .cascade))
            .field("purpose", .string, .required)
            .field("token_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("created_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("citizen_tokens").delete()
    }
}
