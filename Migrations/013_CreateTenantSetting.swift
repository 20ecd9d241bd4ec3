import Fluent

/// A tenant's display details and identity image policy as changed in the back office (JSON; null: the
/// folder's), and the revision of its latest settings change of any kind.
struct CreateTenantSetting: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("tenant_settings")
            .id()
            .field("tenant_id", .string, .required)
            .field("revision", .int64, .required)
            .field("display", .string)
            .field("identity", .string)
            .field("updated_at", .datetime, .required)
            .unique(on: "tenant_id")
            .create()
        try await SQLIndex.create("tenant_settings_revision", on: "tenant_settings", columns: ["revision"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("tenant_settings").delete()
    }
}
