import Fluent

/// Single-use links sent by e-mail or printed at first start (password reset, first platform admin set-up).
/// Only the token's hash is stored; each has a short expiry.
struct CreateStaffToken: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("staff_tokens")
            .id()
            .field("purpose", .string, .required)
            .field("staff_id", .uuid, .references("staff_accounts", "id", onDelete: .cascade))
            .field("token_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("created_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("staff_tokens").delete()
    }
}
