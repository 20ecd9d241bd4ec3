import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// Jobs in every state for the system page's store and page tests: `kind` jobs written, then the first
/// `failing` of them claimed and failed for good by a worker (an error message is kept, as the worker does).
enum SystemPageJobs {
    @discardableResult
    static func write(kind: String, count: Int, failing: Int = 0, tenant: Tenant? = nil, now: Date, on db: any Database) async throws -> [UUID] {
        for i in 0..<count {
            try await OutboxStore.enqueue(
                tenant: tenant, kind: kind, payload: Note(text: "\(i)"), idempotencyKey: "\(kind)-\(i)-\(UUID())", runAt: now, on: db)
        }
        guard failing > 0 else { return [] }
        let claimed = try await OutboxStore.claim(worker: "w-\(kind)", limit: failing, now: now, leaseUntil: now.addingTimeInterval(60), kinds: [kind], on: db)
        for job in claimed {
            try await OutboxStore.fail(job, worker: "w-\(kind)", error: "550 mailbox <unavailable>", retryAt: nil, now: now, on: db)
        }
        return claimed.map(\.id)
    }
}

@Suite("System page: the outbox store")
struct SystemPageStoreTests {
    @Test("the queue summary counts jobs by kind and status and ages the oldest waiting job", arguments: TestDatabase.all)
    func queueSummary(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let now = Date()
            try await SystemPageJobs.write(kind: "email", count: 4, failing: 1, now: now, on: app.db)
            try await SystemPageJobs.write(kind: "line.push", count: 2, now: now, on: app.db)
            // One e-mail job is delivered.
            let claimed = try await OutboxStore.claim(worker: "w", limit: 1, now: now, leaseUntil: now.addingTimeInterval(60), kinds: ["email"], on: app.db)
            try await OutboxStore.complete(claimed[0], worker: "w", now: now, on: app.db)
            // The jobs were written 120 s (e-mail) and 90 s (LINE) before `now`; the done one even earlier, and
            // a done job does not wait.
            try await sqlDatabase(app.db).raw(
                "UPDATE outbox_jobs SET created_at = \(bind: now.addingTimeInterval(-120)) WHERE kind = 'email'"
            ).run()
            try await sqlDatabase(app.db).raw(
                "UPDATE outbox_jobs SET created_at = \(bind: now.addingTimeInterval(-90)) WHERE kind = 'line.push'"
            ).run()
            try await sqlDatabase(app.db).raw(
                "UPDATE outbox_jobs SET created_at = \(bind: now.addingTimeInterval(-999)) WHERE status IN ('done', 'failed')"
            ).run()

            let summary = try await OutboxStore.queueSummary(now: now, on: app.db)
            #expect(summary.kinds.map(\.kind) == ["email", "line.push"])
            let email = summary.kinds[0]
            #expect(email.count(.pending) == 2 && email.count(.done) == 1 && email.count(.failed) == 1 && email.count(.running) == 0)
            #expect(email.waiting == 2)
            #expect(abs((email.oldestWaitingAge ?? 0) - 120) < 0.01)
            let push = summary.kinds[1]
            #expect(push.count(.pending) == 2 && push.counts.count == 1)
            #expect(abs((push.oldestWaitingAge ?? 0) - 90) < 0.01)
            #expect(summary.total(.failed) == 1 && summary.total(.pending) == 4)
        }
    }

    @Test("a kind with nothing waiting has no oldest waiting job", arguments: TestDatabase.all)
    func nothingWaiting(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let now = Date()
            try await SystemPageJobs.write(kind: "email", count: 2, failing: 2, now: now, on: app.db)
            let summary = try await OutboxStore.queueSummary(now: now, on: app.db)
            #expect(summary.kinds.count == 1)
            #expect(summary.kinds[0].count(.failed) == 2 && summary.kinds[0].waiting == 0)
            #expect(summary.kinds[0].oldestWaiting == nil && summary.kinds[0].oldestWaitingAge == nil)
        }
    }
    @Test("failed jobs of every tenant are listed newest first, by kind, in pages", arguments: TestDatabase.all)
    func failedList(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let tenant = try Tenant.named("bangkrathum", in: app)
            let now = Date()
            let mails = try await SystemPageJobs.write(kind: "email", count: 3, failing: 3, now: now, on: app.db)
            let pushes = try await SystemPageJobs.write(kind: "line.push", count: 2, failing: 1, tenant: tenant, now: now.addingTimeInterval(10), on: app.db)
            // The failures happened at different times: the LINE one last.
            for (i, id) in mails.enumerated() {
                try await sqlDatabase(app.db).raw("UPDATE outbox_jobs SET finished_at = \(bind: now.addingTimeInterval(Double(i))) WHERE id = \(bind: id)")
                    .run()
            }
            let all = try await OutboxStore.failed(kind: nil, limit: 10, offset: 0, on: app.db)
            #expect(all.map(\.id) == [pushes[0], mails[2], mails[1], mails[0]])
            #expect(all[0].tenantID == "bangkrathum" && all[0].kind == "line.push" && all[0].attempts == 1)
            #expect(all[1].tenantID == nil && all[1].lastError == "550 mailbox <unavailable>")
            #expect(try await OutboxStore.failed(kind: "email", limit: 10, offset: 0, on: app.db).map(\.id) == [mails[2], mails[1], mails[0]])
            #expect(try await OutboxStore.failed(kind: nil, limit: 2, offset: 2, on: app.db).map(\.id) == [mails[1], mails[0]])
            // The tenant's own list (its LINE page) still sees only its jobs.
            #expect(try await OutboxStore.failed(tenant: tenant, kind: "line.push", limit: 10, on: app.db).map(\.id) == pushes)
        }
    }

    @Test("retry puts a failed job back, due now with fresh tries; a second retry finds nothing to do", arguments: TestDatabase.all)
    func retry(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let now = Date()
            let ids = try await SystemPageJobs.write(kind: "email", count: 2, failing: 2, now: now, on: app.db)
            let later = now.addingTimeInterval(600)
            let retried = try #require(try await OutboxStore.retryFailed(ids[0], now: later, on: app.db))
            #expect(retried.id == ids[0] && retried.attempts == 1 && retried.kind == "email")
            #expect(try await OutboxStore.retryFailed(ids[0], now: later, on: app.db) == nil, "no longer failed")
            #expect(try await OutboxStore.discardFailed(ids[0], now: later, on: app.db) == nil, "no longer failed")
            #expect(try await OutboxStore.retryFailed(UUID(), now: later, on: app.db) == nil, "not there")
            let job = try #require(try await OutboxStore.allJobs(on: app.db).first { $0.id == ids[0] })
            #expect(job.status == .pending && job.attempts == 0)
            // A worker claims it at once (due now) and it counts one try again.
            let claimed = try await OutboxStore.claim(worker: "w", limit: 10, now: later, leaseUntil: later.addingTimeInterval(60), on: app.db)
            #expect(claimed.map(\.id) == [ids[0]] && claimed[0].attempts == 1)
            let summary = try await OutboxStore.queueSummary(now: later, on: app.db)
            #expect(summary.total(.failed) == 1 && summary.total(.running) == 1)
        }
    }

    @Test("retry all of a kind puts back only that kind's failed jobs", arguments: TestDatabase.all)
    func retryKind(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let now = Date()
            try await SystemPageJobs.write(kind: "email", count: 3, failing: 2, now: now, on: app.db)
            try await SystemPageJobs.write(kind: "line.push", count: 1, failing: 1, now: now, on: app.db)
            #expect(try await OutboxStore.retryFailed(kind: "email", now: now, on: app.db) == 2)
            #expect(try await OutboxStore.retryFailed(kind: "email", now: now, on: app.db) == 0)
            let summary = try await OutboxStore.queueSummary(now: now, on: app.db)
            #expect(summary.kinds.map { $0.count(.failed) } == [0, 1])
            #expect(summary.kinds[0].count(.pending) == 3)
        }
    }

    @Test("discard sets a failed job aside: not failed, never claimed, payload emptied, key kept", arguments: TestDatabase.all)
    func discard(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let now = Date()
            let ids = try await SystemPageJobs.write(kind: "email", count: 1, failing: 1, now: now, on: app.db)
            let discarded = try #require(try await OutboxStore.discardFailed(ids[0], now: now, on: app.db))
            #expect(discarded.id == ids[0])
            #expect(try await OutboxStore.discardFailed(ids[0], now: now, on: app.db) == nil)
            #expect(try await OutboxStore.retryFailed(ids[0], now: now, on: app.db) == nil)
            let job = try #require(try await OutboxStore.allJobs(on: app.db).first)
            #expect(job.status == .discarded)
            let payload = try await sqlDatabase(app.db).raw("SELECT payload FROM outbox_jobs WHERE id = \(bind: ids[0])").first()?
                .decode(column: "payload", as: String.self)
            #expect(payload == "{}")
            #expect(try await OutboxStore.failed(kind: nil, limit: 10, offset: 0, on: app.db).isEmpty)
            let later = now.addingTimeInterval(3600)
            #expect(try await OutboxStore.claim(worker: "w", limit: 10, now: later, leaseUntil: later, on: app.db).isEmpty)
            let summary = try await OutboxStore.queueSummary(now: now, on: app.db)
            #expect(summary.total(.failed) == 0 && summary.total(.discarded) == 1)
        }
    }
}
