import Crypto
import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Wrong passwords and one-time codes, counted per account *and* client address, so that nobody can lock the
/// owner out by failing on purpose: five wrong passwords or codes close that address to that account for 15
/// minutes, and the owner's usual address stays open. The account-wide ceiling is the per-account rate limit
/// of the sign-in and code steps (`SignInPolicy.passwordsPerAccount`, `codesPerAccount`), which the sign-in
/// steps apply only to addresses the account has not signed in from in the last 90 days ("known" addresses):
/// an attacker with many addresses still gets no more tries than that in all, and cannot shut the owner out
/// at the owner's usual address.
///
/// Every attempt is *spent* before the password or code is compared: one atomic statement raises the count
/// and returns it, and only attempts whose count is within the limit are compared. Requests sent at once
/// get different counts, so they cannot all be checked against a count of 0. A right password gives its
/// attempt back; a completed sign-in clears the address's count and marks the address as known. Addresses
/// are stored as an HMAC keyed from `APP_SECRET`, never as seen, and forgotten when no longer needed.
enum StaffSignInGuard {
    // The numbers are the policy's (`SignInPolicy`, in Domain); this type keeps the counts.
    static let maxFailures = SignInPolicy.staffMaxFailures
    static let lockout = SignInPolicy.staffLockout
    static let knownFor = SignInPolicy.staffKnownAddressFor
    static let keepFailures = SignInPolicy.staffKeepFailures

    /// An account and the address a request comes from.
    struct Origin: Sendable {
        let staffID: UUID
        let addressHash: String
        /// The account signed in from this address in the last `knownFor`.
        let known: Bool
    }

    /// How the audit log names the lock (the address itself is in the entry's own column).
    static let lockAuditText = "สำหรับการเข้าสู่ระบบจากที่อยู่นี้"

    /// An attempt that was spent and may be compared.
    struct Slot: Sendable {
        let origin: Origin
        /// The address's count including this attempt.
        let failures: Int

        /// Wrong answers left at this address after this one.
        var left: Int { max(0, StaffSignInGuard.maxFailures - failures) }
    }

    enum Spent: Sendable {
        case allowed(Slot)
        case refused(until: Date)
    }

    /// The address as stored: an HMAC under a key of its own, derived from `APP_SECRET`.
    static func addressHash(_ address: String, secret: [UInt8]) -> String {
        let key = HMAC<SHA256>.authenticationCode(for: Data("staff-sign-in-address".utf8), using: SymmetricKey(data: secret))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(address.utf8), using: SymmetricKey(data: Data(key)))
        return mac.prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    static func origin(staffID: UUID, address: String, secret: [UInt8], now: Date = Date(), on db: any Database) async throws -> Origin {
        let hash = addressHash(address, secret: secret)
        let row = try await sql(db).raw(
            """
            SELECT known_until FROM staff_sign_in_addresses WHERE staff_id = \(bind: staffID) AND address_hash = \(bind: hash)
            """
        ).first()
        let knownUntil = try row.flatMap { try date($0, "known_until") }
        return Origin(staffID: staffID, addressHash: hash, known: (knownUntil ?? .distantPast) > now)
    }

    /// Spends one attempt at this address. Refused without counting while a lock holds; a count beyond the
    /// limit sets the lock itself, so a request that died between spending and comparing cannot leave the door
    /// half open.
    static func spend(_ origin: Origin, now: Date = Date(), on db: any Database) async throws -> Spent {
        let until = now.addingTimeInterval(lockout)
        let row = try await sql(db).raw(
            """
            INSERT INTO staff_sign_in_addresses (staff_id, address_hash, failures, updated_at)
            VALUES (\(bind: origin.staffID), \(bind: origin.addressHash), 1, \(bind: now))
            ON CONFLICT (staff_id, address_hash) DO UPDATE SET
              failures = CASE WHEN staff_sign_in_addresses.locked_until > \(bind: now) THEN staff_sign_in_addresses.failures
                              WHEN staff_sign_in_addresses.locked_until IS NOT NULL THEN 1
                              ELSE staff_sign_in_addresses.failures + 1 END,
              locked_until = CASE WHEN staff_sign_in_addresses.locked_until > \(bind: now) THEN staff_sign_in_addresses.locked_until
                                  WHEN staff_sign_in_addresses.locked_until IS NULL AND staff_sign_in_addresses.failures >= \(bind: maxFailures) THEN \(bind: until)
                                  ELSE NULL END,
              updated_at = \(bind: now)
            RETURNING failures, locked_until
            """
        ).first()
        guard let row else { throw Abort(.internalServerError, reason: "sign-in guard: no row") }
        let failures = try row.decode(column: "failures", as: Int.self)
        if let lockedUntil = try date(row, "locked_until"), lockedUntil > now { return .refused(until: lockedUntil) }
        if failures > maxFailures { return .refused(until: until) }
        return .allowed(Slot(origin: origin, failures: failures))
    }

    /// A right password: the attempt is given back (the code still has to follow).
    static func refund(_ slot: Slot, on db: any Database) async throws {
        try await sql(db).raw(
            """
            UPDATE staff_sign_in_addresses SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END
            WHERE staff_id = \(bind: slot.origin.staffID) AND address_hash = \(bind: slot.origin.addressHash) AND locked_until IS NULL
            """
        ).run()
    }

    /// A wrong password or code: whether it was the last one allowed, and so locked the address.
    static func failed(_ slot: Slot, now: Date = Date(), on db: any Database) async throws -> Bool {
        guard slot.failures >= maxFailures else { return false }
        try await sql(db).raw(
            """
            UPDATE staff_sign_in_addresses SET locked_until = \(bind: now.addingTimeInterval(lockout)), failures = 0, updated_at = \(bind: now)
            WHERE staff_id = \(bind: slot.origin.staffID) AND address_hash = \(bind: slot.origin.addressHash)
            """
        ).run()
        return true
    }

    /// A completed sign-in: the address's count is cleared and it becomes known for `knownFor`. Rows that no
    /// longer matter are swept.
    static func succeeded(_ origin: Origin, now: Date = Date(), on db: any Database) async throws {
        let knownUntil = now.addingTimeInterval(knownFor)
        try await sql(db).raw(
            """
            INSERT INTO staff_sign_in_addresses (staff_id, address_hash, failures, known_until, updated_at)
            VALUES (\(bind: origin.staffID), \(bind: origin.addressHash), 0, \(bind: knownUntil), \(bind: now))
            ON CONFLICT (staff_id, address_hash) DO UPDATE SET
              failures = 0, locked_until = NULL, known_until = \(bind: knownUntil), updated_at = \(bind: now)
            """
        ).run()
        try await sweep(now: now, on: db)
    }

    /// Deletes up to `limit` addresses that are neither known nor locked and have not failed for a day, oldest first;
    /// returns how many went. Run after each sign-in and by the workers' retention sweeps (so addresses are forgotten
    /// on time even when nobody signs in). The conditions stand in the outer WHERE too: PostgreSQL re-checks only that
    /// on a row it waited for, so an address a sign-in marks known (or a failure locks) at that moment is kept.
    @discardableResult
    static func sweep(now: Date = Date(), limit: Int = 500, on db: any Database) async throws -> Int {
        let forgotten: SQLQueryString = """
            updated_at < \(bind: now.addingTimeInterval(-keepFailures))
              AND (known_until IS NULL OR known_until < \(bind: now)) AND (locked_until IS NULL OR locked_until < \(bind: now))
            """
        return try await OldestRows.delete(
            from: "staff_sign_in_addresses", key: ["staff_id", "address_hash"], where: forgotten, orderBy: "updated_at", limit: limit, on: sql(db))
    }

    private static func date(_ row: any SQLRow, _ column: String) throws -> Date? {
        try row.decodeNil(column: column) ? nil : try row.decode(column: column, as: Date.self)
    }

    private static func sql(_ db: any Database) throws -> any SQLDatabase {
        guard let sql = db as? any SQLDatabase else { throw Abort(.internalServerError, reason: "sign-in guard needs SQL") }
        return sql
    }
}
