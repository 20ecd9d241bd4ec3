import Domain
import Fluent
import Foundation
import Vapor

/// `/backoffice/login/new-password`: a first password (issued by an admin) is replaced before anything else
/// but the code of an authenticator already confirmed.
struct NewPasswordStepController {
    struct PasswordForm: Content {
        var password: String?
        var confirm: String?
    }

    func page(_ req: Request) async throws -> Response {
        guard try await StaffSignInFlow.partial(req, stage: .newPassword) != nil else { return StaffSignInFlow.restart(req) }
        return try await StaffSignInPages.render(req, StaffSignInPages.newPassword(req, errors: FormErrors()))
    }

    func submit(_ req: Request) async throws -> Response {
        guard let account = try await StaffSignInFlow.partial(req, stage: .newPassword) else { return StaffSignInFlow.restart(req) }
        // A sign-in begun just before the first password ran out does not finish after it.
        guard !account.initialPasswordExpired(at: Date()) else {
            return try await StaffSignInPages.startAgain(req, problem: StaffInitialPassword.expiredMessage, status: .forbidden)
        }
        let form = try req.content.decode(PasswordForm.self)
        var errors = account.newPasswordErrors(form.password ?? "", confirm: form.confirm ?? "", nationalIDs: try req.application.staffNationalIDs)
        if errors.isEmpty, try await Passwords.verify(form.password ?? "", hash: account.passwordHash, on: req) {
            errors.add("password", "รหัสผ่านใหม่ต้องไม่ซ้ำกับรหัสผ่านเดิม")
        }
        guard errors.isEmpty else {
            return try await StaffSignInPages.render(req, StaffSignInPages.newPassword(req, errors: errors), status: .unprocessableEntity)
        }
        let hash = try await Passwords.hash(form.password ?? "", on: req)
        try await StaffStore.updatePassword(account, hash: hash, on: req.db)
        try await AuditLog.record(
            .passwordChanged, on: req, actor: AuditActor(id: account.id, name: account.username), tenant: nil,
            detail: "ตั้งรหัสผ่านใหม่เมื่อเข้าสู่ระบบครั้งแรก")
        // With an authenticator the code came first: signed in now. Without, enrol one.
        if account.hasOTP { return req.redirect(to: try await StaffSignInFlow.complete(req, account: account), redirectType: .normal) }
        StaffSession.advance(req, to: .enrol, epoch: account.sessionEpoch)
        return req.redirect(to: StaffSignInFlow.stageURL(.enrol), redirectType: .normal)
    }
}
