import Domain
import Fluent
import NIOConcurrencyHelpers
import Vapor

/// Keeps the tenants this instance serves in step with the back-office settings in the database:
/// all of them at start-up, then every few seconds whatever any instance changed (one single-row read when
/// nothing did), and at once after a change made here. Public requests never wait for the database.
final class TenantSettingsSync: Sendable {
    private let seen = NIOLockedValueBox<Int64?>(nil)
    private let pollInterval: NIOLockedValueBox<Duration>

    init(interval: Duration = .seconds(3)) {
        pollInterval = NIOLockedValueBox(interval)
    }

    /// How often other instances' changes are looked for (tests shorten it).
    var interval: Duration {
        get { pollInterval.withLockedValue { $0 } }
        set { pollInterval.withLockedValue { $0 = newValue } }
    }

    /// Installs the sync on `app`: loads at boot, then polls until shutdown.
    static func install(on app: Application, interval: Duration = .seconds(3)) {
        app.storage[Key.self] = TenantSettingsSync(interval: interval)
        app.lifecycle.use(Poller())
    }

    /// Applies every change made since the last look (all settings, the first time). Returns the slugs
    /// whose served settings changed.
    @discardableResult
    func refresh(_ app: Application) async throws -> [String] {
        guard let directory = app.tenantDirectory else { return [] }
        let latest = try await SettingsRevision.latest(on: app.db)
        let last = seen.withLockedValue { $0 }
        if let last, latest <= last { return [] }
        var slugs: [String]?  // nil the first time: every tenant
        if let last { slugs = try await SettingsRevision.tenants(changedAfter: last, on: app.db) } else { try await DivisionSeed.run(app) }
        let changed = directory.apply(
            try await TenantSettingsStore.load(tenants: slugs, on: app.db).map {
                ($0.slug, $0.overrides, $0.revision)
            })
        seen.withLockedValue { $0 = max($0 ?? latest, latest) }
        if !changed.isEmpty {
            app.publicPageCache?.removeAll()
            app.logger.info("tenant settings applied", metadata: ["tenants": .string(changed.joined(separator: ","))])
        }
        return changed
    }

    /// Reads these tenants' settings again now (after a change made here, or to show an admin the latest).
    func reload(_ slugs: [String], _ app: Application) async throws {
        guard let directory = app.tenantDirectory else { return }
        let changed = directory.apply(
            try await TenantSettingsStore.load(tenants: slugs, on: app.db).map {
                ($0.slug, $0.overrides, $0.revision)
            })
        if !changed.isEmpty { app.publicPageCache?.removeAll() }
    }

    struct Key: StorageKey { typealias Value = TenantSettingsSync }

    /// Loads before the server takes requests (`serve` boots asynchronously), then polls in the background.
    /// Where the application boots synchronously (tests), the first poll loads at once instead.
    struct Poller: LifecycleHandler {
        final class Box: @unchecked Sendable {
            let lock = NIOLock()
            var task: Task<Void, Never>?
        }

        let box = Box()

        func didBootAsync(_ app: Application) async throws {
            guard let sync = app.tenantSettingsSync else { return }
            do { try await sync.refresh(app) } catch {
                // `migrate` boots before the tables exist; the poll tries again.
                app.logger.warning("tenant settings not loaded yet", metadata: ["error": .string(String(describing: error))])
            }
            start(app, sync, immediately: false)
        }

        func didBoot(_ app: Application) throws {
            guard let sync = app.tenantSettingsSync else { return }
            start(app, sync, immediately: true)
        }

        func shutdownAsync(_ app: Application) async {
            let task = box.lock.withLock { box.task }
            task?.cancel()
            await task?.value
        }

        func shutdown(_ app: Application) {
            box.lock.withLock { box.task }?.cancel()
        }

        private func start(_ app: Application, _ sync: TenantSettingsSync, immediately: Bool) {
            let task = Task {
                var failing = false
                var first = immediately
                while !Task.isCancelled {
                    if !first {
                        do { try await Task.sleep(for: sync.interval) } catch { return }
                    }
                    first = false
                    do {
                        try await sync.refresh(app)
                        failing = false
                    } catch {
                        if !failing { app.logger.warning("tenant settings poll failed", metadata: ["error": .string(String(describing: error))]) }
                        failing = true
                    }
                }
            }
            box.lock.withLock { box.task = task }
        }
    }
}

extension Application {
    /// Nil until `TenantSettingsSync.install(on:)` (called by `configure`).
    var tenantSettingsSync: TenantSettingsSync? { storage[TenantSettingsSync.Key.self] }
}
