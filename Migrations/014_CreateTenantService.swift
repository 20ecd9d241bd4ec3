import Fluent

/// A tenant's service catalogue once an admin has changed it: every service, its menu and place in it,
/// its name and details, and whether it is retired. Rows are never deleted (old petitions point at them).
struct CreateTenantService: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("tenant_services")
            .id()
            .field("tenant_id", .string, .required)
            .field("slug", .string, .required)
            .field("menu", .string, .required)
            .field("position", .int, .required)
            .field("name", .string, .required)
            .field("description", .string, .required)
            .field("sla_days", .int, .required)
            .field("verified_identity", .bool)
            .field("retired", .bool, .required)
            .field("origin", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "tenant_id", "slug")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("tenant_services").delete()
    }
}
