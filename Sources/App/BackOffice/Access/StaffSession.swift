import Domain
import Foundation
import Vapor

/// A staff member's sign-in, kept in the server-side session. Signing in happens in stages
/// (password → new password if required → OTP enrolment or OTP) and only the last stage signs in.
/// Idle timeout 30 minutes, absolute 12 hours; the account's `session_epoch` ends other sessions.
enum StaffSession {
    static let idleTimeout: TimeInterval = 30 * 60
    static let absoluteTimeout: TimeInterval = 12 * 3600

    enum Stage: String {
        /// Password accepted; the initial password must be replaced.
        case newPassword = "password"
        /// Password accepted; OTP enrolment is needed.
        case enrol
        /// Password accepted; waiting for the one-time code.
        case otp
        /// Signed in.
        case signedIn = "ok"
    }

    private enum Key {
        static let staff = "staff"
        static let stage = "staff_stage"
        static let epoch = "staff_epoch"
        static let started = "staff_login"
        static let seen = "staff_seen"
    }

    struct State {
        var staffID: UUID
        var stage: Stage
        var epoch: Int
        var started: Date
        var seen: Date
    }

    static func state(_ req: Request) -> State? {
        req.hasSession ? state(req.session.data) : nil  // asking without a session would start one
    }

    static func state(_ d: SessionData) -> State? {
        guard let raw = d[Key.staff], let id = UUID(uuidString: raw), let stage = d[Key.stage].flatMap(Stage.init(rawValue:)),
              let epoch = d[Key.epoch].flatMap(Int.init), let started = d[Key.started].flatMap(Double.init),
              let seen = d[Key.seen].flatMap(Double.init) else { return nil }
        return State(staffID: id, stage: stage, epoch: epoch, started: Date(timeIntervalSince1970: started),
                     seen: Date(timeIntervalSince1970: seen))
    }

    /// The password was right: a new session (new id, new CSRF token) holds the first stage.
    static func begin(_ req: Request, account: StaffAccount, stage: Stage, now: Date = Date()) async throws {
        try await rotate(req)
        let d = req.session
        d.data[Key.staff] = try account.requireID().uuidString
        d.data[Key.stage] = stage.rawValue
        d.data[Key.epoch] = String(account.sessionEpoch)
        d.data[Key.started] = String(now.timeIntervalSince1970)
        d.data[Key.seen] = String(now.timeIntervalSince1970)
    }

    static func advance(_ req: Request, to stage: Stage, epoch: Int? = nil) {
        req.session.data[Key.stage] = stage.rawValue
        if let epoch { req.session.data[Key.epoch] = String(epoch) }
    }

    /// When this sign-in (at any stage) runs out unless used again: the session row's expiry (`SessionStore`).
    static func deadline(_ data: SessionData) -> Date? {
        state(data).map { min($0.seen.addingTimeInterval(idleTimeout), $0.started.addingTimeInterval(absoluteTimeout)) }
    }

    /// Marks activity; `false` when the session has run out (idle or absolute).
    static func touch(_ req: Request, state: State, now: Date = Date()) -> Bool {
        guard now.timeIntervalSince(state.seen) <= idleTimeout, now.timeIntervalSince(state.started) <= absoluteTimeout else { return false }
        // Written at most once a minute, so ordinary page views do not rewrite the session row.
        if now.timeIntervalSince(state.seen) > 60 { req.session.data[Key.seen] = String(now.timeIntervalSince1970) }
        return true
    }

    /// Sign-out: the session is deleted on the server and the cookie expired.
    static func end(_ req: Request) {
        req.session.destroy()
    }

    static func clear(_ req: Request) {
        for key in [Key.staff, Key.stage, Key.epoch, Key.started, Key.seen] { req.session.data[key] = nil }
    }

    /// A fresh session id and CSRF token, so that a session id planted before sign-in is worth nothing.
    static func rotate(_ req: Request) async throws {
        try await SessionRotation.rotate(req)
        req.session.data = SessionData()
    }
}

extension Request {
    private static let flashKey = "staff_flash"

    /// A one-line message for the next page (after a redirect), shown once.
    func flash(_ message: String) { session.data[Self.flashKey] = message }

    /// The waiting message, removed as it is read.
    func takeFlash() -> String? {
        defer { session.data[Self.flashKey] = nil }
        return session.data[Self.flashKey]
    }
}
