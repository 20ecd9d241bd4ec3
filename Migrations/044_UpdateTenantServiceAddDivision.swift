import Fluent

/// The division (its code) that handles a service, as a tenant admin set it.
struct UpdateTenantServiceAddDivision: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("tenant_services").field("division", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("tenant_services").deleteField("division").update()
    }
}
