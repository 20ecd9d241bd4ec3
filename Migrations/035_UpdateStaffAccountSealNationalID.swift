import Fluent
import Foundation
import SQLKit

/// Seals national IDs and makes the keyed look-up hash; the key comes from the app (`APP_SECRET`), which
/// this module cannot see.
public protocol NationalIDSealing: Sendable {
    /// The 13 digits, sealed (authenticated encryption).
    func seal(digits: String) throws -> String
    /// The 13 digits back from `seal(digits:)`.
    func open(sealed: String) throws -> String
    /// A keyed hash of the digits: equal IDs give equal hashes, and the table alone lets nobody test guesses.
    func lookupHash(digits: String) -> String
}

/// Staff national IDs leave clear text, as citizens' did from the start (017): `national_id` becomes
/// `national_id_hash` (the HMAC look-up key, keeping the column's UNIQUE and NOT NULL, which SQLite could not
/// drop from a column), with the number sealed in `national_id_sealed` and its last three digits in
/// `national_id_tail` for the masked display. Existing rows are converted in the same transaction; the revert
/// opens them again.
struct UpdateStaffAccountSealNationalID: AsyncMigration {
    let sealer: any NationalIDSealing

    func prepare(on database: any Database) async throws {
        try await database.transaction { db in
            let sql = try Self.sql(db)
            try await sql.raw("ALTER TABLE staff_accounts RENAME COLUMN national_id TO national_id_hash").run()
            try await db.schema("staff_accounts").field("national_id_sealed", .string).update()
            try await db.schema("staff_accounts").field("national_id_tail", .string).update()
            for row in try await sql.select().column("id").column("national_id_hash").from("staff_accounts").all() {
                let id = try row.decode(column: "id", as: UUID.self)
                // The old column kept what `isNumber` let through, Thai digits (๐–๙) included; look-ups hash ASCII.
                let digits = String(String.UnicodeScalarView(try row.decode(column: "national_id_hash", as: String.self).unicodeScalars.map {
                    (0x0E50...0x0E59).contains($0.value) ? Unicode.Scalar(UInt8($0.value - 0x0E50 + 0x30)) : $0
                }))
                try await sql.update("staff_accounts")
                    .set("national_id_hash", to: sealer.lookupHash(digits: digits))
                    .set("national_id_sealed", to: try sealer.seal(digits: digits))
                    .set("national_id_tail", to: String(digits.suffix(3)))
                    .where("id", .equal, id).run()
            }
        }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { db in
            let sql = try Self.sql(db)
            for row in try await sql.select().column("id").column("national_id_sealed").from("staff_accounts").all() {
                let id = try row.decode(column: "id", as: UUID.self)
                let sealed = try row.decode(column: "national_id_sealed", as: String.self)
                try await sql.update("staff_accounts").set("national_id_hash", to: try sealer.open(sealed: sealed)).where("id", .equal, id).run()
            }
            try await db.schema("staff_accounts").deleteField("national_id_tail").update()
            try await db.schema("staff_accounts").deleteField("national_id_sealed").update()
            try await sql.raw("ALTER TABLE staff_accounts RENAME COLUMN national_id_hash TO national_id").run()
        }
    }

    private static func sql(_ db: any Database) throws -> any SQLDatabase {
        guard let sql = db as? any SQLDatabase else { throw NotSQL() }
        return sql
    }

    private struct NotSQL: Error {}
}
