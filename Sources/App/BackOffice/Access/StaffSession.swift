import Domain
import Foundation
import Vapor

/// A staff member's sign-in, kept in the server-side session by the one sign-in machinery (`SignInSessions`).
/// Signing in happens in stages (password → new password if required → OTP enrolment or OTP) and only the
/// last stage signs in. Timeouts are `SignInPolicy.staffSession` (30 minutes idle, 12 hours); the account's
/// `session_epoch` ends other sessions.
enum StaffSession {
    typealias Stage = SignIn.Stage
    typealias State = SignIn

    static func state(_ req: Request) -> State? {
        SignInSessions.current(req, .staff)
    }

    /// The password was right: a new, empty session (new id, new CSRF token) holds the first stage.
    static func begin(_ req: Request, account: StaffAccount, stage: Stage, now: Date = Date()) async throws {
        try await SignInSessions.begin(
            req,
            SignIn(
                person: .staff, accountID: try account.requireID(), stage: stage, epoch: account.sessionEpoch,
                started: now, seen: now), keepingOtherData: false)
    }

    /// `false` when the session holds no sign-in to move on (nothing is written).
    @discardableResult
    static func advance(_ req: Request, to stage: Stage, epoch: Int? = nil) -> Bool {
        guard var s = state(req) else { return false }
        s.stage = stage
        if let epoch { s.epoch = epoch }
        SignInSessions.write(req, s)
        return true
    }

    /// Marks activity; `false` when the session has run out (idle or absolute).
    static func touch(_ req: Request, state: State, now: Date = Date()) -> Bool {
        SignInSessions.touch(req, state, now: now)
    }

    /// Sign-out: the session is deleted on the server and the cookie expired.
    static func end(_ req: Request) {
        req.session.destroy()
    }

    static func clear(_ req: Request) {
        SignInSessions.end(req, .staff)
    }
}

extension SignIn {
    var staffID: UUID { accountID }
    var citizenID: UUID { accountID }
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
