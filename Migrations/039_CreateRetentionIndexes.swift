import Fluent

/// Indexes the workers' retention sweeps walk (`Retention`), so that each batch finds its oldest rows without
/// reading the table: finished outbox jobs by status and finish time, counters by window, links and nonces by
/// expiry, refused webhooks by hour, contact messages by date, and citizens by verification status and age.
struct CreateRetentionIndexes: AsyncMigration {
    static let indexes: [(name: String, table: String, columns: [String])] = [
        ("outbox_jobs_finished", "outbox_jobs", ["status", "finished_at"]),
        ("rate_counters_window", "rate_counters", ["window_start"]),
        ("single_use_tokens_expires", "single_use_tokens", ["expires_at"]),
        ("line_link_nonces_expires", "line_link_nonces", ["expires_at"]),
        ("line_webhook_rejections_hour", "line_webhook_rejections", ["hour"]),
        ("contact_messages_created", "contact_messages", ["created_at"]),
        ("citizens_status_created", "citizens", ["verification_status", "created_at"]),
    ]

    func prepare(on database: any Database) async throws {
        for index in Self.indexes {
            try await SQLIndex.create(index.name, on: index.table, columns: index.columns, database: database)
        }
    }

    func revert(on database: any Database) async throws {
        for index in Self.indexes.reversed() {
            try await SQLIndex.drop(index.name, database: database)
        }
    }
}
