import Domain
import Fluent
import Foundation
import Vapor

/// Sign-in with the national ID and password, sign-out, and "ลืมรหัสผ่าน" by e-mail link as the seed walks it.
/// Bad credentials get one generic answer; attempts are limited per account and per address.
struct CitizenSignInController {
    struct LoginForm: Content {
        var nationalID: String?
        var password: String?
        var next: String?
    }

    struct EmailForm: Content {
        var email: String?
    }

    struct ResetForm: Content {
        var password: String?
        var passwordConfirm: String?
    }

    static let badCredentials = "เลขประจำตัวประชาชนหรือรหัสผ่านไม่ถูกต้อง"
    static let throttled = "เข้าสู่ระบบไม่สำเร็จหลายครั้งเกินไป กรุณารอ 15 นาทีแล้วลองใหม่ หรือใช้เมนูลืมรหัสผ่าน"
    static let sameAnswer = "หากอีเมลนี้ลงทะเบียนไว้ในระบบ ระบบได้ส่งลิงก์ “เปลี่ยนรหัสผ่าน” ไปที่อีเมลแล้ว กรุณาตรวจสอบกล่องจดหมายหรือจดหมายขยะ ลิงก์ใช้ได้ครั้งเดียวภายใน 10 นาที"

    // MARK: Sign-in

    func loginPage(_ req: Request) async throws -> Response {
        let t = try req.tenant
        if try await req.loadCitizen(tenant: t.tenant) != nil { return req.redirect(to: t.url(.account)) }
        let next = (try? req.query.get(String.self, at: "next")).flatMap { Self.safeNext($0, tenant: t) }
        return try await renderLogin(req, nationalID: "", next: next, notice: req.takeFlash(), problem: nil, status: .ok)
    }

    func login(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let form = try req.content.decode(LoginForm.self)
        let typed = (form.nationalID ?? "").trimmingCharacters(in: .whitespaces)
        let next = form.next.flatMap { Self.safeNext($0, tenant: t) }
        guard !typed.isEmpty, let password = form.password, !password.isEmpty else {
            return try await renderLogin(req, nationalID: typed, next: next, notice: nil,
                                         problem: "กรุณากรอกเลขประจำตัวประชาชนและรหัสผ่าน", status: .unprocessableEntity)
        }
        let id = try? ThaiNationalID(typed)
        let now = Date()
        guard try await RateLimiter.allow("citizen-login-ip:\(req.clientAddress)", RateLimiter.signInPerAddress, now: now, on: req.db),
              try await RateLimiter.allow(RateLimiter.key("citizen-login:\(t.tenant.slug)", id?.digits ?? typed, secret: req.application.settings.appSecret),
                                          RateLimiter.signInPerAccount, now: now, on: req.db) else {
            return try await renderLogin(req, nationalID: typed, next: next, notice: nil, problem: Self.throttled, status: .tooManyRequests)
        }
        var account: CitizenAccount?
        if let id { account = try await CitizenStore.byNationalIDHash(try req.application.nationalIDs.lookupHash(id), tenant: t.tenant, on: req.db) }
        guard try await Passwords.verify(password, hash: account?.passwordHash, on: req), let account else {
            return try await renderLogin(req, nationalID: typed, next: next, notice: nil, problem: Self.badCredentials, status: .unauthorized)
        }
        try await CitizenSession.begin(req, tenant: t.tenant, account: account, now: now)
        return req.redirect(to: next ?? t.url(.account))
    }

    func logout(_ req: Request) async throws -> Response {
        let t = try req.tenant
        CitizenSession.end(req, tenant: t.tenant)
        req.flash("ออกจากระบบแล้ว")
        return req.redirect(to: t.url(.login))
    }

    /// Only a path of this tenant's site, never another host: a path on this site by the one check for every
    /// `next=` (`LocalRedirect`: no scheme or host, no control characters, raw or percent-decoded), under the base.
    static func safeNext(_ raw: String, tenant t: ResolvedTenant) -> String? {
        guard let path = LocalRedirect.path(raw), let parts = URLComponents(string: path), parts.scheme == nil, parts.host == nil,
              parts.path.hasPrefix(t.base + "/") else { return nil }
        return path
    }

    private func renderLogin(_ req: Request, nationalID: String, next: String?, notice: String?, problem: String?,
                             status: HTTPStatus) async throws -> Response {
        let t = try req.tenant
        let context = CitizenFormPage(
            page: PageChrome(request: req, title: "เข้าสู่ระบบ – \(t.tenant.thaiName)"),
            heading: "เข้าสู่ระบบ e-Service",
            lead: "ใช้เลขประจำตัวประชาชน 13 หลักเป็นชื่อผู้ใช้งาน (Username) และรหัสผ่านที่ตั้งไว้ตอนลงทะเบียน",
            notice: notice, problem: problem, csrf: req.csrfToken(), action: t.url(.login), button: "เข้าสู่ระบบ",
            sections: [FormSection(title: nil, fields: [
                FieldView(name: "nationalID", label: "เลขประจำตัวประชาชน (Username)", kind: .text, value: nationalID,
                          autocomplete: "username", inputmode: "numeric", maxlength: 17),
                FieldView(name: "password", label: "รหัสผ่าน", kind: .password, autocomplete: "current-password", maxlength: 200),
            ])],
            links: [.init(url: t.url(.forgotPassword), title: "ลืมรหัสผ่าน"), .init(url: t.url(.register), title: "ยังไม่มีบัญชี ลงทะเบียน")],
            hidden: next.map { [.init(name: "next", value: $0)] } ?? [])
        return try await req.renderCitizenForm(context, status: status)
    }

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
        guard try await RateLimiter.allow("citizen-reset-ip:\(req.clientAddress)", RateLimiter.resetPerAddress, now: now, on: req.db),
              try await RateLimiter.allow(RateLimiter.key("citizen-reset-mail:\(t.tenant.slug)", email, secret: req.application.settings.appSecret), RateLimiter.resetPerEmail, now: now, on: req.db) else {
            throw Abort(.tooManyRequests)
        }
        // The answer, and the work done while answering, are the same whether or not the e-mail is registered:
        // one outbox job, whose handler looks the address up and sends the links (CitizenPasswordReset).
        try await CitizenPasswordReset.request(email: email, tenant: t.tenant,
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
            sections: errors.apply(to: [FormSection(title: nil, fields: [
                FieldView(name: "email", label: "อีเมลที่ลงทะเบียนไว้", kind: .email, value: email, autocomplete: "email", maxlength: 254),
            ])]),
            links: [.init(url: t.url(.login), title: "กลับไปหน้าเข้าสู่ระบบ")])
        return try await req.renderCitizenForm(context, status: status)
    }

    // MARK: New password from the link

    func resetPage(_ req: Request) async throws -> Response {
        let t = try req.tenant
        guard let token = req.parameters.get("token"),
              let record = try await CitizenTokens.findReset(token, tenant: t.tenant, on: req.db) else { return try await expired(req) }
        return try await renderReset(req, token: token, record: record, errors: FormErrors(), status: .ok)
    }

    func reset(_ req: Request) async throws -> Response {
        let t = try req.tenant
        guard let token = req.parameters.get("token"),
              let record = try await CitizenTokens.findReset(token, tenant: t.tenant, on: req.db),
              let account = try await CitizenStore.byID(record.citizenID, tenant: t.tenant, on: req.db) else { return try await expired(req) }
        let form = try req.content.decode(ResetForm.self)
        let password = form.password ?? ""
        var errors = FormErrors()
        if password.isEmpty { errors.add("password", "กรุณากรอกรหัสผ่านใหม่") }
        else if let problem = PasswordPolicy.problems(password, personal: [account.firstName, account.lastName,
                                                                         (try? req.application.nationalIDs.open(account.nationalIDSealed).digits) ?? ""]).first {
            errors.add("password", problem.thai)
        }
        if (form.passwordConfirm ?? "") != password { errors.add("passwordConfirm", "รหัสผ่านทั้งสองช่องไม่ตรงกัน") }
        guard errors.isEmpty else { return try await renderReset(req, token: token, record: record, errors: errors, status: .unprocessableEntity) }
        let hash = try await Passwords.hash(password, on: req)
        let now = Date()
        let citizenID = try account.requireID()
        let used = try await req.db.writeTransaction { db -> Bool in
            guard try await CitizenTokens.consume(record, now: now, on: db) else { return false }
            try await CitizenTokens.revokeAll(citizenID: citizenID, now: now, on: db)
            // A new epoch ends every session of this account, on every device.
            try await CitizenAccount.query(on: db).filter(\.$id == citizenID)
                .set(\.$passwordHash, to: hash).set(\.$sessionEpoch, to: account.sessionEpoch + 1).set(\.$updatedAt, to: now).update()
            return true
        }
        guard used else { return try await expired(req) }
        CitizenSession.end(req, tenant: t.tenant)
        req.flash("ดำเนินการสำเร็จ เปลี่ยนรหัสผ่านแล้ว กรุณาเข้าสู่ระบบด้วยเลขประจำตัวประชาชนและรหัสผ่านใหม่")
        return req.redirect(to: t.url(.login))
    }

    private func renderReset(_ req: Request, token: String, record: CitizenTokenRecord, errors: FormErrors, status: HTTPStatus) async throws -> Response {
        let t = try req.tenant
        let secondsLeft = max(1, Int(record.expiresAt.timeIntervalSinceNow.rounded(.down)))
        let context = CitizenFormPage(
            page: PageChrome(request: req, title: "เปลี่ยนรหัสผ่าน – \(t.tenant.thaiName)"),
            heading: "กำหนดรหัสผ่านใหม่",
            lead: "รหัสผ่านต้องมีความยาวอย่างน้อย 8 ตัวอักษร ประกอบด้วย ตัวพิมพ์ใหญ่ พิมพ์เล็ก ตัวเลข และอักขระพิเศษ ตัวอย่างอักขระพิเศษ เช่น $ @ # ! _",
            csrf: req.csrfToken(), action: t.url(.resetPassword(token)), button: "ถัดไป", errors: errors.items,
            sections: errors.apply(to: [FormSection(title: nil, fields: [
                FieldView(name: "password", label: "รหัสผ่านใหม่", kind: .password, hint: SignInController.passwordRule,
                          autocomplete: "new-password", maxlength: PasswordPolicy.maxLength, meter: true),
                FieldView(name: "passwordConfirm", label: "ยืนยันรหัสผ่านใหม่", kind: .password, autocomplete: "new-password",
                          maxlength: PasswordPolicy.maxLength),
            ])]),
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
            sections: [FormSection(title: nil, fields: [
                FieldView(name: "email", label: "อีเมลที่ลงทะเบียนไว้", kind: .email, autocomplete: "email", maxlength: 254),
            ])])
        return try await req.renderCitizenForm(context, status: .gone)
    }
}

extension Response {
    /// Pages with a secret in their address (a reset link) are not kept by the browser or a proxy.
    func withNoStore() -> Response {
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return self
    }
}
