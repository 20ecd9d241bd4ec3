import Domain
import Vapor

/// What the base layout needs on every page: the title and, on a tenant's site, its name, colours and menus.
struct PageChrome: Encodable {
    var title: String
    var tenant: TenantChrome?
    var portalURL = SiteURL.portal.path

    init(request: Request, title: String) {
        self.title = title
        tenant = (try? request.tenant).map(TenantChrome.init)
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

    init(_ resolved: ResolvedTenant) {
        let config = resolved.tenant.config
        slug = resolved.tenant.slug
        nameTH = config.name.th
        nameEN = config.name.en
        homeURL = resolved.url(.home)
        themeURL = resolved.url(.theme)
        logoURL = resolved.url(.logo)
        termsURL = resolved.url(.terms)
        contactURL = resolved.url(.contact)
        address = config.contact.address
        phone = config.contact.phone
        email = config.contact.email
        website = config.contact.website
        hours = config.contact.hours
        menus = MenuKey.allCases.map { key in
            MenuView(key: key.rawValue, title: key.thaiTitle, services: config.menus[key].map { service in
                ServiceLink(slug: service.slug, name: service.name, description: service.description,
                            url: resolved.url(.service(service.slug)), needsIdentity: service.requiresVerifiedIdentity(in: key))
            })
        }
    }
}
