import Foundation
import Vapor

/// E-mails to staff (registration received and decided, first passwords, rights decided, password reset, username
/// reminder): each is one of `StaffMessages`, rendered from its template and written to the outbox in the caller's transaction.
enum StaffMail {
    /// Renders one of `StaffMessages` from its template, with its subject.
    static func render(_ req: Request, to email: String, _ message: some StaffMessage, key: String) async throws -> RenderedMail {
        try await render(req.view, from: req.application.settings.mailFrom, to: email, message, key: key)
    }

    static func render<Message: StaffMessage>(_ views: any ViewRenderer, from: String, to email: String, _ message: Message, key: String) async throws
        -> RenderedMail
    {
        try await EmailOutbox(views: views, from: from)
            .render(template: Message.template, context: message, to: [email], subject: message.subject, idempotencyKey: key)
    }

    /// An absolute link for e-mails: `PUBLIC_BASE_URL`, or the address the request came to.
    static func absolute(_ req: Request, _ path: String) -> String {
        if let base = req.application.settings.publicBaseURL {
            return base.absoluteString.trimmingSuffix("/") + path
        }
        let host = req.headers.first(name: .host) ?? "127.0.0.1:8080"
        return "http://\(host)\(path)"
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
