import Domain
import Fluent
import Foundation
import Vapor

/// "จัดการข้อมูลส่วนตัว" (seed 000 §1.4): a staff member edits their own details. Changing the e-mail or the
/// password needs the current password; a new password ends every other session.
struct ProfileController {
    struct DetailsForm: Content {
        var position: String?
        var mobile: String?
        var titleTH: String?
        var firstNameTH: String?
        var lastNameTH: String?
        var titleEN: String?
        var firstNameEN: String?
        var lastNameEN: String?
        var email: String?
        var current: String?
    }

    struct PasswordForm: Content {
        var current: String?
        var password: String?
        var confirm: String?
    }

    struct Page: Encodable {
        var page: PageChrome
        var csrf: String
        var flash: String?
        var username: String
        var nationalID: String
        var requestNumber: String
        var orgUnit: String
        var otpPeriod: Int?
        var recoveryCodesLeft: Int
        var detailsAction: String
        var passwordAction: String
        var errors: [ErrorLink]
        var sections: [FormSection]
        var passwordErrors: [ErrorLink]
        var passwordSections: [FormSection]
    }

    func page(_ req: Request) async throws -> View {
        let account = try await current(req)
        return try await render(req, account: account, details: nil, errors: FormErrors(), passwordErrors: FormErrors())
    }

    func save(_ req: Request) async throws -> Response {
        let account = try await current(req)
        let form = try req.content.decode(DetailsForm.self)
        var a = StaffApplication()
        a.position = form.position.clean
        a.mobile = form.mobile.clean
        a.titleTH = form.titleTH.clean
        a.firstNameTH = form.firstNameTH.clean
        a.lastNameTH = form.lastNameTH.clean
        a.titleEN = form.titleEN.clean
        a.firstNameEN = form.firstNameEN.clean
        a.lastNameEN = form.lastNameEN.clean
        a.email = form.email.clean.lowercased()
        var all = FormErrors()
        a.validate(tenants: [], units: OrgUnitTree([]), errors: &all)
        var errors = FormErrors()
        for field in ["position", "mobile", "titleTH", "firstNameTH", "lastNameTH", "titleEN", "firstNameEN", "lastNameEN", "email"] {
            if let m = all[field] { errors.add(field, m) }
        }
        let emailChanged = a.email != account.email
        if errors.isEmpty, emailChanged {
            if (form.current ?? "").isEmpty {
                errors.add("current", "การเปลี่ยนอีเมลต้องยืนยันด้วยรหัสผ่านปัจจุบัน")
            } else if try await !Passwords.verify(form.current ?? "", hash: account.passwordHash, on: req) {
                errors.add("current", "รหัสผ่านปัจจุบันไม่ถูกต้อง")
            }
        }
        guard errors.isEmpty else {
            return try await render(req, account: account, details: form, errors: errors, passwordErrors: FormErrors()).encodeResponse(
                status: .unprocessableEntity, for: req)
        }
        var changed: [String] = []
        func set(_ name: String, _ old: String, _ new: String, _ apply: (String) -> Void) { if old != new { apply(new); changed.append(name) } }
        set("ตำแหน่ง", account.position, a.position) { account.position = $0 }
        set("โทรศัพท์มือถือ", account.mobile, a.mobile) { account.mobile = $0 }
        set("คำนำหน้าชื่อ", account.titleTH, a.titleTH) { account.titleTH = $0 }
        set("ชื่อ", account.firstNameTH, a.firstNameTH) { account.firstNameTH = $0 }
        set("นามสกุล", account.lastNameTH, a.lastNameTH) { account.lastNameTH = $0 }
        set("Title", account.titleEN, a.titleEN) { account.titleEN = $0 }
        set("Name", account.firstNameEN, a.firstNameEN) { account.firstNameEN = $0 }
        set("Lastname", account.lastNameEN, a.lastNameEN) { account.lastNameEN = $0 }
        set("อีเมล", account.email, a.email) { account.email = $0 }
        if !changed.isEmpty {
            account.updatedAt = Date()
            let detail = "แก้ไข: " + changed.joined(separator: ", ")
            try await req.db.writeTransaction { db in
                try await account.save(on: db)
                try await AuditLog.record(
                    .profileChanged, actor: AuditActor(id: account.id, name: account.username), tenant: nil,
                    detail: detail, ip: req.clientAddress, on: db)
            }
        }
        req.flash(changed.isEmpty ? "ไม่มีข้อมูลที่เปลี่ยนแปลง" : "บันทึกข้อมูลส่วนตัวแล้ว")
        return req.redirect(to: BackOfficeURL.profile.path, redirectType: .normal)
    }

    func changePassword(_ req: Request) async throws -> Response {
        let account = try await current(req)
        let form = try req.content.decode(PasswordForm.self)
        var errors = account.newPasswordErrors(form.password ?? "", confirm: form.confirm ?? "", nationalIDs: try req.application.staffNationalIDs)
        if (form.current ?? "").isEmpty {
            errors.add("current", "กรุณากรอกรหัสผ่านปัจจุบัน")
        } else if try await !Passwords.verify(form.current ?? "", hash: account.passwordHash, on: req) {
            errors.add("current", "รหัสผ่านปัจจุบันไม่ถูกต้อง")
        }
        if errors.isEmpty, form.current == form.password { errors.add("password", "รหัสผ่านใหม่ต้องไม่ซ้ำกับรหัสผ่านเดิม") }
        guard errors.isEmpty else {
            return try await render(req, account: account, details: nil, errors: FormErrors(), passwordErrors: errors).encodeResponse(
                status: .unprocessableEntity, for: req)
        }
        let hash = try await Passwords.hash(form.password ?? "", on: req)
        try await req.db.writeTransaction { db in
            try await StaffStore.updatePassword(account, hash: hash, on: db)
            try await AuditLog.record(
                .passwordChanged, actor: AuditActor(id: account.id, name: account.username), tenant: nil,
                detail: "เปลี่ยนรหัสผ่านจากหน้าข้อมูลส่วนตัว; ยกเลิกการเข้าสู่ระบบอื่น", ip: req.clientAddress, on: db)
        }
        // This session carries on with the new epoch; every other one ends.
        StaffSession.advance(req, to: .signedIn, epoch: account.sessionEpoch)
        req.flash("เปลี่ยนรหัสผ่านแล้ว การเข้าสู่ระบบอื่นของท่านถูกยกเลิกแล้ว")
        return req.redirect(to: BackOfficeURL.profile.path, redirectType: .normal)
    }

    private func current(_ req: Request) async throws -> StaffAccount {
        guard let account = try await StaffStore.find(try req.staff.id, on: req.db) else { throw Abort(.unauthorized) }
        return account
    }

    private func render(_ req: Request, account: StaffAccount, details: DetailsForm?, errors: FormErrors, passwordErrors: FormErrors) async throws -> View {
        let d =
            details
            ?? DetailsForm(
                position: account.position, mobile: account.mobile, titleTH: account.titleTH, firstNameTH: account.firstNameTH,
                lastNameTH: account.lastNameTH, titleEN: account.titleEN, firstNameEN: account.firstNameEN,
                lastNameEN: account.lastNameEN, email: account.email)
        func options(_ values: [String], _ selected: String?) -> [FieldView.Option] { values.map { .init(value: $0, label: $0, selected: $0 == selected) } }
        let sections = [
            FormSection(
                title: nil,
                fields: [
                    FieldView(name: "position", label: "ตำแหน่ง", kind: .text, value: d.position.clean, maxlength: 120),
                    FieldView(name: "mobile", label: "โทรศัพท์มือถือ", kind: .tel, value: d.mobile.clean, autocomplete: "tel", inputmode: "tel", maxlength: 20),
                    FieldView(name: "titleTH", label: "คำนำหน้าชื่อ", kind: .select, options: options(StaffApplication.titlesTH, d.titleTH)),
                    FieldView(name: "firstNameTH", label: "ชื่อ", kind: .text, value: d.firstNameTH.clean, maxlength: 100),
                    FieldView(name: "lastNameTH", label: "นามสกุล", kind: .text, value: d.lastNameTH.clean, maxlength: 100),
                    FieldView(name: "titleEN", label: "Title", kind: .select, options: options(StaffApplication.titlesEN, d.titleEN)),
                    FieldView(name: "firstNameEN", label: "Name", kind: .text, value: d.firstNameEN.clean, maxlength: 100),
                    FieldView(name: "lastNameEN", label: "Lastname", kind: .text, value: d.lastNameEN.clean, maxlength: 100),
                    FieldView(name: "email", label: "อีเมล", kind: .email, value: d.email.clean, autocomplete: "email", maxlength: 254),
                    FieldView(name: "current", label: "รหัสผ่านปัจจุบัน (เมื่อเปลี่ยนอีเมล)", kind: .password, autocomplete: "current-password", maxlength: 200),
                ])
        ]
        let passwordSections = [
            FormSection(
                title: nil,
                fields: [
                    FieldView(name: "current", label: "รหัสผ่านปัจจุบัน", kind: .password, autocomplete: "current-password", maxlength: 200),
                    FieldView(
                        name: "password", label: "รหัสผ่านใหม่", kind: .password, hint: PasswordPolicy.ruleThai, autocomplete: "new-password", maxlength: 128,
                        meter: true),
                    FieldView(name: "confirm", label: "ยืนยันรหัสผ่านใหม่", kind: .password, autocomplete: "new-password", maxlength: 128),
                ])
        ]
        let flash = req.takeFlash()
        let unitNames = account.orgUnit.split(separator: "/", maxSplits: 1).last.flatMap { req.application.orgUnits.names(path: String($0)) } ?? []
        let tenantName = account.orgUnit.split(separator: "/").first.flatMap { req.application.tenants.tenant(slug: String($0))?.thaiName }
        return try await req.view.render(
            "backoffice/profile",
            Page(
                page: PageChrome(request: req, title: (errors.isEmpty && passwordErrors.isEmpty ? "" : "ข้อผิดพลาด: ") + "ข้อมูลส่วนตัว"),
                csrf: req.csrfToken(), flash: flash, username: account.username,
                nationalID: account.maskedNationalID, requestNumber: account.requestNumber,
                orgUnit: ([tenantName].compactMap { $0 } + unitNames).joined(separator: " › "), otpPeriod: account.totpPeriod,
                recoveryCodesLeft: try await RecoveryCodes.remaining(staffID: try account.requireID(), on: req.db),
                detailsAction: BackOfficeURL.profile.path, passwordAction: BackOfficeURL.profilePassword.path,
                errors: errors.items, sections: errors.apply(to: sections), passwordErrors: passwordErrors.items,
                passwordSections: passwordErrors.apply(to: passwordSections)))
    }
}
