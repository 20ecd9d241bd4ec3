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
}
