import Domain
import Fluent
import Foundation
import NIOPosix
import Testing
import Vapor

@testable import App

/// Records every run of a handler, to prove each job ran exactly once.
actor RunLog {
    private(set) var runs: [String: Int] = [:]
    func record(_ key: String) { runs[key, default: 0] += 1 }
}

struct RecordingHandler: OutboxHandler {
    let log: RunLog
    func handle(_ job: ClaimedJob) async throws { await log.record(job.idempotencyKey) }
}

struct FailingHandler: OutboxHandler {
    struct Boom: Error, CustomStringConvertible { var description: String { "receiver said no" } }
    let permanent: Bool
    func handle(_ job: ClaimedJob) async throws {
        if permanent { throw OutboxFailure.permanent("400 bad request: 550 <somchai.r@example.co.th> mailbox unavailable") }
        throw Boom()
    }
}

struct Note: Codable, Sendable { var text: String }

/// A clock the test moves forward, so backoff and leases are checked without sleeping.
/// A clock that stands still until a test moves it: on a loaded machine real seconds pass between
/// two `runOnce()` calls, and a clock that followed them made the backoff tests fail by chance.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date()
    func advance(_ seconds: TimeInterval) { lock.lock(); current = current.addingTimeInterval(seconds); lock.unlock() }
    func now() -> Date { lock.lock(); defer { lock.unlock() }; return current }
}

@Suite("Outbox")
struct OutboxTests {
    @Test("a job written in a rolled-back transaction does not exist", arguments: TestDatabase.all)
    func rollback(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let tenant = try Tenant.named("bangkrathum", in: app)
            struct Abandon: Error {}
            await #expect(throws: Abandon.self) {
                try await app.db.transaction { db in
                    try await OutboxStore.enqueue(tenant: tenant, kind: "note", payload: Note(text: "x"), idempotencyKey: "rolled-back", on: db)
                    throw Abandon()
                }
            }
            try await app.db.transaction { db in
                try await OutboxStore.enqueue(tenant: tenant, kind: "note", payload: Note(text: "y"), idempotencyKey: "committed", on: db)
            }
            let keys = try await OutboxStore.allJobs(on: app.db).map(\.idempotencyKey)
            #expect(keys == ["committed"])
        }
    }

    @Test("the same idempotency key makes one job", arguments: TestDatabase.all)
    func idempotency(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let first = try await OutboxStore.enqueue(tenant: nil, kind: "note", payload: Note(text: "a"), idempotencyKey: "k1", on: app.db)
            let second = try await OutboxStore.enqueue(tenant: nil, kind: "note", payload: Note(text: "b"), idempotencyKey: "k1", on: app.db)
            #expect(first && !second)
            #expect(try await OutboxStore.allJobs(on: app.db).count == 1)
        }
    }

    @Test("two workers drain 1,000 jobs: none lost, none run twice", arguments: TestDatabase.all)
    func twoWorkers(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let count = 1000
            // Write in transactions of 100, as a busy server would.
            for batch in 0..<(count / 100) {
                try await app.db.transaction { db in
                    for i in 0..<100 {
                        try await OutboxStore.enqueue(
                            tenant: nil, kind: "note", payload: Note(text: "\(batch)-\(i)"),
                            idempotencyKey: "job-\(batch * 100 + i)", on: db)
                    }
                }
            }
            let log = RunLog()
            var options = OutboxWorker.Options()
            options.batchSize = 25
            let workers = ["a", "b"].map {
                OutboxWorker(id: "worker-\($0)", database: { app.db }, handlers: ["note": RecordingHandler(log: log)], options: options, logger: app.logger)
            }
            try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in workers {
                    group.addTask {
                        var total = 0
                        while true {
                            let n = try await worker.runOnce()
                            if n == 0 { return total }
                            total += n
                        }
                    }
                }
                var perWorker: [Int] = []
                for try await n in group { perWorker.append(n) }
                #expect(perWorker.reduce(0, +) == count)
            }
            let runs = await log.runs
            #expect(runs.count == count, "every job ran")
            #expect(runs.values.allSatisfy { $0 == 1 }, "no job ran twice")
            let jobs = try await OutboxStore.allJobs(on: app.db)
            #expect(jobs.count == count && jobs.allSatisfy { $0.status == .done && $0.attempts == 1 })
        }
    }

    @Test("a failing job backs off, then ends as failed with its last error", arguments: TestDatabase.all)
    func retryThenFail(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            try await OutboxStore.enqueue(tenant: nil, kind: "flaky", payload: Note(text: "x"), idempotencyKey: "flaky-1", maxAttempts: 3, on: app.db)
            let clock = TestClock()
            var options = OutboxWorker.Options()
            options.retry = RetryPolicy(baseDelaySeconds: 10, maxDelaySeconds: 100, maxAttempts: 3)
            options.now = { clock.now() }
            let worker = OutboxWorker(database: { app.db }, handlers: ["flaky": FailingHandler(permanent: false)], options: options, logger: app.logger)

            #expect(try await worker.runOnce() == 1)
            var job = try #require(try await OutboxStore.allJobs(on: app.db).first)
            #expect(job.status == .pending && job.attempts == 1 && job.lastError == "receiver said no")
            clock.advance(7)
            #expect(try await worker.runOnce() == 0, "not due before its backoff (8–12 s after the first try)")
            clock.advance(6)
            #expect(try await worker.runOnce() == 1, "due after it")
            clock.advance(15)
            #expect(try await worker.runOnce() == 0, "the second backoff is longer (16–24 s)")
            clock.advance(10)
            #expect(try await worker.runOnce() == 1)
            job = try #require(try await OutboxStore.allJobs(on: app.db).first)
            #expect(job.status == .failed && job.attempts == 3 && job.lastError == "receiver said no")
            clock.advance(3600)
            #expect(try await worker.runOnce() == 0, "a failed job is kept, not retried")
        }
    }

    @Test("a permanent failure ends the job at once", arguments: TestDatabase.all)
    func permanent(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            try await OutboxStore.enqueue(tenant: nil, kind: "bad", payload: Note(text: "x"), idempotencyKey: "bad-1", on: app.db)
            let worker = OutboxWorker(database: { app.db }, handlers: ["bad": FailingHandler(permanent: true)], logger: app.logger)
            try await worker.runOnce()
            let job = try #require(try await OutboxStore.allJobs(on: app.db).first)
            #expect(job.status == .failed && job.attempts == 1)
            #expect(job.lastError?.contains("400 bad request") == true)
            // The receiver's answer quoted an address: the stored error (shown on the system page) has it masked.
            #expect(job.lastError?.contains("s***@example.co.th") == true)
            #expect(job.lastError?.contains("somchai") == false)
        }
    }

    @Test("a killed worker loses no job: its lease runs out and another worker delivers it once", arguments: TestDatabase.all)
    func killedWorker(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            try await OutboxStore.enqueue(tenant: nil, kind: "note", payload: Note(text: "x"), idempotencyKey: "orphan", on: app.db)
            // The first worker claims the job and dies before finishing it.
            let clock = TestClock()
            let now = clock.now()
            let claimed = try await OutboxStore.claim(worker: "dead", limit: 10, now: now, leaseUntil: now.addingTimeInterval(120), on: app.db)
            #expect(claimed.count == 1)
            let log = RunLog()
            var options = OutboxWorker.Options()
            options.now = { clock.now() }
            let survivor = OutboxWorker(id: "alive", database: { app.db }, handlers: ["note": RecordingHandler(log: log)], options: options, logger: app.logger)
            #expect(try await survivor.runOnce() == 0, "held while the lease lasts")
            clock.advance(121)
            #expect(try await survivor.runOnce() == 1)
            #expect(await log.runs == ["orphan": 1])
            // The dead worker coming back cannot mark it again.
            #expect(try await OutboxStore.complete(claimed[0], worker: "dead", now: Date(), on: app.db) == false)
            let job = try #require(try await OutboxStore.allJobs(on: app.db).first)
            #expect(job.status == .done && job.attempts == 2)
        }
    }

    @Test("a job of an unknown kind fails with a clear error")
    func unknownKind() async throws {
        try await withApp(.sqlite) { app, _ in
            try await OutboxStore.enqueue(tenant: nil, kind: "mystery", payload: Note(text: "x"), idempotencyKey: "m", on: app.db)
            try await app.makeOutboxWorker().runOnce()
            let job = try #require(try await OutboxStore.allJobs(on: app.db).first)
            #expect(job.status == .failed && job.lastError?.contains("mystery") == true)
        }
    }
}

@Suite("Outbox worker process")
struct WorkerProcessTests {
    @Test("an idle worker sleeps until poked or until its poll interval, instead of spinning")
    func wakeUp() async throws {
        let wake = OutboxWakeUp()
        let clock = ContinuousClock()
        var start = clock.now
        await wake.wait(upTo: 0.3)
        #expect(clock.now - start >= .milliseconds(290))
        start = clock.now
        wake.poke()
        await wake.wait(upTo: 5)
        #expect(clock.now - start < .seconds(1), "a poke that came first is not lost")
    }

    @Test("`eservice worker` delivers jobs other processes wrote and stops on SIGTERM, even when its --metrics-port is taken")
    func separateWorker() async throws {
        let binary = Repo.path(".build/debug/eservice")
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the eservice product first")
        let env = try await TestEnvironment.make(.sqlite)
        try await withApp(.sqlite, environment: env) { app, _ in
            let mail = OutgoingMail(
                from: "a@example.com", to: ["b@example.com"], subject: "งานจากอีกกระบวนการ", text: "ทดสอบ", html: "<p>ทดสอบ</p>",
                messageID: "separate-worker@example.com")
            try await OutboxStore.enqueue(tenant: nil, kind: EmailOutbox.kind, payload: mail, idempotencyKey: "separate", on: app.db)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        // Something else already listens on the port asked for /metrics: the worker delivers without it.
        let busy = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { busy.close(promise: nil) }
        let port = try #require(busy.localAddress?.port)
        process.arguments = ["worker", "--metrics-port", "\(port)"]
        process.environment = ProcessInfo.processInfo.environment.merging(env.variables(["LOG_LEVEL": "warning"])) { $1 }
        process.currentDirectoryURL = Repo.root
        try process.run()
        let mailDir = env.dataDirectory.appendingPathComponent("mail")
        var delivered = false
        for _ in 0..<100 where !delivered {
            try await Task.sleep(for: .milliseconds(200))
            delivered = ((try? FileManager.default.contentsOfDirectory(atPath: mailDir.path)) ?? []).contains { $0.hasSuffix(".eml") }
        }
        process.terminate()
        process.waitUntilExit()
        #expect(delivered)
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "a clean stop on SIGTERM")
        try await withApp(.sqlite, environment: env) { app, _ in
            let statuses = try await OutboxStore.allJobs(on: app.db).map(\.status)
            #expect(statuses == [.done])
        }
        await env.cleanUp()
    }
}
