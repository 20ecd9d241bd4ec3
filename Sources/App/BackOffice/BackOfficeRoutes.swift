import Domain
import Vapor

/// Who may use a back-office route. Every route under `/backoffice` is registered through
/// `registerBackOffice`, which records its access level; a test walks this table and the router's
/// own list together, so a route cannot be added without a rule.
enum BackOfficeAccess: Sendable, Equatable, CustomStringConvertible {
    /// Sign-in, registration, password and username recovery, first set-up.
    case anyone
    /// Any signed-in staff member with an active account.
    case signedIn
    /// Platform admins, and Organization admins for their own tenants.
    case approver
    case platformAdmin
    /// `/backoffice/t/{tenant}/…`: at least this role in that tenant.
    case tenant(StaffRole)

    var description: String {
        switch self {
        case .anyone: "anyone"
        case .signedIn: "signed in"
        case .approver: "approver"
        case .platformAdmin: "platform admin"
        case .tenant(let role): "tenant \(role.rawValue)"
        }
    }
}

struct BackOfficeRoute: Sendable {
    var method: HTTPMethod
    var path: String
    var access: BackOfficeAccess
}

extension Application {
    struct BackOfficeRoutesKey: StorageKey { typealias Value = [BackOfficeRoute] }

    /// Every back-office route with its access rule, in registration order.
    var backOfficeRoutes: [BackOfficeRoute] {
        get { storage[BackOfficeRoutesKey.self] ?? [] }
        set { storage[BackOfficeRoutesKey.self] = newValue }
    }
}

/// Registers the whole back office under `/backoffice` on `pages` (sessions and CSRF already applied).
func registerBackOffice(on pages: any RoutesBuilder, app: Application) {
    let root = pages.grouped("backoffice")
    let signedIn = root.grouped(StaffAuthMiddleware())
    let approver = signedIn.grouped(ApproverMiddleware())
    let admin = signedIn.grouped("admin").grouped(PlatformAdminMiddleware())
    let tenantBase = signedIn.grouped("t", ":tenant")
    let officer = tenantBase.grouped(TenantAccessMiddleware(minimum: .officer))
    let orgAdmin = tenantBase.grouped(TenantAccessMiddleware(minimum: .orgAdmin))

    func record(_ access: BackOfficeAccess, _ register: () -> Void) {
        let before = app.routes.all.count
        register()
        app.backOfficeRoutes += app.routes.all[before...].map {
            BackOfficeRoute(method: $0.method, path: "/" + $0.path.map(\.description).joined(separator: "/"), access: access)
        }
    }

    let password = PasswordStepController()
    let newPassword = NewPasswordStepController()
    let enrolment = OTPEnrolmentController()
    let otp = OTPStepController()
    let signOut = SignOutController()
    let registration = StaffRegistrationController()
    let recovery = AccountRecoveryController()
    let setup = PlatformSetupController()
    let home = StaffHomeController()
    let profile = ProfileController()
    let rights = RightsController()
    let audit = AuditController()
    let accounts = StaffAdminController()
    let identity = IdentityReviewController()
    let petitionQueue = PetitionQueueController()
    let petition = OfficerPetitionController()
    let petitionCommands = PetitionCommandsController()
    // Streamed uploads skip the CSRF middleware (which would buffer the body); StreamedUpload checks the
    // token, the form's first part, itself.
    let officerUploads = app.grouped(app.sessions.middleware).grouped("backoffice").grouped(StaffAuthMiddleware())
        .grouped("t", ":tenant").grouped(TenantAccessMiddleware(minimum: .officer))
    // Staff self-registration carries a document and anyone may post it: streamed the same way.
    let anonymousUploads = app.grouped(app.sessions.middleware).grouped("backoffice")
    let open311Keys = Open311KeysController()
    let line = LineChannelController()

    record(.anyone) {
        // Staff sign-in, one controller per step (`StaffSignInFlow`).
        root.get("login", use: password.page)
        root.post("login", use: password.submit)
        root.get("login", "new-password", use: newPassword.page)
        root.post("login", "new-password", use: newPassword.submit)
        root.get("login", "enrol", use: enrolment.page)
        root.post("login", "enrol", use: enrolment.submit)
        root.get("login", "otp", use: otp.page)
        root.post("login", "otp", use: otp.submit)
        root.post("logout", use: signOut.submit)
        root.get("register", use: registration.form)
        anonymousUploads.on(.POST, "register", body: .stream, use: registration.submit)
        root.get("register", "sent", use: registration.sent)
        root.get("forgot-password", use: recovery.forgotPasswordPage)
        root.post("forgot-password", use: recovery.forgotPassword)
        root.get("reset-password", ":token", use: recovery.resetPage)
        root.post("reset-password", ":token", use: recovery.reset)
        root.get("forgot-username", use: recovery.forgotUsernamePage)
        root.post("forgot-username", use: recovery.forgotUsername)
        root.get("setup", ":token", use: setup.page)
        root.post("setup", ":token", use: setup.submit)
    }
    record(.signedIn) {
        signedIn.get(use: home.index)
        signedIn.get("profile", use: profile.page)
        signedIn.post("profile", use: profile.save)
        signedIn.post("profile", "password", use: profile.changePassword)
        signedIn.get("requests", use: rights.history)
        signedIn.post("requests", use: rights.request)
    }
    record(.approver) {
        approver.get("approvals", use: rights.approvals)
        approver.post("approvals", use: rights.decide)
        approver.get("audit", use: audit.index)
    }
    record(.platformAdmin) {
        admin.get("registrations", use: accounts.registrations)
        admin.post("registrations", use: accounts.decideRegistrations)
        admin.get("registrations", ":id", use: accounts.registration)
        admin.get("registrations", ":id", "document", use: accounts.document)
        admin.get("staff", use: accounts.staff)
        admin.get("staff", "new", use: accounts.newStaffForm)
        admin.post("staff", "new", use: accounts.createStaff)
        admin.get("staff", ":id", use: accounts.member)
        admin.post("staff", ":id", "status", use: accounts.setStatus)
        admin.post("staff", ":id", "revoke", use: accounts.revoke)
        admin.post("staff", ":id", "initial-password", use: accounts.reissueInitialPassword)
    }
    record(.tenant(.officer)) {
        officer.get(use: home.tenant)
        officer.get("identity", use: identity.queue)
        officer.get("identity", ":citizen", use: identity.review)
        officer.post("identity", ":citizen", use: identity.decide)
        officer.get("identity", ":citizen", "images", ":image", use: identity.image)
        officer.get("petitions", use: petitionQueue.queue)
        officer.get("petitions", ":number", use: petition.show)
        officer.post("petitions", ":number", "status", use: petitionCommands.move)
        officer.get("petitions", ":number", "attachments", ":attachment", use: petition.attachment)
        officerUploads.on(.POST, "petitions", ":number", "documents", body: .stream, use: petitionCommands.upload)
        officer.get("petitions", ":number", "documents", ":document", use: petition.document)
        officer.get("petitions", ":number", "documents", ":document", "qr.svg", use: petition.documentQR)
        officer.post("petitions", ":number", "documents", ":document", "withdraw", use: petitionCommands.withdraw)
    }
    record(.tenant(.orgAdmin)) {
        orgAdmin.get("staff", use: rights.tenantStaff)
        orgAdmin.post("staff", "revoke", use: rights.tenantRevoke)
        TenantSettingsRoutes.register(on: orgAdmin.grouped("settings"))
        // Open311 API keys: list, issue (shown once), revoke after a confirmation page.
        orgAdmin.get("open311", use: open311Keys.page)
        orgAdmin.post("open311", use: open311Keys.issue)
        orgAdmin.get("open311", ":id", "revoke", use: open311Keys.confirmRevoke)
        orgAdmin.post("open311", ":id", "revoke", use: open311Keys.revoke)
        // The LINE Official Account: health, linked users, failed pushes, settings.
        orgAdmin.get("line", use: line.page)
        orgAdmin.post("line", use: line.save)
    }
}

/// Approval pages: platform admins, and anyone who is an Organization admin of at least one tenant.
struct ApproverMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let staff = try req.staff
        guard staff.isPlatformAdmin || staff.grants.values.contains(.orgAdmin) else { throw Abort(.forbidden) }
        return try await next.respond(to: req)
    }
}
