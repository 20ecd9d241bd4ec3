import Fluent
import Foundation
import SQLKit
import Vapor

/// Sessions in the database (`_fluent_sessions`, shared by every instance), each row with its expiry:
/// a signed-in session (staff at any sign-in stage, or a citizen of any tenant) lasts as long as its sign-in
/// could still be used (its idle and absolute limits, `SignInPolicy`); any other
/// session (a form's CSRF token, a flash message) lasts `anonymousLifetime` from its last change. An expired
/// row is never read back (the browser gets a new session), and the outbox workers delete expired rows in
/// small batches (`sweep`), by the `expires_at` index.
struct SessionStore: SessionDriver {
    static let anonymousLifetime: TimeInterval = 2 * 3600
    /// Rows deleted per statement, and statements per sweep: a sweep stays short however many rows expired.
    /// Up to 50,000 rows a minute per worker: more than anonymous form views can create (each is a request).
    static let sweepBatch = 500
    static let sweepBatchesPerRun = 100
    /// How often each worker sweeps.
    static let sweepInterval: TimeInterval = 60

    private struct ExpiryKey: StorageKey { typealias Value = Date }

    /// When a session holding `data`, written at `now`, stops being valid.
    static func expiry(of data: SessionData, now: Date) -> Date {
        let signedIn = SignInSessions.all(data).map(\.deadline)
        return signedIn.max() ?? now.addingTimeInterval(anonymousLifetime)
    }

    /// Whether an unchanged session should still be written back so that it does not run out while in use: an
    /// anonymous session past half its life (at most one write an hour). Signed-in sessions move their expiry
    /// with their idle clock, which changes their data.
    static func needsRefresh(_ data: SessionData, for request: Request, now: Date = Date()) -> Bool {
        guard let stored = request.storage[ExpiryKey.self] else { return false }
        return expiry(of: data, now: now).timeIntervalSince(stored) > anonymousLifetime / 2
    }

    func createSession(_ data: SessionData, for request: Request) -> EventLoopFuture<SessionID> {
        let id = Self.newID()
        let row = SessionRow(key: id, data: data, expiresAt: Self.expiry(of: data, now: Date()))
        return row.create(on: request.db).map { id }
    }

    func readSession(_ sessionID: SessionID, for request: Request) -> EventLoopFuture<SessionData?> {
        SessionRow.query(on: request.db)
            .filter(\.$key == sessionID)
            .filter(\.$expiresAt > Date())
            .first()
            .map { row in
                if let row { request.storage[ExpiryKey.self] = row.expiresAt }
                return row?.data
            }
    }

    func updateSession(_ sessionID: SessionID, to data: SessionData, for request: Request) -> EventLoopFuture<SessionID> {
        let expiresAt = Self.expiry(of: data, now: Date())
        request.storage[ExpiryKey.self] = expiresAt
        return SessionRow.query(on: request.db)
            .filter(\.$key == sessionID)
            .set(\.$data, to: data)
            .set(\.$expiresAt, to: expiresAt)
            .update()
            .map { sessionID }
    }

    func deleteSession(_ sessionID: SessionID, for request: Request) -> EventLoopFuture<Void> {
        SessionRow.query(on: request.db).filter(\.$key == sessionID).delete()
    }

    /// 256 random bits, as Fluent's own driver makes them.
    static func newID() -> SessionID {
        SessionID(string: Data([UInt8].random(count: 32)).base64EncodedString())
    }

    /// Deletes expired rows, oldest expiry first, at most `sweepBatch` per statement and `sweepBatchesPerRun`
    /// statements; returns how many went. The sub-select walks the `expires_at` index on both databases. The expiry is
    /// checked in the outer WHERE too: PostgreSQL re-checks only that on a row it waited for, so a session a request
    /// extended at that moment is kept.
    @discardableResult
    static func sweep(on db: any Database, now: Date = Date()) async throws -> Int {
        guard let sql = db as? any SQLDatabase else { return 0 }
        var total = 0
        for _ in 0..<sweepBatchesPerRun {
            let n = try await OldestRows.delete(
                from: "_fluent_sessions", key: ["id"], where: "expires_at <= \(bind: now)", orderBy: "expires_at", limit: sweepBatch, on: sql)
            total += n
            if n < sweepBatch { break }
        }
        return total
    }

    /// The outbox workers' periodic sweep of expired sessions.
    static let periodicSweep = PeriodicSweep(name: "expired sessions", interval: sweepInterval) { db, now in
        try await sweep(on: db, now: now)
    }
}

/// A row of `_fluent_sessions` (the table and columns of Fluent's `SessionRecord`, plus `expires_at`).
final class SessionRow: Model, @unchecked Sendable {
    static let schema = "_fluent_sessions"

    @ID(key: .id) var id: UUID?
    @Field(key: "key") var key: SessionID
    @Field(key: "data") var data: SessionData
    @Field(key: "expires_at") var expiresAt: Date

    init() {}

    init(key: SessionID, data: SessionData, expiresAt: Date) {
        self.key = key
        self.data = data
        self.expiresAt = expiresAt
    }
}
