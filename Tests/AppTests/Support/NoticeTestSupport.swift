import Domain
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// The notice events a change writes, for tests: run them as the worker would (only them), or drop those a
/// fixture wrote (a fixture's changes told nobody before the events, and still do not).
enum NoticeTestSupport {
    /// The link base a request to the tenant by path on 127.0.0.1:8080 gives.
    static func linkBase(_ slug: String = "bangkrathum") -> String { "http://127.0.0.1:8080/t/\(slug)" }
    static let linkBase = linkBase()

    /// Runs every notice event waiting in the outbox, and nothing else: the e-mail and LINE jobs they cause
    /// are then queued, not sent. Returns how many events ran.
    @discardableResult
    static func run(_ app: Application) async throws -> Int {
        var options = OutboxWorker.Options()
        options.kinds = NoticeEvents.kinds
        let worker = app.makeOutboxWorker(options: options)
        // The notifier's queries are checked like a request's: each names its tenant.
        return try await (app.tenantGuard ?? TenantGuard()).checking {
            var total = 0
            for _ in 0..<10 {
                let n = try await worker.runOnce()
                total += n
                if n == 0 { break }
            }
            return total
        }
    }

    /// Removes the event with this key (`PetitionFiled(…).key` and the like), before anything ran it.
    static func forget(_ key: String, _ app: Application) async throws {
        let sql = try #require(app.db as? any SQLDatabase)
        try await sql.raw("DELETE FROM outbox_jobs WHERE idempotency_key = \(bind: "event:" + key) AND status = 'pending'").run()
    }

    /// The event jobs of one kind, oldest first.
    static func events(_ app: Application, kind: String) async throws -> [OutboxJobRecord] {
        try await OutboxStore.allJobs(on: app.db).filter { $0.kind == kind }.reversed()
    }
}
