import Fluent

/// Webhook requests refused for a missing or wrong signature, counted per tenant and hour for the back
/// office's channel health (the requests themselves are not kept).
struct CreateLineWebhookRejection: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("line_webhook_rejections")
            .field("tenant_id", .string, .required)
            .field("hour", .datetime, .required)
            .field("n", .int, .required)
            .field("last_at", .datetime, .required)
            .field("last_reason", .string, .required)
            .compositeIdentifier(over: "tenant_id", "hour")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("line_webhook_rejections").delete()
    }
}
