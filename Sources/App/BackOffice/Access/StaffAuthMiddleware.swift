import Domain
import Fluent
import Foundation
import Vapor

/// Loads the signed-in staff member for every back-office route that needs one. The account and its
/// rights are read on every request, so disabling an account or removing a right works at once.
struct StaffAuthMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let state = StaffSession.state(req), state.stage == .signedIn else {
            if StaffSession.state(req) != nil { return Self.continueSignIn(req) }
            return Self.refuse(req, expired: false)
        }
        guard StaffSession.touch(req, state: state) else {
            StaffSession.clear(req)
            return Self.refuse(req, expired: true)
        }
        guard let account = try await StaffStore.find(state.staffID, on: req.db), account.status == .active,
            account.sessionEpoch == state.epoch
        else {
            StaffSession.clear(req)
            return Self.refuse(req, expired: true)
        }
        req.storage[StaffPrincipalKey.self] = try await StaffStore.principal(for: account, on: req.db)
        req.logger[metadataKey: "staff"] = .string(account.username)
        return try await next.respond(to: req)
    }

    /// Not signed in: pages send the person to the sign-in page (and back afterwards); anything else gets 401.
    static func refuse(_ req: Request, expired: Bool) -> Response {
        guard [.GET, .HEAD].contains(req.method), !req.wantsJSON else {
            return Response(
                status: .unauthorized, headers: ["Content-Type": "application/json; charset=utf-8"],
                body: .init(string: #"{"error":"กรุณาเข้าสู่ระบบ","message":"sign-in required"}"#))
        }
        var query = [URLQueryItem(name: "next", value: req.url.path)]
        if expired { query.append(URLQueryItem(name: "expired", value: "1")) }
        var c = URLComponents()
        c.path = BackOfficeURL.login.path
        c.queryItems = query
        return req.redirect(to: c.string ?? BackOfficeURL.login.path, redirectType: .normal)
    }

    /// Half-way through signing in: back to the stage the person is at.
    static func continueSignIn(_ req: Request) -> Response {
        guard [.GET, .HEAD].contains(req.method) else { return refuse(req, expired: false) }
        return req.redirect(to: BackOfficeURL.login.path, redirectType: .normal)
    }
}

/// Only platform admins pass.
struct PlatformAdminMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard try req.staff.isPlatformAdmin else { throw Abort(.forbidden) }
        return try await next.respond(to: req)
    }
}

/// `/backoffice/t/{tenant}/…`: the tenant must exist and the staff member must hold at least `minimum` there.
/// An officer of tenant A asking for tenant B's pages gets 403, whatever the path.
struct TenantAccessMiddleware: AsyncMiddleware {
    let minimum: StaffRole

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let staff = try req.staff
        guard let slug = req.parameters.get("tenant"), let tenant = req.application.tenants.tenant(slug: slug) else {
            throw Abort(.notFound, reason: "tenant")
        }
        guard let role = staff.role(in: tenant.id), role.includes(minimum) else { throw Abort(.forbidden) }
        req.storage[BackOfficeScopeKey.self] = BackOfficeScope(tenant: tenant, staff: staff, role: role)
        req.logger[metadataKey: "tenant"] = .string(tenant.slug)
        return try await next.respond(to: req)
    }
}

extension Request {
    var wantsJSON: Bool {
        let accept = headers[.accept].joined(separator: ",").lowercased()
        return accept.contains("application/json") && !accept.contains("text/html")
    }
}
