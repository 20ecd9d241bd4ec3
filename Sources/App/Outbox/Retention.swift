import Fluent
import Foundation

/// How long the data the platform no longer needs is kept (`OUTBOX_KEEP_DAYS`, …; README "Retention"). Read once by
/// `Settings.load`, each a whole number of days in its range (a start-up error otherwise).
public struct RetentionSettings: Sendable, Equatable {
    /// Delivered (done) and discarded outbox jobs, with their payloads (names, addresses, message texts).
    public var outboxKeepDays = 7
    /// Jobs that failed for good: shown on the system page until retried or discarded.
    public var outboxFailedKeepDays = 30
    /// LINE webhook events' jobs, whose idempotency key (`line-event:{tenant}:{webhookEventId}`) makes an event LINE
    /// delivers again a no-op: kept well past LINE's redelivery. Their payload is emptied once handled.
    public var lineEventKeepDays = 30
    /// A citizen account that never sent its identity images (and filed nothing) is deleted once this long has passed
    /// since it was made, last changed and last signed in.
    public var abandonedRegistrationDays = 30
    /// Messages sent through a tenant's contact form (the office got them by e-mail; the sender's receipt page reads them).
    public var contactKeepDays = 90
    /// A staff registration a platform admin refused (names, sealed national ID, the uploaded document): the applicant
    /// was told and may apply again; the audit log keeps the decision.
    public var rejectedStaffKeepDays = 90

    public init() {}

    /// Each setting: its variable, its range, and where it goes.
    static let variables: [(name: String, range: ClosedRange<Int>, key: WritableKeyPath<RetentionSettings, Int>)] = [
        ("OUTBOX_KEEP_DAYS", 1...3650, \.outboxKeepDays),
        ("OUTBOX_FAILED_KEEP_DAYS", 1...3650, \.outboxFailedKeepDays),
        ("LINE_EVENT_KEEP_DAYS", 2...3650, \.lineEventKeepDays),
        ("ABANDONED_REGISTRATION_DAYS", 1...3650, \.abandonedRegistrationDays),
        ("CONTACT_KEEP_DAYS", 1...3650, \.contactKeepDays),
        ("REJECTED_STAFF_KEEP_DAYS", 1...3650, \.rejectedStaffKeepDays),
    ]

    /// The settings from the environment (`value` gives a trimmed, non-empty variable or nil), and a message for
    /// each one that is not a whole number in its range.
    static func read(_ value: (String) -> String?) -> (RetentionSettings, problems: [String]) {
        var settings = RetentionSettings()
        var problems: [String] = []
        for v in variables {
            guard let raw = value(v.name) else { continue }
            if let n = Int(raw), v.range.contains(n) {
                settings[keyPath: v.key] = n
            } else {
                problems.append("\(v.name) must be a whole number of days from \(v.range.lowerBound) to \(v.range.upperBound) (got '\(raw)')")
            }
        }
        return (settings, problems)
    }
}

/// How much one run of a sweep may delete: at most `batch` rows per statement (each its own short transaction, so
/// no run holds a lock for long) and `batches` statements per run. What is left waits for the next run.
struct SweepBound: Sendable, Equatable {
    var batch: Int
    var batches: Int
    var perRun: Int { batch * batches }

    /// 500 rows a statement, 5,000 a run.
    static let standard = SweepBound(batch: 500, batches: 10)
    /// Citizens go with their rows and files: 50 a transaction, 500 a run.
    static let accounts = SweepBound(batch: 50, batches: 10)

    /// Runs `step` (which deletes at most the `limit` it is given and returns how many it deleted) until a step
    /// deletes fewer than a batch or the run's statements are spent.
    func run(_ step: (_ limit: Int) async throws -> Int) async throws -> Int {
        var total = 0
        for _ in 0..<max(1, batches) {
            let n = try await step(max(1, batch))
            total += n
            if n < batch { break }
        }
        return total
    }
}

/// Retention of personal data and housekeeping: every periodic sweep an outbox worker runs, in one list. Each sweep's
/// query lives in the store of its table; each deletes in bounded batches (`SweepBound`) and is safe with several
/// workers at once (a row two workers both pick is deleted once; the other's statement skips it). Each statement
/// states its conditions in its outer WHERE as well as in the sub-select that picks the batch: PostgreSQL (READ
/// COMMITTED) re-checks only the outer WHERE of a row it had to wait for, so a row that changed meanwhile (a failed job
/// retried, a counter hit again, an address just signed in from) is kept (`RetentionTests.changedMeanwhile`). Records the
/// municipality must keep (petitions, their events, attachments and documents, the audit log, staff accounts other
/// than refused registrations, rights, tenant settings) are never swept: README "Retention" lists every table and why.
enum Retention {
    /// How often each worker runs the sweeps below (sessions keep their own minute).
    static let interval: TimeInterval = 300
    /// Abandoned registrations are looked for hourly (they are counted in days).
    static let accountsInterval: TimeInterval = 3600
    static let day: TimeInterval = 24 * 3600

    /// Every sweep, with the settings' ages. `bound` is for tests (a small one shows a run stops at its bound).
    static func sweeps(
        _ settings: RetentionSettings, fileStore: any FileStore, bound: SweepBound = .standard,
        accountsBound: SweepBound = .accounts
    ) -> [PeriodicSweep] {
        let outboxDone = Double(settings.outboxKeepDays) * day
        let outboxFailed = Double(settings.outboxFailedKeepDays) * day
        let lineEvents = Double(settings.lineEventKeepDays) * day
        let abandoned = Double(settings.abandonedRegistrationDays) * day
        let contact = Double(settings.contactKeepDays) * day
        let rejectedStaff = Double(settings.rejectedStaffKeepDays) * day
        return [
            SessionStore.periodicSweep,
            PeriodicSweep(name: "rate counters", interval: interval) { db, now in
                try await bound.run { try await RateLimiter.sweep(now: now, limit: $0, on: db) }
            },
            PeriodicSweep(name: "outbox jobs", interval: interval) { db, now in
                try await bound.run {
                    try await OutboxStore.sweep(
                        doneBefore: now - outboxDone, failedBefore: now - outboxFailed, lineEventsBefore: now - lineEvents, limit: $0, on: db)
                }
            },
            PeriodicSweep(name: "single-use links", interval: interval) { db, now in
                try await bound.run { try await SingleUseTokens.sweep(now: now, limit: $0, on: db) }
            },
            PeriodicSweep(name: "LINE link nonces", interval: interval) { db, now in
                try await bound.run { try await LineStore.sweepNonces(now: now, limit: $0, on: db) }
            },
            PeriodicSweep(name: "LINE webhook rejections", interval: interval) { db, now in
                try await bound.run { try await LineStore.sweepRejections(before: now - LineStore.rejectionsKeptFor, limit: $0, on: db) }
            },
            PeriodicSweep(name: "LINE conversations", interval: interval) { db, now in
                try await bound.run { limit in
                    let gone = try await LineConversationStore.sweep(before: now - LineConversationStore.sweptAfter, limit: limit, on: db)
                    for name in gone.files { await fileStore.delete(name) }  // after the commit: unfinished complaints' photos
                    return gone.count
                }
            },
            PeriodicSweep(name: "staff sign-in addresses", interval: interval) { db, now in
                try await bound.run { try await StaffSignInGuard.sweep(now: now, limit: $0, on: db) }
            },
            PeriodicSweep(name: "contact messages", interval: interval) { db, now in
                try await bound.run { try await ContactStore.sweep(before: now - contact, limit: $0, on: db) }
            },
            PeriodicSweep(name: "abandoned registrations", interval: accountsInterval) { db, now in
                try await accountsBound.run { limit in
                    let gone = try await CitizenStore.sweepAbandoned(before: now - abandoned, limit: limit, on: db)
                    // The rows are gone (committed); now their files. One that cannot be deleted is left to the
                    // orphan sweep, which removes `identity/` files no row names.
                    for name in gone.files { await fileStore.delete(name) }
                    return gone.accounts
                }
            },
            PeriodicSweep(name: "refused staff registrations", interval: accountsInterval) { db, now in
                try await accountsBound.run { limit in
                    let gone = try await StaffStore.sweepRejected(decidedBefore: now - rejectedStaff, limit: limit, on: db)
                    for name in gone.files { await fileStore.delete(name) }  // after the commit, as above
                    return gone.accounts
                }
            },
        ]
    }
}
