import Domain
import Foundation
import Vapor

/// The e-mails the notifier sends citizens, rendered through the application's Leaf renderer (no request) from
/// `Views/emails/<template>.{html,txt}.leaf`: the Thai wording is in the templates, where a designer edits it;
/// here are only the typed contexts and the subjects.
enum NoticeMail {
    /// Shared by every citizen notice (`emails/citizen-frame`): the greeting, the button and the footer.
    struct Frame: Encodable, Sendable {
        var name: String
        var tenantName: String
        var link: String
    }

    /// `emails/petition-filed`: the confirmation with the tracking number.
    struct FiledMail: Encodable, Sendable {
        var frame: Frame
        var number: String
        var serviceName: String
        /// Buddhist era, Bangkok time.
        var received: String
        var status: String
    }

    /// `emails/petition-status`: the new status, with the officer's note.
    struct StatusMail: Encodable, Sendable {
        var frame: Frame
        var number: String
        var serviceName: String
        var status: String
        var at: String
        var note: String?
        var completed: Bool
        var cannotProceed: Bool
        /// The citizen may turn these e-mails off (not those that always go).
        var optional: Bool
        var contactPhone: String
    }

    /// `emails/document-withdrawn`: which document, when and why.
    struct WithdrawnMail: Encodable, Sendable {
        var frame: Frame
        var kind: String
        var title: String
        var code: String
        var number: String
        var serviceName: String
        var at: String
        var reason: String?
        var contactPhone: String
    }

    /// `emails/identity-decided`: approved, or not and why.
    struct IdentityMail: Encodable, Sendable {
        var frame: Frame
        var approved: Bool
        var reason: String?
    }

    /// `emails/petition-info-requested`: what the officer asks for, and where to answer.
    struct InfoRequestMail: Encodable, Sendable {
        var frame: Frame
        var number: String
        var serviceName: String
        var at: String
        var message: String
        var contactPhone: String
    }

    static func infoRequested(_ e: PetitionInfoRequested, tenant: Tenant, to r: CitizenNotices.Recipient, app: Application) async throws -> RenderedMail {
        let p = e.petition
        return try await render(
            app, "petition-info-requested",
            InfoRequestMail(
                frame: frame(r, tenant, link: TenantURL.petition(p.number).path(base: e.linkBase)), number: p.number, serviceName: p.serviceName,
                at: ThaiDate.shortWithTime(e.at), message: e.message, contactPhone: tenant.config.contact.phone),
            to: r, subject: "ขอข้อมูลเพิ่มเติม คำร้องเลขที่ \(p.number) – \(tenant.thaiName)", key: e.key)
    }

    static func filed(_ e: PetitionFiled, tenant: Tenant, to r: CitizenNotices.Recipient, app: Application) async throws -> RenderedMail {
        let p = e.petition
        return try await render(
            app, "petition-filed",
            FiledMail(
                frame: frame(r, tenant, link: TenantURL.petition(p.number).path(base: e.linkBase)), number: p.number, serviceName: p.serviceName,
                received: ThaiDate.shortWithTime(p.filedAt), status: PetitionStatus.submitted.thai),
            to: r, subject: "ได้รับคำร้องเลขที่ \(p.number) แล้ว – \(tenant.thaiName)", key: e.key)
    }

    static func statusChanged(_ e: PetitionMoved, tenant: Tenant, to r: CitizenNotices.Recipient, app: Application) async throws -> RenderedMail {
        let p = e.petition
        let note = e.note?.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await render(
            app, "petition-status",
            StatusMail(
                frame: frame(r, tenant, link: TenantURL.petition(p.number).path(base: e.linkBase)), number: p.number, serviceName: p.serviceName,
                status: e.to.thai, at: ThaiDate.shortWithTime(e.at), note: note?.isEmpty == false ? note : nil,
                completed: e.to == .completed, cannotProceed: e.to == .cannotProceed, optional: !e.to.notifiesAlways,
                contactPhone: tenant.config.contact.phone),
            to: r, subject: "คำร้องเลขที่ \(p.number): \(e.to.thai) – \(tenant.thaiName)", key: e.key)
    }

    static func documentWithdrawn(_ e: DocumentWithdrawn, tenant: Tenant, to r: CitizenNotices.Recipient, app: Application) async throws -> RenderedMail {
        let p = e.petition, d = e.document
        return try await render(
            app, "document-withdrawn",
            WithdrawnMail(
                frame: frame(r, tenant, link: TenantURL.petition(p.number).path(base: e.linkBase)), kind: d.kind.thai, title: d.title, code: d.code,
                number: p.number, serviceName: p.serviceName, at: ThaiDate.shortWithTime(e.withdrawnAt),
                reason: e.reason?.isEmpty == false ? e.reason : nil, contactPhone: tenant.config.contact.phone),
            to: r, subject: "เพิกถอน\(d.kind.thai) คำร้องเลขที่ \(p.number) – \(tenant.thaiName)", key: e.key)
    }

    static func identityDecided(_ e: IdentityDecided, tenant: Tenant, to r: CitizenNotices.Recipient, app: Application) async throws -> RenderedMail {
        try await render(
            app, "identity-decided",
            IdentityMail(
                frame: frame(r, tenant, link: (e.approved ? TenantURL.account : .identity).path(base: e.linkBase)), approved: e.approved, reason: e.reason),
            to: r, subject: e.approved ? "ยืนยันตัวตนแล้ว e-Service \(tenant.thaiName)" : "ไม่ผ่านการยืนยันตัวตน e-Service \(tenant.thaiName)",
            key: e.key)
    }

    private static func frame(_ r: CitizenNotices.Recipient, _ tenant: Tenant, link: String) -> Frame {
        Frame(name: r.name, tenantName: tenant.thaiName, link: link)
    }

    private static func render<Context: Encodable & Sendable>(
        _ app: Application, _ template: String, _ context: Context, to r: CitizenNotices.Recipient,
        subject: String, key: String
    ) async throws -> RenderedMail {
        guard let email = r.email else { throw OutboxFailure.permanent("the citizen has no e-mail address") }
        return try await EmailOutbox(views: app.view, from: app.settings.mailFrom)
            .render(template: template, context: context, to: [email], subject: subject, idempotencyKey: key)
    }
}
