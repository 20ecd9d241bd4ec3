import Domain
import Vapor

/// What the base layout needs on every page: the title and, on a tenant's site, its name, colours and menus.
struct PageChrome: Encodable {
    var title: String
    var tenant: TenantChrome?
    var portalURL = SiteURL.portal.path
    /// The staff back office's header and navigation, on `/backoffice/` pages.
    var backOffice: BackOfficeChrome?

    init(request: Request, title: String) {
        self.title = title
        tenant = (try? request.tenant).map { TenantChrome($0, request: request) }
        if request.url.path.hasPrefix("/backoffice") { backOffice = BackOfficeChrome(request: request) }
    }
}

struct BackOfficeChrome: Encodable {
    struct Link: Encodable {
        var url: String
        var title: String
    }

    var homeURL = BackOfficeURL.home.path
    var loginURL = BackOfficeURL.login.path
    var logoutURL = BackOfficeURL.logout.path
    var signedIn: Bool
    var name: String?
    var csrf: String?
    var links: [Link] = []
    /// In a tenant's back office: its name, and the other tenants this person may switch to.
    var tenantName: String?
    var switchTo: [Link] = []

    init(request: Request) {
        guard let staff = request.signedInStaff else {
            signedIn = false
            return
        }
        signedIn = true
        name = staff.displayName
        csrf = request.csrfToken()
        links = [Link(url: BackOfficeURL.home.path, title: "ระบบงานของฉัน"), Link(url: BackOfficeURL.requests.path, title: "คำขอสิทธิ์")]
        if staff.isPlatformAdmin || staff.grants.values.contains(.orgAdmin) {
            links.append(Link(url: BackOfficeURL.approvals.path, title: "อนุมัติสิทธิ์"))
        }
        if staff.isPlatformAdmin {
            links.append(Link(url: BackOfficeURL.adminRegistrations.path, title: "อนุมัติบัญชี"))
            links.append(Link(url: BackOfficeURL.adminStaff.path, title: "บัญชีเจ้าหน้าที่"))
            links.append(Link(url: BackOfficeURL.system.path, title: "สถานะระบบ"))
        }
        if staff.isPlatformAdmin || staff.grants.values.contains(.orgAdmin) {
            links.append(Link(url: BackOfficeURL.audit.path, title: "บันทึกการใช้งาน"))
        }
        links.append(Link(url: BackOfficeURL.profile.path, title: "ข้อมูลส่วนตัว"))
        if let scope = try? request.backOffice {
            tenantName = scope.tenant.thaiName
            let tenants = request.application.tenants
            switchTo = staff.grants.keys.sorted().compactMap { slug in
                guard slug != scope.tenant.slug, let t = tenants.tenant(slug: slug) else { return nil }
                return Link(url: BackOfficeURL.tenantHome(slug).path, title: t.thaiName)
            }
        }
    }
}

struct TenantChrome: Encodable {
    struct MenuView: Encodable {
        var key: String
        var title: String
        var services: [ServiceLink]
    }

    struct ServiceLink: Encodable {
        var slug: String
        var name: String
        var description: String
        var url: String
        var needsIdentity: Bool
    }

    var slug: String
    var nameTH: String
    var nameEN: String
    var homeURL: String
    var themeURL: String
    var logoURL: String
    var termsURL: String
    var contactURL: String
    var address: String
    var phone: String
    var email: String?
    var website: String?
    var hours: String?
    var menus: [MenuView]
    /// The citizen's links: sign-in and registration, or their account and sign-out.
    var loginURL: String
    var registerURL: String
    var accountURL: String
    var petitionsURL: String
    var logoutURL: String
    var signedIn = false
    var csrf: String?

    init(_ resolved: ResolvedTenant, request: Request? = nil) {
        let config = resolved.tenant.config
        slug = resolved.tenant.slug
        nameTH = config.name.th
        nameEN = config.name.en
        homeURL = resolved.url(.home)
        // The colours in the address: browsers cache theme.css, and a colour changed in the back office must show.
        themeURL = resolved.url(.theme) + "?c=" + (config.colors.primary + config.colors.accent).filter(\.isHexDigit)
        logoURL = resolved.url(.logo)
        termsURL = resolved.url(.terms)
        contactURL = resolved.url(.contact)
        loginURL = resolved.url(.login)
        registerURL = resolved.url(.register)
        accountURL = resolved.url(.account)
        petitionsURL = resolved.url(.petitions)
        logoutURL = resolved.url(.logout)
        if let request, CitizenSession.state(request, tenant: resolved.tenant) != nil {
            signedIn = true
            csrf = request.csrfToken()
        }
        address = config.contact.address
        phone = config.contact.phone
        email = config.contact.email
        website = config.contact.website
        hours = config.contact.hours
        menus = MenuKey.allCases.map { key in
            MenuView(
                key: key.rawValue, title: key.thaiTitle,
                services: config.menus[key].map { service in
                    ServiceLink(
                        slug: service.slug, name: service.name, description: service.description,
                        url: resolved.url(.service(service.slug)), needsIdentity: service.requiresVerifiedIdentity(in: key))
                })
        }
    }
}
