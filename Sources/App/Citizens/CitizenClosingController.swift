import Domain
import Foundation
import Vapor

/// `tenant/account-close`: what closing removes and what the municipality keeps, then either the request form
/// (current password, an optional reason) or the waiting request with its "ยกเลิกคำขอ" button.
struct CitizenClosingPage: Encodable {
    var page: PageChrome
    var notice: String?
    var removed: [String]
    var kept: [String]
    var why: String
    var pendingSince: String?
    /// The last request was refused, and why.
    var refusal: String?
    var csrf: String
    var action: String
    var withdrawAction: String
    var profileURL: String
    var errors: [ErrorLink]
    var sections: [FormSection]

    static let removed = [
        "ชื่อ–นามสกุล เลขประจำตัวประชาชน วันเกิด หมายเลขโทรศัพท์ ที่อยู่ และอีเมล",
        "รหัสผ่าน การเข้าสู่ระบบทุกอุปกรณ์ การตั้งค่าการแจ้งเตือน และการเชื่อมบัญชี LINE",
        "ภาพบัตรประจำตัวประชาชนและรูปโปรไฟล์ (ลบออกจากที่จัดเก็บไฟล์)",
        "ข้อมูลส่วนตัวในคำร้องของท่าน เช่น ชื่อ โทรศัพท์ อีเมล ที่อยู่ วันเกิด ข้อมูลความพิการ และเลขบัญชีธนาคาร (แทนด้วย “ผู้ใช้ที่ปิดบัญชีแล้ว”)",
        "เอกสารที่ท่านแนบกับคำร้อง เช่น สำเนาทะเบียนบ้าน สำเนาบัตร และสมุดบัญชีธนาคาร (ลบออกจากที่จัดเก็บไฟล์) และข้อความที่ท่านเขียนตอบเจ้าหน้าที่หรือแสดงความเห็น",
    ]
    static let kept = [
        "คำร้องที่ยื่นไว้: เลขที่ บริการ สาระของเรื่อง (รายละเอียด สถานที่ วันเวลา รูปถ่ายจุดที่แจ้งเรื่องร้องเรียน) ขั้นตอนการดำเนินการ และความเห็นของเจ้าหน้าที่",
        "เอกสารที่หน่วยงานออกให้ตามคำร้อง และคะแนนความพึงพอใจ",
    ]
    static let why =
        "หน่วยงานมีหน้าที่ตามกฎหมายต้องเก็บรักษาหนังสือราชการและหลักฐานการดำเนินงาน (ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ) จึงเก็บคำร้องและเอกสารไว้โดยไม่มีข้อมูลที่ระบุตัวท่าน หลังปิดบัญชีแล้วจะกู้คืนไม่ได้ และท่านลงทะเบียนใหม่ด้วยเลขประจำตัวประชาชนเดิมได้"
}

/// "ขอปิดบัญชี": the citizen asks (current password required, tried as often as a sign-in), sees the request
/// waiting and may withdraw it; an officer decides (`ClosingReviewController`).
struct CitizenClosingController {
    struct RequestForm: Content {
        var currentPassword: String?
        var reason: String?
    }

    func page(_ req: Request) async throws -> Response {
        try await render(req, reason: "", errors: FormErrors(), status: .ok)
    }

    func request(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        let citizenID = try account.requireID()
        let form = (try? req.content.decode(RequestForm.self)) ?? RequestForm()
        let current = form.currentPassword ?? ""
        let reason = (form.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var errors = FormErrors()
        let now = Date()
        // Guessing the password here is guessing a sign-in: the sign-in's own budget (as the password change does).
        let digits = (try? req.application.nationalIDs.open(account.nationalIDSealed).digits) ?? citizenID.uuidString
        guard try await RateLimiter.allow("citizen-login-ip:\(req.clientNetwork)", SignInPolicy.passwordsPerAddress, now: now, on: req.db),
            try await RateLimiter.allow(
                RateLimiter.key("citizen-login:\(t.tenant.slug)", digits, secret: req.application.settings.appSecret),
                SignInPolicy.passwordsPerAccount, now: now, on: req.db)
        else {
            errors.add("currentPassword", "ลองรหัสผ่านผิดหลายครั้งเกินไป กรุณารอสักครู่แล้วลองใหม่")
            return try await render(req, reason: reason, errors: errors, status: .tooManyRequests)
        }
        if current.isEmpty {
            errors.add("currentPassword", "กรุณากรอกรหัสผ่านปัจจุบันเพื่อยืนยันว่าเป็นท่าน")
        } else if !(try await Passwords.verify(current, hash: account.passwordHash, on: req)) {
            errors.add("currentPassword", "รหัสผ่านปัจจุบันไม่ถูกต้อง")
        }
        if reason.count > CitizenClosing.reasonMaxLength { errors.add("reason", "เหตุผลยาวได้ไม่เกิน \(CitizenClosing.reasonMaxLength) ตัวอักษร") }
        guard errors.isEmpty else { return try await render(req, reason: reason, errors: errors, status: .unprocessableEntity) }
        let made = try await CitizenClosing.request(citizenID: citizenID, tenant: t.tenant, reason: reason.nilIfEmpty, now: now, on: req.db)
        req.flash(
            made
                ? "ส่งคำขอปิดบัญชีแล้ว เจ้าหน้าที่จะพิจารณาและแจ้งผลให้ท่านทราบ ระหว่างนี้ท่านยังใช้บัญชีได้ตามปกติ และยกเลิกคำขอได้"
                : "ท่านมีคำขอปิดบัญชีที่รอพิจารณาอยู่แล้ว")
        return req.redirect(to: t.url(.closeAccount))
    }

    func withdraw(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        let withdrawn = try await CitizenClosing.withdraw(citizenID: try account.requireID(), tenant: t.tenant, now: Date(), on: req.db)
        req.flash(withdrawn ? "ยกเลิกคำขอปิดบัญชีแล้ว บัญชีของท่านใช้งานได้ตามปกติ" : "ไม่มีคำขอปิดบัญชีที่รอพิจารณา")
        return req.redirect(to: t.url(.closeAccount))
    }

    private func render(_ req: Request, reason: String, errors: FormErrors, status: HTTPStatus) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        let citizenID = try account.requireID()
        let pending = try await CitizenClosing.pending(citizenID: citizenID, tenant: t.tenant, on: req.db)
        let latest = pending == nil ? try await CitizenClosing.latest(citizenID: citizenID, tenant: t.tenant, on: req.db) : nil
        let fields = FormSection(
            title: nil,
            fields: [
                FieldView(
                    name: "currentPassword", label: "รหัสผ่านปัจจุบัน", kind: .password, hint: "เพื่อยืนยันว่าเป็นท่าน", autocomplete: "current-password",
                    maxlength: PasswordPolicy.maxLength),
                FieldView(
                    name: "reason", label: "เหตุผลที่ขอปิดบัญชี (ไม่บังคับ)", kind: .textarea, value: reason, maxlength: CitizenClosing.reasonMaxLength),
            ])
        let context = CitizenClosingPage(
            page: PageChrome(request: req, title: "ขอปิดบัญชี – \(t.tenant.thaiName)"), notice: req.takeFlash(),
            removed: CitizenClosingPage.removed, kept: CitizenClosingPage.kept, why: CitizenClosingPage.why,
            pendingSince: pending.map { ThaiDate.shortWithTime($0.requestedAt) },
            refusal: latest.flatMap { $0.status == .refused ? ($0.refusalReason ?? "") : nil },
            csrf: req.csrfToken(), action: t.url(.closeAccount), withdrawAction: t.url(.closeAccountWithdraw), profileURL: t.url(.profile),
            errors: errors.items, sections: errors.apply(to: [fields]))
        return try await req.view.render("tenant/account-close", context).encodeResponse(status: status, for: req)
    }
}
