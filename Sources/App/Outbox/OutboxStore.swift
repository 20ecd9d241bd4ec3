import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// A job the worker has claimed and must finish (or let its lease run out).
public struct ClaimedJob: Sendable {
    public var id: UUID
    public var tenantID: String?
    public var kind: String
    public var payload: String
    public var idempotencyKey: String
    /// Including this try.
    public var attempts: Int
    public var maxAttempts: Int
    /// When the job was written (jobs of one sequence run in this order).
    public var createdAt: Date
}

/// A job to write: what an `OutboxMessage` turns into.
public struct NewOutboxJob: Sendable {
    public var kind: String
    /// The payload as JSON.
    public var payload: String
    public var idempotencyKey: String
    public var maxAttempts: Int

    public init(kind: String, payload: some Encodable, idempotencyKey: String, maxAttempts: Int = RetryPolicy().maxAttempts) throws {
        self.kind = kind
        self.payload = String(decoding: try JSONEncoder.outbox.encode(payload), as: UTF8.self)
        self.idempotencyKey = idempotencyKey
        self.maxAttempts = maxAttempts
    }
}

/// `discarded`: a failed job a platform admin set aside on the system page; it is not tried again and no longer
/// counts as failed, and its idempotency key stays (a redelivered event is still recognised).
public enum OutboxStatus: String, Sendable, Codable, CaseIterable { case pending, running, done, failed, discarded }

/// The queue at one moment: jobs by kind and status, and per kind how long its oldest waiting job (pending or
/// running, counted from when it was written) has waited. For the system page and the `/metrics` gauges.
public struct OutboxQueueSummary: Sendable, Equatable {
    public struct Kind: Sendable, Equatable {
        public var kind: String
        /// Jobs by status; a status with no job is absent (`count(_:)` gives 0).
        public var counts: [OutboxStatus: Int]
        /// When the oldest job still waiting (pending or running) was written; nil when none waits.
        public var oldestWaiting: Date?
        /// Seconds from `oldestWaiting` to the summary's `now` (never negative); nil when none waits.
        public var oldestWaitingAge: Double?

        public func count(_ status: OutboxStatus) -> Int { counts[status] ?? 0 }
        /// Pending and running.
        public var waiting: Int { count(.pending) + count(.running) }
    }

    public var now: Date
    /// One entry per kind that has any job, sorted by kind.
    public var kinds: [Kind]

    public func total(_ status: OutboxStatus) -> Int { kinds.reduce(0) { $0 + $1.count(status) } }
}

/// A row of `outbox_jobs` as read back for pages and tests.
public struct OutboxJobRecord: Sendable, Codable {
    public var id: UUID
    public var tenantID: String?
    public var kind: String
    public var idempotencyKey: String
    public var status: OutboxStatus
    public var attempts: Int
    public var lastError: String?
}

/// Reads and writes `outbox_jobs`. `enqueue` takes the caller's database handle, so a job is written
/// in the same transaction as the change that causes it (pass the transaction's `db`).
public enum OutboxStore {
    /// Adds a job. A second job with the same idempotency key is ignored (returns false), so retried
    /// requests and replayed events cause one delivery.
    @discardableResult
    public static func enqueue(
        tenant: Tenant?, kind: String, payload: some Encodable, idempotencyKey: String,
        maxAttempts: Int = RetryPolicy().maxAttempts, runAt: Date = Date(), on db: any Database
    ) async throws -> Bool {
        let job = try NewOutboxJob(kind: kind, payload: payload, idempotencyKey: idempotencyKey, maxAttempts: maxAttempts)
        return try await enqueue([job], tenant: tenant, runAt: runAt, on: db) == 1
    }

    /// Adds jobs in one statement; those whose idempotency key is already there are skipped. Returns how many were
    /// added.
    @discardableResult
    public static func enqueue(_ jobs: [NewOutboxJob], tenant: Tenant?, runAt: Date, on db: any Database) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        let now = Date()
        let rows: [SQLQueryString] = jobs.map { job in
            """
            (\(bind: UUID()), \(bind: tenant?.id), \(bind: job.kind), \(bind: job.payload), \(bind: job.idempotencyKey),
             'pending', 0, \(bind: job.maxAttempts), \(bind: runAt), \(bind: now), \(bind: now))
            """
        }
        return try await sqlDatabase(db).raw(
            """
            INSERT INTO outbox_jobs (id, tenant_id, kind, payload, idempotency_key, status, attempts, max_attempts,
                                     run_at, created_at, updated_at)
            VALUES \(rows.joined(separator: ", "))
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id
            """
        ).all().count
    }

    /// Claims up to `limit` due jobs for `worker` until `leaseUntil`. A job whose lease ran out
    /// (its worker died) is due again. PostgreSQL skips rows other workers hold (`FOR UPDATE SKIP LOCKED`);
    /// SQLite runs the whole statement under its single write lock, which is just as safe.
    /// `kinds`: only jobs of these kinds (a worker for some kinds only); nil: every kind.
    public static func claim(worker: String, limit: Int, now: Date, leaseUntil: Date, kinds: [String]? = nil, on db: any Database) async throws -> [ClaimedJob]
    {
        let sql = try sqlDatabase(db)
        let lock: SQLQueryString = sql.dialect.name == "postgresql" ? "FOR UPDATE SKIP LOCKED" : ""
        let only: SQLQueryString = kinds.map { "AND kind IN (\(binds: $0.isEmpty ? [""] : $0))" } ?? ""
        let rows = try await sql.raw(
            """
            UPDATE outbox_jobs
               SET status = 'running', attempts = attempts + 1, locked_by = \(bind: worker),
                   locked_until = \(bind: leaseUntil), updated_at = \(bind: now)
             WHERE id IN (SELECT id FROM outbox_jobs
                           WHERE ((status = 'pending' AND run_at <= \(bind: now))
                              OR (status = 'running' AND locked_until < \(bind: now)))
                             \(only)
                           ORDER BY run_at
                           LIMIT \(unsafeRaw: String(max(1, limit)))
                           \(lock))
            RETURNING id, tenant_id, kind, payload, idempotency_key, attempts, max_attempts, created_at
            """
        ).all()
        return try rows.map { row in
            ClaimedJob(
                id: try row.decode(column: "id", as: UUID.self),
                tenantID: try row.decode(column: "tenant_id", as: String?.self),
                kind: try row.decode(column: "kind", as: String.self),
                payload: try row.decode(column: "payload", as: String.self),
                idempotencyKey: try row.decode(column: "idempotency_key", as: String.self),
                attempts: try row.decode(column: "attempts", as: Int.self),
                maxAttempts: try row.decode(column: "max_attempts", as: Int.self),
                createdAt: try row.decode(column: "created_at", as: Date.self)
            )
        }
    }

    /// Jobs whose idempotency key starts with this carry a secret (a password-reset link): once delivered,
    /// their payload is removed, so the database keeps no usable copy.
    public static let secretKeyPrefix = "secret:"
    /// Jobs whose payload is emptied once delivered, though their key stays (a redelivered LINE event finds it):
    /// what people typed to the Official Account, the pushes to them, and the notice events (an officer's note
    /// or reason, for a citizen who may have turned notices off) are not kept after they are handled.
    public static let emptiedOnDelivery = [secretKeyPrefix, "line-event:", "line:", "event:"]

    /// Marks a job done, if this worker still holds it.
    @discardableResult
    public static func complete(_ job: ClaimedJob, worker: String, now: Date, on db: any Database) async throws -> Bool {
        try await complete([job], worker: worker, now: now, on: db).contains(job.id)
    }

    /// Marks jobs done in one statement, those this worker still holds; returns the ids it marked. The worker
    /// gathers the jobs that finished while its previous statement ran (`OutboxWorker`), so a batch of pushes
    /// costs a few statements instead of one each.
    @discardableResult
    public static func complete(_ jobs: [ClaimedJob], worker: String, now: Date, on db: any Database) async throws -> Set<UUID> {
        guard !jobs.isEmpty else { return [] }
        let emptied = jobs.filter { job in emptiedOnDelivery.contains(where: job.idempotencyKey.hasPrefix) }.map(\.id)
        let payload: SQLQueryString = emptied.isEmpty ? "payload" : "CASE WHEN id IN (\(binds: emptied)) THEN '{}' ELSE payload END"
        let rows = try await sqlDatabase(db).raw(
            """
            UPDATE outbox_jobs SET status = 'done', finished_at = \(bind: now), updated_at = \(bind: now),
                   locked_until = NULL, last_error = NULL,
                   payload = \(payload)
             WHERE id IN (\(binds: jobs.map(\.id))) AND locked_by = \(bind: worker) AND status = 'running'
            RETURNING id
            """
        ).all()
        return Set(try rows.map { try $0.decode(column: "id", as: UUID.self) })
    }

    /// Records a failed try: back to pending at `retryAt`, or failed for good with the error kept.
    public static func fail(_ job: ClaimedJob, worker: String, error: String, retryAt: Date?, now: Date, on db: any Database) async throws {
        let status: OutboxStatus = retryAt == nil ? .failed : .pending
        try await sqlDatabase(db).raw(
            """
            UPDATE outbox_jobs SET status = \(bind: status.rawValue), run_at = \(bind: retryAt ?? now),
                   last_error = \(bind: String(error.prefix(2000))), updated_at = \(bind: now), locked_until = NULL,
                   finished_at = \(bind: retryAt == nil ? now : nil)
             WHERE id = \(bind: job.id) AND locked_by = \(bind: worker) AND status = 'running'
            """
        ).run()
    }

    // MARK: The whole queue, for operators (platform rows: no tenant scoping, every tenant's jobs together)

    /// Jobs by kind and status and the oldest waiting job per kind, in one grouped query. Rows whose status is not
    /// an `OutboxStatus` are left out. Without `finished`, only waiting and failed jobs are read (the `/metrics`
    /// gauges, every few seconds per instance: the few rows of the status index, not a week of delivered ones); the
    /// system page asks for the done and discarded counts too.
    public static func queueSummary(now: Date, finished: Bool = false, on db: any Database) async throws -> OutboxQueueSummary {
        let filter: SQLQueryString = finished ? "" : "WHERE status IN ('pending', 'running', 'failed')"
        let rows = try await sqlDatabase(db).raw(
            """
            SELECT kind, status, COUNT(*) AS n, MIN(created_at) AS oldest
              FROM outbox_jobs \(filter) GROUP BY kind, status
            """
        ).all()
        var byKind: [String: OutboxQueueSummary.Kind] = [:]
        for row in rows {
            let kind = try row.decode(column: "kind", as: String.self)
            guard let status = OutboxStatus(rawValue: try row.decode(column: "status", as: String.self)) else { continue }
            var entry = byKind[kind] ?? .init(kind: kind, counts: [:], oldestWaiting: nil, oldestWaitingAge: nil)
            entry.counts[status, default: 0] += try row.decode(column: "n", as: Int.self)
            if status == .pending || status == .running, let oldest = try row.decode(column: "oldest", as: Date?.self) {
                let earliest = min(oldest, entry.oldestWaiting ?? oldest)
                entry.oldestWaiting = earliest
                entry.oldestWaitingAge = max(0, now.timeIntervalSince(earliest))
            }
            byKind[kind] = entry
        }
        return OutboxQueueSummary(now: now, kinds: byKind.values.sorted { $0.kind < $1.kind })
    }

    /// Retention: deletes up to `limit` finished jobs, oldest first, and returns how many went. Done and discarded jobs
    /// go once finished before `doneBefore`, jobs that failed for good once finished before `failedBefore`; a LINE
    /// webhook event's job (`line-event:`, the key that makes a redelivered event a no-op) is kept at least until
    /// `lineEventsBefore` too. Pending and running jobs are never touched. Platform rows: every tenant's jobs at once.
    /// The conditions stand in the outer WHERE as well as in the sub-select: PostgreSQL (READ COMMITTED) re-checks only
    /// the outer WHERE on a row it had to wait for, so a job retried meanwhile (`retryFailed`, now pending) is kept.
    public static func sweep(doneBefore: Date, failedBefore: Date, lineEventsBefore: Date, limit: Int, on db: any Database) async throws -> Int {
        let finished: SQLQueryString = """
            ((status IN ('done', 'discarded') AND finished_at < \(bind: doneBefore))
                OR (status = 'failed' AND finished_at < \(bind: failedBefore)))
              AND (idempotency_key NOT LIKE 'line-event:%' OR finished_at < \(bind: lineEventsBefore))
            """
        return try await OldestRows.delete(from: "outbox_jobs", key: ["id"], where: finished, orderBy: "finished_at", limit: limit, on: sqlDatabase(db))
    }

    /// Jobs of one tenant (newest first), for its back office and tests.
    public static func jobs(tenant: Tenant, status: OutboxStatus? = nil, limit: Int = 100, on db: any Database) async throws -> [OutboxJobRecord] {
        try await records(tenantID: tenant.id, status: status, limit: limit, on: db)
    }

    /// Platform-wide view (no tenant), for operators and tests.
    public static func allJobs(status: OutboxStatus? = nil, limit: Int = 100_000, on db: any Database) async throws -> [OutboxJobRecord] {
        try await records(tenantID: nil, status: status, limit: limit, on: db)
    }

    // MARK: One tenant's jobs of one kind, for its back office

    /// When the tenant's last job of `kind` was written (nil: never), and how many were written since `since`.
    public static func written(tenant: Tenant, kind: String, since: Date, on db: any Database) async throws -> (last: Date?, count: Int) {
        let row = try await sqlDatabase(db).raw(
            """
            SELECT MAX(created_at) AS last, SUM(CASE WHEN created_at >= \(bind: since) THEN 1 ELSE 0 END) AS recent
            FROM outbox_jobs WHERE tenant_id = \(bind: tenant.id) AND kind = \(bind: kind)
            """
        ).first()
        return (try row?.decode(column: "last", as: Date?.self), try row?.decode(column: "recent", as: Int?.self) ?? 0)
    }

    /// How many of the tenant's jobs of `kind` are in one of `statuses`.
    public static func count(tenant: Tenant, kind: String, statuses: [OutboxStatus], on db: any Database) async throws -> Int {
        guard !statuses.isEmpty else { return 0 }
        return try await sqlDatabase(db).raw(
            """
            SELECT COUNT(*) AS n FROM outbox_jobs WHERE tenant_id = \(bind: tenant.id) AND kind = \(bind: kind)
              AND status IN (\(binds: statuses.map(\.rawValue)))
            """
        ).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// A job that failed for good: its key, LINE's or the mail server's reason, and when.
    public struct FailedJob: Sendable, Equatable {
        public var id: UUID
        /// nil: a platform job (to staff).
        public var tenantID: String?
        public var kind: String
        public var idempotencyKey: String
        public var attempts: Int
        public var lastError: String?
        public var finishedAt: Date?
    }

    /// The tenant's latest jobs of `kind` that failed for good, newest first.
    public static func failed(tenant: Tenant, kind: String, limit: Int, on db: any Database) async throws -> [FailedJob] {
        try await failedJobs(tenant: tenant.id, kind: kind, limit: limit, offset: 0, on: db)
    }

    /// Every tenant's jobs that failed for good (of `kind`, or all), newest first, `limit` from `offset`: the system
    /// page's list for platform admins. Platform rows: no tenant scoping, on purpose.
    public static func failed(kind: String?, limit: Int, offset: Int, on db: any Database) async throws -> [FailedJob] {
        try await failedJobs(tenant: nil, kind: kind, limit: limit, offset: offset, on: db)
    }

    private static func failedJobs(tenant: String?, kind: String?, limit: Int, offset: Int, on db: any Database) async throws -> [FailedJob] {
        let tenantCondition: SQLQueryString = tenant.map { "AND tenant_id = \(bind: $0)" } ?? ""
        let kindCondition: SQLQueryString = kind.map { "AND kind = \(bind: $0)" } ?? ""
        return try await sqlDatabase(db).raw(
            """
            SELECT id, tenant_id, kind, idempotency_key, attempts, last_error, finished_at FROM outbox_jobs
            WHERE status = 'failed' \(tenantCondition) \(kindCondition)
            ORDER BY finished_at DESC, id LIMIT \(literal: min(max(1, limit), 1000)) OFFSET \(literal: min(max(0, offset), 1_000_000))
            """
        ).all().map(failedJob)
    }

    private static func failedJob(_ row: any SQLRow) throws -> FailedJob {
        FailedJob(
            id: try row.decode(column: "id", as: UUID.self),
            tenantID: try row.decode(column: "tenant_id", as: String?.self),
            kind: try row.decode(column: "kind", as: String.self),
            idempotencyKey: try row.decode(column: "idempotency_key", as: String.self),
            attempts: try row.decode(column: "attempts", as: Int.self),
            lastError: try row.decode(column: "last_error", as: String?.self),
            finishedAt: try row.decode(column: "finished_at", as: Date?.self))
    }

    // MARK: A platform admin's hand on failed jobs (platform rows: any tenant's job, on purpose)

    /// Puts a job that failed for good back in the queue, due at `now`, with a fresh set of tries (`attempts` back
    /// to 0, so the retry policy's backoff starts again); its last error stays until the next try. Only if it is
    /// still failed: returns the job as it was, or nil when it is not failed (any more) or not there.
    public static func retryFailed(_ id: UUID, now: Date, on db: any Database) async throws -> FailedJob? {
        try await db.transaction { db in
            guard let job = try await failedJob(id, on: db) else { return nil }
            let changed = try await sqlDatabase(db).raw(
                """
                UPDATE outbox_jobs SET \(requeued(now: now))
                 WHERE id = \(bind: id) AND status = 'failed'
                RETURNING id
                """
            ).all()
            return changed.isEmpty ? nil : job
        }
    }

    /// Sets a job that failed for good aside: status `discarded`, never tried again, no longer counted as failed; its
    /// payload (the message, maybe with a citizen's name and address) is emptied, its key kept. Only if it is still
    /// failed: returns the job as it was, or nil when it is not failed (any more) or not there.
    public static func discardFailed(_ id: UUID, now: Date, on db: any Database) async throws -> FailedJob? {
        try await db.transaction { db in
            guard let job = try await failedJob(id, on: db) else { return nil }
            let changed = try await sqlDatabase(db).raw(
                """
                UPDATE outbox_jobs SET status = 'discarded', payload = '{}', finished_at = \(bind: now), updated_at = \(bind: now)
                 WHERE id = \(bind: id) AND status = 'failed'
                RETURNING id
                """
            ).all()
            return changed.isEmpty ? nil : job
        }
    }

    /// Puts every job of `kind` that failed for good back in the queue, as `retryFailed` does one; returns how many per
    /// tenant (nil: platform jobs).
    public static func retryFailed(kind: String, now: Date, on db: any Database) async throws -> [String?: Int] {
        let rows = try await sqlDatabase(db).raw(
            """
            UPDATE outbox_jobs SET \(requeued(now: now))
             WHERE kind = \(bind: kind) AND status = 'failed'
            RETURNING tenant_id
            """
        ).all()
        var byTenant: [String?: Int] = [:]
        for row in rows { byTenant[try row.decode(column: "tenant_id", as: String?.self), default: 0] += 1 }
        return byTenant
    }

    /// What a retry sets: pending, due at `now`, a fresh set of tries, no lease.
    private static func requeued(now: Date) -> SQLQueryString {
        "status = 'pending', attempts = 0, run_at = \(bind: now), finished_at = NULL, locked_by = NULL, locked_until = NULL, updated_at = \(bind: now)"
    }

    private static func failedJob(_ id: UUID, on db: any Database) async throws -> FailedJob? {
        try await sqlDatabase(db).raw(
            """
            SELECT id, tenant_id, kind, idempotency_key, attempts, last_error, finished_at FROM outbox_jobs
            WHERE id = \(bind: id) AND status = 'failed'
            """
        ).first().map(failedJob)
    }

    private static func records(tenantID: String?, status: OutboxStatus?, limit: Int, on db: any Database) async throws -> [OutboxJobRecord] {
        let sql = try sqlDatabase(db)
        var query = sql.select()
            .columns("id", "tenant_id", "kind", "idempotency_key", "status", "attempts", "last_error")
            .from("outbox_jobs")
        if let tenantID { query = query.where("tenant_id", .equal, tenantID) }
        if let status { query = query.where("status", .equal, status.rawValue) }
        let rows = try await query.orderBy("created_at", .descending).limit(limit).all()
        return try rows.map { row in
            OutboxJobRecord(
                id: try row.decode(column: "id", as: UUID.self),
                tenantID: try row.decode(column: "tenant_id", as: String?.self),
                kind: try row.decode(column: "kind", as: String.self),
                idempotencyKey: try row.decode(column: "idempotency_key", as: String.self),
                status: OutboxStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .failed,
                attempts: try row.decode(column: "attempts", as: Int.self),
                lastError: try row.decode(column: "last_error", as: String?.self)
            )
        }
    }
}

func sqlDatabase(_ db: any Database) throws -> any SQLDatabase {
    guard let sql = db as? any SQLDatabase else { throw Abort(.internalServerError, reason: "database is not SQL") }
    return sql
}

extension JSONEncoder {
    static let outbox: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys]
        return e
    }()
}

extension JSONDecoder {
    static let outbox: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()
}
