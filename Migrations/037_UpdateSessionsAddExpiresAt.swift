import Fluent
import Foundation
import SQLKit

/// Each session row carries its expiry: expired rows are not read back and are swept in batches by the
/// `expires_at` index. Rows from before get two hours (an anonymous session's life); signed-in users whose
/// idle limit is shorter are still held to it by their own check.
struct UpdateSessionsAddExpiresAt: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("_fluent_sessions").field("expires_at", .datetime).update()
        if let sql = database as? any SQLDatabase {
            try await sql.raw("UPDATE _fluent_sessions SET expires_at = \(bind: Date().addingTimeInterval(2 * 3600))").run()
        }
        try await SQLIndex.create("idx_sessions_expires_at", on: "_fluent_sessions", columns: ["expires_at"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await SQLIndex.drop("idx_sessions_expires_at", database: database)
        try await database.schema("_fluent_sessions").deleteField("expires_at").update()
    }
}
