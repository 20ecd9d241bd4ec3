import Vapor

/// The tenant a request is for, and how its links are written.
public struct ResolvedTenant: Sendable {
    public let tenant: Tenant
    /// "/t/{slug}" when reached by path prefix, "" on the tenant's own host name.
    public let base: String

    public func url(_ page: TenantURL) -> String { page.path(base: base) }
}

struct ResolvedTenantKey: StorageKey { typealias Value = ResolvedTenant }

extension Request {
    /// The tenant resolved by `TenantResolver`; routes under it can rely on it.
    public var tenant: ResolvedTenant {
        get throws {
            guard let t = storage[ResolvedTenantKey.self] else { throw Abort(.notFound) }
            return t
        }
    }

    var hostTenant: Tenant? {
        guard let host = headers.first(name: .host) else { return nil }
        return application.tenants.tenant(host: host)
    }
}

/// Resolves the tenant first, before anything else happens: by the `/t/{slug}` prefix, or by host name.
/// An unknown tenant ends here with the Thai 404 page.
struct TenantResolver: AsyncMiddleware {
    enum Source { case pathPrefix, hostName }
    let source: Source

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let registry = request.application.tenants
        let resolved: ResolvedTenant
        switch source {
        case .pathPrefix:
            guard let slug = request.parameters.get("tenant"), let tenant = registry.tenant(slug: slug) else {
                throw Abort(.notFound, reason: "tenant")
            }
            // On one tenant's host name, another tenant's path is not served.
            if let hostTenant = request.hostTenant, hostTenant.slug != tenant.slug { throw Abort(.notFound, reason: "tenant") }
            resolved = ResolvedTenant(tenant: tenant, base: TenantURL.base(slug: slug))
        case .hostName:
            guard let tenant = request.hostTenant else { throw Abort(.notFound) }
            resolved = ResolvedTenant(tenant: tenant, base: "")
        }
        request.storage[ResolvedTenantKey.self] = resolved
        request.logger[metadataKey: "tenant"] = .string(resolved.tenant.slug)
        return try await next.respond(to: request)
    }
}
