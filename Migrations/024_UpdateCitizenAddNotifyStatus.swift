import Fluent

/// A citizen may turn off e-mails for status changes of their petitions (completion is always sent).
struct UpdateCitizenAddNotifyStatus: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("citizens")
            .field("notify_status_changes", .bool, .required, .custom("DEFAULT TRUE"))
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("citizens").deleteField("notify_status_changes").update()
    }
}
