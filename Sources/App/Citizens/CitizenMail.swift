import Foundation
import Vapor

/// E-mails to citizens (password reset, verification result), rendered from `emails/citizen-notice` with a
/// typed context and written to the outbox in the caller's transaction.
struct CitizenNotice: Encodable, Sendable {
    var heading: String
    var name: String
    var lines: [String]
    var link: String?
    var linkLabel: String?
    var tenantName: String
}

enum CitizenMail {
    static func render(_ req: Request, to email: String, subject: String, notice: CitizenNotice, key: String) async throws -> RenderedMail {
        try await EmailOutbox(views: req.view, from: req.application.settings.mailFrom)
            .render(template: "citizen-notice", context: notice, to: [email], subject: subject, idempotencyKey: key)
    }

    /// An absolute link to a page of the tenant's site for an e-mail: under `PUBLIC_BASE_URL` by path prefix,
    /// or at the address (tenant host or `/t/{slug}`) the request came to.
    static func link(_ req: Request, tenant: Tenant, _ page: TenantURL) -> String {
        if req.application.settings.publicBaseURL != nil {
            return StaffMail.absolute(req, page.path(base: TenantURL.base(slug: tenant.slug)))
        }
        let base = (try? req.tenant.base) ?? TenantURL.base(slug: tenant.slug)
        return StaffMail.absolute(req, page.path(base: base))
    }
}
