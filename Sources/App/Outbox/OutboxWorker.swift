import Domain
import Fluent
import Foundation
import Vapor

/// What a job kind does. Throw `OutboxFailure.permanent` when retrying cannot help.
public protocol OutboxHandler: Sendable {
    func handle(_ job: ClaimedJob) async throws
    /// Jobs with the same key in one batch run one after another, oldest first (pushes to one LINE user arrive
    /// in the order they were written); nil: any order, at the same time as the rest.
    func sequenceKey(for job: ClaimedJob) -> String?
}

extension OutboxHandler {
    public func sequenceKey(for job: ClaimedJob) -> String? { nil }
}

/// How one run of a job ended: done, failed and to be tried again, or failed for good.
public enum OutboxOutcome: Sendable { case done, retry, failed }

public enum OutboxFailure: Error, CustomStringConvertible {
    case permanent(String)
    case unknownKind(String)

    public var description: String {
        switch self {
        case .permanent(let reason): "permanent failure: \(reason)"
        case .unknownKind(let kind): "no handler for job kind '\(kind)'"
        }
    }
}

/// Housekeeping a worker does now and then between batches (expired sessions, …): cheap, bounded, and safe to
/// run from several workers at once. `run` returns how many rows it removed.
public struct PeriodicSweep: Sendable {
    public var name: String
    public var interval: TimeInterval
    public var run: @Sendable (any Database, Date) async throws -> Int

    public init(name: String, interval: TimeInterval, run: @escaping @Sendable (any Database, Date) async throws -> Int) {
        self.name = name
        self.interval = interval
        self.run = run
    }
}

/// Claims due jobs and runs their handlers, retrying with backoff. Run one inside the server and/or
/// any number as `eservice worker` processes on the same database.
public final class OutboxWorker: Sendable {
    public struct Options: Sendable {
        /// Jobs claimed and run at once. Jobs mostly wait on the network (SMTP, LINE), so a batch is wide: 16
        /// left 2,000 e-mails and pushes queued behind each batch's slowest conversation.
        public var batchSize = 64
        public var lease: TimeInterval = 120
        public var idlePoll: TimeInterval = 0.5
        /// After a batch that was not full, a short wait lets a trickle of new jobs (a webhook's events, one every few
        /// milliseconds) gather into one claim instead of one claim each.
        public var gather: TimeInterval = 0.02
        public var retry = RetryPolicy()
        /// The clock due times are read from; tests move it forward instead of sleeping.
        public var now: @Sendable () -> Date = { Date() }
        /// Run every `interval` while the worker runs (the first within half a minute of its start).
        public var sweeps: [PeriodicSweep] = []
        /// Only jobs of these kinds are claimed; nil: every kind.
        public var kinds: [String]? = nil
        /// Told how each job went (the `/metrics` counters): its kind, the outcome, and the error of a failure.
        public var observe: @Sendable (_ kind: String, _ outcome: OutboxOutcome, _ error: (any Error)?) -> Void = { _, _, _ in }
        public init() {}
    }

    public let id: String
    let database: @Sendable () -> any Database
    let handlers: [String: any OutboxHandler]
    let options: Options
    let logger: Logger
    let wakeUp: OutboxWakeUp

    public init(
        id: String = "worker-\(UUID().uuidString.prefix(8))", database: @escaping @Sendable () -> any Database,
        handlers: [String: any OutboxHandler], options: Options = .init(), logger: Logger, wakeUp: OutboxWakeUp = .init()
    ) {
        self.id = id
        self.database = database
        self.handlers = handlers
        self.options = options
        self.logger = logger
        self.wakeUp = wakeUp
    }

    /// Claims one batch and runs it. Returns how many jobs it took.
    @discardableResult
    public func runOnce() async throws -> Int {
        let now = options.now()
        let jobs = try await OutboxStore.claim(
            worker: id, limit: options.batchSize, now: now,
            leaseUntil: now.addingTimeInterval(options.lease), kinds: options.kinds, on: database())
        // One lane per sequence key (oldest job first), one per job without a key; the lanes run at once.
        var lanes: [[ClaimedJob]] = []
        var laneOf: [String: Int] = [:]
        for job in jobs.sorted(by: { $0.createdAt < $1.createdAt }) {
            if let key = handlers[job.kind]?.sequenceKey(for: job).map({ job.kind + ":" + $0 }) {
                if let i = laneOf[key] { lanes[i].append(job) } else { laneOf[key] = lanes.count; lanes.append([job]) }
            } else {
                lanes.append([job])
            }
        }
        let completions = Completions(worker: self)
        await withTaskGroup(of: Void.self) { group in
            for lane in lanes { group.addTask { for job in lane { await self.process(job, completions: completions) } } }
        }
        return jobs.count
    }

    /// Runs every sweep once now; returns how many rows each removed (failures are logged, not thrown).
    @discardableResult
    public func runSweeps(_ which: [PeriodicSweep]? = nil) async -> [String: Int] {
        var removed: [String: Int] = [:]
        for sweep in which ?? options.sweeps {
            do {
                let n = try await sweep.run(database(), options.now())
                removed[sweep.name] = n
                if n > 0 { logger.info("sweep done", metadata: ["sweep": .string(sweep.name), "removed": .stringConvertible(n)]) }
            } catch {
                logger.warning("sweep failed", metadata: ["sweep": .string(sweep.name), "error": .string("\(error)")])
            }
        }
        return removed
    }

    /// Runs until the task is cancelled.
    public func run() async {
        logger.info("outbox worker started", metadata: ["worker": .string(id)])
        let clock = ContinuousClock()
        // Spread over the first half minute, so workers started together do not sweep together.
        var nextSweep = options.sweeps.map { _ in clock.now + .milliseconds(Int.random(in: 0...30_000)) }
        while !Task.isCancelled {
            for (i, sweep) in options.sweeps.enumerated() where clock.now >= nextSweep[i] {
                await runSweeps([sweep])
                nextSweep[i] = clock.now + .milliseconds(Int(sweep.interval * 1000))
            }
            do {
                let n = try await runOnce()
                if n == 0 {
                    await wakeUp.wait(upTo: options.idlePoll)
                } else if n < options.batchSize, options.gather > 0 {
                    try? await Task.sleep(for: .milliseconds(Int(options.gather * 1000)))
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning("outbox claim failed", metadata: ["error": .string("\(error)")])
                try? await Task.sleep(for: .seconds(1))
            }
        }
        logger.info("outbox worker stopped", metadata: ["worker": .string(id)])
    }

    func process(_ job: ClaimedJob, completions: Completions) async {
        let meta: Logger.Metadata = ["job": .string(job.id.uuidString), "kind": .string(job.kind), "attempt": .stringConvertible(job.attempts)]
        do {
            guard let handler = handlers[job.kind] else { throw OutboxFailure.unknownKind(job.kind) }
            try await handler.handle(job)
        } catch {
            await failed(job, error: error, meta: meta)
            return
        }
        await completions.add(job)
        options.observe(job.kind, .done, nil)
        logger.debug("outbox job done", metadata: meta)
    }

    /// Marks done jobs as a group commit does: the first job to finish writes its row at once; the jobs that
    /// finish while that statement runs are written together by the next one. The window in which a worker that
    /// dies has sent something but not yet marked it stays one statement long, and a batch of 64 pushes costs a
    /// few statements instead of 64.
    actor Completions {
        let worker: OutboxWorker
        private var pending: [ClaimedJob] = []
        private var writing = false

        init(worker: OutboxWorker) { self.worker = worker }

        func add(_ job: ClaimedJob) async {
            pending.append(job)
            guard !writing else { return }  // the statement under way is followed by one for this job
            writing = true
            while !pending.isEmpty {
                let group = pending
                pending = []
                do {
                    try await OutboxStore.complete(group, worker: worker.id, now: worker.options.now(), on: worker.database())
                } catch {
                    // The lease runs out and another try picks the jobs up; their handlers are idempotent by key.
                    worker.logger.error("outbox could not mark jobs done", metadata: ["jobs": .stringConvertible(group.count), "error": .string("\(error)")])
                }
            }
            writing = false
        }
    }

    private func failed(_ job: ClaimedJob, error: any Error, meta: Logger.Metadata) async {
        let permanent = error is OutboxFailure
        let exhausted = permanent || options.retry.isExhausted(afterAttempts: job.attempts)
        var delay = options.retry.delay(afterAttempts: job.attempts, jitter: Double.random(in: 0...1))
        if let later = error as? OutboxRetryLater { delay = max(delay, later.seconds) }
        let retryAt = exhausted ? nil : options.now().addingTimeInterval(delay)
        options.observe(job.kind, exhausted ? .failed : .retry, error)
        // A mail server's reply may quote the recipient's address: the log and the stored error get it masked.
        let reason = EmailMask.masking("\(error)")
        logger.warning(
            exhausted ? "outbox job failed for good" : "outbox job failed; will retry",
            metadata: meta.merging(["error": .string(reason)]) { $1 })
        do {
            try await OutboxStore.fail(job, worker: id, error: reason, retryAt: retryAt, now: options.now(), on: database())
        } catch {
            // The lease runs out and another try picks the job up; nothing is lost.
            logger.error("outbox could not record a failure", metadata: meta.merging(["error": .string("\(error)")]) { $1 })
        }
    }
}

/// Lets a request that just committed jobs wake an idle in-process worker at once instead of at its next poll.
public final class OutboxWakeUp: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

    public init() {}

    public func poke() {
        lock.lock()
        let toResume = waiters
        waiters = [:]
        if toResume.isEmpty { pending = true }
        lock.unlock()
        toResume.values.forEach { $0.resume() }
    }

    /// Returns on the next poke, or after `seconds`, whichever comes first.
    func wait(upTo seconds: TimeInterval) async {
        let id = UUID()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if pending {
                pending = false
                lock.unlock()
                continuation.resume()
                return
            }
            waiters[id] = continuation
            lock.unlock()
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                self.resume(id)
            }
        }
    }

    private func resume(_ id: UUID) {
        lock.lock()
        let continuation = waiters.removeValue(forKey: id)
        lock.unlock()
        continuation?.resume()
    }
}
