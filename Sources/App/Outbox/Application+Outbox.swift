import Vapor

extension Application {
    struct SettingsKey: StorageKey { typealias Value = Settings }
    struct MailerKey: StorageKey { typealias Value = any Mailer }
    struct WakeUpKey: StorageKey { typealias Value = OutboxWakeUp }
    struct HandlersKey: StorageKey { typealias Value = [String: @Sendable (Application) -> any OutboxHandler] }

    public var settings: Settings {
        get {
            guard let s = storage[SettingsKey.self] else { fatalError("configure(_:settings:) has not run") }
            return s
        }
        set { storage[SettingsKey.self] = newValue }
    }

    /// The mailer outbox e-mail jobs use. Tests may replace it before the worker starts.
    public var mailer: any Mailer {
        get { storage[MailerKey.self] ?? FileMailer(directory: settings.mailDirectory) }
        set { storage[MailerKey.self] = newValue }
    }

    public var outboxWakeUp: OutboxWakeUp {
        if let w = storage[WakeUpKey.self] { return w }
        let w = OutboxWakeUp()
        storage[WakeUpKey.self] = w
        return w
    }

    /// Adds what runs jobs of `kind`; each feature registers its own kinds (`registerMailJobs`, `registerLineJobs`,
    /// `registerNoticeJobs`, …) when the application is configured. `make` runs when a worker is made, so a worker
    /// uses the mailer (and the rest) as they are then.
    public func registerOutboxHandler(_ kind: String, _ make: @escaping @Sendable (Application) -> any OutboxHandler) {
        var handlers = storage[HandlersKey.self] ?? [:]
        handlers[kind] = make
        storage[HandlersKey.self] = handlers
    }

    /// Job kinds and what runs them, as registered.
    public var outboxHandlers: [String: any OutboxHandler] {
        (storage[HandlersKey.self] ?? [:]).mapValues { $0(self) }
    }

    /// A worker with this application's job handlers; it also runs the retention sweeps now and then (`Retention`:
    /// expired sessions, tokens and counters, old outbox jobs, abandoned registrations, …), each unless `options`
    /// already has one of that name.
    public func makeOutboxWorker(id: String = "worker-\(UUID().uuidString.prefix(8))", options: OutboxWorker.Options = .init()) -> OutboxWorker {
        let app = self
        var options = options
        for sweep in Retention.sweeps(settings.retention, fileStore: fileStore) where !options.sweeps.contains(where: { $0.name == sweep.name }) {
            options.sweeps.append(sweep)
        }
        // Petitions' SLA reminders and escalations (e-mails through the outbox, each once).
        // The dashboard's month counts of any tenant they miss (after migration 045, or a rolling upgrade).
        for sweep in [SLAEscalation.sweep(self), PetitionMonthRecount.sweep()] where !options.sweeps.contains(where: { $0.name == sweep.name }) {
            options.sweeps.append(sweep)
        }
        let metrics = self.metrics
        let observe = options.observe
        options.observe = { kind, outcome, error in
            switch outcome {
            case .done: metrics.recordJobDone(kind: kind)
            case .retry, .failed: metrics.recordJobFailed(kind: kind, final: outcome == .failed)
            }
            if let error { metrics.noteFailure(error) }
            observe(kind, outcome, error)
        }
        return OutboxWorker(id: id, database: { app.db }, handlers: outboxHandlers, options: options, logger: logger, wakeUp: outboxWakeUp)
    }
}

/// The worker inside `serve`: starts when the server has booted, stops with it.
struct InProcessOutboxWorker: LifecycleHandler {
    final class Box: @unchecked Sendable { var task: Task<Void, Never>? }
    let box = Box()

    func didBootAsync(_ application: Application) async throws {
        let worker = application.makeOutboxWorker()
        box.task = Task { await worker.run() }
    }

    func shutdownAsync(_ application: Application) async {
        box.task?.cancel()
        await box.task?.value
    }
}
