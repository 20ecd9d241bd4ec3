import Fluent
import Foundation
import SQLKit

/// When the citizen last signed in (registering signs in too): the abandoned-registration sweep keeps an account
/// used within `ABANDONED_REGISTRATION_DAYS`. Accounts from before count as signed in at this migration, so none is
/// deleted before it has gone the whole period without a sign-in this column saw.
struct UpdateCitizenAddSignedInAt: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("citizens").field("signed_in_at", .datetime).update()
        if let sql = database as? any SQLDatabase {
            try await sql.update("citizens").set("signed_in_at", to: Date()).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("citizens").deleteField("signed_in_at").update()
    }
}
