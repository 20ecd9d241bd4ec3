import Fluent

/// LINE users of a tenant's Official Account: whether they still follow it (an unfollow stops pushes), and
/// the citizen they linked their LINE account to (LINE's account-link flow), if any. One LINE user per citizen
/// per tenant: linking again moves the link.
struct CreateLineUser: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("line_users")
            .id()
            .field("tenant_id", .string, .required)
            .field("user_id", .string, .required)
            .field("following", .bool, .required)
            .field("citizen_id", .uuid, .references("citizens", "id", onDelete: .setNull))
            .field("linked_at", .datetime)
            .field("followed_at", .datetime)
            .field("unfollowed_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "tenant_id", "user_id")
            .unique(on: "tenant_id", "citizen_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("line_users").delete()
    }
}
