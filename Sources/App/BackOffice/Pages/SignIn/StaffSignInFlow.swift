import Domain
import Fluent
import Foundation
import Vapor

/// The staff sign-in as a flow of steps: password (`PasswordStepController`) → a new password if required
/// (`NewPasswordStepController`) → OTP enrolment (`OTPEnrolmentController`) or the one-time code
/// (`OTPStepController`); only the last step signs the person in. The session (`StaffSession`, on the shared
/// `SignInSessions`) holds the step reached; the policy (`SignInPolicy`) and the per-address lockout
/// (`StaffSignInGuard`) decide how many tries each step gets.
enum StaffSignInFlow {
    static let issuer = "e-Service Back Office"
    private static let nextKey = "staff_next"
    private static let enrolKey = "staff_enrol"

    static let alreadyEnrolled =
        "บัญชีนี้ลงทะเบียนแอปยืนยันตัวตน (OTP) ไว้แล้ว จึงลงทะเบียนใหม่แทนที่ไม่ได้ กรุณาเข้าสู่ระบบอีกครั้งด้วยรหัส OTP จากแอปเดิม หรือรหัสกู้คืน หากทำโทรศัพท์หาย กรุณาติดต่อผู้ดูแลระบบ"

    /// The step after a right password. An account with an authenticator proves it before anything else, a new
    /// password included: a first password issued again (birth date, known to colleagues) must not let anyone
    /// replace the password.
    static func firstStage(for account: StaffAccount) -> StaffSession.Stage {
        account.hasOTP ? .otp : (account.mustChangePassword ? .newPassword : .enrol)
    }

    static func stageURL(_ stage: StaffSession.Stage) -> String {
        switch stage {
        case .newPassword: BackOfficeURL.loginNewPassword.path
        case .enrol: BackOfficeURL.loginEnrol.path
        case .otp: BackOfficeURL.loginOTP.path
        case .signedIn: BackOfficeURL.home.path
        }
    }

    /// Begins the flow after a right password: a new session at the first step, remembering where to go after.
    static func begin(_ req: Request, account: StaffAccount, next: String?, now: Date) async throws -> StaffSession.Stage {
        let stage = firstStage(for: account)
        try await StaffSession.begin(req, account: account, stage: stage, now: now)
        if let next = BackOfficeURL.safeNext(next) { req.session.data[nextKey] = next }
        return stage
    }

    /// The account half-way through signing in at `stage`, or nil (start again).
    static func partial(_ req: Request, stage: StaffSession.Stage) async throws -> StaffAccount? {
        guard let state = StaffSession.state(req), state.stage == stage, StaffSession.touch(req, state: state),
            let account = try await StaffAccount.find(state.staffID, on: req.db), account.status == .active,
            account.sessionEpoch == state.epoch
        else { return nil }
        return account
    }

    /// Back to the sign-in page (or home, when already signed in).
    static func restart(_ req: Request) -> Response {
        if let state = StaffSession.state(req), state.stage == .signedIn { return req.redirect(to: BackOfficeURL.home.path, redirectType: .normal) }
        StaffSession.clear(req)
        return req.redirect(to: BackOfficeURL.login.path + "?expired=1", redirectType: .normal)
    }

    /// The last step: signed in. Failures from this address are forgiven and it becomes one the account is known
    /// to sign in from. Returns where to go.
    static func complete(_ req: Request, account: StaffAccount) async throws -> String {
        // Only a session that holds this sign-in's earlier steps may finish it.
        guard StaffSession.advance(req, to: .signedIn, epoch: account.sessionEpoch) else { throw Abort(.unauthorized) }
        try await StaffSignInGuard.succeeded(try await origin(req, account: account), on: req.db)
        try await AuditLog.record(.signIn, on: req, actor: AuditActor(id: account.id, name: account.username), tenant: nil, detail: "")
        let next = BackOfficeURL.safeNext(req.session.data[nextKey]) ?? BackOfficeURL.home.path
        req.session.data[nextKey] = nil
        return next
    }

    /// The account and the address this request comes from (`req.clientNetwork`: the address, or an IPv6
    /// client's /64, which it can roam within).
    static func origin(_ req: Request, account: StaffAccount, now: Date = Date()) async throws -> StaffSignInGuard.Origin {
        try await StaffSignInGuard.origin(
            staffID: try account.requireID(), address: req.clientNetwork,
            secret: req.application.settings.appSecret, now: now, on: req.db)
    }

    /// Counts one try against the rate limits of a step (per address, and per account unless the address is known).
    static func withinLimits(
        _ req: Request, addressKey: String, accountKey: String?, perAddress: RateRule, perAccount: RateRule,
        now: Date
    ) async throws -> Bool {
        let byAddress = try await RateLimiter.allow(addressKey, perAddress, now: now, on: req.db)
        let byAccount = try await accountKey.asyncMap { try await RateLimiter.allow($0, perAccount, now: now, on: req.db) } ?? true
        return byAddress && byAccount
    }

    // MARK: The authenticator being enrolled

    /// The secret shown on the enrolment page, sealed in the session until the code confirms it.
    static func pendingSecret(_ req: Request) -> (secret: [UInt8], period: Int)? {
        guard let raw = req.session.data[enrolKey] else { return nil }
        let parts = raw.split(separator: ":")
        guard parts.count == 2, let period = Int(parts[0]), let sealed = parts.last,
            let secret = try? StaffOTP.box(req.application).open(String(sealed))
        else { return nil }
        return (secret, period)
    }

    /// The pending secret, made (and sealed in the session) on first use.
    static func pendingOrNewSecret(_ req: Request) throws -> (secret: [UInt8], period: Int) {
        if let existing = pendingSecret(req) { return existing }
        let secret = Domain.TOTP.generateSecret()
        let period = req.application.settings.staffOTPPeriod
        req.session.data[enrolKey] = "\(period):" + (try StaffOTP.box(req.application).seal(secret))
        return (secret, period)
    }

    static func forgetPendingSecret(_ req: Request) { req.session.data[enrolKey] = nil }
}

extension Optional {
    fileprivate func asyncMap<T>(_ f: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await f(self)
    }
}
