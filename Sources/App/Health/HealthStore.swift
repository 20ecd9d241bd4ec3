import Fluent
import SQLKit
import Vapor

/// The readiness probe's one query.
enum HealthStore {
    /// Throws unless the database answers a trivial query.
    static func ping(_ db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { throw Abort(.serviceUnavailable) }
        _ = try await sql.raw("SELECT 1 AS ok").first()
    }
}
