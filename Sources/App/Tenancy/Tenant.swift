import Domain
import Foundation

/// A municipality hosted here: its folder's settings plus where the folder is.
/// `id` is the value of `tenant_id` in every tenant-owned row: the folder name, which never changes.
public struct Tenant: Sendable, Equatable {
    public let slug: String
    public let config: TenantConfig
    public let folder: URL

    public var id: String { slug }
    public var thaiName: String { config.name.th }

    public func service(_ slug: String) -> (menu: MenuKey, service: Service)? {
        for menu in MenuKey.allCases {
            if let service = config.menus[menu].first(where: { $0.slug == slug }) { return (menu, service) }
        }
        return nil
    }

    public var logoFile: URL { folder.appendingPathComponent(config.logo) }
    public var termsFile: URL { folder.appendingPathComponent(config.terms) }
}

/// Every tenant, found by slug or by host name. Built once at start-up; read-only afterwards.
public struct TenantRegistry: Sendable {
    public let all: [Tenant]
    private let bySlug: [String: Tenant]
    private let byHost: [String: Tenant]

    public init(_ tenants: [Tenant]) {
        all = tenants.sorted { $0.slug < $1.slug }
        bySlug = Dictionary(uniqueKeysWithValues: tenants.map { ($0.slug, $0) })
        var hosts: [String: Tenant] = [:]
        for tenant in tenants { for host in tenant.config.hosts { hosts[host] = tenant } }
        byHost = hosts
    }

    public func tenant(slug: String) -> Tenant? { bySlug[slug] }

    /// `Host` header value, with or without port, any case.
    public func tenant(host: String) -> Tenant? {
        var name = host.lowercased()
        if let colon = name.lastIndex(of: ":"), !name.hasSuffix("]") { name = String(name[..<colon]) }
        if name.hasSuffix(".") { name.removeLast() }
        return byHost[name]
    }
}
