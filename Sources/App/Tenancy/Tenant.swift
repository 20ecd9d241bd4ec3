import Domain
import Foundation

/// A municipality hosted here: its folder's settings (with what its admins changed in the back office laid
/// over them) plus where the folder is.
/// `id` is the value of `tenant_id` in every tenant-owned row: the folder name, which never changes.
public struct Tenant: Sendable, Equatable {
    public let slug: String
    public let config: TenantConfig
    public let folder: URL
    /// Services retired in the back office: off the public site, still there for the petitions filed with them.
    public let retired: Menus

    public init(slug: String, config: TenantConfig, folder: URL, retired: Menus = Menus()) {
        self.slug = slug
        self.config = config
        self.folder = folder
        self.retired = retired
    }

    public var id: String { slug }
    public var thaiName: String { config.name.th }

    /// A service offered on the public site.
    public func service(_ slug: String) -> (menu: MenuKey, service: Service)? {
        for menu in MenuKey.allCases {
            if let service = config.menus[menu].first(where: { $0.slug == slug }) { return (menu, service) }
        }
        return nil
    }

    /// A service offered now or retired (for showing old petitions).
    public func anyService(_ slug: String) -> (menu: MenuKey, service: Service, retired: Bool)? {
        if let (menu, service) = service(slug) { return (menu, service, false) }
        for menu in MenuKey.allCases {
            if let service = retired[menu].first(where: { $0.slug == slug }) { return (menu, service, true) }
        }
        return nil
    }

    public var logoFile: URL { folder.appendingPathComponent(config.logo) }
    public var termsFile: URL { folder.appendingPathComponent(config.terms) }
}

/// Every tenant, found by slug or by host name. A value: the application swaps in a new one when a tenant's
/// settings change (`TenantDirectory`).
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

    /// This registry with some tenants replaced (same slugs; host names do not change at run time).
    public func replacing(_ changed: [Tenant]) -> TenantRegistry {
        guard !changed.isEmpty else { return self }
        var slugs = bySlug
        for tenant in changed where slugs[tenant.slug] != nil { slugs[tenant.slug] = tenant }
        return TenantRegistry(Array(slugs.values))
    }

    /// `Host` header value, with or without port, any case.
    public func tenant(host: String) -> Tenant? {
        var name = host.lowercased()
        if let colon = name.lastIndex(of: ":"), !name.hasSuffix("]") { name = String(name[..<colon]) }
        if name.hasSuffix(".") { name.removeLast() }
        return byHost[name]
    }
}
