import Fluent

/// The LINE channel settings an Organization admin saved in the back office (JSON), laid over the folder's.
struct UpdateTenantSettingAddLine: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("tenant_settings").field("line", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("tenant_settings").deleteField("line").update()
    }
}
