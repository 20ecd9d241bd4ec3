import Fluent
import Foundation
import SQLKit

/// When the first password of an account an admin created (the birth date) was issued: it works for 72 hours
/// from then, until the person chooses their own. Empty for every other password. Accounts still waiting for
/// their first sign-in get their 72 hours from this migration.
struct UpdateStaffAccountAddInitialPasswordIssuedAt: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("staff_accounts").field("initial_password_issued_at", .datetime).update()
        if let sql = database as? any SQLDatabase {
            try await sql.update("staff_accounts").set("initial_password_issued_at", to: Date())
                .where("must_change_password", .equal, true).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("staff_accounts").deleteField("initial_password_issued_at").update()
    }
}
