import Fluent
import Foundation

/// A platform admin's hand on failed outbox jobs: each change and its audit event in one transaction. The audit
/// event names the job's kind, id and tries, never its payload or error (which may name a citizen or an address).
/// Outbox rows are platform rows: any tenant's job may be retried here; the event carries the job's tenant, so the
/// tenant's own admins see it in their audit log too.
enum FailedJobActions {
    /// Back in the queue, due now; nil when the job is not failed (any more).
    static func retry(_ id: UUID, by actor: AuditActor, ip: String, now: Date, on db: any Database) async throws -> OutboxStore.FailedJob? {
        try await db.transaction { db in
            guard let job = try await OutboxStore.retryFailed(id, now: now, on: db) else { return nil }
            try await AuditLog.record(
                .outboxJobRetried, actor: actor, tenant: job.tenantID,
                detail: "งาน \(job.kind) รหัส \(job.id.uuidString.lowercased()) หลังพยายามแล้ว \(job.attempts) ครั้ง", ip: ip, at: now, on: db)
            return job
        }
    }

    /// Set aside for good; nil when the job is not failed (any more).
    static func discard(_ id: UUID, by actor: AuditActor, ip: String, now: Date, on db: any Database) async throws -> OutboxStore.FailedJob? {
        try await db.transaction { db in
            guard let job = try await OutboxStore.discardFailed(id, now: now, on: db) else { return nil }
            try await AuditLog.record(
                .outboxJobDiscarded, actor: actor, tenant: job.tenantID,
                detail: "งาน \(job.kind) รหัส \(job.id.uuidString.lowercased()) หลังพยายามแล้ว \(job.attempts) ครั้ง", ip: ip, at: now, on: db)
            return job
        }
    }

    /// Every failed job of `kind` back in the queue; how many (0: nothing was failed, and nothing is audited). One
    /// audit event per tenant whose jobs went back (and one for platform jobs), so each tenant's admins see theirs.
    static func retryAll(kind: String, by actor: AuditActor, ip: String, now: Date, on db: any Database) async throws -> Int {
        try await db.transaction { db in
            let byTenant = try await OutboxStore.retryFailed(kind: kind, now: now, on: db)
            for (tenant, count) in byTenant.sorted(by: { ($0.key ?? "") < ($1.key ?? "") }) {
                try await AuditLog.record(
                    .outboxJobsRetried, actor: actor, tenant: tenant, detail: "งานประเภท \(kind) จำนวน \(count) งาน", ip: ip, at: now, on: db)
            }
            return byTenant.values.reduce(0, +)
        }
    }
}
