import Domain
import Fluent
import Foundation
import Vapor

/// Sign-in with the national ID and password, and sign-out. Bad credentials get one generic answer; attempts are
/// limited per account and per address (`SignInPolicy`); the session is the shared `SignInSessions` (`CitizenSession`).
/// "ลืมรหัสผ่าน" is `CitizenPasswordResetController`.
struct CitizenSignInController {
    struct LoginForm: Content {
        var nationalID: String?
        var password: String?
        var next: String?
    }

    static let badCredentials = "เลขประจำตัวประชาชนหรือรหัสผ่านไม่ถูกต้อง"
    static let throttled = "เข้าสู่ระบบไม่สำเร็จหลายครั้งเกินไป กรุณารอ 15 นาทีแล้วลองใหม่ หรือใช้เมนูลืมรหัสผ่าน"

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
            return try await renderLogin(
                req, nationalID: typed, next: next, notice: nil,
                problem: "กรุณากรอกเลขประจำตัวประชาชนและรหัสผ่าน", status: .unprocessableEntity)
        }
        let id = try? ThaiNationalID(typed)
        let now = Date()
        guard try await RateLimiter.allow("citizen-login-ip:\(req.clientNetwork)", SignInPolicy.passwordsPerAddress, now: now, on: req.db),
            try await RateLimiter.allow(
                RateLimiter.key("citizen-login:\(t.tenant.slug)", id?.digits ?? typed, secret: req.application.settings.appSecret),
                SignInPolicy.passwordsPerAccount, now: now, on: req.db)
        else {
            return try await renderLogin(req, nationalID: typed, next: next, notice: nil, problem: Self.throttled, status: .tooManyRequests)
        }
        var account: CitizenAccount?
        if let id { account = try await CitizenStore.byNationalIDHash(try req.application.nationalIDs.lookupHash(id), tenant: t.tenant, on: req.db) }
        // The sign-in is noted on the account (the abandoned-registration sweep keeps an account used lately); an account
        // that sweep deleted a moment ago is not found here.
        guard try await Passwords.verify(password, hash: account?.passwordHash, on: req), let account,
            try await CitizenStore.signedIn(account, now: now, on: req.db)
        else {
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
            parts.path.hasPrefix(t.base + "/")
        else { return nil }
        return path
    }

    private func renderLogin(
        _ req: Request, nationalID: String, next: String?, notice: String?, problem: String?,
        status: HTTPStatus
    ) async throws -> Response {
        let t = try req.tenant
        let context = CitizenFormPage(
            page: PageChrome(request: req, title: "เข้าสู่ระบบ – \(t.tenant.thaiName)"),
            heading: "เข้าสู่ระบบ e-Service",
            lead: "ใช้เลขประจำตัวประชาชน 13 หลักเป็นชื่อผู้ใช้งาน (Username) และรหัสผ่านที่ตั้งไว้ตอนลงทะเบียน",
            notice: notice, problem: problem, csrf: req.csrfToken(), action: t.url(.login), button: "เข้าสู่ระบบ",
            sections: [
                FormSection(
                    title: nil,
                    fields: [
                        FieldView(
                            name: "nationalID", label: "เลขประจำตัวประชาชน (Username)", kind: .text, value: nationalID,
                            autocomplete: "username", inputmode: "numeric", maxlength: 17),
                        FieldView(name: "password", label: "รหัสผ่าน", kind: .password, autocomplete: "current-password", maxlength: 200),
                    ])
            ],
            links: [.init(url: t.url(.forgotPassword), title: "ลืมรหัสผ่าน"), .init(url: t.url(.register), title: "ยังไม่มีบัญชี ลงทะเบียน")],
            hidden: next.map { [.init(name: "next", value: $0)] } ?? [])
        return try await req.renderCitizenForm(context, status: status)
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
