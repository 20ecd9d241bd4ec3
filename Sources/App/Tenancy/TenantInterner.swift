import Domain
import Foundation

/// Shares identical parts of tenant configurations. Thousands of municipalities offer the same standard
/// services with the same forms; each distinct service (and identity policy) is kept once in memory and
/// every tenant that offers it points at that copy (Swift's copy-on-write storage is shared, not copied).
final class TenantInterner: @unchecked Sendable {
    private let lock = NSLock()
    private var services = Set<Service>()
    private var policies = Set<IdentityPolicy>()

    func intern(_ config: TenantConfig) -> TenantConfig {
        var config = config
        lock.lock()
        defer { lock.unlock() }
        config.menus.account = config.menus.account.map { services.insert($0).memberAfterInsert }
        config.menus.online = config.menus.online.map { services.insert($0).memberAfterInsert }
        config.menus.complaints = config.menus.complaints.map { services.insert($0).memberAfterInsert }
        config.identity = policies.insert(config.identity).memberAfterInsert
        return config
    }

}
