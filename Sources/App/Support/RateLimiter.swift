import Crypto
import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Fixed-window rate limits counted in the database, so every instance shares the count.
/// Keys name what is limited and never hold a secret (usernames are hashed).
enum RateLimiter {
    /// The rules live in Domain (`SignInPolicy` for sign-in, recovery and registration; features keep their own).
    typealias Rule = RateRule

    /// Read by the citizens' registration; the rule itself is `SignInPolicy.registrationsPerAddress`.
    static let registerPerAddress = SignInPolicy.registrationsPerAddress

    /// Counts one hit; `false` when the key is over its limit in the current window.
    static func allow(_ key: String, _ rule: Rule, now: Date = Date(), on db: any Database) async throws -> Bool {
        try await count(key, rule, now: now, on: db) <= rule.limit
    }

    /// Adds `hits` (0 reads the count without adding) and returns the count in the current window.
    static func count(_ key: String, _ rule: Rule, hits: Int = 1, now: Date = Date(), on db: any Database) async throws -> Int {
        guard let sql = db as? any SQLDatabase else { return 0 }
        let t = Int64(now.timeIntervalSince1970)
        let windowStart = t - Int64(rule.window)
        let hits = Int64(max(0, hits))
        let row = try await sql.raw(
            """
            INSERT INTO rate_counters (key, window_start, hits) VALUES (\(bind: key), \(bind: t), \(bind: hits))
            ON CONFLICT (key) DO UPDATE SET
              hits = CASE WHEN rate_counters.window_start <= \(bind: windowStart) THEN \(bind: hits) ELSE rate_counters.hits + \(bind: hits) END,
              window_start = CASE WHEN rate_counters.window_start <= \(bind: windowStart) THEN \(bind: t) ELSE rate_counters.window_start END
            RETURNING hits
            """
        ).first()
        return try row?.decode(column: "hits", as: Int.self) ?? 0
    }

    /// A key for something a person typed (a username, an e-mail), without keeping what they typed: an HMAC
    /// keyed from `APP_SECRET`, so the counters table cannot be used to test guesses.
    static func key(_ kind: String, _ value: String, secret: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(value.lowercased().utf8), using: SymmetricKey(data: secret))
        return "\(kind):" + mac.prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}

extension RateLimiter {
    /// The longest window of any rule (the contact form's acknowledgements to one address: a day). A counter whose
    /// window started that long ago counts nothing any more: the next hit starts a new window. A rule with a longer
    /// window must raise this, or its counts would be forgotten early.
    static let longestWindow: TimeInterval = 24 * 3600

    /// Deletes up to `limit` counters past every rule's window, oldest first; returns how many went. Counters span
    /// every tenant (their keys name an address or a hashed account, never a tenant row). The window is checked in the
    /// outer WHERE too: PostgreSQL re-checks only that on a row it waited for, so a counter whose window `count` has just
    /// started again (a hit at that moment) is kept.
    static func sweep(now: Date, limit: Int, on db: any Database) async throws -> Int {
        let cutoff = Int64(now.timeIntervalSince1970 - longestWindow)
        return try await OldestRows.delete(
            from: "rate_counters", key: ["key"], where: "window_start <= \(bind: cutoff)", orderBy: "window_start", limit: limit,
            on: sqlDatabase(db))
    }
}
