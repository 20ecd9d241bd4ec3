import Domain
import Fluent
import Foundation
import Vapor

/// The first platform admin. On a start with no platform admin, the server prints a one-time set-up link
/// (24 hours); the page creates the platform admin, who then enrols OTP like everyone else. Other accounts
/// (a self-registration waiting for approval, say) do not close set-up: only a platform admin does.
/// There is no default password anywhere. The link itself is issued and printed by `PlatformSetupLink`.
struct PlatformSetupController {
    struct Form: Content {
        var username: String?
        var titleTH: String?
        var firstNameTH: String?
        var lastNameTH: String?
        var nationalID: String?
        var email: String?
        var mobile: String?
        var password: String?
        var confirm: String?
    }

    struct Page: Encodable {
        var page: PageChrome
        var csrf: String
        var action: String
        var errors: [ErrorLink]
        var sections: [FormSection]
    }

    func page(_ req: Request) async throws -> Response {
        guard let token = req.parameters.get("token"), try await usable(token, req) else { return try await gone(req) }
        return try await render(req, token: token, form: Form(), errors: FormErrors()).encodeResponse(for: req)
    }

    func submit(_ req: Request) async throws -> Response {
        guard let token = req.parameters.get("token"), let record = try await SingleUseTokens.find(.staffSetup, token: token, on: req.db),
            try await !StaffStore.platformAdminExists(on: req.db)
        else { return try await gone(req) }
        let form = try req.content.decode(Form.self)
        var a = StaffApplication(
            titleTH: form.titleTH.clean, firstNameTH: form.firstNameTH.clean, lastNameTH: form.lastNameTH.clean,
            nationalID: form.nationalID.clean.filter(\.isNumber), email: form.email.clean.lowercased(),
            username: form.username.clean.lowercased())
        a.mobile = form.mobile.clean
        var errors = FormErrors()
        if !StaffApplication.isUsername(a.username) { errors.add("username", "ชื่อผู้ใช้งานต้องเป็นตัวอักษรภาษาอังกฤษพิมพ์เล็ก ตัวเลข จุด หรือขีด 4–32 ตัว") }
        if !StaffApplication.titlesTH.contains(a.titleTH) { errors.add("titleTH", "กรุณาเลือกคำนำหน้าชื่อ") }
        if a.firstNameTH.isEmpty { errors.add("firstNameTH", "กรุณากรอกชื่อ") }
        if a.lastNameTH.isEmpty { errors.add("lastNameTH", "กรุณากรอกนามสกุล") }
        do { _ = try ThaiNationalID(a.nationalID) } catch { errors.add("nationalID", a.nationalID.isEmpty ? "กรุณากรอกเลขประจำตัวประชาชน" : error.thai) }
        if !MailAddress.isPlausible(a.email) { errors.add("email", "กรุณากรอกอีเมลให้ถูกต้อง") }
        if a.mobile.filter(\.isNumber).count != 10 { errors.add("mobile", "หมายเลขโทรศัพท์มือถือต้องเป็นตัวเลข 10 หลัก") }
        let password = form.password ?? ""
        if let p = PasswordPolicy.problems(password, personal: [a.nationalID, a.username]).first {
            errors.add("password", password.isEmpty ? "กรุณาตั้งรหัสผ่าน" : p.thai)
        }
        if form.confirm != password { errors.add("confirm", "รหัสผ่านที่ยืนยันไม่ตรงกัน") }
        // A staff member may have registered before set-up: an account in use keeps its username and national ID.
        // A registration still waiting for approval does not: anyone may post one, with anyone's national ID, and
        // before set-up nobody could reject it, so the holder of the set-up link (the operator) takes precedence.
        let vault = try req.application.staffNationalIDs
        var displaced: [StaffAccount] = []
        if errors.isEmpty {
            if let other = try await StaffStore.find(username: a.username, on: req.db) {
                if other.status == .pending { displaced.append(other) } else { errors.add("username", "ชื่อผู้ใช้งานนี้มีผู้ใช้แล้ว กรุณาตั้งชื่ออื่น") }
            }
            if let id = try? ThaiNationalID(a.nationalID), let other = try await StaffStore.find(nationalID: id, vault: vault, on: req.db) {
                if other.status == .pending {
                    if !displaced.contains(where: { $0.id == other.id }) { displaced.append(other) }
                } else {
                    errors.add("nationalID", "เลขประจำตัวประชาชนนี้มีบัญชีหรือคำขอลงทะเบียนอยู่แล้ว (หนึ่งคนมีได้หนึ่งบัญชี)")
                }
            }
        }
        guard errors.isEmpty else {
            return try await render(req, token: token, form: form, errors: errors).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let hash = try await Passwords.hash(password, on: req)
        let now = Date()
        let application = a
        let displacedIDs = displaced.compactMap(\.id)
        let created = try await req.db.writeTransaction { db -> StaffAccount? in
            guard try await !StaffStore.platformAdminExists(on: db), try await SingleUseTokens.consume(record, now: now, on: db) else { return nil }
            for id in displacedIDs {
                // Still waiting now (inside the transaction), or left alone.
                guard let other = try await StaffAccount.find(id, on: db), other.status == .pending else { continue }
                try await other.delete(on: db)
                try await AuditLog.record(
                    .platformSetup, actor: AuditActor(id: nil, name: application.username), tenant: nil,
                    detail: "ยกเลิกคำขอลงทะเบียน \(other.requestNumber) ที่ค้างอยู่ซึ่งใช้ชื่อผู้ใช้งานหรือเลขประจำตัวประชาชนเดียวกัน",
                    ip: req.clientAddress, on: db)
            }
            let number = try await StaffStore.nextNumber(prefix: "SR", now: now, on: db)
            let account = try StaffAccount(application: application, number: number, passwordHash: hash, now: now, nationalIDs: vault)
            account.status = .active
            account.isPlatformAdmin = true
            account.orgUnit = "platform"
            account.position = "ผู้ดูแลระบบกลาง"
            try await account.create(on: db)
            try await AuditLog.record(
                .platformSetup, actor: AuditActor(id: account.id, name: account.username), tenant: nil,
                detail: "สร้างผู้ดูแลระบบกลางคนแรก", ip: req.clientAddress, on: db)
            return account
        }
        guard let created else { return try await gone(req) }
        for other in displaced { if let file = other.documentFile { await req.application.fileStore.delete(file) } }
        try await StaffSession.begin(req, account: created, stage: .enrol, now: now)
        return req.redirect(to: BackOfficeURL.loginEnrol.path, redirectType: .normal)
    }

    private func usable(_ token: String, _ req: Request) async throws -> Bool {
        guard try await SingleUseTokens.find(.staffSetup, token: token, on: req.db) != nil else { return false }
        return try await !StaffStore.platformAdminExists(on: req.db)
    }

    private func gone(_ req: Request) async throws -> Response {
        try await req.view.render(
            "backoffice/message",
            MessagePage(
                page: PageChrome(request: req, title: "ลิงก์ใช้ไม่ได้"), heading: "ลิงก์ตั้งค่าผู้ดูแลระบบกลางใช้ไม่ได้",
                lines: ["ลิงก์นี้ถูกใช้ไปแล้ว หมดอายุ หรือมีผู้ดูแลระบบกลางแล้ว หากยังไม่มีผู้ดูแลระบบกลาง ให้เริ่มเซิร์ฟเวอร์ใหม่เพื่อรับลิงก์ใหม่"],
                link: BackOfficeURL.login.path, linkLabel: "ไปหน้าเข้าสู่ระบบ")
        ).encodeResponse(status: .gone, for: req)
    }

    private func render(_ req: Request, token: String, form: Form, errors: FormErrors) async throws -> View {
        let sections = [
            FormSection(
                title: "ผู้ดูแลระบบกลาง (Platform admin) คนแรก",
                fields: [
                    FieldView(
                        name: "username", label: "ชื่อผู้ใช้งาน (Username)", kind: .text, value: form.username.clean,
                        hint: "ตัวอักษรภาษาอังกฤษพิมพ์เล็ก ตัวเลข จุด หรือขีด 4–32 ตัว", autocomplete: "username", maxlength: 32),
                    FieldView(
                        name: "titleTH", label: "คำนำหน้าชื่อ", kind: .select,
                        options: StaffApplication.titlesTH.map { .init(value: $0, label: $0, selected: $0 == form.titleTH.clean) }),
                    FieldView(name: "firstNameTH", label: "ชื่อ", kind: .text, value: form.firstNameTH.clean, autocomplete: "given-name", maxlength: 100),
                    FieldView(name: "lastNameTH", label: "นามสกุล", kind: .text, value: form.lastNameTH.clean, autocomplete: "family-name", maxlength: 100),
                    FieldView(
                        name: "nationalID", label: "เลขประจำตัวประชาชน", kind: .text, value: form.nationalID.clean, hint: "13 หลัก", inputmode: "numeric",
                        maxlength: 17),
                    FieldView(name: "email", label: "อีเมล", kind: .email, value: form.email.clean, autocomplete: "email", maxlength: 254),
                    FieldView(name: "mobile", label: "โทรศัพท์มือถือ", kind: .tel, value: form.mobile.clean, autocomplete: "tel", inputmode: "tel", maxlength: 20),
                    FieldView(
                        name: "password", label: "รหัสผ่าน", kind: .password, hint: PasswordPolicy.ruleThai, autocomplete: "new-password", maxlength: 128,
                        meter: true),
                    FieldView(name: "confirm", label: "ยืนยันรหัสผ่าน", kind: .password, autocomplete: "new-password", maxlength: 128),
                ])
        ]
        return try await req.view.render(
            "backoffice/setup",
            Page(
                page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "ตั้งค่าผู้ดูแลระบบกลาง"), csrf: req.csrfToken(),
                action: BackOfficeURL.setup(token).path, errors: errors.items, sections: errors.apply(to: sections)))
    }
}
