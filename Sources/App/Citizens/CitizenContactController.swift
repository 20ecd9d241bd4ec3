import Domain
import Foundation
import Vapor

/// `emails/citizen-email-confirm` (to the new address) and `emails/citizen-email-change` (to the current one).
struct CitizenEmailChangeMail: Encodable, Sendable {
    var frame: NoticeMail.Frame
    var maskedNationalID: String
    var requestedAt: String
    var hours: Int
    /// The new address, masked, in the notice to the current one.
    var newEmail: String
}

/// "แก้ไขข้อมูลติดต่อ": the citizen changes their mobile number and address (saved at once) and their e-mail address.
/// A new address is kept waiting (`pending_email`) and sent a confirmation link (24 hours); only when it is followed
/// does it become the address notices and password resets go to. The current address is told of the request.
struct CitizenContactController {
    static let prefix = "address"

    func page(_ req: Request) async throws -> Response {
        let account = try req.citizen
        return try await render(
            req, mobile: account.mobile, email: account.pendingEmail ?? account.email, address: account.address, errors: FormErrors(), status: .ok)
    }

    func save(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        let mobile = ((try? req.content.get(String.self, at: "mobile")) ?? "").trimmingCharacters(in: .whitespaces)
        let email = ((try? req.content.get(String.self, at: "email")) ?? "").trimmingCharacters(in: .whitespaces)
        var address = AddressFields.selection(from: req.content, prefix: Self.prefix)
        if AddressFields.isRefresh(req.content, prefix: Self.prefix) {
            return try await render(req, mobile: mobile, email: email, address: address, errors: FormErrors(), status: .ok)
        }
        var errors = FormErrors()
        FieldChecks.mobile(mobile, "mobile", &errors)
        FieldChecks.email(email, "email", example: "somchai@gmail.com", &errors)
        if email.count > 254 { errors.add("email", "อีเมลยาวได้ไม่เกิน 254 ตัวอักษร") }
        for (field, message) in address.validate(in: req.application.geography) { errors.add("\(Self.prefix)_\(field)", message) }
        guard errors.isEmpty else { return try await render(req, mobile: mobile, email: email, address: address, errors: errors, status: .unprocessableEntity) }
        let now = Date()
        let citizenID = try account.requireID()
        let newEmail = email.lowercased()
        // Confirmed: a new address waits for its link while notices keep going to the current one, which is told.
        // Not confirmed yet (a registration whose link was not followed): nothing was ever sent to the address but
        // the link, so a new one simply replaces it and gets the link.
        let confirmed = account.confirmedEmail != nil
        let current = (account.pendingEmail ?? account.email).lowercased()
        // The waiting address sent again is a request for a new link (the old one is revoked).
        let changing = confirmed ? newEmail != account.email.lowercased() : newEmail != current
        let checked = address
        // Each new address gets a link: as many as the resend button allows (per account, an hour), so the form
        // cannot send a stranger's inbox a mail a second.
        if changing,
            !(try await RateLimiter.allow(Self.linkKey(citizenID), CitizenEmailConfirmation.resendRule, on: req.db))
        {
            var limited = FormErrors()
            limited.add("email", "เปลี่ยนอีเมลหรือขอลิงก์ยืนยันบ่อยเกินไป กรุณาตรวจสอบกล่องจดหมาย หรือรอประมาณ 1 ชั่วโมงแล้วลองใหม่")
            return try await render(req, mobile: mobile, email: email, address: address, errors: limited, status: .tooManyRequests)
        }
        try await req.db.writeTransaction { db in
            try await CitizenStore.updateContact(
                citizenID: citizenID, tenant: t.tenant, mobile: mobile.arabicDigits.filter(\.isNumber), address: checked, now: now, on: db)
            if confirmed, newEmail == account.email.lowercased(), account.pendingEmail != nil {
                // Back to the current address: the waiting one is dropped, its link no longer works.
                try await CitizenStore.setPendingEmail(citizenID: citizenID, tenant: t.tenant, email: nil, now: now, on: db)
                try await SingleUseTokens.revokeAll(.citizenEmail, for: .citizen(tenantID: t.tenant.id, citizenID: citizenID), now: now, on: db)
            }
            guard changing else { return }
            if !confirmed { try await CitizenStore.setUnconfirmedEmail(citizenID: citizenID, tenant: t.tenant, email: newEmail, now: now, on: db) }
            try await CitizenEmailConfirmation.send(req, account: account, tenant: t.tenant, to: newEmail, now: now, on: db)
            guard let old = account.confirmedEmail else { return }
            let notice = CitizenEmailChangeMail(
                frame: .init(name: account.fullName, tenantName: t.tenant.thaiName, link: CitizenMail.link(req, tenant: t.tenant, .login)),
                maskedNationalID: account.maskedNationalID, requestedAt: ThaiDate.shortWithTime(now),
                hours: Int(SingleUseToken.Kind.citizenEmail.lifetime / 3600), newEmail: EmailMask.masking(newEmail))
            let mail = try await EmailOutbox(views: req.view, from: req.application.settings.mailFrom).render(
                template: "citizen-email-change", context: notice, to: [old],
                subject: "มีการขอเปลี่ยนอีเมลของบัญชี e-Service \(t.tenant.thaiName)",
                idempotencyKey: "citizen-email-change:\(citizenID.uuidString.lowercased()):\(Int(now.timeIntervalSince1970))")
            _ = try await EmailOutbox.enqueue(mail, tenant: t.tenant, on: db)
        }
        req.application.outboxWakeUp.poke()
        req.flash(
            !changing
                ? "บันทึกข้อมูลติดต่อแล้ว"
                : confirmed
                    ? "บันทึกแล้ว ระบบส่งลิงก์ยืนยันไปที่ \(EmailMask.masking(newEmail)) (ใช้ได้ภายใน 24 ชั่วโมง) จนกว่าจะยืนยัน การแจ้งเตือนยังส่งไปที่อีเมลเดิม"
                    : "บันทึกแล้ว ระบบส่งลิงก์ยืนยันไปที่ \(EmailMask.masking(newEmail)) (ใช้ได้ภายใน 24 ชั่วโมง) ระบบจะส่งการแจ้งเตือนทางอีเมลหลังจากยืนยันแล้ว")
        return req.redirect(to: t.url(.profile))
    }

    /// "ส่งลิงก์ยืนยันอีกครั้ง" on the profile page: a new link to the address waiting for confirmation (the earlier
    /// links stop working), a few an hour per account.
    /// The rate key of the links one account has sent (the resend button and new addresses share it).
    static func linkKey(_ citizenID: UUID) -> String { "citizen-email-resend:\(citizenID.uuidString.lowercased())" }

    func resend(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        guard let waiting = account.pendingEmail else {
            req.flash("ไม่มีอีเมลที่รอการยืนยัน")
            return req.redirect(to: t.url(.profile))
        }
        let citizenID = try account.requireID()
        guard try await RateLimiter.allow(Self.linkKey(citizenID), CitizenEmailConfirmation.resendRule, on: req.db)
        else {
            req.flash("ขอส่งลิงก์ยืนยันบ่อยเกินไป กรุณาตรวจสอบกล่องจดหมายและจดหมายขยะ หรือรอประมาณ 1 ชั่วโมงแล้วลองใหม่")
            return req.redirect(to: t.url(.profile))
        }
        let now = Date()
        try await req.db.writeTransaction { db in
            try await CitizenEmailConfirmation.send(req, account: account, tenant: t.tenant, to: waiting, now: now, on: db)
        }
        req.application.outboxWakeUp.poke()
        req.flash("ส่งลิงก์ยืนยันไปที่ \(EmailMask.masking(waiting)) อีกครั้งแล้ว (ใช้ได้ภายใน 24 ชั่วโมง ลิงก์ที่ส่งก่อนหน้านี้ใช้ไม่ได้แล้ว)")
        return req.redirect(to: t.url(.profile))
    }

    /// The link from the confirmation e-mail: a page with a button (a link a mail scanner opens changes nothing).
    func confirmPage(_ req: Request) async throws -> Response {
        let t = try req.tenant
        guard let token = req.parameters.get("token"),
            let record = try await SingleUseTokens.find(.citizenEmail, token: token, tenantID: t.tenant.id, on: req.db),
            let id = record.citizenID, let account = try await CitizenStore.byID(id, tenant: t.tenant, on: req.db), let pending = account.pendingEmail
        else { return try await expired(req) }
        let context = CitizenFormPage(
            page: PageChrome(request: req, title: "ยืนยันอีเมล – \(t.tenant.thaiName)"), heading: "ยืนยันอีเมล",
            lead: "ใช้ \(pending) เป็นอีเมลของบัญชี \(account.maskedNationalID) สำหรับรับแจ้งผลและลิงก์เปลี่ยนรหัสผ่าน",
            csrf: req.csrfToken(), action: t.url(.confirmEmail(token)), button: "ยืนยันอีเมลนี้")
        return try await req.renderCitizenForm(context, status: .ok).withNoStore()
    }

    func confirm(_ req: Request) async throws -> Response {
        let t = try req.tenant
        guard let token = req.parameters.get("token"),
            let record = try await SingleUseTokens.find(.citizenEmail, token: token, tenantID: t.tenant.id, on: req.db),
            let id = record.citizenID, let account = try await CitizenStore.byID(id, tenant: t.tenant, on: req.db), let pending = account.pendingEmail
        else { return try await expired(req) }
        let now = Date()
        let done = try await req.db.writeTransaction { db -> Bool in
            guard try await SingleUseTokens.consume(record, now: now, on: db) else { return false }
            return try await CitizenStore.confirmEmail(citizenID: id, tenant: t.tenant, email: pending, now: now, on: db)
        }
        guard done else { return try await expired(req) }
        req.flash("ยืนยันอีเมลแล้ว ระบบจะส่งการแจ้งเตือนและลิงก์เปลี่ยนรหัสผ่านไปที่ \(pending)")
        return req.redirect(to: try await req.loadCitizen(tenant: t.tenant) != nil ? t.url(.profile) : t.url(.login))
    }

    private func expired(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let context = CitizenFormPage(
            page: PageChrome(request: req, title: "ลิงก์ใช้ไม่ได้ – \(t.tenant.thaiName)"), heading: "ลิงก์ยืนยันอีเมลใช้ไม่ได้",
            lead: "ลิงก์นี้หมดอายุ (เกิน 24 ชั่วโมง) ถูกใช้ไปแล้ว หรือมีการขอเปลี่ยนเป็นอีเมลอื่นภายหลัง กรุณาเข้าสู่ระบบแล้วแก้ไขอีเมลอีกครั้ง",
            csrf: req.csrfToken(), action: t.url(.login), button: "เข้าสู่ระบบ")
        return try await req.renderCitizenForm(context, status: .gone).withNoStore()
    }

    private func render(
        _ req: Request, mobile: String, email: String, address: AddressSelection, errors: FormErrors, status: HTTPStatus
    ) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        let geography = req.application.geography
        let contact = FormSection(
            title: "ช่องทางติดต่อ",
            fields: [
                FieldView(
                    name: "mobile", label: "หมายเลขโทรศัพท์มือถือ", kind: .tel, value: mobile, hint: "เช่น 081-234-5678", autocomplete: "tel",
                    inputmode: "tel", maxlength: 12),
                FieldView(
                    name: "email", label: "อีเมล", kind: .email, value: email,
                    hint: account.pendingEmail.map {
                        account.confirmedEmail == nil ? "รอการยืนยัน \($0): กดลิงก์ในอีเมลที่ระบบส่งไป" : "รอการยืนยัน \($0) (อีเมลที่ใช้อยู่: \(account.email))"
                    }
                        ?? "หากเปลี่ยน ระบบจะส่งลิงก์ยืนยันไปที่อีเมลใหม่ และใช้อีเมลเดิมจนกว่าจะยืนยัน",
                    autocomplete: "email", maxlength: 254),
            ])
        let home = FormSection(
            title: "ที่อยู่ตามทะเบียนบ้าน", fields: AddressFields.fields(address.reconciled(in: geography), geography: geography, prefix: Self.prefix))
        let context = CitizenFormPage(
            page: PageChrome(request: req, title: "แก้ไขข้อมูลติดต่อ – \(t.tenant.thaiName)"), heading: "แก้ไขข้อมูลติดต่อ",
            lead: "ชื่อ เลขประจำตัวประชาชน และวันเกิดแก้ไขที่นี่ไม่ได้ หากไม่ถูกต้อง กรุณาติดต่อหน่วยงาน",
            csrf: req.csrfToken(), action: t.url(.contactDetails), button: "บันทึก", errors: errors.items,
            sections: errors.apply(to: [contact, home]), links: [.init(url: t.url(.profile), title: "ยกเลิก กลับไปหน้าข้อมูลส่วนตัว")],
            addressPicker: true)
        return try await req.renderCitizenForm(context, status: status)
    }
}
