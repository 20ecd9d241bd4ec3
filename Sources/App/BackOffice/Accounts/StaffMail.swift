import Foundation
import Vapor

/// E-mails to staff (registration received, decisions, password reset, username reminder), rendered from
/// `emails/staff-notice` with a typed context and written to the outbox in the caller's transaction.
struct StaffNotice: Encodable, Sendable {
    var heading: String
    var name: String
    var lines: [String]
    var link: String?
    var linkLabel: String?
}

enum StaffMail {
    static func render(_ req: Request, to email: String, subject: String, notice: StaffNotice, key: String) async throws -> RenderedMail {
        try await EmailOutbox(views: req.view, from: req.application.settings.mailFrom)
            .render(template: "staff-notice", context: notice, to: [email], subject: subject, idempotencyKey: key)
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
