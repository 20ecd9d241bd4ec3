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
    var pattern: BackOfficeURL.Pattern
}

extension Application {
    struct BackOfficeRoutesKey: StorageKey { typealias Value = [BackOfficeRoute] }

    /// Every back-office route with its access rule, in registration order.
    var backOfficeRoutes: [BackOfficeRoute] {
        get { storage[BackOfficeRoutesKey.self] ?? [] }
        set { storage[BackOfficeRoutesKey.self] = newValue }
    }
}

/// Registers the whole back office under `/backoffice` on `pages` (sessions and CSRF already applied): each
/// feature registers its own routes, by `BackOfficeURL.Pattern`, in one place of its own.
func registerBackOffice(on pages: any RoutesBuilder, app: Application) {
    let router = BackOfficeRouter(app: app, pages: pages)
    StaffSignInRoutes.register(router)
    StaffAccountRoutes.register(router)
    TenantSettingsRoutes.register(router)
    IdentityReviewRoutes.register(router)
    OfficerPetitionRoutes.register(router)
    PetitionExportRoutes.register(router)
    DashboardRoutes.register(router)
    Open311KeysRoutes.register(router)
    LineChannelRoutes.register(router)
    SystemRoutes.register(router)
}

/// Registers back-office routes by pattern: the pattern gives the path and who may use it (`BackOfficeAccess`),
/// so a feature names only the handler, and every route lands in `app.backOfficeRoutes` with its rule.
struct BackOfficeRouter {
    typealias Pattern = BackOfficeURL.Pattern
    let app: Application
    /// Form pages: sessions and CSRF.
    private let pages: any RoutesBuilder
    /// Streamed uploads skip the CSRF middleware (which would buffer the body); `StreamedUpload` checks the
    /// token, the form's first part, itself.
    private let streams: any RoutesBuilder

    init(app: Application, pages: any RoutesBuilder) {
        self.app = app
        self.pages = pages.grouped("backoffice")
        self.streams = app.grouped(app.sessions.middleware).grouped("backoffice")
    }

    func get<R: AsyncResponseEncodable>(_ pattern: Pattern, use handler: @Sendable @escaping (Request) async throws -> R) {
        record(pattern) { $0.on(.GET, Self.path(pattern), use: handler) }
    }

    func post<R: AsyncResponseEncodable>(_ pattern: Pattern, use handler: @Sendable @escaping (Request) async throws -> R) {
        record(pattern) { $0.on(.POST, Self.path(pattern), use: handler) }
    }

    /// A POST whose body is streamed to the handler (uploads).
    func upload<R: AsyncResponseEncodable>(_ pattern: Pattern, use handler: @Sendable @escaping (Request) async throws -> R) {
        record(pattern, streamed: true) { $0.on(.POST, Self.path(pattern), body: .stream, use: handler) }
    }

    /// A sub-tree under the pattern (a tenant's settings), with the pattern's access rule.
    func mount(_ pattern: Pattern, _ register: (any RoutesBuilder) -> Void) {
        record(pattern) { register($0.grouped(Self.path(pattern))) }
    }

    private static func path(_ pattern: Pattern) -> [PathComponent] {
        pattern.components.map { PathComponent(stringLiteral: $0) }
    }

    private func guarded(_ base: any RoutesBuilder, _ access: BackOfficeAccess) -> any RoutesBuilder {
        let signedIn = base.grouped(StaffAuthMiddleware())
        switch access {
        case .anyone: return base
        case .signedIn: return signedIn
        case .approver: return signedIn.grouped(ApproverMiddleware())
        case .platformAdmin: return signedIn.grouped(PlatformAdminMiddleware())
        case .tenant(let role): return signedIn.grouped(TenantAccessMiddleware(minimum: role))
        }
    }

    private func record(_ pattern: Pattern, streamed: Bool = false, _ register: (any RoutesBuilder) -> Void) {
        let before = app.routes.all.count
        register(guarded(streamed ? streams : pages, pattern.access))
        app.backOfficeRoutes += app.routes.all[before...].map {
            BackOfficeRoute(
                method: $0.method, path: "/" + $0.path.map(\.description).joined(separator: "/"), access: pattern.access,
                pattern: pattern)
        }
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
