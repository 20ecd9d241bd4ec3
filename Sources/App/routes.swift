import Vapor

/// Every route, registered from `SiteURL` / `TenantURL` patterns.
func routes(_ app: Application) throws {
    let health = HealthController()
    app.get("healthz", use: health.healthz)
    app.get("readyz", use: health.readyz)
    app.get("fonts", "tlwg", ":file", use: WebFontController(directory: app.settings.webFontsDirectory).font)

    // Pages people use: sessions (stored in the database) and CSRF checks on every form post.
    let pages = app.grouped(app.sessions.middleware, CSRFMiddleware())
    pages.get(use: PortalController().index)
    registerBackOffice(on: pages, app: app)

    // Each tenant's site, by path prefix and on its own host name.
    registerTenantSite(on: pages.grouped(PathComponent(stringLiteral: SiteURL.tenantPrefix), ":tenant").grouped(TenantResolver(source: .pathPrefix)),
                       includeHome: true)
    registerTenantSite(on: pages.grouped(TenantResolver(source: .hostName)), includeHome: false)

    if app.settings.mode != .production, app.settings.writesMailToFiles {
        let mailbox = MailboxController(mailer: FileMailer(directory: app.settings.mailDirectory))
        pages.get("dev", "mailbox", use: mailbox.list)
        pages.get("dev", "mailbox", ":id", use: mailbox.message)
    }
}

/// The tenant's pages; `/` itself on a tenant host is answered by the portal route.
private func registerTenantSite(on routes: any RoutesBuilder, includeHome: Bool) {
    let site = TenantSiteController()
    let contact = ContactController()
    if includeHome { routes.get(use: site.home) }
    for pattern in TenantURL.Pattern.allCases {
        let path = pattern.components
        switch pattern {
        case .service: routes.get(path, use: site.service)
        case .terms: routes.get(path, use: site.terms)
        case .theme: routes.get(path, use: site.theme)
        case .logo: routes.get(path, use: site.logo)
        case .contact:
            routes.get(path, use: contact.form)
            routes.post(path, use: contact.submit)
        case .contactSent: routes.get(path, use: contact.sent)
        }
    }
}
