import Fluent

/// One-time recovery codes issued at OTP enrolment; only their hashes are kept.
struct CreateStaffRecoveryCode: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("staff_recovery_codes")
            .id()
            .field("staff_id", .uuid, .required, .references("staff_accounts", "id", onDelete: .cascade))
            .field("code_hash", .string, .required)
            .field("used_at", .datetime)
            .field("created_at", .datetime, .required)
            .unique(on: "staff_id", "code_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("staff_recovery_codes").delete()
    }
}
