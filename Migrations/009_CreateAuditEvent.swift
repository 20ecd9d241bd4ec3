import Fluent

/// Who did what, in which tenant, when (UTC) and from where. Never holds a secret.
struct CreateAuditEvent: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("audit_events")
            .id()
            .field("at", .datetime, .required)
            .field("actor_id", .uuid)
            .field("actor_name", .string, .required)
            .field("tenant_id", .string)
            .field("action", .string, .required)
            .field("detail", .string, .required)
            .field("ip", .string, .required)
            .create()
        try await SQLIndex.create("audit_events_at", on: "audit_events", columns: ["at"], database: database)
        try await SQLIndex.create("audit_events_tenant", on: "audit_events", columns: ["tenant_id", "at"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("audit_events").delete()
    }
}
