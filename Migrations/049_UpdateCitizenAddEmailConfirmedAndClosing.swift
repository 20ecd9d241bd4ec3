import Fluent
import SQLKit

/// Two parts of the citizen's own account (issue 17, part 5):
/// - `citizens.email_confirmed_at`: when the account's e-mail was confirmed by its link. A registration's address
///   waits (as `pending_email`) until then, and nothing is sent to it but the link. Accounts that exist when this
///   runs count as confirmed (their addresses were in use before confirmation existed).
/// - `citizens.closed_at` and `citizen_closing_requests`: a citizen asks to close the account, an officer of the
///   tenant approves (the account is anonymised, its row kept so the petitions it filed still name a row) or refuses.
///   At most one request per account waits at a time (a partial unique index, which SQLite and PostgreSQL share).
struct UpdateCitizenAddEmailConfirmedAndClosing: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("citizens").field("email_confirmed_at", .datetime).update()
        try await database.schema("citizens").field("closed_at", .datetime).update()
        if let sql = database as? any SQLDatabase {
            try await sql.raw("UPDATE citizens SET email_confirmed_at = created_at").run()
        }
        try await database.schema("citizen_closing_requests")
            .id()
            .field("tenant_id", .string, .required)
            .field("citizen_id", .uuid, .required, .references("citizens", "id", onDelete: .cascade))
            .field("status", .string, .required)
            .field("reason", .string)
            .field("requested_at", .datetime, .required)
            .field("decided_at", .datetime)
            .field("decided_by", .uuid)
            .field("decided_by_name", .string)
            .field("refusal_reason", .string)
            .create()
        try await SQLIndex.create(
            "citizen_closing_requests_queue", on: "citizen_closing_requests", columns: ["tenant_id", "status", "requested_at"], database: database)
        if let sql = database as? any SQLDatabase {
            try await sql.raw(
                "CREATE UNIQUE INDEX citizen_closing_requests_one_pending ON citizen_closing_requests (tenant_id, citizen_id) WHERE status = 'pending'"
            ).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("citizen_closing_requests").delete()
        try await database.schema("citizens").deleteField("closed_at").update()
        try await database.schema("citizens").deleteField("email_confirmed_at").update()
    }
}
