import Vapor

extension Application {
    struct SettingsKey: StorageKey { typealias Value = Settings }
    struct MailerKey: StorageKey { typealias Value = any Mailer }
    struct WakeUpKey: StorageKey { typealias Value = OutboxWakeUp }
    struct HandlersKey: StorageKey { typealias Value = [String: any OutboxHandler] }

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

    /// Job kinds and what runs them: e-mail (by the current mailer), LINE pushes and LINE webhook events.
    public var outboxHandlers: [String: any OutboxHandler] {
        get {
            var handlers = storage[HandlersKey.self] ?? [:]
            if handlers[EmailOutbox.kind] == nil { handlers[EmailOutbox.kind] = EmailJobHandler(mailer: mailer) }
            if handlers[LinePushMessage.kind] == nil { handlers[LinePushMessage.kind] = LinePushHandler(app: self) }
            if handlers[LineEventHandler.kind] == nil { handlers[LineEventHandler.kind] = LineEventHandler(app: self) }
            return handlers
        }
        set { storage[HandlersKey.self] = newValue }
    }

    /// A worker with this application's job handlers; it also sweeps expired sessions now and then.
    public func makeOutboxWorker(id: String = "worker-\(UUID().uuidString.prefix(8))", options: OutboxWorker.Options = .init()) -> OutboxWorker {
        let app = self
        var options = options
        if !options.sweeps.contains(where: { $0.name == SessionStore.periodicSweep.name }) { options.sweeps.append(SessionStore.periodicSweep) }
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
