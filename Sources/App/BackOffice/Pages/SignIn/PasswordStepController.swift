import Domain
import Fluent
import Foundation
import Vapor

/// `/backoffice/login`: the username and password step, the first of `StaffSignInFlow`.
struct PasswordStepController {
    struct LoginForm: Content {
        var username: String?
        var password: String?
        var next: String?
    }

    func page(_ req: Request) async throws -> Response {
        if let state = StaffSession.state(req) {
            return req.redirect(to: StaffSignInFlow.stageURL(state.stage), redirectType: .normal)
        }
        var notice: String?
        if req.query[String.self, at: "expired"] != nil { notice = "หมดเวลาการใช้งาน กรุณาเข้าสู่ระบบอีกครั้ง" }
        if req.query[String.self, at: "signedout"] != nil { notice = "ออกจากระบบเรียบร้อยแล้ว" }
        if req.query[String.self, at: "reset"] != nil { notice = "ตั้งรหัสผ่านใหม่เรียบร้อยแล้ว กรุณาเข้าสู่ระบบด้วยรหัสผ่านใหม่" }
        return try await StaffSignInPages.render(req, StaffSignInPages.login(req, username: "", next: req.query[String.self, at: "next"], notice: notice))
    }

    func submit(_ req: Request) async throws -> Response {
        let form = try req.content.decode(LoginForm.self)
        let username = form.username.clean.lowercased()
        let password = form.password ?? ""
        func answer(_ problem: String? = nil, errors: FormErrors = FormErrors(), status: HTTPStatus) async throws -> Response {
            try await StaffSignInPages.render(
                req,
                StaffSignInPages.login(
                    req, username: form.username.clean, next: form.next, errors: errors,
                    problem: problem), status: status)
        }
        var errors = FormErrors()
        if username.isEmpty { errors.add("username", "กรุณากรอกชื่อผู้ใช้งาน") }
        if password.isEmpty { errors.add("password", "กรุณากรอกรหัสผ่าน") }
        guard errors.isEmpty else { return try await answer(errors: errors, status: .unprocessableEntity) }

        let now = Date()
        let account = try await StaffStore.find(username: username, on: req.db)
        let actor = AuditActor(id: account?.id, name: account?.username ?? "(ไม่พบชื่อผู้ใช้งาน)")
        var origin: StaffSignInGuard.Origin?
        if let account { origin = try await StaffSignInFlow.origin(req, account: account, now: now) }
        // The account-wide limit does not apply at an address the account signed in from before: others' tries
        // cannot shut its owner out there.
        let accountKey = origin?.known == true ? nil : RateLimiter.key("signin-user", username, secret: req.application.settings.appSecret)
        guard
            try await StaffSignInFlow.withinLimits(
                req, addressKey: "signin-ip:\(req.clientNetwork)", accountKey: accountKey,
                perAddress: SignInPolicy.passwordsPerAddress, perAccount: SignInPolicy.passwordsPerAccount,
                now: now)
        else {
            try await AuditLog.record(.signInThrottled, on: req, actor: actor, tenant: nil, detail: "เกินจำนวนครั้งที่กำหนด")
            return try await answer("มีการพยายามเข้าสู่ระบบถี่เกินไป กรุณารอ 15 นาทีแล้วลองใหม่", status: .tooManyRequests)
        }
        var slot: StaffSignInGuard.Slot?
        if let origin {
            switch try await StaffSignInGuard.spend(origin, now: now, on: req.db) {
            case .allowed(let spent): slot = spent
            case .refused(let until):
                try await AuditLog.record(.signInThrottled, on: req, actor: actor, tenant: nil, detail: "บัญชีถูกระงับชั่วคราว\(StaffSignInGuard.lockAuditText)")
                return try await answer(SignInPolicy.lockedMessage(until: until, now: now), status: .tooManyRequests)
            }
        }
        guard try await Passwords.verify(password, hash: account?.passwordHash, on: req), let account else {
            if let slot, try await StaffSignInGuard.failed(slot, now: now, on: req.db) {
                try await AuditLog.record(
                    .signInThrottled, on: req, actor: actor, tenant: nil,
                    detail: "รหัสผ่านหรือรหัส OTP ผิด \(StaffSignInGuard.maxFailures) ครั้ง ระงับ 15 นาที\(StaffSignInGuard.lockAuditText)")
            }
            try await AuditLog.record(.signInFailed, on: req, actor: actor, tenant: nil, detail: "ชื่อผู้ใช้งานหรือรหัสผ่านไม่ถูกต้อง")
            return try await answer("ชื่อผู้ใช้งานหรือรหัสผ่านไม่ถูกต้อง", status: .unauthorized)
        }
        // The right password gives its attempt back; the code still has to follow.
        if let slot { try await StaffSignInGuard.refund(slot, on: req.db) }
        switch account.status {
        case .active: break
        case .pending:
            return try await answer("บัญชีของท่านอยู่ระหว่างรอตรวจสอบ (เลขที่คำขอ \(account.requestNumber)) ระบบจะแจ้งผลทางอีเมล", status: .forbidden)
        case .rejected:
            return try await answer("คำขอลงทะเบียนของท่านไม่ได้รับการอนุมัติ โปรดดูเหตุผลในอีเมลที่ได้รับ", status: .forbidden)
        case .disabled:
            try await AuditLog.record(.signInFailed, on: req, actor: actor, tenant: nil, detail: "บัญชีถูกระงับการใช้งาน")
            return try await answer("บัญชีนี้ถูกระงับการใช้งาน กรุณาติดต่อผู้ดูแลระบบ", status: .forbidden)
        }
        // Said only to someone who typed the right first password, so it tells no one else the account exists.
        if account.initialPasswordExpired(at: now) {
            try await AuditLog.record(.signInFailed, on: req, actor: actor, tenant: nil, detail: "รหัสผ่านเริ่มต้นหมดอายุ")
            return try await answer(StaffInitialPassword.expiredMessage, status: .forbidden)
        }
        let stage = try await StaffSignInFlow.begin(req, account: account, next: form.next, now: now)
        return req.redirect(to: StaffSignInFlow.stageURL(stage), redirectType: .normal)
    }
}
