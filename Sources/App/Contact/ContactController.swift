import Domain
import Fluent
import Foundation
import Vapor

/// "ติดต่อหน่วยงาน": anyone can write to the municipality. The message and both e-mails (to the office,
/// and an acknowledgement to the sender) are written in one transaction.
///
/// The form is no relay: the acknowledgement goes to an address anyone can type, so it carries only the
/// reference and the subject (never the name or the message), and new messages are limited per client address
/// (`perAddress`) and per acknowledgement address (`perRecipient`), answered with 429 and the form in Thai.
struct ContactController {
    struct Form: Content {
        var name: String?
        var email: String?
        var phone: String?
        var subject: String?
        var body: String?
        var submission: String?
    }

    struct FieldError: Encodable {
        var field: String
        var message: String
    }

    struct FormPage: Encodable {
        var page: PageChrome
        var csrf: String
        var submission: String
        var form: Form
        var errors: [FieldError]
        var error: [String: String]
        var action: String
    }

    struct SentPage: Encodable {
        var page: PageChrome
        var reference: String
        var receivedAt: String
        var subject: String
        var body: String
        var email: String
    }

    struct MailContext: Encodable, Sendable {
        var tenantName: String
        var reference: String
        var receivedAt: String
        var name: String
        var email: String
        var phone: String?
        var subject: String
        var body: String
    }

    /// The acknowledgement: nothing the sender typed (not even the subject, which could carry a link to a
    /// stranger under the municipality's name), only the reference and the time.
    struct AckContext: Encodable, Sendable {
        var tenantName: String
        var reference: String
        var receivedAt: String
    }

    static let limits = (name: 200, email: 254, phone: 20, subject: 200, body: 5000)
    /// New messages from one client address: 5 an hour (all tenants together).
    static let perAddress = RateLimiter.Rule(limit: 5, window: 60 * 60)
    /// Acknowledgements to one e-mail address: 3 a day (all tenants together).
    static let perRecipient = RateLimiter.Rule(limit: 3, window: 24 * 60 * 60)

    /// A new message over one of the limits; the transaction that would have saved it is undone.
    struct Limited: Error {
        var error: FieldError
    }

    func form(_ req: Request) async throws -> View {
        try await render(req, form: Form(), errors: [])
    }

    func submit(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let form = try req.content.decode(Form.self)
        let errors = Self.validate(form)
        guard errors.isEmpty, let token = form.submission, RandomToken.looksValid(token) else {
            let errors = errors.isEmpty ? [FieldError(field: "body", message: "แบบฟอร์มไม่สมบูรณ์ กรุณาส่งอีกครั้ง")] : errors
            return try await render(req, form: form, errors: errors).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let message = NewContactMessage(
            name: form.name.clean, email: form.email.clean, phone: form.phone.clean.isEmpty ? nil : form.phone.clean,
            subject: form.subject.clean, body: form.body.clean
        )
        // Render both e-mails first; then write the message and its jobs in one transaction.
        let emails = EmailOutbox(views: req.view, from: req.application.settings.mailFrom)
        let now = Date()
        let reference = ContactStore.newReference(tenant: t.tenant, now: now)
        let context = MailContext(
            tenantName: t.tenant.thaiName, reference: reference, receivedAt: ThaiDate.shortWithTime(now),
            name: message.name, email: message.email, phone: message.phone, subject: message.subject, body: message.body)
        let ack = AckContext(tenantName: t.tenant.thaiName, reference: reference, receivedAt: context.receivedAt)
        var mails = [
            try await emails.render(
                template: "contact-ack", context: ack, to: [message.email],
                subject: "\(t.tenant.thaiName) ได้รับข้อความของท่านแล้ว (\(reference))",
                idempotencyKey: "contact-ack:\(t.tenant.id):\(reference)")
        ]
        if let office = t.tenant.config.contact.email {
            mails.append(
                try await emails.render(
                    template: "contact-office", context: context, to: [office],
                    subject: "ข้อความจากประชาชน: \(message.subject) (\(reference))",
                    idempotencyKey: "contact-office:\(t.tenant.id):\(reference)"))
        }
        let tenant = t.tenant
        let toSend = mails
        let addressKey = "contact-ip:\(req.clientNetwork)"
        let recipientKey = RateLimiter.key("contact-to", message.email, secret: req.application.settings.appSecret)
        do {
            try await req.db.writeTransaction { db in
                let (_, created) = try await ContactStore.create(tenant: tenant, token: token, reference: reference, message: message, now: now, on: db)
                guard created else { return }  // the same form sent twice: one message, one set of e-mails
                // Counted only for a new message (a double tap is one), in the same transaction: a refusal saves nothing.
                guard try await RateLimiter.allow(addressKey, Self.perAddress, now: now, on: db) else {
                    throw Limited(
                        error: FieldError(
                            field: "body", message: "ส่งข้อความจากเครื่องนี้ครบ \(Self.perAddress.limit) ข้อความในหนึ่งชั่วโมงแล้ว กรุณาลองใหม่ภายหลัง หรือติดต่อหน่วยงานทางโทรศัพท์"
                        ))
                }
                guard try await RateLimiter.allow(recipientKey, Self.perRecipient, now: now, on: db) else {
                    throw Limited(
                        error: FieldError(
                            field: "email",
                            message: "อีเมลนี้ได้รับการตอบรับจากระบบครบ \(Self.perRecipient.limit) ครั้งในหนึ่งวันแล้ว กรุณาลองใหม่ในวันถัดไป หรือติดต่อหน่วยงานทางโทรศัพท์"))
                }
                for mail in toSend { try await EmailOutbox.enqueue(mail, tenant: tenant, on: db) }
            }
        } catch let limited as Limited {
            return try await render(req, form: form, errors: [limited.error]).encodeResponse(status: .tooManyRequests, for: req)
        } catch {
            // Two copies of the form arrived at once (a double tap) and the other one saved it first.
            guard (error as? any DatabaseError)?.isConstraintFailure == true,
                try await ContactStore.find(tenant: tenant, token: token, on: req.db) != nil
            else { throw error }
        }
        req.application.outboxWakeUp.poke()
        return req.redirect(to: t.url(.contactSent(token)), redirectType: .normal)
    }

    func sent(_ req: Request) async throws -> View {
        let t = try req.tenant
        guard let token = req.parameters.get("token"), RandomToken.looksValid(token),
            let message = try await ContactStore.find(tenant: t.tenant, token: token, on: req.db)
        else { throw Abort(.notFound) }
        return try await req.view.render(
            "contact/sent",
            SentPage(
                page: PageChrome(request: req, title: "ส่งข้อความสำเร็จ"), reference: message.reference,
                receivedAt: ThaiDate.shortWithTime(message.createdAt), subject: message.subject, body: message.body, email: message.email))
    }

    private func render(_ req: Request, form: Form, errors: [FieldError]) async throws -> View {
        let t = try req.tenant
        var form = form
        let submission = form.submission.flatMap { RandomToken.looksValid($0) ? $0 : nil } ?? RandomToken.make()
        form.submission = submission
        let page = FormPage(
            page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "ติดต่อหน่วยงาน – \(t.tenant.thaiName)"),
            csrf: req.csrfToken(), submission: submission, form: form, errors: errors,
            error: Dictionary(errors.map { ($0.field, $0.message) }, uniquingKeysWith: { a, _ in a }),
            action: t.url(.contact)
        )
        return try await req.view.render("contact/form", page)
    }

    static func validate(_ form: Form) -> [FieldError] {
        var errors: [FieldError] = []
        let name = form.name.clean, email = form.email.clean, phone = form.phone.clean
        let subject = form.subject.clean, body = form.body.clean
        if name.isEmpty {
            errors.append(.init(field: "name", message: "กรุณากรอกชื่อ-นามสกุล"))
        } else if name.count > limits.name {
            errors.append(.init(field: "name", message: "ชื่อ-นามสกุลยาวเกิน \(limits.name) ตัวอักษร"))
        }
        if email.isEmpty {
            errors.append(.init(field: "email", message: "กรุณากรอกอีเมล เพื่อให้หน่วยงานตอบกลับได้"))
        } else if !MailAddress.isPlausible(email) {
            errors.append(.init(field: "email", message: "รูปแบบอีเมลไม่ถูกต้อง เช่น somchai@example.com"))
        }
        if !phone.isEmpty, !(9...10).contains(phone.filter(\.isNumber).count) || !phone.allSatisfy({ $0.isNumber || $0 == "-" || $0 == " " }) {
            errors.append(.init(field: "phone", message: "หมายเลขโทรศัพท์ต้องเป็นตัวเลข 9–10 หลัก เช่น 081-234-5678"))
        }
        if subject.isEmpty {
            errors.append(.init(field: "subject", message: "กรุณากรอกเรื่องที่ต้องการติดต่อ"))
        } else if subject.count > limits.subject {
            errors.append(.init(field: "subject", message: "เรื่องยาวเกิน \(limits.subject) ตัวอักษร"))
        }
        if body.isEmpty {
            errors.append(.init(field: "body", message: "กรุณากรอกรายละเอียด"))
        } else if body.count > limits.body {
            errors.append(.init(field: "body", message: "รายละเอียดยาวเกิน \(limits.body) ตัวอักษร"))
        }
        return errors
    }
}

extension Optional where Wrapped == String {
    /// Trimmed, with control characters other than new lines removed.
    var clean: String {
        (self ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            .unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) || $0 == "\n" }
            .reduce(into: "") { $0.unicodeScalars.append($1) }
            .replacingOccurrences(of: "\r", with: "")
    }
}
