import Domain
import Foundation
import Vapor

/// `emails/citizen-password-changed`: the notice after a signed-in change of password.
struct CitizenPasswordChangedMail: Encodable, Sendable {
    var frame: NoticeMail.Frame
    var maskedNationalID: String
    /// Buddhist era, Bangkok time.
    var changedAt: String

    static func subject(tenant: Tenant) -> String { "รหัสผ่าน e-Service \(tenant.thaiName) ของท่านถูกเปลี่ยนแล้ว" }
}

/// "เปลี่ยนรหัสผ่าน" while signed in: the current password (tried at most as often as a sign-in), a new one by the
/// password rules; the change ends every other session of the account (a new epoch), this one goes on under a new
/// session id, and the citizen is e-mailed, in the same transaction as the change.
struct CitizenPasswordChangeController {
    struct ChangeForm: Content {
        var currentPassword: String?
        var password: String?
        var passwordConfirm: String?
    }

    func page(_ req: Request) async throws -> Response {
        try await render(req, errors: FormErrors(), status: .ok)
    }

    func change(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        let form = try req.content.decode(ChangeForm.self)
        let current = form.currentPassword ?? "", password = form.password ?? ""
        var errors = FormErrors()
        let now = Date()
        // Guessing the current password here is guessing a sign-in: the same limits, per address and per account.
        // The very keys a sign-in counts (the national ID's), so the two forms share one budget.
        let digits = try (try? req.application.nationalIDs.open(account.nationalIDSealed).digits) ?? account.requireID().uuidString
        guard try await RateLimiter.allow("citizen-login-ip:\(req.clientNetwork)", SignInPolicy.passwordsPerAddress, now: now, on: req.db),
            try await RateLimiter.allow(
                RateLimiter.key("citizen-login:\(t.tenant.slug)", digits, secret: req.application.settings.appSecret),
                SignInPolicy.passwordsPerAccount, now: now, on: req.db)
        else {
            errors.add("currentPassword", "ลองรหัสผ่านปัจจุบันผิดหลายครั้งเกินไป กรุณารอสักครู่แล้วลองใหม่")
            return try await render(req, errors: errors, status: .tooManyRequests)
        }
        if current.isEmpty {
            errors.add("currentPassword", "กรุณากรอกรหัสผ่านปัจจุบัน")
        } else if !(try await Passwords.verify(current, hash: account.passwordHash, on: req)) {
            errors.add("currentPassword", "รหัสผ่านปัจจุบันไม่ถูกต้อง")
        }
        let personal = [account.firstName, account.lastName, (try? req.application.nationalIDs.open(account.nationalIDSealed).digits) ?? ""]
        errors.add(PasswordPolicy.newPasswordProblems(password, confirm: form.passwordConfirm ?? "", personal: personal), confirm: "passwordConfirm")
        if errors["password"] == nil, !current.isEmpty, password == current {
            errors.add("password", "รหัสผ่านใหม่ต้องไม่ซ้ำกับรหัสผ่านปัจจุบัน")
        }
        guard errors.isEmpty else { return try await render(req, errors: errors, status: .unprocessableEntity) }
        let hash = try await Passwords.hash(password, on: req)
        let citizenID = try account.requireID()
        // The notice goes to a confirmed address only (a registration whose link was not followed gets none).
        let mail: RenderedMail?
        if let address = account.confirmedEmail {
            mail = try await EmailOutbox(views: req.view, from: req.application.settings.mailFrom).render(
                template: "citizen-password-changed",
                context: CitizenPasswordChangedMail(
                    frame: .init(name: account.fullName, tenantName: t.tenant.thaiName, link: CitizenMail.link(req, tenant: t.tenant, .login)),
                    maskedNationalID: account.maskedNationalID, changedAt: ThaiDate.shortWithTime(now)),
                to: [address], subject: CitizenPasswordChangedMail.subject(tenant: t.tenant),
                idempotencyKey: "citizen-password-changed:\(citizenID.uuidString.lowercased()):\(account.sessionEpoch + 1)")
        } else {
            mail = nil
        }
        let changed = try await req.db.writeTransaction { db -> Bool in
            // A new epoch ends every session of this account, on every device; this one is begun again below.
            guard
                try await CitizenStore.changePassword(
                    citizenID: citizenID, tenant: t.tenant, from: account.passwordHash, epoch: account.sessionEpoch, to: hash, now: now, on: db)
            else { return false }
            if let mail { _ = try await EmailOutbox.enqueue(mail, tenant: t.tenant, on: db) }
            return true
        }
        guard changed else {
            // Reset or changed elsewhere meanwhile: that one stands, and this session is not carried on past it.
            CitizenSession.end(req, tenant: t.tenant)
            req.flash("มีการเปลี่ยนรหัสผ่านของบัญชีนี้จากที่อื่นระหว่างที่ท่านกรอกแบบฟอร์ม กรุณาเข้าสู่ระบบด้วยรหัสผ่านล่าสุด")
            return req.redirect(to: t.url(.login))
        }
        account.passwordHash = hash
        account.sessionEpoch += 1
        try await CitizenSession.begin(req, tenant: t.tenant, account: account, now: now)
        req.application.outboxWakeUp.poke()
        req.flash("เปลี่ยนรหัสผ่านแล้ว อุปกรณ์อื่นที่เข้าสู่ระบบไว้ถูกออกจากระบบ และระบบส่งอีเมลแจ้งไปที่ \(EmailMask.masking(account.email))")
        return req.redirect(to: t.url(.profile))
    }

    private func render(_ req: Request, errors: FormErrors, status: HTTPStatus) async throws -> Response {
        let t = try req.tenant
        let context = CitizenFormPage(
            page: PageChrome(request: req, title: "เปลี่ยนรหัสผ่าน – \(t.tenant.thaiName)"),
            heading: "เปลี่ยนรหัสผ่าน",
            lead: "เมื่อเปลี่ยนแล้ว อุปกรณ์อื่นที่เข้าสู่ระบบไว้จะถูกออกจากระบบ และระบบจะส่งอีเมลแจ้ง",
            csrf: req.csrfToken(), action: t.url(.password), button: "เปลี่ยนรหัสผ่าน", errors: errors.items,
            sections: errors.apply(to: [
                FormSection(
                    title: nil,
                    fields: [
                        FieldView(
                            name: "currentPassword", label: "รหัสผ่านปัจจุบัน", kind: .password, autocomplete: "current-password",
                            maxlength: PasswordPolicy.maxLength),
                        FieldView(
                            name: "password", label: "รหัสผ่านใหม่", kind: .password, hint: PasswordPolicy.ruleThai,
                            autocomplete: "new-password", maxlength: PasswordPolicy.maxLength, meter: true),
                        FieldView(
                            name: "passwordConfirm", label: "ยืนยันรหัสผ่านใหม่", kind: .password, autocomplete: "new-password",
                            maxlength: PasswordPolicy.maxLength),
                    ])
            ]),
            links: [.init(url: t.url(.profile), title: "ยกเลิก กลับไปหน้าข้อมูลส่วนตัว")])
        return try await req.renderCitizenForm(context, status: status).withNoStore()
    }
}
