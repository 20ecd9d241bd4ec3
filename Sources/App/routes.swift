import Vapor

/// Every route, registered from `SiteURL` / `TenantURL` patterns.
func routes(_ app: Application) throws {
    let health = HealthController()
    app.get("healthz", use: health.healthz)
    app.get("readyz", use: health.readyz)
    // Prometheus, for METRICS_ALLOW only (no session, no cookie; on any host).
    app.get("metrics", use: MetricsController().metrics)
    app.get("fonts", "tlwg", ":file", use: WebFontController(directory: app.settings.webFontsDirectory).font)
    GeographyController().register(on: app)
    LeafletController(directory: app.settings.map.leafletDirectory).register(on: app)

    // Pages people use: sessions (stored in the database) and CSRF checks on every form post.
    let pages = app.grouped(app.sessions.middleware, CSRFMiddleware())
    pages.get(use: PortalController().index)
    registerBackOffice(on: pages, app: app)
    // Public verification of issued documents (no sign-in).
    let verify = VerifyController()
    pages.get("verify", use: verify.form)
    pages.get("verify", ":code", use: verify.show)

    // Each tenant's site, by path prefix and on its own host name. Uploads stream, so they skip the CSRF
    // middleware (which would buffer the body) and check the token from the form's first part themselves.
    let uploads = app.grouped(app.sessions.middleware)
    for (source, includeHome) in [(TenantResolver.Source.pathPrefix, true), (.hostName, false)] {
        let prefix: [PathComponent] = source == .pathPrefix ? [PathComponent(stringLiteral: SiteURL.tenantPrefix), ":tenant"] : []
        registerTenantSite(
            on: pages.grouped(prefix).grouped(TenantResolver(source: source)),
            uploads: uploads.grouped(prefix).grouped(TenantResolver(source: source)), includeHome: includeHome)
    }

    // Open311 GeoReport v2 for each tenant (API clients: no session, no CSRF), both by path prefix and on its host.
    try registerOpen311(on: app)
    // LINE's webhook for each tenant's Official Account (signed by LINE; no session, no CSRF).
    registerLineWebhook(on: app)

    if app.settings.mode != .production, app.settings.writesMailToFiles {
        let mailbox = MailboxController(mailer: FileMailer(directory: app.settings.mailDirectory))
        pages.get("dev", "mailbox", use: mailbox.list)
        pages.get("dev", "mailbox", ":id", use: mailbox.message)
    }
}

/// The tenant's pages; `/` itself on a tenant host is answered by the portal route.
private func registerTenantSite(on routes: any RoutesBuilder, uploads: any RoutesBuilder, includeHome: Bool) {
    let site = TenantSiteController()
    let contact = ContactController()
    let registration = RegistrationController()
    let signIn = CitizenSignInController()
    let passwordReset = CitizenPasswordResetController()
    let welcome = CitizenWelcomeController()
    let identity = CitizenIdentityController()
    let profile = CitizenProfileController()
    let notifications = CitizenNotificationsController()
    let filing = PetitionFilingController()
    let petitions = CitizenPetitionsController()
    let line = LineLinkController()
    let citizen = routes.grouped(CitizenAuthMiddleware())
    let citizenUploads = uploads.grouped(CitizenAuthMiddleware())
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
        case .register:
            routes.get(path, use: registration.terms)
            routes.post(path, use: registration.acceptTerms)
        case .registerDetails:
            routes.get(path, use: registration.details)
            routes.post(path, use: registration.submitDetails)
        case .login:
            routes.get(path, use: signIn.loginPage)
            routes.post(path, use: signIn.login)
        case .logout: routes.post(path, use: signIn.logout)
        case .forgotPassword:
            routes.get(path, use: passwordReset.forgotPage)
            routes.post(path, use: passwordReset.forgot)
        case .resetPassword:
            routes.get(path, use: passwordReset.resetPage)
            routes.post(path, use: passwordReset.reset)
        case .account: citizen.get(path, use: welcome.show)
        case .identity:
            citizen.get(path, use: identity.show)
            citizenUploads.on(.POST, path, body: .stream, use: identity.upload)
        case .profile: citizen.get(path, use: profile.show)
        case .profilePhoto: citizenUploads.on(.POST, path, body: .stream, use: profile.uploadPhoto)
        case .accountImage: citizen.get(path, use: profile.image)
        case .apply:
            citizen.get(path, use: filing.form)
            citizenUploads.on(.POST, path, body: .stream, use: filing.submit)
        case .petitions: citizen.get(path, use: petitions.list)
        case .petition: citizen.get(path, use: petitions.detail)
        case .petitionFiled: citizen.get(path, use: filing.filed)
        case .petitionReceipt: citizen.get(path, use: filing.receipt)
        case .petitionFile: citizen.get(path, use: petitions.file)
        case .petitionDocument: citizen.get(path, use: petitions.document)
        case .petitionDocumentQR: citizen.get(path, use: petitions.documentQR)
        case .petitionAnswer: citizenUploads.on(.POST, path, body: .stream, use: PetitionInfoAnswerController().submit)
        case .petitionRate: citizen.post(path, use: PetitionFeedbackController().rate)
        case .petitionReopen: citizen.post(path, use: PetitionFeedbackController().reopen)
        case .notifications: citizen.post(path, use: notifications.save)
        case .password:
            citizen.get(path, use: CitizenPasswordChangeController().page)
            citizen.post(path, use: CitizenPasswordChangeController().change)
        case .myData: citizen.get(path, use: CitizenDataController().download)
        case .contactDetails:
            citizen.get(path, use: CitizenContactController().page)
            citizen.post(path, use: CitizenContactController().save)
        case .confirmEmail:
            routes.get(path, use: CitizenContactController().confirmPage)
            routes.post(path, use: CitizenContactController().confirm)
        case .resendEmailConfirmation: citizen.post(path, use: CitizenContactController().resend)
        case .closeAccount:
            citizen.get(path, use: CitizenClosingController().page)
            citizen.post(path, use: CitizenClosingController().request)
        case .closeAccountWithdraw: citizen.post(path, use: CitizenClosingController().withdraw)
        case .lineLink:
            citizen.get(path, use: line.confirmPage)
            citizen.post(path, use: line.confirm)
        case .lineUnlink: citizen.post(path, use: line.unlink)
        }
    }
}
