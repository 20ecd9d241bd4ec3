import Fluent

/// Per kind of notice, whether the citizen wants it by e-mail and in LINE (status-change e-mails keep their
/// column from 024; the completion e-mail always goes).
struct UpdateCitizenAddNoticeChoices: AsyncMigration {
    static let columns = ["notify_filed_email", "notify_identity_email", "notify_filed_line", "notify_status_line",
                          "notify_completed_line", "notify_identity_line"]

    func prepare(on database: any Database) async throws {
        for column in Self.columns {
            try await database.schema("citizens").field(FieldKey(stringLiteral: column), .bool, .required, .custom("DEFAULT TRUE")).update()
        }
    }

    func revert(on database: any Database) async throws {
        for column in Self.columns.reversed() {
            try await database.schema("citizens").deleteField(FieldKey(stringLiteral: column)).update()
        }
    }
}
