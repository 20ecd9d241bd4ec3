import Domain
import NIOConcurrencyHelpers
import Vapor

/// The tenants this process serves: the folders read at start-up, with what admins changed in the back office
/// laid over them. Readers take the current `TenantRegistry` (a value) under a short lock; a change swaps in a
/// new registry, so a request sees one consistent set of tenants however long it runs.
public final class TenantDirectory: Sendable {
    struct State {
        var folder: TenantRegistry
        var current: TenantRegistry
        /// The revision of the back-office settings each tenant was last built from.
        var revisions: [String: Int64] = [:]
    }

    private let state: NIOLockedValueBox<State>
    private let interner = TenantInterner()

    public init(folder: TenantRegistry) {
        state = NIOLockedValueBox(State(folder: folder, current: folder))
    }

    /// What the public site and the back office serve now.
    public var current: TenantRegistry { state.withLockedValue { $0.current } }

    /// The tenants as their folders say, without back-office changes.
    public var folder: TenantRegistry { state.withLockedValue { $0.folder } }

    public func revision(of slug: String) -> Int64? { state.withLockedValue { $0.revisions[slug] } }

    /// Starts again from `folder`, forgetting back-office changes.
    public func reset(folder: TenantRegistry) {
        state.withLockedValue { $0 = State(folder: folder, current: folder) }
    }

    /// Lays `overrides` (read at `revision`) over each tenant's folder settings and serves the result. A tenant
    /// already built from a newer revision is left alone, so a slow reader cannot undo a newer change.
    /// Returns the slugs that changed.
    @discardableResult
    public func apply(_ loaded: [(slug: String, overrides: TenantOverrides, revision: Int64)]) -> [String] {
        let folder = self.folder
        var built: [(Tenant, Int64)] = []
        for item in loaded {
            guard let base = folder.tenant(slug: item.slug) else { continue }
            let (config, retired) = base.config.applying(item.overrides)
            built.append((Tenant(slug: base.slug, config: interner.intern(config), folder: base.folder, retired: retired), item.revision))
        }
        return state.withLockedValue { s in
            let fresh = built.filter { tenant, revision in (s.revisions[tenant.slug] ?? Int64.min) <= revision }
            for (tenant, revision) in fresh { s.revisions[tenant.slug] = revision }
            let changed = fresh.map(\.0).filter { s.current.tenant(slug: $0.slug) != $0 }
            s.current = s.current.replacing(changed)
            return changed.map(\.slug)
        }
    }
}

extension Application {
    struct TenantDirectoryKey: StorageKey { typealias Value = TenantDirectory }

    /// Set by `configure` (through `tenants`); nil before.
    public var tenantDirectory: TenantDirectory? { storage[TenantDirectoryKey.self] }

    /// The tenants served now. Setting it (at start-up) starts the directory from those folders.
    public var tenants: TenantRegistry {
        get { storage[TenantDirectoryKey.self]?.current ?? TenantRegistry([]) }
        set {
            if let directory = storage[TenantDirectoryKey.self] {
                directory.reset(folder: newValue)
            } else {
                storage[TenantDirectoryKey.self] = TenantDirectory(folder: newValue)
            }
        }
    }
}
