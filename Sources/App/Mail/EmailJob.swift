import Crypto
import Domain
import Fluent
import Foundation
import Vapor

/// Renders an e-mail from `Views/emails/<template>.html.leaf` and `.txt.leaf` with a typed context
/// and writes it to the outbox in the caller's transaction.
public struct EmailOutbox {
    public static let kind = "email"

    let views: any ViewRenderer
    let from: String

    public init(views: any ViewRenderer, from: String) {
        self.views = views
        self.from = from
    }

    /// Renders both parts now (outside any transaction), so the job holds exactly what will be sent.
    public func render<Context: Encodable & Sendable>(template: String, context: Context, to: [String], subject: String, idempotencyKey: String) async throws
        -> RenderedMail
    {
        let html = try await views.render("emails/\(template).html.leaf", context).get()
        let text = try await views.render("emails/\(template).txt.leaf", context).get()
        let mail = OutgoingMail(
            from: from, to: to, subject: subject,
            text: HTMLText.unescape(String(buffer: text.data)),
            html: String(buffer: html.data),
            messageID: Self.messageID(for: idempotencyKey, from: from)
        )
        return RenderedMail(mail: mail, idempotencyKey: idempotencyKey)
    }

    /// Writes a rendered mail as a job; call it inside the transaction of the change that causes it.
    @discardableResult
    public static func enqueue(_ mail: RenderedMail, tenant: Tenant?, runAt: Date = Date(), on db: any Database) async throws -> Bool {
        try await OutboxStore.enqueue([mail.outboxJob()], tenant: tenant, runAt: runAt, on: db) == 1
    }

    /// Same key, same Message-ID: a receiver that sees a retried message twice can tell it is one message.
    static func messageID(for key: String, from: String) -> String {
        let digest = SHA256.hash(data: Data(key.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
        let domain = MailAddress(parsing: from)?.address.split(separator: "@").last.map(String.init) ?? "eservice.localhost"
        return "\(digest)@\(domain)"
    }
}

/// A mail rendered and keyed, ready to be written to the outbox.
public struct RenderedMail: Sendable {
    public var mail: OutgoingMail
    public var idempotencyKey: String
}

/// Delivers `email` jobs through the configured mailer.
public struct EmailJobHandler: OutboxHandler {
    let mailer: any Mailer
    /// Counts each e-mail sent or failed (`eservice_deliveries_total{channel="email"}`).
    let metrics: AppMetrics?

    public init(mailer: any Mailer, metrics: AppMetrics? = nil) {
        self.mailer = mailer
        self.metrics = metrics
    }

    public func handle(_ job: ClaimedJob) async throws {
        let mail: OutgoingMail
        do {
            mail = try JSONDecoder.outbox.decode(OutgoingMail.self, from: Data(job.payload.utf8))
        } catch {
            throw OutboxFailure.permanent("payload is not an e-mail: \(error)")
        }
        do {
            try await mailer.send(mail)
        } catch let error as SMTPError where error.isPermanent {
            metrics?.recordDelivery(.email, .failed)
            throw OutboxFailure.permanent(error.description)
        } catch {
            metrics?.recordDelivery(.email, .failed)
            throw error
        }
        metrics?.recordDelivery(.email, .sent)
    }
}
