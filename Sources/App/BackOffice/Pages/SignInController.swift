import Domain
import Fluent
import Foundation
import Vapor

/// `/backoffice/login`: username and password, then (first time) a new password and OTP enrolment,
/// then the one-time code. Each stage is a page of its own; only the last one signs the person in.
struct SignInController {
    struct LoginForm: Content {
        var username: String?
        var password: String?
        var next: String?
    }

    struct CodeForm: Content {
        var code: String?
    }

    struct PasswordForm: Content {
        var password: String?
        var confirm: String?
    }

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

    static let passwordRule = "อย่างน้อย 8 ตัวอักษร ประกอบด้วยตัวพิมพ์ใหญ่ ตัวพิมพ์เล็ก ตัวเลข และอักขระพิเศษ เช่น $ @ # ! _ (ยาวได้ถึง 128 ตัวอักษร ใช้ประโยคยาว ๆ ได้)"
    static let issuer = "e-Service Back Office"
    private static let nextKey = "staff_next"
    private static let enrolKey = "staff_enrol"

    // MARK: Password

    func loginPage(_ req: Request) async throws -> Response {
        if let state = StaffSession.state(req) {
            if state.stage == .signedIn { return req.redirect(to: BackOfficeURL.home.path, redirectType: .normal) }
            return req.redirect(to: Self.stageURL(state.stage), redirectType: .normal)
        }
        var notice: String?
        if req.query[String.self, at: "expired"] != nil { notice = "หมดเวลาการใช้งาน กรุณาเข้าสู่ระบบอีกครั้ง" }
        if req.query[String.self, at: "signedout"] != nil { notice = "ออกจากระบบเรียบร้อยแล้ว" }
        if req.query[String.self, at: "reset"] != nil { notice = "ตั้งรหัสผ่านใหม่เรียบร้อยแล้ว กรุณาเข้าสู่ระบบด้วยรหัสผ่านใหม่" }
        let next = BackOfficeURL.safeNext(req.query[String.self, at: "next"])
        return try await renderLogin(req, form: LoginForm(next: next), notice: notice).encodeResponse(for: req)
    }

    func login(_ req: Request) async throws -> Response {
        let form = try req.content.decode(LoginForm.self)
        let username = form.username.clean.lowercased()
        let password = form.password ?? ""
        var errors = FormErrors()
        if username.isEmpty { errors.add("username", "กรุณากรอกชื่อผู้ใช้งาน") }
        if password.isEmpty { errors.add("password", "กรุณากรอกรหัสผ่าน") }
        guard errors.isEmpty else { return try await renderLogin(req, form: form, errors: errors, status: .unprocessableEntity) }

        let now = Date()
        let account = try await StaffStore.find(username: username, on: req.db)
        let actor = AuditActor(id: account?.id, name: account?.username ?? "(ไม่พบชื่อผู้ใช้งาน)")
        var origin: StaffSignInGuard.Origin?
        if let account { origin = try await Self.origin(req, account: account, now: now) }
        // The account-wide limit does not apply at an address the account signed in from before: others' tries
        // cannot shut its owner out there.
        let perAddress = try await RateLimiter.allow("signin-ip:\(req.clientAddress)", RateLimiter.signInPerAddress, now: now, on: req.db)
        let perAccount = origin?.known == true ? true
            : try await RateLimiter.allow(RateLimiter.key("signin-user", username, secret: req.application.settings.appSecret), RateLimiter.signInPerAccount, now: now, on: req.db)
        guard perAddress, perAccount else {
            try await AuditLog.record(.signInThrottled, on: req, actor: actor, tenant: nil, detail: "เกินจำนวนครั้งที่กำหนด")
            return try await renderLogin(req, form: form, problem: "มีการพยายามเข้าสู่ระบบถี่เกินไป กรุณารอ 15 นาทีแล้วลองใหม่", status: .tooManyRequests)
        }
        var slot: StaffSignInGuard.Slot?
        if let origin {
            switch try await StaffSignInGuard.spend(origin, now: now, on: req.db) {
            case .allowed(let spent): slot = spent
            case .refused(let until):
                try await AuditLog.record(.signInThrottled, on: req, actor: actor, tenant: nil, detail: "บัญชีถูกระงับชั่วคราว\(StaffSignInGuard.lockAuditText)")
                return try await renderLogin(req, form: form, problem: Self.lockedProblem(until: until, now: now), status: .tooManyRequests)
            }
        }
        guard try await Passwords.verify(password, hash: account?.passwordHash, on: req), let account else {
            if let slot, try await StaffSignInGuard.failed(slot, now: now, on: req.db) {
                try await AuditLog.record(.signInThrottled, on: req, actor: actor, tenant: nil,
                                          detail: "รหัสผ่านหรือรหัส OTP ผิด \(StaffSignInGuard.maxFailures) ครั้ง ระงับ 15 นาที\(StaffSignInGuard.lockAuditText)")
            }
            try await AuditLog.record(.signInFailed, on: req, actor: actor, tenant: nil, detail: "ชื่อผู้ใช้งานหรือรหัสผ่านไม่ถูกต้อง")
            return try await renderLogin(req, form: form, problem: "ชื่อผู้ใช้งานหรือรหัสผ่านไม่ถูกต้อง", status: .unauthorized)
        }
        // The right password gives its attempt back; the code still has to follow.
        if let slot { try await StaffSignInGuard.refund(slot, on: req.db) }
        switch account.status {
        case .active: break
        case .pending:
            return try await renderLogin(req, form: form, problem: "บัญชีของท่านอยู่ระหว่างรอตรวจสอบ (เลขที่คำขอ \(account.requestNumber)) ระบบจะแจ้งผลทางอีเมล", status: .forbidden)
        case .rejected:
            return try await renderLogin(req, form: form, problem: "คำขอลงทะเบียนของท่านไม่ได้รับการอนุมัติ โปรดดูเหตุผลในอีเมลที่ได้รับ", status: .forbidden)
        case .disabled:
            try await AuditLog.record(.signInFailed, on: req, actor: actor, tenant: nil, detail: "บัญชีถูกระงับการใช้งาน")
            return try await renderLogin(req, form: form, problem: "บัญชีนี้ถูกระงับการใช้งาน กรุณาติดต่อผู้ดูแลระบบ", status: .forbidden)
        }
        // Said only to someone who typed the right first password, so it tells no one else the account exists.
        if account.initialPasswordExpired(at: now) {
            try await AuditLog.record(.signInFailed, on: req, actor: actor, tenant: nil, detail: "รหัสผ่านเริ่มต้นหมดอายุ")
            return try await renderLogin(req, form: form, problem: StaffInitialPassword.expiredMessage, status: .forbidden)
        }
        // An account with an authenticator proves it before anything else, a new password included: a first
        // password issued again (birth date, known to colleagues) must not let anyone replace the password.
        let stage: StaffSession.Stage = account.hasOTP ? .otp : (account.mustChangePassword ? .newPassword : .enrol)
        try await StaffSession.begin(req, account: account, stage: stage, now: now)
        if let next = BackOfficeURL.safeNext(form.next) { req.session.data[Self.nextKey] = next }
        return req.redirect(to: Self.stageURL(stage), redirectType: .normal)
    }

    // MARK: First sign-in: a new password

    func newPasswordPage(_ req: Request) async throws -> Response {
        guard let (_, _) = try await partial(req, stage: .newPassword) else { return Self.restart(req) }
        return try await renderNewPassword(req, errors: FormErrors()).encodeResponse(for: req)
    }

    func newPassword(_ req: Request) async throws -> Response {
        guard let (_, account) = try await partial(req, stage: .newPassword) else { return Self.restart(req) }
        // A sign-in begun just before the first password ran out does not finish after it.
        guard !account.initialPasswordExpired(at: Date()) else {
            StaffSession.clear(req)
            return try await renderLogin(req, form: LoginForm(), problem: StaffInitialPassword.expiredMessage, status: .forbidden)
        }
        let form = try req.content.decode(PasswordForm.self)
        let errors = Self.validateNewPassword(form.password ?? "", confirm: form.confirm ?? "", account: account, nationalIDs: try req.application.staffNationalIDs)
        guard errors.isEmpty else { return try await renderNewPassword(req, errors: errors).encodeResponse(status: .unprocessableEntity, for: req) }
        if try await Passwords.verify(form.password ?? "", hash: account.passwordHash, on: req) {
            var e = FormErrors()
            e.add("password", "รหัสผ่านใหม่ต้องไม่ซ้ำกับรหัสผ่านเดิม")
            return try await renderNewPassword(req, errors: e).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let hash = try await Passwords.hash(form.password ?? "", on: req)
        try await StaffStore.updatePassword(account, hash: hash, on: req.db)
        try await AuditLog.record(.passwordChanged, on: req, actor: AuditActor(id: account.id, name: account.username), tenant: nil,
                                  detail: "ตั้งรหัสผ่านใหม่เมื่อเข้าสู่ระบบครั้งแรก")
        // With an authenticator the code came first (see `login`): signed in now. Without, enrol one.
        if account.hasOTP { return req.redirect(to: try await completeSignIn(req, account: account), redirectType: .normal) }
        StaffSession.advance(req, to: .enrol, epoch: account.sessionEpoch)
        return req.redirect(to: Self.stageURL(.enrol), redirectType: .normal)
    }

    static func validateNewPassword(_ password: String, confirm: String, account: StaffAccount, nationalIDs: NationalIDVault) -> FormErrors {
        var errors = FormErrors()
        let personal = [(try? nationalIDs.open(account.nationalIDSealed).digits) ?? "", account.username, account.firstNameEN, account.lastNameEN,
                        account.birthDate.flatMap(Passwords.initialPassword(birthDate:)) ?? ""]
        if password.isEmpty { errors.add("password", "กรุณาตั้งรหัสผ่านใหม่") }
        else if let problem = PasswordPolicy.problems(password, personal: personal).first { errors.add("password", problem.thai) }
        if confirm.isEmpty { errors.add("confirm", "กรุณายืนยันรหัสผ่านใหม่") }
        else if confirm != password { errors.add("confirm", "รหัสผ่านที่ยืนยันไม่ตรงกัน") }
        return errors
    }

    // MARK: OTP enrolment

    func enrolPage(_ req: Request) async throws -> Response {
        guard let (_, account) = try await partial(req, stage: .enrol) else { return Self.restart(req) }
        guard !account.hasOTP else { return try await refuseEnrolment(req, account: account) }
        return try await renderEnrol(req, account: account, errors: FormErrors()).encodeResponse(for: req)
    }

    func enrol(_ req: Request) async throws -> Response {
        guard let (_, account) = try await partial(req, stage: .enrol) else { return Self.restart(req) }
        guard !account.hasOTP else { return try await refuseEnrolment(req, account: account) }
        guard let pending = Self.pendingSecret(req) else { return req.redirect(to: BackOfficeURL.loginEnrol.path, redirectType: .normal) }
        let form = try req.content.decode(CodeForm.self)
        let now = Date()
        let totp = Domain.TOTP(secret: pending.secret, period: pending.period)
        guard let step = totp.verify(form.code ?? "", at: now, window: 1) else {
            var e = FormErrors()
            e.add("code", (form.code ?? "").isEmpty ? "กรุณากรอกรหัส OTP 6 หลักจากแอป" : "รหัส OTP ไม่ถูกต้อง กรุณาตรวจสอบว่าเพิ่มบัญชีในแอปแล้ว และเวลาในโทรศัพท์ถูกต้อง")
            try await AuditLog.record(.otpFailed, on: req, actor: AuditActor(id: account.id, name: account.username), tenant: nil, detail: "ลงทะเบียน OTP: รหัสไม่ถูกต้อง")
            return try await renderEnrol(req, account: account, errors: e).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let app = req.application
        let codes: [String]
        do {
            codes = try await req.db.writeTransaction { db in
                try await StaffOTP.enrol(account, secret: pending.secret, period: pending.period, step: step, app: app, now: now, on: db)
            }
        } catch StaffOTP.EnrolError.alreadyEnrolled {
            // Another session confirmed an authenticator first.
            return try await refuseEnrolment(req, account: account)
        }
        req.session.data[Self.enrolKey] = nil
        try await AuditLog.record(.otpEnrolled, on: req, actor: AuditActor(id: account.id, name: account.username), tenant: nil,
                                  detail: "รอบเวลา \(pending.period) วินาที; ออกรหัสกู้คืน \(codes.count) รหัส")
        let next = try await completeSignIn(req, account: account)
        return try await req.view.render("backoffice/recovery-codes", CodesPage(
            page: PageChrome(request: req, title: "รหัสกู้คืน"), codes: codes, continueURL: next)).encodeResponse(for: req)
    }

    // MARK: OTP

    func otpPage(_ req: Request) async throws -> Response {
        guard let (_, account) = try await partial(req, stage: .otp) else { return Self.restart(req) }
        return try await renderOTP(req, account: account, errors: FormErrors()).encodeResponse(for: req)
    }

    func otp(_ req: Request) async throws -> Response {
        guard let (_, account) = try await partial(req, stage: .otp) else { return Self.restart(req) }
        let form = try req.content.decode(CodeForm.self)
        let actor = AuditActor(id: account.id, name: account.username)
        guard !(form.code ?? "").isEmpty else {
            var e = FormErrors()
            e.add("code", "กรุณากรอกรหัส OTP")
            return try await renderOTP(req, account: account, errors: e).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let now = Date()
        let origin = try await Self.origin(req, account: account, now: now)
        let perAddress = try await RateLimiter.allow("otp-ip:\(req.clientAddress)", RateLimiter.otpPerAddress, now: now, on: req.db)
        let perAccount = origin.known ? true
            : try await RateLimiter.allow("otp-user:\(origin.staffID.uuidString.lowercased())", RateLimiter.otpPerAccount, now: now, on: req.db)
        guard perAddress, perAccount else {
            try await AuditLog.record(.otpThrottled, on: req, actor: actor, tenant: nil, detail: "กรอก OTP เกินจำนวนครั้งที่กำหนด")
            var e = FormErrors()
            e.add("code", "มีการกรอกรหัส OTP ถี่เกินไป กรุณารอ 15 นาทีแล้วลองใหม่")
            return try await renderOTP(req, account: account, errors: e).encodeResponse(status: .tooManyRequests, for: req)
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
                return req.redirect(to: Self.stageURL(.newPassword), redirectType: .normal)
            }
            let next = try await completeSignIn(req, account: account)
            return req.redirect(to: next, redirectType: .normal)
        case .wrong(let left):
            try await AuditLog.record(.otpFailed, on: req, actor: actor, tenant: nil, detail: "รหัสไม่ถูกต้อง (ผิดได้อีก \(left) ครั้ง)")
            var e = FormErrors()
            e.add("code", "รหัส OTP ไม่ถูกต้องหรือถูกใช้ไปแล้ว (ผิดได้อีก \(left) ครั้ง)")
            return try await renderOTP(req, account: account, errors: e).encodeResponse(status: .unauthorized, for: req)
        case .locked(let newly):
            if newly {
                // The code was compared (and wrong): one failure, then the lock it closed.
                try await AuditLog.record(.otpFailed, on: req, actor: actor, tenant: nil, detail: "รหัสไม่ถูกต้อง (ครั้งสุดท้ายที่ยอมให้)")
                try await AuditLog.record(.otpThrottled, on: req, actor: actor, tenant: nil,
                                          detail: "รหัสผ่านหรือรหัส OTP ผิด \(StaffSignInGuard.maxFailures) ครั้ง ระงับ 15 นาที\(StaffSignInGuard.lockAuditText)")
            } else {
                try await AuditLog.record(.otpThrottled, on: req, actor: actor, tenant: nil, detail: "ไม่ตรวจรหัส: บัญชีถูกระงับชั่วคราว\(StaffSignInGuard.lockAuditText)")
            }
            StaffSession.clear(req)
            return try await renderLogin(req, form: LoginForm(), problem: "กรอกรหัส OTP ผิดหลายครั้ง บัญชีถูกระงับการเข้าสู่ระบบชั่วคราว 15 นาที", status: .tooManyRequests)
        }
    }

    // MARK: Sign-out

    func logout(_ req: Request) async throws -> Response {
        if let state = StaffSession.state(req), let account = try await StaffAccount.find(state.staffID, on: req.db) {
            try await AuditLog.record(.signOut, on: req, actor: AuditActor(id: account.id, name: account.username), tenant: nil, detail: "")
        }
        StaffSession.end(req)
        return req.redirect(to: BackOfficeURL.login.path + "?signedout=1", redirectType: .normal)
    }

    // MARK: Helpers

    private func completeSignIn(_ req: Request, account: StaffAccount) async throws -> String {
        StaffSession.advance(req, to: .signedIn, epoch: account.sessionEpoch)
        // Failures from this address are forgiven and it becomes one the account is known to sign in from.
        try await StaffSignInGuard.succeeded(try await Self.origin(req, account: account), on: req.db)
        try await AuditLog.record(.signIn, on: req, actor: AuditActor(id: account.id, name: account.username), tenant: nil, detail: "")
        let next = BackOfficeURL.safeNext(req.session.data[Self.nextKey]) ?? BackOfficeURL.home.path
        req.session.data[Self.nextKey] = nil
        return next
    }

    /// The account and the address this request comes from (`req.clientAddress`, the one place that reads it).
    private static func origin(_ req: Request, account: StaffAccount, now: Date = Date()) async throws -> StaffSignInGuard.Origin {
        try await StaffSignInGuard.origin(staffID: try account.requireID(), address: req.clientAddress,
                                          secret: req.application.settings.appSecret, now: now, on: req.db)
    }

    static func lockedProblem(until: Date, now: Date) -> String {
        let minutes = max(1, Int((until.timeIntervalSince(now) / 60).rounded(.up)))
        return "บัญชีนี้ถูกระงับการเข้าสู่ระบบชั่วคราวเนื่องจากกรอกข้อมูลผิดหลายครั้ง กรุณาลองใหม่ในอีก \(minutes) นาที"
    }

    /// An authenticator that is already confirmed is never replaced by signing in again: the person signs in
    /// with its codes (or a recovery code).
    private func refuseEnrolment(_ req: Request, account: StaffAccount) async throws -> Response {
        try await AuditLog.record(.otpFailed, on: req, actor: AuditActor(id: account.id, name: account.username), tenant: nil,
                                  detail: "ลงทะเบียน OTP ซ้ำถูกปฏิเสธ: บัญชีมีแอปยืนยันตัวตนที่ยืนยันแล้ว")
        StaffSession.clear(req)
        return try await renderLogin(req, form: LoginForm(), problem: Self.alreadyEnrolled, status: .conflict)
    }

    static let alreadyEnrolled = "บัญชีนี้ลงทะเบียนแอปยืนยันตัวตน (OTP) ไว้แล้ว จึงลงทะเบียนใหม่แทนที่ไม่ได้ กรุณาเข้าสู่ระบบอีกครั้งด้วยรหัส OTP จากแอปเดิม หรือรหัสกู้คืน หากทำโทรศัพท์หาย กรุณาติดต่อผู้ดูแลระบบ"

    /// The account half-way through signing in at `stage`, or nil (start again).
    private func partial(_ req: Request, stage: StaffSession.Stage) async throws -> (StaffSession.State, StaffAccount)? {
        guard let state = StaffSession.state(req), state.stage == stage, StaffSession.touch(req, state: state),
              let account = try await StaffAccount.find(state.staffID, on: req.db), account.status == .active,
              account.sessionEpoch == state.epoch else { return nil }
        return (state, account)
    }

    static func restart(_ req: Request) -> Response {
        if let state = StaffSession.state(req), state.stage == .signedIn { return req.redirect(to: BackOfficeURL.home.path, redirectType: .normal) }
        StaffSession.clear(req)
        return req.redirect(to: BackOfficeURL.login.path + "?expired=1", redirectType: .normal)
    }

    static func stageURL(_ stage: StaffSession.Stage) -> String {
        switch stage {
        case .newPassword: BackOfficeURL.loginNewPassword.path
        case .enrol: BackOfficeURL.loginEnrol.path
        case .otp: BackOfficeURL.loginOTP.path
        case .signedIn: BackOfficeURL.home.path
        }
    }

    private static func pendingSecret(_ req: Request) -> (secret: [UInt8], period: Int)? {
        guard let raw = req.session.data[enrolKey] else { return nil }
        let parts = raw.split(separator: ":")
        guard parts.count == 2, let period = Int(parts[0]), let sealed = parts.last,
              let secret = try? StaffOTP.box(req.application).open(String(sealed)) else { return nil }
        return (secret, period)
    }

    private func renderLogin(_ req: Request, form: LoginForm, errors: FormErrors = FormErrors(), notice: String? = nil, problem: String? = nil,
                             status: HTTPStatus = .ok) async throws -> Response {
        let sections = [FormSection(title: nil, fields: [
            FieldView(name: "username", label: "ชื่อผู้ใช้งาน", kind: .text, value: form.username.clean, autocomplete: "username", maxlength: 64),
            FieldView(name: "password", label: "รหัสผ่าน", kind: .password, autocomplete: "current-password", maxlength: 200),
        ])]
        let page = LoginPage(page: PageChrome(request: req, title: (errors.isEmpty && problem == nil ? "" : "ข้อผิดพลาด: ") + "เข้าสู่ระบบ – ระบบงานเจ้าหน้าที่"),
                             csrf: req.csrfToken(), action: BackOfficeURL.login.path, next: BackOfficeURL.safeNext(form.next),
                             notice: notice, problem: problem, errors: errors.items, sections: errors.apply(to: sections))
        return try await req.view.render("backoffice/login", page).encodeResponse(status: status, for: req)
    }

    private func renderNewPassword(_ req: Request, errors: FormErrors) async throws -> View {
        let sections = [FormSection(title: nil, fields: [
            FieldView(name: "password", label: "รหัสผ่านใหม่", kind: .password, hint: Self.passwordRule, autocomplete: "new-password", maxlength: 128, meter: true),
            FieldView(name: "confirm", label: "ยืนยันรหัสผ่านใหม่", kind: .password, autocomplete: "new-password", maxlength: 128),
        ])]
        return try await req.view.render("backoffice/new-password", NewPasswordPage(
            page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "ตั้งรหัสผ่านใหม่"), csrf: req.csrfToken(),
            action: BackOfficeURL.loginNewPassword.path, errors: errors.items, sections: errors.apply(to: sections), rule: Self.passwordRule))
    }

    private func renderOTP(_ req: Request, account: StaffAccount, errors: FormErrors) async throws -> View {
        let sections = [FormSection(title: nil, fields: [
            FieldView(name: "code", label: "รหัส OTP", kind: .text, hint: "รหัส 6 หลักจากแอปยืนยันตัวตน หรือรหัสกู้คืน (เช่น abcd-efgh) หากไม่มีโทรศัพท์",
                      autocomplete: "one-time-code", inputmode: "numeric", maxlength: 12),
        ])]
        return try await req.view.render("backoffice/otp", CodePage(
            page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "กรอกรหัส OTP"), csrf: req.csrfToken(),
            action: BackOfficeURL.loginOTP.path, errors: errors.items, sections: errors.apply(to: sections),
            periodSeconds: account.totpPeriod ?? 30, enrol: nil))
    }

    private func renderEnrol(_ req: Request, account: StaffAccount, errors: FormErrors) async throws -> View {
        let pending: (secret: [UInt8], period: Int)
        if let existing = Self.pendingSecret(req) { pending = existing } else {
            let secret = Domain.TOTP.generateSecret()
            let period = req.application.settings.staffOTPPeriod
            req.session.data[Self.enrolKey] = "\(period):" + (try StaffOTP.box(req.application).seal(secret))
            pending = (secret, period)
        }
        let totp = Domain.TOTP(secret: pending.secret, period: pending.period)
        let uri = totp.provisioningURI(account: account.username, issuer: Self.issuer)
        let qr = (try? QRCode(uri, correction: .medium).svg(moduleSize: 4, border: 4, label: "คิวอาร์โค้ดสำหรับเพิ่มบัญชีในแอปยืนยันตัวตน")) ?? ""
        let grouped = stride(from: 0, to: Base32.encode(pending.secret).count, by: 4).map { i -> String in
            let s = Array(Base32.encode(pending.secret))
            return String(s[i..<min(i + 4, s.count)])
        }.joined(separator: " ")
        let sections = [FormSection(title: nil, fields: [
            FieldView(name: "code", label: "รหัส OTP จากแอป", kind: .text, hint: "กรอกรหัส 6 หลักที่แอปแสดงหลังเพิ่มบัญชีแล้ว",
                      autocomplete: "one-time-code", inputmode: "numeric", maxlength: 8),
        ])]
        return try await req.view.render("backoffice/enrol", CodePage(
            page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "ลงทะเบียนแอปยืนยันตัวตน (OTP)"), csrf: req.csrfToken(),
            action: BackOfficeURL.loginEnrol.path, errors: errors.items, sections: errors.apply(to: sections), periodSeconds: pending.period,
            enrol: Enrolment(secret: grouped, uri: uri, qr: qr, periodSeconds: pending.period, issuer: Self.issuer, account: account.username)))
    }
}
