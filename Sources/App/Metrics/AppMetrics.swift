import Domain
import FluentPostgresDriver  // AsyncKit's ConnectionPoolTimeoutError, re-exported through PostgresKit
import Foundation
import NIOConcurrencyHelpers
@preconcurrency import Prometheus  // MetricNameDescriptor (plain strings) is not marked Sendable
import Vapor

/// The application's Prometheus series, served at `/metrics`. One registry per `Application` (not swift-metrics'
/// process-wide `MetricsSystem`): tests run many applications in one process at once, and each reads its own
/// counts. Labels are fixed words (route patterns, job kinds, channels), never a raw path, a tenant, a person or a
/// token, so the series stay few. The names and what they mean are in README's "Metrics".
public final class AppMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// When this application was made (at the top of `configure`): `eservice_start_time_seconds` and the system page's
    /// uptime.
    public let started = Date()

    public init() {
        registry.makeGauge(descriptor: Self.startTime).set(to: started.timeIntervalSince1970)
    }

    // MARK: Requests

    static let requests = MetricNameDescriptor(
        namespace: "eservice", subsystem: "http", metricName: "requests", unitName: "total",
        helpText: "Requests answered, by route pattern, method and status class")
    static let requestDuration = MetricNameDescriptor(
        namespace: "eservice", subsystem: "http", metricName: "request_duration", unitName: "seconds",
        helpText: "Time from a request's arrival to its answer, by route pattern and method")
    /// 1 ms … 10 s.
    static let requestBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2_500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
    ]
    /// The route label of a request no route matched (a 404, a refused method) and of a file from `Public/`.
    public static let noRoute = "(no route)"
    public static let staticFile = "(static)"
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// One answered request: `route` is the registered pattern (`/t/:tenant/contact`) or one of the fixed labels.
    public func recordRequest(route: String, method: HTTPMethod, status: UInt, duration: Duration) {
        let method = Self.methods.contains(method.rawValue) ? method.rawValue : "OTHER"
        let statusClass = (100...599).contains(status) ? "\(status / 100)xx" : "other"
        registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("method", method), ("status", statusClass)]).increment()
        registry.makeDurationHistogram(descriptor: Self.requestDuration, labels: [("route", route), ("method", method)], buckets: Self.requestBuckets)
            .record(duration)
    }

    // MARK: Outbox

    static let outboxJobs = MetricNameDescriptor(
        namespace: "eservice", subsystem: "outbox", metricName: "jobs", unitName: "",
        helpText: "Outbox jobs now, by kind and status (pending: due or waiting to be retried; running: claimed by a worker; failed: given up)")
    static let outboxOldest = MetricNameDescriptor(
        namespace: "eservice", subsystem: "outbox", metricName: "oldest_waiting_age", unitName: "seconds",
        helpText: "Age of the oldest pending or running job of each kind (0 when none waits)")
    static let outboxDone = MetricNameDescriptor(
        namespace: "eservice", subsystem: "outbox", metricName: "jobs_done", unitName: "total",
        helpText: "Jobs this process's worker finished, by kind")
    static let outboxFailed = MetricNameDescriptor(
        namespace: "eservice", subsystem: "outbox", metricName: "jobs_failed", unitName: "total",
        helpText: "Job attempts this process's worker saw fail, by kind; final=true when the job was given up")
    /// The statuses the gauges show (done and discarded jobs are history, not queue).
    static let queueStatuses: [OutboxStatus] = [.pending, .running, .failed]

    /// A job the worker finished.
    public func recordJobDone(kind: String) {
        registry.makeCounter(descriptor: Self.outboxDone, labels: [("kind", Self.label(kind))]).increment()
    }

    /// A job attempt that failed; `final`: it will not be tried again.
    public func recordJobFailed(kind: String, final: Bool) {
        registry.makeCounter(descriptor: Self.outboxFailed, labels: [("kind", Self.label(kind)), ("final", final ? "true" : "false")]).increment()
    }

    /// The queue as the database has it: every kind seen so far (and every registered kind) gets a value, 0 when it
    /// has no job in that status now.
    func setQueue(_ summary: OutboxQueueSummary, registeredKinds: [String]) {
        let byKind = Dictionary(summary.kinds.map { (Self.label($0.kind), $0) }) { a, _ in a }
        let kinds = knownKinds.withLockedValue { known in
            known.formUnion(registeredKinds.map(Self.label))
            known.formUnion(byKind.keys)
            return known
        }
        for kind in kinds {
            let entry = byKind[kind]
            for status in Self.queueStatuses {
                registry.makeGauge(descriptor: Self.outboxJobs, labels: [("kind", kind), ("status", status.rawValue)])
                    .set(to: Double(entry?.count(status) ?? 0))
            }
            registry.makeGauge(descriptor: Self.outboxOldest, labels: [("kind", kind)]).set(to: entry?.oldestWaitingAge ?? 0)
        }
    }
    private let knownKinds = NIOLockedValueBox(Set<String>())

    // MARK: E-mails and LINE pushes

    static let deliveries = MetricNameDescriptor(
        namespace: "eservice", subsystem: "", metricName: "deliveries", unitName: "total",
        helpText:
            "E-mails and LINE pushes by channel (email, line) and result (sent; failed: an attempt that failed, retried or not; skipped: a push to someone who unfollowed or unlinked)"
    )

    public enum Channel: String, Sendable { case email, line }
    public enum DeliveryResult: String, Sendable { case sent, failed, skipped }

    public func recordDelivery(_ channel: Channel, _ result: DeliveryResult) {
        registry.makeCounter(descriptor: Self.deliveries, labels: [("channel", channel.rawValue), ("result", result.rawValue)]).increment()
    }

    // MARK: Images

    static let imageQueue = MetricNameDescriptor(
        namespace: "eservice", subsystem: "image_work", metricName: "queue", unitName: "",
        helpText: "Images being decoded and watermarked now plus those waiting for a worker")
    static let imageDuration = MetricNameDescriptor(
        namespace: "eservice", subsystem: "image_work", metricName: "duration", unitName: "seconds",
        helpText: "Time one image took in the image workers (after its wait)")
    static let imageBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10), .seconds(30),
    ]

    public func recordImageWork(_ duration: Duration) {
        registry.makeDurationHistogram(descriptor: Self.imageDuration, buckets: Self.imageBuckets).record(duration)
    }

    // MARK: Database

    static let poolWait = MetricNameDescriptor(
        namespace: "eservice", subsystem: "db", metricName: "pool_wait", unitName: "seconds",
        helpText: "How long the last metrics scrape waited for a database connection from this process's pool (a sample, taken at most every few seconds)")
    static let poolTimeouts = MetricNameDescriptor(
        namespace: "eservice", subsystem: "db", metricName: "pool_timeouts", unitName: "total",
        helpText: "Requests and outbox jobs that failed because no database connection came free within the pool's timeout")

    public func recordPoolTimeout() {
        registry.makeCounter(descriptor: Self.poolTimeouts).increment()
    }

    /// Counts `error` when it is the connection pool giving up.
    public func noteFailure(_ error: any Error) {
        if Self.isPoolTimeout(error) { recordPoolTimeout() }
    }

    static func isPoolTimeout(_ error: any Error) -> Bool {
        error is ConnectionPoolTimeoutError
    }

    // MARK: The process

    static let tenants = MetricNameDescriptor(
        namespace: "eservice", subsystem: "", metricName: "tenants_loaded", unitName: "",
        helpText: "Tenants (municipalities) this process serves")
    static let startTime = MetricNameDescriptor(
        namespace: "eservice", subsystem: "", metricName: "start_time", unitName: "seconds",
        helpText: "When this process started, in seconds since 1970")
    static let buildInfo = MetricNameDescriptor(
        namespace: "eservice", subsystem: "", metricName: "build_info", unitName: "",
        helpText: "Always 1; the labels name the release and the deploy's APP_REVISION (- when unset) this process runs")

    /// `AppVersion.release` and the checked `APP_REVISION` (plain letters, digits and `._-+`: safe as labels).
    func setBuildInfo(revision: String?, release: String = AppVersion.release) {
        registry.makeGauge(descriptor: Self.buildInfo, labels: [("release", release), ("revision", revision ?? "-")]).set(to: 1)
    }

    /// A kind as a label: job kinds are fixed words in code, but a row written by an older or newer release could
    /// hold anything, so only plain short words pass.
    static func label(_ kind: String) -> String {
        JobKind.isPlain(kind) ? kind : "other"
    }

    // MARK: Values read when scraped

    /// Sets the gauges read at scrape time that cost nothing (no database).
    func setProcessGauges(tenants: Int, imageQueue: Int) {
        registry.makeGauge(descriptor: Self.tenants).set(to: Double(tenants))
        registry.makeGauge(descriptor: Self.imageQueue).set(to: Double(imageQueue))
    }

    func setPoolWait(_ duration: Duration) {
        let c = duration.components
        registry.makeGauge(descriptor: Self.poolWait).set(to: Double(c.seconds) + Double(c.attoseconds) / 1e18)
    }

    /// When the database gauges were last read: scrapes within `databaseGaugeTTL` of it reuse the values.
    let lastDatabaseRead = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    static let databaseGaugeTTL: Duration = .seconds(5)

    /// Whether this scrape should read the database (and, if so, marks it read now so concurrent scrapes do not).
    func claimDatabaseRead(now: ContinuousClock.Instant = .now) -> Bool {
        lastDatabaseRead.withLockedValue { last in
            if let last, now - last < Self.databaseGaugeTTL { return false }
            last = now
            return true
        }
    }

    /// The text Prometheus reads.
    public func exposition() -> String { registry.emitToString() }
}

extension Application {
    struct MetricsKey: StorageKey { typealias Value = AppMetrics }

    /// This application's series (made in `configure`; one per application).
    public var metrics: AppMetrics {
        if let m = storage[MetricsKey.self] { return m }
        let m = AppMetrics()
        storage[MetricsKey.self] = m
        return m
    }
}
