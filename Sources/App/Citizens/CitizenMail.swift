import Foundation
import Vapor

/// `emails/citizen-password-reset` (extends `emails/citizen-frame`, as the notices in `NoticeMail` do): the
/// masked national ID the link is for, when it was asked for, and how long the link lasts.
struct CitizenPasswordResetMail: Encodable, Sendable {
    var frame: NoticeMail.Frame
    var maskedNationalID: String
    /// Buddhist era, Bangkok time.
    var requestedAt: String
    var minutes: Int

    static func subject(tenant: Tenant) -> String { "แจ้งเปลี่ยนรหัสผ่าน e-Service \(tenant.thaiName)" }
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
