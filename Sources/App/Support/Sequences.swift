import Fluent
import SQLKit
import Vapor

/// Numbered series that never repeat a number, safe with many instances: one upsert that returns the
/// new value (SQLite 3.35+ and PostgreSQL both speak `ON CONFLICT … DO UPDATE … RETURNING`).
enum Sequences {
    static func next(scope: String, year: Int, on db: any Database) async throws -> Int {
        guard let sql = db as? any SQLDatabase else { throw Abort(.internalServerError, reason: "SQL database required") }
        let row = try await sql.raw(
            """
            INSERT INTO sequences (scope, year, value) VALUES (\(bind: scope), \(bind: year), 1)
            ON CONFLICT (scope, year) DO UPDATE SET value = sequences.value + 1
            RETURNING value
            """
        ).first()
        guard let value = try row?.decode(column: "value", as: Int.self) else {
            throw Abort(.internalServerError, reason: "sequence \(scope) gave no value")
        }
        return value
    }

    /// "SR-2569-000042": a prefix, the Buddhist-era year, and the number in the year.
    static func formatted(prefix: String, year: Int, value: Int) -> String {
        let digits = String(value)
        return "\(prefix)-\(year)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}
