import Domain
import Fluent
import Foundation
import Vapor

/// `/backoffice/login/enrol`: an authenticator app is added (QR code or typed secret) and confirmed with its
/// first code; ten recovery codes are shown once. A confirmed authenticator is never replaced here.
struct OTPEnrolmentController {
    struct CodeForm: Content {
        var code: String?
    }

    func page(_ req: Request) async throws -> Response {
        guard let account = try await StaffSignInFlow.partial(req, stage: .enrol) else { return StaffSignInFlow.restart(req) }
        guard !account.hasOTP else { return try await refuse(req, account: account) }
        let pending = try StaffSignInFlow.pendingOrNewSecret(req)
        return try await StaffSignInPages.render(req, StaffSignInPages.enrol(req, account: account, pending: pending, errors: FormErrors()))
    }

    func submit(_ req: Request) async throws -> Response {
        guard let account = try await StaffSignInFlow.partial(req, stage: .enrol) else { return StaffSignInFlow.restart(req) }
        guard !account.hasOTP else { return try await refuse(req, account: account) }
        guard let pending = StaffSignInFlow.pendingSecret(req) else { return req.redirect(to: BackOfficeURL.loginEnrol.path, redirectType: .normal) }
        let form = try req.content.decode(CodeForm.self)
        let now = Date()
        let totp = Domain.TOTP(secret: pending.secret, period: pending.period)
        guard let step = totp.verify(form.code ?? "", at: now, window: 1) else {
            var e = FormErrors()
            e.add("code", (form.code ?? "").isEmpty ? "กรุณากรอกรหัส OTP 6 หลักจากแอป" : "รหัส OTP ไม่ถูกต้อง กรุณาตรวจสอบว่าเพิ่มบัญชีในแอปแล้ว และเวลาในโทรศัพท์ถูกต้อง")
            try await AuditLog.record(
                .otpFailed, on: req, actor: AuditActor(id: account.id, name: account.username), tenant: nil, detail: "ลงทะเบียน OTP: รหัสไม่ถูกต้อง")
            return try await StaffSignInPages.render(
                req, StaffSignInPages.enrol(req, account: account, pending: pending, errors: e), status: .unprocessableEntity)
        }
        let app = req.application
        let codes: [String]
        do {
            codes = try await req.db.writeTransaction { db in
                try await StaffOTP.enrol(account, secret: pending.secret, period: pending.period, step: step, app: app, now: now, on: db)
            }
        } catch StaffOTP.EnrolError.alreadyEnrolled {
            // Another session confirmed an authenticator first.
            return try await refuse(req, account: account)
        }
        StaffSignInFlow.forgetPendingSecret(req)
        try await AuditLog.record(
            .otpEnrolled, on: req, actor: AuditActor(id: account.id, name: account.username), tenant: nil,
            detail: "รอบเวลา \(pending.period) วินาที; ออกรหัสกู้คืน \(codes.count) รหัส")
        let next = try await StaffSignInFlow.complete(req, account: account)
        return try await StaffSignInPages.render(req, StaffSignInPages.recoveryCodes(req, codes: codes, continueURL: next))
    }

    /// An authenticator that is already confirmed is never replaced by signing in again: the person signs in
    /// with its codes (or a recovery code).
    private func refuse(_ req: Request, account: StaffAccount) async throws -> Response {
        try await AuditLog.record(
            .otpFailed, on: req, actor: AuditActor(id: account.id, name: account.username), tenant: nil,
            detail: "ลงทะเบียน OTP ซ้ำถูกปฏิเสธ: บัญชีมีแอปยืนยันตัวตนที่ยืนยันแล้ว")
        return try await StaffSignInPages.startAgain(req, problem: StaffSignInFlow.alreadyEnrolled, status: .conflict)
    }
}
