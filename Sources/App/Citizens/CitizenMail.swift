import Foundation
import Vapor

/// The context of `emails/citizen-notice` (password reset): a heading, lines and a button. The notices about
/// petitions and identity have their own templates (`NoticeMail`).
struct CitizenNotice: Encodable, Sendable {
    var heading: String
    var name: String
    var lines: [String]
    var link: String?
    var linkLabel: String?
    var tenantName: String
}

enum CitizenMail {
    /// An absolute link to a page of the tenant's site for an e-mail: under `PUBLIC_BASE_URL` by path prefix,
    /// or at the address (tenant host or `/t/{slug}`) the request came to.
    static func link(_ req: Request, tenant: Tenant, _ page: TenantURL) -> String {
        if req.application.settings.publicBaseURL != nil {
            return StaffMail.absolute(req, page.path(base: TenantURL.base(slug: tenant.slug)))
        }
        let base = (try? req.tenant.base) ?? TenantURL.base(slug: tenant.slug)
        return StaffMail.absolute(req, page.path(base: base))
    }

    /// Where the tenant's pages are for links written later, off the request ("http://host/t/slug" or
    /// "https://tenant-host"): `link(_:tenant:_:)` of any page is `page.path(base: linkBase)`.
    static func linkBase(_ req: Request, tenant: Tenant) -> String {
        link(req, tenant: tenant, .home).trimmingSuffix("/")
    }
}
