import Fluent

/// One counter raised by every back-office change to any tenant's settings. Server instances read it every few
/// seconds (one row) to learn that something changed; raising it first also puts settings changes in one line.
struct CreateTenantSettingsEpoch: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("tenant_settings_epoch")
            .field("id", .int, .identifier(auto: false))
            .field("value", .int64, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("tenant_settings_epoch").delete()
    }
}
