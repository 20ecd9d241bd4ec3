import Domain
import Fluent
import Foundation
import Vapor

/// `/backoffice/login/otp`: the one-time code (or a recovery code) of an enrolled authenticator. Codes are
/// counted before they are compared (`StaffOTP.check`), limited per account and address.
struct OTPStepController {
    struct CodeForm: Content {
        var code: String?
    }

    func page(_ req: Request) async throws -> Response {
        guard let account = try await StaffSignInFlow.partial(req, stage: .otp) else { return StaffSignInFlow.restart(req) }
        return try await StaffSignInPages.render(req, StaffSignInPages.otp(req, account: account, errors: FormErrors()))
    }

    func submit(_ req: Request) async throws -> Response {
        guard let account = try await StaffSignInFlow.partial(req, stage: .otp) else { return StaffSignInFlow.restart(req) }
        let form = try req.content.decode(CodeForm.self)
        let actor = AuditActor(id: account.id, name: account.username)
        func problem(_ message: String, status: HTTPStatus) async throws -> Response {
            var e = FormErrors()
            e.add("code", message)
            return try await StaffSignInPages.render(req, StaffSignInPages.otp(req, account: account, errors: e), status: status)
        }
        guard !(form.code ?? "").isEmpty else { return try await problem("กรุณากรอกรหัส OTP", status: .unprocessableEntity) }
        let now = Date()
        let origin = try await StaffSignInFlow.origin(req, account: account, now: now)
        guard
            try await StaffSignInFlow.withinLimits(
                req, addressKey: "otp-ip:\(req.clientNetwork)",
                accountKey: origin.known ? nil : "otp-user:\(origin.staffID.uuidString.lowercased())",
                perAddress: SignInPolicy.codesPerAddress, perAccount: SignInPolicy.codesPerAccount, now: now)
        else {
            try await AuditLog.record(.otpThrottled, on: req, actor: actor, tenant: nil, detail: "กรอก OTP เกินจำนวนครั้งที่กำหนด")
            return try await problem("มีการกรอกรหัส OTP ถี่เกินไป กรุณารอ 15 นาทีแล้วลองใหม่", status: .tooManyRequests)
        }
        let outcome = try await StaffOTP.check(form.code ?? "", account: account, origin: origin, app: req.application, now: now, on: req.db)
        switch outcome {
        case .accepted, .recoveryCodeUsed:
            if outcome == .recoveryCodeUsed {
                let left = try await RecoveryCodes.remaining(staffID: try account.requireID(), on: req.db)
                try await AuditLog.record(.recoveryCodeUsed, on: req, actor: actor, tenant: nil, detail: "เหลือรหัสกู้คืน \(left) รหัส")
            }
            if account.mustChangePassword {
                StaffSession.advance(req, to: .newPassword, epoch: account.sessionEpoch)
                return req.redirect(to: StaffSignInFlow.stageURL(.newPassword), redirectType: .normal)
            }
            return req.redirect(to: try await StaffSignInFlow.complete(req, account: account), redirectType: .normal)
        case .wrong(let left):
            try await AuditLog.record(.otpFailed, on: req, actor: actor, tenant: nil, detail: "รหัสไม่ถูกต้อง (ผิดได้อีก \(left) ครั้ง)")
            return try await problem("รหัส OTP ไม่ถูกต้องหรือถูกใช้ไปแล้ว (ผิดได้อีก \(left) ครั้ง)", status: .unauthorized)
        case .locked(let newly):
            if newly {
                // The code was compared (and wrong): one failure, then the lock it closed.
                try await AuditLog.record(.otpFailed, on: req, actor: actor, tenant: nil, detail: "รหัสไม่ถูกต้อง (ครั้งสุดท้ายที่ยอมให้)")
                try await AuditLog.record(
                    .otpThrottled, on: req, actor: actor, tenant: nil,
                    detail: "รหัสผ่านหรือรหัส OTP ผิด \(StaffSignInGuard.maxFailures) ครั้ง ระงับ 15 นาที\(StaffSignInGuard.lockAuditText)")
            } else {
                try await AuditLog.record(
                    .otpThrottled, on: req, actor: actor, tenant: nil, detail: "ไม่ตรวจรหัส: บัญชีถูกระงับชั่วคราว\(StaffSignInGuard.lockAuditText)")
            }
            return try await StaffSignInPages.startAgain(
                req, problem: "กรอกรหัส OTP ผิดหลายครั้ง บัญชีถูกระงับการเข้าสู่ระบบชั่วคราว 15 นาที",
                status: .tooManyRequests)
        }
    }
}
