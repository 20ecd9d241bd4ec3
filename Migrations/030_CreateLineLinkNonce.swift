import Fluent

/// The single-use nonces of LINE's account-link flow: made for a signed-in citizen, sent to LINE with the
/// user's link token, and matched when LINE posts the `accountLink` event. Only the nonce's SHA-256 is kept.
struct CreateLineLinkNonce: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("line_link_nonces")
            .id()
            .field("tenant_id", .string, .required)
            .field("nonce_hash", .string, .required)
            .field("citizen_id", .uuid, .required, .references("citizens", "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("line_user_id", .string)
            .unique(on: "nonce_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("line_link_nonces").delete()
    }
}
