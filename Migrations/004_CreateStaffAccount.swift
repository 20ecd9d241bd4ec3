import Fluent

/// Staff of every municipality, in one table: the shared back office's single sign-on accounts.
/// One account per person: the national ID is unique. The TOTP secret is stored sealed with the app key.
struct CreateStaffAccount: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("staff_accounts")
            .id()
            .field("username", .string, .required)
            .field("national_id", .string, .required)
            .field("status", .string, .required)
            .field("is_platform_admin", .bool, .required)
            .field("request_number", .string, .required)
            .field("title_th", .string, .required)
            .field("first_name_th", .string, .required)
            .field("last_name_th", .string, .required)
            .field("title_en", .string, .required)
            .field("first_name_en", .string, .required)
            .field("last_name_en", .string, .required)
            .field("nationality", .string, .required)
            .field("email", .string, .required)
            .field("mobile", .string, .required)
            .field("birth_date", .string)
            .field("org_unit", .string, .required)
            .field("position", .string, .required)
            .field("password_hash", .string, .required)
            .field("must_change_password", .bool, .required)
            .field("password_changed_at", .datetime)
            .field("totp_secret", .string)
            .field("totp_period", .int)
            .field("totp_last_step", .int64)
            .field("otp_failures", .int, .required)
            .field("login_failures", .int, .required)
            .field("locked_until", .datetime)
            .field("session_epoch", .int, .required)
            .field("document_file", .string)
            .field("document_type", .string)
            .field("document_name", .string)
            .field("document_sha256", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("decided_at", .datetime)
            .field("decided_by", .uuid)
            .field("decision_reason", .string)
            .unique(on: "username")
            .unique(on: "national_id")
            .unique(on: "request_number")
            .create()
        try await SQLIndex.create("staff_accounts_status", on: "staff_accounts", columns: ["status", "created_at"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("staff_accounts").delete()
    }
}
