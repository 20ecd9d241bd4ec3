import FluentKit
import FluentSQLiteDriver
import Foundation
import SQLKit

extension Database {
    /// A transaction that writes. SQLite begins transactions deferred, so two that read before they write can
    /// meet, and one of them gets "database is locked" at once (waiting cannot help; SQLite's advice is to
    /// run it again). That transaction is rolled back whole and run again here, a few times, with a short
    /// random pause. PostgreSQL transactions simply run.
    func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await transaction(body)
            } catch let error as SQLiteError where [.busy, .locked].contains(error.reason) && attempt < 8 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...20) * attempt))
            }
        }
    }
}

extension Database {
    /// Runs a conditional `UPDATE … RETURNING …` and tells whether it changed a row: the way to claim
    /// something exactly once (a token, a one-time code) when two requests race.
    func claim(_ query: SQLQueryString) async throws -> Bool {
        guard let sql = self as? any SQLDatabase else { return false }
        return try await sql.raw(query).first() != nil
    }
}
