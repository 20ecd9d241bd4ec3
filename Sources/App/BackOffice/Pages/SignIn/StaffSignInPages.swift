import Domain
import Foundation
import Vapor

/// The page models of the staff sign-in steps, built from what the step knows, and rendered.
enum StaffSignInPages {
    struct LoginPage: Encodable {
        var page: PageChrome
        var csrf: String
        var action: String
        var next: String?
        var notice: String?
        var problem: String?
        var errors: [ErrorLink]
        var sections: [FormSection]
        var registerURL = BackOfficeURL.register.path
        var forgotPasswordURL = BackOfficeURL.forgotPassword.path
        var forgotUsernameURL = BackOfficeURL.forgotUsername.path
    }

    struct CodePage: Encodable {
        var page: PageChrome
        var csrf: String
        var action: String
        var errors: [ErrorLink]
        var sections: [FormSection]
        var periodSeconds: Int
        var enrol: Enrolment?
    }

    struct Enrolment: Encodable {
        var secret: String
        var uri: String
        var qr: String
        var periodSeconds: Int
        var issuer: String
        var account: String
    }

    struct CodesPage: Encodable {
        var page: PageChrome
        var codes: [String]
        var continueURL: String
    }

    struct NewPasswordPage: Encodable {
        var page: PageChrome
        var csrf: String
        var action: String
        var errors: [ErrorLink]
        var sections: [FormSection]
        var rule: String
    }

    private static func title(_ text: String, failed: Bool) -> String { (failed ? "ข้อผิดพลาด: " : "") + text }

    // MARK: Builders

    static func login(
        _ req: Request, username: String, next: String?, errors: FormErrors = FormErrors(), notice: String? = nil,
        problem: String? = nil
    ) -> LoginPage {
        let sections = [
            FormSection(
                title: nil,
                fields: [
                    FieldView(name: "username", label: "ชื่อผู้ใช้งาน", kind: .text, value: username, autocomplete: "username", maxlength: 64),
                    FieldView(name: "password", label: "รหัสผ่าน", kind: .password, autocomplete: "current-password", maxlength: 200),
                ])
        ]
        return LoginPage(
            page: PageChrome(request: req, title: title("เข้าสู่ระบบ – ระบบงานเจ้าหน้าที่", failed: !errors.isEmpty || problem != nil)),
            csrf: req.csrfToken(), action: BackOfficeURL.login.path, next: BackOfficeURL.safeNext(next),
            notice: notice, problem: problem, errors: errors.items, sections: errors.apply(to: sections))
    }

    static func newPassword(_ req: Request, errors: FormErrors) -> NewPasswordPage {
        let sections = [
            FormSection(
                title: nil,
                fields: [
                    FieldView(
                        name: "password", label: "รหัสผ่านใหม่", kind: .password, hint: PasswordPolicy.ruleThai, autocomplete: "new-password",
                        maxlength: PasswordPolicy.maxLength, meter: true),
                    FieldView(name: "confirm", label: "ยืนยันรหัสผ่านใหม่", kind: .password, autocomplete: "new-password", maxlength: PasswordPolicy.maxLength),
                ])
        ]
        return NewPasswordPage(
            page: PageChrome(request: req, title: title("ตั้งรหัสผ่านใหม่", failed: !errors.isEmpty)), csrf: req.csrfToken(),
            action: BackOfficeURL.loginNewPassword.path, errors: errors.items, sections: errors.apply(to: sections),
            rule: PasswordPolicy.ruleThai)
    }

    static func otp(_ req: Request, account: StaffAccount, errors: FormErrors) -> CodePage {
        let sections = [
            FormSection(
                title: nil,
                fields: [
                    FieldView(
                        name: "code", label: "รหัส OTP", kind: .text, hint: "รหัส 6 หลักจากแอปยืนยันตัวตน หรือรหัสกู้คืน (เช่น abcd-efgh) หากไม่มีโทรศัพท์",
                        autocomplete: "one-time-code", inputmode: "numeric", maxlength: 12)
                ])
        ]
        return CodePage(
            page: PageChrome(request: req, title: title("กรอกรหัส OTP", failed: !errors.isEmpty)), csrf: req.csrfToken(),
            action: BackOfficeURL.loginOTP.path, errors: errors.items, sections: errors.apply(to: sections),
            periodSeconds: account.totpPeriod ?? 30, enrol: nil)
    }

    static func enrol(_ req: Request, account: StaffAccount, pending: (secret: [UInt8], period: Int), errors: FormErrors) -> CodePage {
        let totp = Domain.TOTP(secret: pending.secret, period: pending.period)
        let uri = totp.provisioningURI(account: account.username, issuer: StaffSignInFlow.issuer)
        let qr = (try? QRCode(uri, correction: .medium).svg(moduleSize: 4, border: 4, label: "คิวอาร์โค้ดสำหรับเพิ่มบัญชีในแอปยืนยันตัวตน")) ?? ""
        let letters = Array(Base32.encode(pending.secret))
        let grouped = stride(from: 0, to: letters.count, by: 4).map { String(letters[$0..<min($0 + 4, letters.count)]) }.joined(separator: " ")
        let sections = [
            FormSection(
                title: nil,
                fields: [
                    FieldView(
                        name: "code", label: "รหัส OTP จากแอป", kind: .text, hint: "กรอกรหัส 6 หลักที่แอปแสดงหลังเพิ่มบัญชีแล้ว",
                        autocomplete: "one-time-code", inputmode: "numeric", maxlength: 8)
                ])
        ]
        return CodePage(
            page: PageChrome(request: req, title: title("ลงทะเบียนแอปยืนยันตัวตน (OTP)", failed: !errors.isEmpty)), csrf: req.csrfToken(),
            action: BackOfficeURL.loginEnrol.path, errors: errors.items, sections: errors.apply(to: sections), periodSeconds: pending.period,
            enrol: Enrolment(
                secret: grouped, uri: uri, qr: qr, periodSeconds: pending.period, issuer: StaffSignInFlow.issuer,
                account: account.username))
    }

    static func recoveryCodes(_ req: Request, codes: [String], continueURL: String) -> CodesPage {
        CodesPage(page: PageChrome(request: req, title: "รหัสกู้คืน"), codes: codes, continueURL: continueURL)
    }

    // MARK: Rendering

    static func render(_ req: Request, _ page: LoginPage, status: HTTPStatus = .ok) async throws -> Response {
        try await req.view.render("backoffice/login", page).encodeResponse(status: status, for: req)
    }

    static func render(_ req: Request, _ page: NewPasswordPage, status: HTTPStatus = .ok) async throws -> Response {
        try await req.view.render("backoffice/new-password", page).encodeResponse(status: status, for: req)
    }

    static func render(_ req: Request, _ page: CodePage, status: HTTPStatus = .ok) async throws -> Response {
        try await req.view.render(page.enrol == nil ? "backoffice/otp" : "backoffice/enrol", page).encodeResponse(status: status, for: req)
    }

    static func render(_ req: Request, _ page: CodesPage) async throws -> Response {
        try await req.view.render("backoffice/recovery-codes", page).encodeResponse(for: req)
    }

    /// The sign-in page with a problem, the half-finished sign-in forgotten (a lock, a refused enrolment, an expired
    /// first password).
    static func startAgain(_ req: Request, problem: String, status: HTTPStatus) async throws -> Response {
        StaffSession.clear(req)
        return try await render(req, login(req, username: "", next: nil, problem: problem), status: status)
    }
}
