import Domain
import Fluent
import Foundation
import SQLKit

/// The tenant's LINE users (following or not, linked to a citizen or not), the account-link nonces, and the
/// count of refused webhook requests. Every function takes the tenant first.
enum LineStore {
    struct LineUser: Sendable, Equatable {
        var userID: String
        var following: Bool
        var citizenID: UUID?
        var linkedAt: Date?
    }

    /// A `follow`: the user is (again) following; their link, if any, stays.
    static func followed(tenant: String, userID: String, now: Date, on db: any Database) async throws {
        try await sql(db).raw(
            """
            INSERT INTO line_users (id, tenant_id, user_id, following, followed_at, created_at, updated_at)
            VALUES (\(bind: UUID()), \(bind: tenant), \(bind: userID), \(bind: true), \(bind: now), \(bind: now), \(bind: now))
            ON CONFLICT (tenant_id, user_id) DO UPDATE SET following = \(bind: true), followed_at = \(bind: now), updated_at = \(bind: now)
            """
        ).run()
    }

    /// An `unfollow` (blocked or removed): nothing more is pushed to the user.
    static func unfollowed(tenant: String, userID: String, now: Date, on db: any Database) async throws {
        try await sql(db).raw(
            """
            UPDATE line_users SET following = \(bind: false), unfollowed_at = \(bind: now), updated_at = \(bind: now)
            WHERE tenant_id = \(bind: tenant) AND user_id = \(bind: userID)
            """
        ).run()
    }

    static func user(tenant: String, userID: String, on db: any Database) async throws -> LineUser? {
        try await sql(db).raw(
            """
            SELECT user_id, following, citizen_id, linked_at FROM line_users WHERE tenant_id = \(bind: tenant) AND user_id = \(bind: userID)
            """
        ).first().map(lineUser)
    }

    /// The LINE user linked to the citizen, following or not.
    static func linked(tenant: String, citizenID: UUID, on db: any Database) async throws -> LineUser? {
        try await sql(db).raw(
            """
            SELECT user_id, following, citizen_id, linked_at FROM line_users WHERE tenant_id = \(bind: tenant) AND citizen_id = \(bind: citizenID)
            """
        ).first().map(lineUser)
    }

    static func linkedCount(tenant: String, on db: any Database) async throws -> (linked: Int, following: Int) {
        let row = try await sql(db).raw(
            """
            SELECT COUNT(citizen_id) AS linked, COALESCE(SUM(CASE WHEN following THEN 1 ELSE 0 END), 0) AS following
            FROM line_users WHERE tenant_id = \(bind: tenant)
            """
        ).first()
        return (try row?.decode(column: "linked", as: Int.self) ?? 0, try row?.decode(column: "following", as: Int.self) ?? 0)
    }

    // MARK: Linking

    static let nonceLifetime: TimeInterval = 10 * 60

    /// A single-use nonce for the signed-in citizen (only its SHA-256 is stored), valid ten minutes like the link
    /// token it goes with.
    static func makeNonce(tenant: String, citizenID: UUID, now: Date, on db: any Database) async throws -> String {
        let nonce = RandomToken.make(bytes: 24)
        try await sql(db).raw(
            """
            INSERT INTO line_link_nonces (id, tenant_id, nonce_hash, citizen_id, created_at, expires_at)
            VALUES (\(bind: UUID()), \(bind: tenant), \(bind: RandomToken.hash(nonce)), \(bind: citizenID), \(bind: now), \(bind: now.addingTimeInterval(nonceLifetime)))
            """
        ).run()
        return nonce
    }

    /// The `accountLink` event with `result: ok`: a known, unused, unexpired nonce of this tenant links the LINE
    /// user to its citizen (moving the citizen's link from another LINE user if there was one) and is used up.
    /// Anything else changes nothing and returns nil.
    static func link(tenant: String, nonce: String, userID: String, now: Date, on db: any Database) async throws -> UUID? {
        try await db.writeTransaction { db -> UUID? in
            let sql = try sql(db)
            guard
                let row = try await sql.raw(
                    """
                    UPDATE line_link_nonces SET used_at = \(bind: now), line_user_id = \(bind: userID)
                    WHERE tenant_id = \(bind: tenant) AND nonce_hash = \(bind: RandomToken.hash(nonce)) AND used_at IS NULL AND expires_at > \(bind: now)
                    RETURNING citizen_id
                    """
                ).first()
            else { return nil }
            let citizenID = try row.decode(column: "citizen_id", as: UUID.self)
            try await sql.raw(
                """
                UPDATE line_users SET citizen_id = NULL, linked_at = NULL, updated_at = \(bind: now)
                WHERE tenant_id = \(bind: tenant) AND citizen_id = \(bind: citizenID) AND user_id <> \(bind: userID)
                """
            ).run()
            try await sql.raw(
                """
                INSERT INTO line_users (id, tenant_id, user_id, following, citizen_id, linked_at, followed_at, created_at, updated_at)
                VALUES (\(bind: UUID()), \(bind: tenant), \(bind: userID), \(bind: true), \(bind: citizenID), \(bind: now), \(bind: now), \(bind: now), \(bind: now))
                ON CONFLICT (tenant_id, user_id) DO UPDATE SET citizen_id = \(bind: citizenID), linked_at = \(bind: now), updated_at = \(bind: now)
                """
            ).run()
            return citizenID
        }
    }

    /// The citizen unlinks their LINE account: nothing more goes to it. False when there was no link.
    static func unlink(tenant: String, citizenID: UUID, now: Date, on db: any Database) async throws -> Bool {
        try await sql(db).raw(
            """
            UPDATE line_users SET citizen_id = NULL, linked_at = NULL, updated_at = \(bind: now)
            WHERE tenant_id = \(bind: tenant) AND citizen_id = \(bind: citizenID) RETURNING user_id
            """
        ).first() != nil
    }

    // MARK: Refused webhook requests

    /// Counts a refused webhook request in its hour.
    static func rejected(tenant: String, reason: String, now: Date, on db: any Database) async throws {
        let hour = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
        try await sql(db).raw(
            """
            INSERT INTO line_webhook_rejections (tenant_id, hour, n, last_at, last_reason)
            VALUES (\(bind: tenant), \(bind: hour), 1, \(bind: now), \(bind: reason))
            ON CONFLICT (tenant_id, hour) DO UPDATE SET n = line_webhook_rejections.n + 1, last_at = \(bind: now), last_reason = \(bind: reason)
            """
        ).run()
    }

    /// Refused requests since `since`, with the last one's time and reason.
    static func rejections(tenant: String, since: Date, on db: any Database) async throws -> (count: Int, lastAt: Date?, lastReason: String?) {
        let rows = try await sql(db).raw(
            """
            SELECT n, last_at, last_reason FROM line_webhook_rejections WHERE tenant_id = \(bind: tenant) AND hour >= \(bind: since)
            ORDER BY hour DESC
            """
        ).all()
        let count = try rows.reduce(0) { $0 + (try $1.decode(column: "n", as: Int.self)) }
        return (count, try rows.first?.decode(column: "last_at", as: Date.self), try rows.first?.decode(column: "last_reason", as: String.self))
    }

    // MARK: Retention

    /// Refused webhook requests are shown for the last day (the channel page); kept a month for an operator who
    /// looks into an attack or a wrong secret later. They hold counts and a reason, nothing a person sent.
    static let rejectionsKeptFor: TimeInterval = 30 * 24 * 3600

    /// Deletes up to `limit` link nonces past their expiry (used or not: the link itself is in `line_users`), in every
    /// tenant; returns how many went. Like every retention sweep, the condition stands in the outer WHERE too
    /// (PostgreSQL re-checks only that on a row it waited for).
    static func sweepNonces(now: Date, limit: Int, on db: any Database) async throws -> Int {
        try await OldestRows.delete(
            from: "line_link_nonces", key: ["id"], where: "expires_at <= \(bind: now)", orderBy: "expires_at", limit: limit, on: sql(db))
    }

    /// Deletes up to `limit` hourly rejection counts from before `before`, in every tenant; returns how many went.
    static func sweepRejections(before: Date, limit: Int, on db: any Database) async throws -> Int {
        // Composite key (tenant, hour): a row value names each row, on both databases.
        try await OldestRows.delete(
            from: "line_webhook_rejections", key: ["tenant_id", "hour"], where: "hour < \(bind: before)", orderBy: "hour", limit: limit, on: sql(db))
    }

    // MARK: Helpers

    private static func lineUser(_ row: any SQLRow) throws -> LineUser {
        LineUser(
            userID: try row.decode(column: "user_id", as: String.self), following: try row.decode(column: "following", as: Bool.self),
            citizenID: try row.decode(column: "citizen_id", as: UUID?.self), linkedAt: try row.decode(column: "linked_at", as: Date?.self))
    }

    private static func sql(_ db: any Database) throws -> any SQLDatabase { try sqlDatabase(db) }
}
