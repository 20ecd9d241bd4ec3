import Fluent

/// Rights in force: a staff member's role in one tenant. Removing a right deletes its row;
/// the audit log keeps the history.
struct CreateStaffGrant: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("staff_grants")
            .id()
            .field("staff_id", .uuid, .required, .references("staff_accounts", "id", onDelete: .cascade))
            .field("tenant_id", .string, .required)
            .field("role", .string, .required)
            .field("granted_at", .datetime, .required)
            .field("granted_by", .uuid)
            .field("request_id", .uuid)
            .unique(on: "staff_id", "tenant_id", "role")
            .create()
        try await SQLIndex.create("staff_grants_tenant", on: "staff_grants", columns: ["tenant_id", "role"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("staff_grants").delete()
    }
}
