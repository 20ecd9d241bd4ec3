import Fluent

/// The current version of each edited service form (a copy of its `form_versions` row), so loading a
/// tenant reads one row per service rather than searching the history.
struct CreateServiceForm: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("service_forms")
            .id()
            .field("tenant_id", .string, .required)
            .field("service", .string, .required)
            .field("version", .int, .required)
            .field("form", .string, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "tenant_id", "service")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("service_forms").delete()
    }
}
