import Domain
import Fluent
import Foundation
import Vapor

/// "ลืมรหัสผ่าน" as the seed walks it: the registered e-mail → the same answer whatever it matched (one outbox job,
/// `CitizenPasswordReset`) → an e-mailed single-use link (`SingleUseTokens`, 10 minutes) → a new password by the
/// shared rule (`PasswordPolicy`); every other session of the account ends.
struct CitizenPasswordResetController {
    struct EmailForm: Content {
        var email: String?
    }

    struct ResetForm: Content {
        var password: String?
        var passwordConfirm: String?
    }

    static let sameAnswer = "หากอีเมลนี้ลงทะเบียนไว้ในระบบ ระบบได้ส่งลิงก์ “เปลี่ยนรหัสผ่าน” ไปที่อีเมลแล้ว กรุณาตรวจสอบกล่องจดหมายหรือจดหมายขยะ ลิงก์ใช้ได้ครั้งเดียวภายใน 10 นาที"

    // MARK: Forgot password

    func forgotPage(_ req: Request) async throws -> Response {
        try await renderForgot(req, email: "", errors: FormErrors(), notice: nil, status: .ok)
    }

    func forgot(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let email = (try req.content.decode(EmailForm.self).email ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        var errors = FormErrors()
        FieldChecks.email(email, "email", example: "somchai@gmail.com", &errors)
        guard errors.isEmpty else { return try await renderForgot(req, email: email, errors: errors, notice: nil, status: .unprocessableEntity) }
        let now = Date()
        guard try await RateLimiter.allow("citizen-reset-ip:\(req.clientNetwork)", SignInPolicy.recoveryPerAddress, now: now, on: req.db),
            try await RateLimiter.allow(
                RateLimiter.key("citizen-reset-mail:\(t.tenant.slug)", email, secret: req.application.settings.appSecret), SignInPolicy.recoveryPerEmail,
                now: now, on: req.db)
        else {
            throw Abort(.tooManyRequests)
        }
        // The answer, and the work done while answering, are the same whether or not the e-mail is registered:
        // one outbox job, whose handler looks the address up and sends the links (CitizenPasswordReset).
        try await CitizenPasswordReset.request(
            email: email, tenant: t.tenant,
            linkBase: CitizenMail.link(req, tenant: t.tenant, .home).trimmingSuffix("/"),
            now: now, on: req.db)
        return try await renderForgot(req, email: "", errors: FormErrors(), notice: Self.sameAnswer, status: .ok)
    }

    private func renderForgot(_ req: Request, email: String, errors: FormErrors, notice: String?, status: HTTPStatus) async throws -> Response {
        let t = try req.tenant
        let context = CitizenFormPage(
            page: PageChrome(request: req, title: "ลืมรหัสผ่าน – \(t.tenant.thaiName)"),
            heading: "ลืมรหัสผ่าน",
            lead: "กรอกอีเมลที่ลงทะเบียนไว้ในระบบ e-Service แล้วกด ถัดไป ระบบจะส่งลิงก์ “เปลี่ยนรหัสผ่าน” ไปที่อีเมลนั้น",
            notice: notice, csrf: req.csrfToken(), action: t.url(.forgotPassword), button: "ถัดไป", errors: errors.items,
            sections: errors.apply(to: [
                FormSection(
                    title: nil,
                    fields: [
                        FieldView(name: "email", label: "อีเมลที่ลงทะเบียนไว้", kind: .email, value: email, autocomplete: "email", maxlength: 254)
                    ])
            ]),
            links: [.init(url: t.url(.login), title: "กลับไปหน้าเข้าสู่ระบบ")])
        return try await req.renderCitizenForm(context, status: status)
    }

    // MARK: New password from the link

    func resetPage(_ req: Request) async throws -> Response {
        let t = try req.tenant
        guard let token = req.parameters.get("token"),
            let record = try await SingleUseTokens.find(.citizenReset, token: token, tenantID: t.tenant.id, on: req.db)
        else { return try await expired(req) }
        return try await renderReset(req, token: token, record: record, errors: FormErrors(), status: .ok)
    }

    func reset(_ req: Request) async throws -> Response {
        let t = try req.tenant
        guard let token = req.parameters.get("token"),
            let record = try await SingleUseTokens.find(.citizenReset, token: token, tenantID: t.tenant.id, on: req.db),
            let ownerID = record.citizenID, let account = try await CitizenStore.byID(ownerID, tenant: t.tenant, on: req.db)
        else { return try await expired(req) }
        let form = try req.content.decode(ResetForm.self)
        let password = form.password ?? ""
        var errors = FormErrors()
        let personal = [account.firstName, account.lastName, (try? req.application.nationalIDs.open(account.nationalIDSealed).digits) ?? ""]
        errors.add(PasswordPolicy.newPasswordProblems(password, confirm: form.passwordConfirm ?? "", personal: personal), confirm: "passwordConfirm")
        guard errors.isEmpty else { return try await renderReset(req, token: token, record: record, errors: errors, status: .unprocessableEntity) }
        let hash = try await Passwords.hash(password, on: req)
        let now = Date()
        let citizenID = try account.requireID()
        let used = try await req.db.writeTransaction { db -> Bool in
            guard try await SingleUseTokens.consume(record, now: now, on: db) else { return false }
            try await SingleUseTokens.revokeAll(.citizenReset, for: .citizen(tenantID: t.tenant.id, citizenID: citizenID), now: now, on: db)
            // A new epoch ends every session of this account, on every device.
            try await CitizenStore.setPassword(citizenID: citizenID, tenant: t.tenant, hash: hash, epoch: account.sessionEpoch + 1, now: now, on: db)
            return true
        }
        guard used else { return try await expired(req) }
        CitizenSession.end(req, tenant: t.tenant)
        req.flash("ดำเนินการสำเร็จ เปลี่ยนรหัสผ่านแล้ว กรุณาเข้าสู่ระบบด้วยเลขประจำตัวประชาชนและรหัสผ่านใหม่")
        return req.redirect(to: t.url(.login))
    }

    private func renderReset(_ req: Request, token: String, record: SingleUseTokenRecord, errors: FormErrors, status: HTTPStatus) async throws -> Response {
        let t = try req.tenant
        let secondsLeft = max(1, Int(record.expiresAt.timeIntervalSinceNow.rounded(.down)))
        let context = CitizenFormPage(
            page: PageChrome(request: req, title: "เปลี่ยนรหัสผ่าน – \(t.tenant.thaiName)"),
            heading: "กำหนดรหัสผ่านใหม่",
            lead: "รหัสผ่านต้องมีความยาวอย่างน้อย 8 ตัวอักษร ประกอบด้วย ตัวพิมพ์ใหญ่ พิมพ์เล็ก ตัวเลข และอักขระพิเศษ ตัวอย่างอักขระพิเศษ เช่น $ @ # ! _",
            csrf: req.csrfToken(), action: t.url(.resetPassword(token)), button: "ถัดไป", errors: errors.items,
            sections: errors.apply(to: [
                FormSection(
                    title: nil,
                    fields: [
                        FieldView(
                            name: "password", label: "รหัสผ่านใหม่", kind: .password, hint: PasswordPolicy.ruleThai,
                            autocomplete: "new-password", maxlength: PasswordPolicy.maxLength, meter: true),
                        FieldView(
                            name: "passwordConfirm", label: "ยืนยันรหัสผ่านใหม่", kind: .password, autocomplete: "new-password",
                            maxlength: PasswordPolicy.maxLength),
                    ])
            ]),
            links: [.init(url: t.url(.login), title: "ยกเลิก")],
            secondsLeft: secondsLeft, countdownText: CitizenFormPage.minutesAndSeconds(secondsLeft))
        return try await req.renderCitizenForm(context, status: status).withNoStore()
    }

    private func expired(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let context = CitizenFormPage(
            page: PageChrome(request: req, title: "ลิงก์หมดอายุ – \(t.tenant.thaiName)"),
            heading: "ลิงก์เปลี่ยนรหัสผ่านใช้ไม่ได้",
            lead: "ลิงก์นี้หมดอายุ (เกิน 10 นาที) ถูกใช้ไปแล้ว หรือไม่ถูกต้อง กรุณาขอลิงก์ใหม่",
            csrf: req.csrfToken(), action: t.url(.forgotPassword), button: "ขอลิงก์ใหม่",
            sections: [
                FormSection(
                    title: nil,
                    fields: [
                        FieldView(name: "email", label: "อีเมลที่ลงทะเบียนไว้", kind: .email, autocomplete: "email", maxlength: 254)
                    ])
            ])
        return try await req.renderCitizenForm(context, status: .gone)
    }
}
