import Fluent

/// The outbox: jobs written in the same transaction as the change that causes them.
struct CreateOutboxJob: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("outbox_jobs")
            .id()
            .field("tenant_id", .string)  // null for platform jobs (e.g. to staff)
            .field("kind", .string, .required)
            .field("payload", .string, .required)
            .field("idempotency_key", .string, .required)
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("max_attempts", .int, .required)
            .field("run_at", .datetime, .required)
            .field("locked_until", .datetime)
            .field("locked_by", .string)
            .field("last_error", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("finished_at", .datetime)
            .unique(on: "idempotency_key")
            .create()
        try await SQLIndex.create("outbox_jobs_due", on: "outbox_jobs", columns: ["status", "run_at"], database: database)
        try await SQLIndex.create("outbox_jobs_tenant", on: "outbox_jobs", columns: ["tenant_id", "status"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("outbox_jobs").delete()
    }
}
