import Domain
import Fluent
import Foundation
import Vapor

/// "ลืมรหัสผ่าน" and "ลืมชื่อผู้ใช้งาน" (seed 004 §§2–3). Both answer the same whether or not the details
/// matched an account, so the pages cannot be used to find out who has one.
struct AccountRecoveryController {
    struct RequestForm: Content {
        var username: String?
        var email: String?
        var nationalID: String?
    }

    struct ResetForm: Content {
        var password: String?
        var confirm: String?
    }

    struct Page: Encodable {
        var page: PageChrome
        var heading: String
        var lead: String
        var csrf: String
        var action: String
        var button: String
        var done: String?
        var errors: [ErrorLink]
        var sections: [FormSection]
        var loginURL = BackOfficeURL.login.path
        var meter = false
    }

    static let sameAnswerPassword = "หากชื่อผู้ใช้งานและอีเมลตรงกับบัญชีในระบบ ระบบได้ส่งลิงก์สำหรับตั้งรหัสผ่านใหม่ไปที่อีเมลนั้นแล้ว ลิงก์ใช้ได้ครั้งเดียวภายใน 30 นาที"
    static let sameAnswerUsername = "หากอีเมลและเลขประจำตัวประชาชนตรงกับบัญชีในระบบ ระบบได้ส่งชื่อผู้ใช้งานไปที่อีเมลนั้นแล้ว"

    // MARK: Forgot password

    func forgotPasswordPage(_ req: Request) async throws -> View {
        try await renderForgotPassword(req, form: RequestForm(), errors: FormErrors(), done: nil)
    }

    func forgotPassword(_ req: Request) async throws -> Response {
        let form = try req.content.decode(RequestForm.self)
        let username = form.username.clean.lowercased(), email = form.email.clean.lowercased()
        var errors = FormErrors()
        if username.isEmpty { errors.add("username", "กรุณากรอกชื่อผู้ใช้งาน") }
        if email.isEmpty { errors.add("email", "กรุณากรอกอีเมลที่ลงทะเบียนไว้") } else if !MailAddress.isPlausible(email) { errors.add("email", "รูปแบบอีเมลไม่ถูกต้อง") }
        guard errors.isEmpty else {
            return try await renderForgotPassword(req, form: form, errors: errors, done: nil).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let now = Date()
        guard try await RateLimiter.allow("reset-ip:\(req.clientNetwork)", SignInPolicy.recoveryPerAddress, now: now, on: req.db),
            try await RateLimiter.allow(
                RateLimiter.key("reset-mail", email, secret: req.application.settings.appSecret), SignInPolicy.recoveryPerEmail, now: now, on: req.db)
        else {
            throw Abort(.tooManyRequests)
        }
        if let account = try await StaffStore.find(username: username, on: req.db), account.email.lowercased() == email,
            account.status == .active, let id = account.id
        {
            let token = try await SingleUseTokens.issue(.staffReset, for: .staff(id), now: now, on: req.db)
            let link = StaffMail.absolute(req, BackOfficeURL.resetPassword(token).path)
            let mail = try await StaffMail.render(
                req, to: account.email,
                StaffMessages.PasswordResetLink(
                    frame: .init(name: account.fullNameTH, link: link), username: account.username, requestedAt: ThaiDate.shortWithTime(now)),
                key: OutboxStore.secretKeyPrefix + "staff-reset:\(RandomToken.hash(token))")
            try await req.db.writeTransaction { db in
                try await EmailOutbox.enqueue(mail, tenant: nil, on: db)
                try await AuditLog.record(
                    .passwordResetRequested, actor: AuditActor(id: id, name: account.username), tenant: nil,
                    detail: "ส่งลิงก์ทางอีเมล", ip: req.clientAddress, on: db)
            }
            req.application.outboxWakeUp.poke()
        }
        return try await renderForgotPassword(req, form: RequestForm(), errors: FormErrors(), done: Self.sameAnswerPassword).encodeResponse(for: req)
    }

    func resetPage(_ req: Request) async throws -> Response {
        guard let token = req.parameters.get("token"), try await SingleUseTokens.find(.staffReset, token: token, on: req.db) != nil else {
            return try await expired(req)
        }
        return try await renderReset(req, token: token, errors: FormErrors()).encodeResponse(for: req)
    }

    func reset(_ req: Request) async throws -> Response {
        guard let token = req.parameters.get("token"), let record = try await SingleUseTokens.find(.staffReset, token: token, on: req.db),
            let staffID = record.staffID, let account = try await StaffStore.find(staffID, on: req.db)
        else {
            return try await expired(req)
        }
        let form = try req.content.decode(ResetForm.self)
        let errors = account.newPasswordErrors(form.password ?? "", confirm: form.confirm ?? "", nationalIDs: try req.application.staffNationalIDs)
        guard errors.isEmpty else {
            return try await renderReset(req, token: token, errors: errors).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let hash = try await Passwords.hash(form.password ?? "", on: req)
        let now = Date()
        let notice = try await StaffMail.render(
            req, to: account.email,
            StaffMessages.PasswordChanged(
                frame: .init(name: account.fullNameTH), username: account.username, changedAt: ThaiDate.shortWithTime(now)),
            key: "staff-reset-done:\(record.tokenHash)")
        let used = try await req.db.writeTransaction { db -> Bool in
            guard try await SingleUseTokens.consume(record, now: now, on: db) else { return false }
            try await SingleUseTokens.revokeAll(.staffReset, for: .staff(staffID), now: now, on: db)
            try await StaffStore.updatePassword(account, hash: hash, now: now, on: db)
            try await EmailOutbox.enqueue(notice, tenant: nil, on: db)
            try await AuditLog.record(
                .passwordReset, actor: AuditActor(id: staffID, name: account.username), tenant: nil,
                detail: "ตั้งรหัสผ่านใหม่ด้วยลิงก์ทางอีเมล; ยกเลิกการเข้าสู่ระบบอื่นทั้งหมด", ip: req.clientAddress, on: db)
            return true
        }
        guard used else { return try await expired(req) }
        req.application.outboxWakeUp.poke()
        StaffSession.clear(req)
        return req.redirect(to: BackOfficeURL.login.path + "?reset=1", redirectType: .normal)
    }

    // MARK: Forgot username

    func forgotUsernamePage(_ req: Request) async throws -> View {
        try await renderForgotUsername(req, form: RequestForm(), errors: FormErrors(), done: nil)
    }

    func forgotUsername(_ req: Request) async throws -> Response {
        let form = try req.content.decode(RequestForm.self)
        let email = form.email.clean.lowercased(), nationalID = form.nationalID.clean.filter(\.isNumber)
        var errors = FormErrors()
        if email.isEmpty { errors.add("email", "กรุณากรอกอีเมลที่ลงทะเบียนไว้") } else if !MailAddress.isPlausible(email) { errors.add("email", "รูปแบบอีเมลไม่ถูกต้อง") }
        var id: ThaiNationalID?
        do { id = try ThaiNationalID(nationalID) } catch { errors.add("nationalID", nationalID.isEmpty ? "กรุณากรอกเลขประจำตัวประชาชน" : error.thai) }
        guard errors.isEmpty, let id else {
            return try await renderForgotUsername(req, form: form, errors: errors, done: nil).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let now = Date()
        guard try await RateLimiter.allow("reset-ip:\(req.clientNetwork)", SignInPolicy.recoveryPerAddress, now: now, on: req.db),
            try await RateLimiter.allow(
                RateLimiter.key("username-mail", email, secret: req.application.settings.appSecret), SignInPolicy.recoveryPerEmail, now: now, on: req.db)
        else {
            throw Abort(.tooManyRequests)
        }
        if let account = try await StaffStore.find(nationalID: id, vault: try req.application.staffNationalIDs, on: req.db), account.email.lowercased() == email
        {
            let mail = try await StaffMail.render(
                req, to: account.email,
                StaffMessages.UsernameReminder(
                    frame: .init(name: account.fullNameTH, link: StaffMail.absolute(req, BackOfficeURL.login.path)),
                    username: account.username, status: account.status.thai),
                key: "staff-username:\(account.username):\(Int(now.timeIntervalSince1970))")
            try await req.db.writeTransaction { db in
                try await EmailOutbox.enqueue(mail, tenant: nil, on: db)
                try await AuditLog.record(
                    .usernameReminder, actor: AuditActor(id: account.id, name: account.username), tenant: nil,
                    detail: "ส่งชื่อผู้ใช้งานทางอีเมล", ip: req.clientAddress, on: db)
            }
            req.application.outboxWakeUp.poke()
        }
        return try await renderForgotUsername(req, form: RequestForm(), errors: FormErrors(), done: Self.sameAnswerUsername).encodeResponse(for: req)
    }

    // MARK: Pages

    private func expired(_ req: Request) async throws -> Response {
        try await req.view.render(
            "backoffice/message",
            MessagePage(
                page: PageChrome(request: req, title: "ลิงก์หมดอายุ"), heading: "ลิงก์นี้ใช้ไม่ได้แล้ว",
                lines: ["ลิงก์ตั้งรหัสผ่านใหม่ใช้ได้ครั้งเดียวภายใน 30 นาที ลิงก์นี้อาจถูกใช้ไปแล้วหรือหมดอายุ"],
                link: BackOfficeURL.forgotPassword.path, linkLabel: "ขอลิงก์ใหม่")
        ).encodeResponse(status: .gone, for: req)
    }

    private func renderForgotPassword(_ req: Request, form: RequestForm, errors: FormErrors, done: String?) async throws -> View {
        let sections = [
            FormSection(
                title: nil,
                fields: [
                    FieldView(name: "username", label: "ชื่อผู้ใช้งาน", kind: .text, value: form.username.clean, autocomplete: "username", maxlength: 64),
                    FieldView(
                        name: "email", label: "อีเมลที่ลงทะเบียนไว้", kind: .email, value: form.email.clean, autocomplete: "email", inputmode: "email",
                        maxlength: 254),
                ])
        ]
        return try await req.view.render(
            "backoffice/recovery",
            Page(
                page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "ลืมรหัสผ่าน"), heading: "ลืมรหัสผ่าน",
                lead: "กรอกชื่อผู้ใช้งานและอีเมลที่ลงทะเบียนไว้ ระบบจะส่งลิงก์สำหรับตั้งรหัสผ่านใหม่ไปทางอีเมล",
                csrf: req.csrfToken(), action: BackOfficeURL.forgotPassword.path, button: "ส่งลิงก์ตั้งรหัสผ่านใหม่", done: done,
                errors: errors.items, sections: errors.apply(to: sections)))
    }

    private func renderForgotUsername(_ req: Request, form: RequestForm, errors: FormErrors, done: String?) async throws -> View {
        let sections = [
            FormSection(
                title: nil,
                fields: [
                    FieldView(
                        name: "email", label: "อีเมลที่ลงทะเบียนไว้", kind: .email, value: form.email.clean, autocomplete: "email", inputmode: "email",
                        maxlength: 254),
                    FieldView(
                        name: "nationalID", label: "เลขประจำตัวประชาชน", kind: .text, value: form.nationalID.clean, hint: "13 หลัก", autocomplete: "off",
                        inputmode: "numeric", maxlength: 17),
                ])
        ]
        return try await req.view.render(
            "backoffice/recovery",
            Page(
                page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "ลืมชื่อผู้ใช้งาน"), heading: "ลืมชื่อผู้ใช้งาน",
                lead: "กรอกอีเมลและเลขประจำตัวประชาชนที่ลงทะเบียนไว้ ระบบจะส่งชื่อผู้ใช้งานไปทางอีเมล",
                csrf: req.csrfToken(), action: BackOfficeURL.forgotUsername.path, button: "ส่งชื่อผู้ใช้งานทางอีเมล", done: done,
                errors: errors.items, sections: errors.apply(to: sections)))
    }

    private func renderReset(_ req: Request, token: String, errors: FormErrors) async throws -> View {
        let sections = [
            FormSection(
                title: nil,
                fields: [
                    FieldView(
                        name: "password", label: "รหัสผ่านใหม่", kind: .password, hint: PasswordPolicy.ruleThai, autocomplete: "new-password", maxlength: 128,
                        meter: true),
                    FieldView(name: "confirm", label: "ยืนยันรหัสผ่านใหม่", kind: .password, autocomplete: "new-password", maxlength: 128),
                ])
        ]
        return try await req.view.render(
            "backoffice/recovery",
            Page(
                page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "ตั้งรหัสผ่านใหม่"), heading: "ตั้งรหัสผ่านใหม่",
                lead: "ตั้งรหัสผ่านใหม่ เมื่อบันทึกแล้ว การเข้าสู่ระบบอื่นของท่านทั้งหมดจะถูกยกเลิก",
                csrf: req.csrfToken(), action: BackOfficeURL.resetPassword(token).path, button: "บันทึกรหัสผ่านใหม่", done: nil,
                errors: errors.items, sections: errors.apply(to: sections), meter: true))
    }
}

/// A page with a heading, a few lines and one link.
struct MessagePage: Encodable {
    var page: PageChrome
    var heading: String
    var lines: [String]
    var link: String?
    var linkLabel: String?
}
