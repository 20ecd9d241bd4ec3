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

            let summary = try await OutboxStore.queueSummary(now: now, finished: true, on: app.db)
            #expect(summary.kinds.map(\.kind) == ["email", "line.push"])
            let email = summary.kinds[0]
            #expect(email.count(.pending) == 2 && email.count(.done) == 1 && email.count(.failed) == 1 && email.count(.running) == 0)
            // What /metrics reads every few seconds: the waiting and failed jobs only.
            let queue = try await OutboxStore.queueSummary(now: now, on: app.db)
            #expect(queue.kinds[0].count(.done) == 0 && queue.kinds[0].count(.pending) == 2 && queue.kinds[0].count(.failed) == 1)
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
            #expect(try await OutboxStore.retryFailed(kind: "email", now: now, on: app.db) == [nil: 2])
            #expect(try await OutboxStore.retryFailed(kind: "email", now: now, on: app.db) == [:])
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
            let summary = try await OutboxStore.queueSummary(now: now, finished: true, on: app.db)
            #expect(summary.total(.failed) == 0 && summary.total(.discarded) == 1)
        }
    }
}

/// The system page in the back office: who sees it, what it shows, and retry and discard through its forms.
@Suite("System page")
struct SystemPageTests {
    static let page = "/backoffice/admin/system"

    /// One job, failed for good with `error`, for `tenant` (nil: a platform job).
    static func failedJob(_ app: Application, kind: String = "email", tenant: Tenant? = nil, error: String) async throws -> UUID {
        let now = Date()
        let key = "\(kind)-\(UUID())"
        try await OutboxStore.enqueue(tenant: tenant, kind: kind, payload: Note(text: "x"), idempotencyKey: key, runAt: now, on: app.db)
        let claimed = try await OutboxStore.claim(worker: "w", limit: 100, now: now, leaseUntil: now.addingTimeInterval(60), kinds: [kind], on: app.db)
        let job = try #require(claimed.first { $0.idempotencyKey == key })
        try await OutboxStore.fail(job, worker: "w", error: error, retryAt: nil, now: now, on: app.db)
        for other in claimed where other.id != job.id {
            try await OutboxStore.fail(other, worker: "w", error: "-", retryAt: now, now: now, on: app.db)
        }
        return job.id
    }

    static func job(_ app: Application, _ id: UUID) async throws -> OutboxJobRecord {
        try #require(try await OutboxStore.allJobs(on: app.db).first { $0.id == id })
    }

    /// The text of the queue table's cell `label` in the row of `kind`.
    static func cell(_ html: String, kind: String, _ label: String) -> String? {
        guard let row = html.range(of: "<tr id=\"kind-\(kind)\">"), let end = html.range(of: "</tr>", range: row.upperBound..<html.endIndex) else {
            return nil
        }
        let body = String(html[row.upperBound..<end.lowerBound])
        guard let start = body.range(of: "data-label=\"\(label)\">"), let close = body.range(of: "</td>", range: start.upperBound..<body.endIndex)
        else { return nil }
        return String(body[start.upperBound..<close.lowerBound]).replacingOccurrences(of: #"<[^>]+>"#, with: "", options: .regularExpression)
    }

    @Test("only platform admins see it; officers and org admins are refused, the signed-out sent to sign in", arguments: TestDatabase.all)
    func access(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let id = try await Self.failedJob(app, error: "boom")
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let orgAdmin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            for client in [officer, orgAdmin] {
                try await get(app, Self.page, client) { res in
                    #expect(res.status == .forbidden)
                    #expect(!res.body.string.contains("งานที่ล้มเหลว"))
                }
                try await get(app, "/backoffice/", client) { #expect(!$0.body.string.contains(Self.page)) }
                for action in ["jobs/retry", "jobs/discard"] {
                    try await post(app, "\(Self.page)/\(action)", client, ["id": id.uuidString]) { #expect($0.status == .forbidden) }
                }
                try await post(app, "\(Self.page)/kinds/retry", client, ["kind": "email"]) { #expect($0.status == .forbidden) }
            }
            try await app.testing().test(.GET, Self.page) { res in
                #expect(res.status == .seeOther && res.headers.first(name: .location)?.hasPrefix("/backoffice/login") == true)
            }
            #expect(try await Self.job(app, id).status == .failed, "nothing changed")
            // The platform admin has the page in the back office's menu.
            try await get(app, "/backoffice/", platform) { res in
                #expect(res.body.string.contains("href=\"\(Self.page)\"") && res.body.string.contains("สถานะระบบ"))
            }
            try await get(app, Self.page, platform) { res in
                #expect(res.status == .ok)
                #expect(res.headers.first(name: .cacheControl) == "no-store")
            }
        }
    }

    @Test("the queue's counts, the failed jobs with their escaped and masked errors, and the deployment", arguments: TestDatabase.all)
    func rendered(database: TestDatabase) async throws {
        try await withApp(database, settings: ["APP_REVISION": "a1b2c3d"]) { app, _ in
            let tenant = try Tenant.named("bangkrathum", in: app)
            let now = Date()
            try await SystemPageJobs.write(kind: "email", count: 5, failing: 2, now: now, on: app.db)
            let push = try await Self.failedJob(
                app, kind: LinePushMessage.kind, tenant: tenant, error: "SMTP RCPT TO: 550 <somchai.j@example.com> <script>alert(1)</script>")
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            // 2 hours 5½ minutes before the page is asked for (a loaded machine can take a minute to sign in).
            try await sqlDatabase(app.db).raw("UPDATE outbox_jobs SET created_at = \(bind: Date().addingTimeInterval(-7_530)) WHERE kind = 'email'").run()
            try await get(app, Self.page, platform) { res in
                #expect(res.status == .ok)
                let html = res.body.string
                // The queue: the e-mail row counts 3 waiting and 2 failed; the oldest waited 2 hours 5 minutes.
                #expect(Self.cell(html, kind: "email", "ประเภทงาน")?.contains("ส่งอีเมล") == true)
                #expect(Self.cell(html, kind: "email", "รอส่ง") == "3")
                #expect(Self.cell(html, kind: "email", "ล้มเหลว")?.hasPrefix("2") == true)
                #expect(Self.cell(html, kind: "email", "ส่งแล้ว") == "0")
                #expect(Self.cell(html, kind: "email", "รอนานที่สุด")?.hasPrefix("2 ชั่วโมง 5 นาที") == true)
                #expect(Self.cell(html, kind: "line.push", "ล้มเหลว")?.hasPrefix("1") == true)
                #expect(Self.cell(html, kind: "line.push", "รอนานที่สุด") == "-")
                #expect(html.contains("รอส่ง 3 งาน · ล้มเหลว 3 งาน"))
                // The failed jobs: three cards, the LINE one with its tenant, its error escaped and its address masked.
                #expect(html.components(separatedBy: "class=\"card failed-job\"").count - 1 == 3)
                #expect(html.contains("id=\"job-\(push.uuidString.lowercased())\""))
                #expect(html.contains("เทศบาลตำบลบางกระทุ่ม") && html.contains("ระบบกลาง (ถึงเจ้าหน้าที่)"))
                #expect(html.contains("s***@example.com") && !html.contains("somchai.j@example.com"))
                #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>alert(1)"))
                #expect(html.contains("550 mailbox &lt;unavailable&gt;"))
                #expect(html.contains("พยายามแล้ว</dt><dd>1 ครั้ง"))
                // Each card's forms carry the CSRF token and the job's id.
                #expect(html.contains("name=\"id\" value=\"\(push.uuidString.lowercased())\""))
                #expect(html.contains("name=\"_csrf\" value=\"\(platform.csrf)\""))
                // The deployment, and never a secret or a URL with one.
                #expect(html.contains("0.15.0 (a1b2c3d)"))
                #expect(html.contains(database.description == "SQLite" ? "<dd>SQLite</dd>" : "<dd>PostgreSQL</dd>"))
                #expect(html.contains("โฟลเดอร์ในเครื่อง"))
                #expect(html.contains("\(app.tenants.all.count) หน่วยงาน"))
                #expect(html.contains("ไม่ทำงานในโปรเซสนี้"), "the tests run with OUTBOX_WORKER=off")
                #expect(html.contains("ทำงานมาแล้ว"))
                if let url = app.settings.databaseURL { #expect(!html.contains(url) && !html.contains("postgres://")) }
            }
            // Narrowed to one kind: its failed jobs only, with "retry all of them".
            try await get(app, Self.page + "?kind=email", platform) { res in
                let html = res.body.string
                #expect(res.status == .ok && html.components(separatedBy: "class=\"card failed-job\"").count - 1 == 2)
                #expect(html.contains("ส่งใหม่ทุกงานประเภท ส่งอีเมล ที่ล้มเหลว") && html.contains("name=\"kind\" value=\"email\""))
                #expect(!html.contains(push.uuidString.lowercased()))
            }
        }
    }

    @Test("failed jobs come in pages of 25", arguments: TestDatabase.all)
    func paging(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            try await SystemPageJobs.write(kind: "email", count: 27, failing: 27, now: Date(), on: app.db)
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            try await get(app, Self.page, platform) { res in
                let html = res.body.string
                #expect(html.components(separatedBy: "class=\"card failed-job\"").count - 1 == 25)
                #expect(html.contains("หน้า 1 จาก 2") && html.contains("page=2"))
            }
            try await get(app, Self.page + "?page=2", platform) { res in
                #expect(res.body.string.components(separatedBy: "class=\"card failed-job\"").count - 1 == 2)
            }
        }
    }

    @Test("retry puts the job back and is audited; a second retry or a discard of it gets a Thai message, not a 5xx", arguments: TestDatabase.all)
    func retry(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let tenant = try Tenant.named("bangkrathum", in: app)
            let id = try await Self.failedJob(app, kind: LinePushMessage.kind, tenant: tenant, error: "LINE API HTTP 500: oops")
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            try await post(app, Self.page + "/jobs/retry", platform, ["id": id.uuidString.lowercased()]) { res in
                #expect(res.status == .seeOther && res.headers.first(name: .location) == Self.page)
            }
            let job = try await Self.job(app, id)
            #expect(job.status == .pending && job.attempts == 0)
            let events = try await AuditLog.list(.init(action: .outboxJobRetried), on: app.db)
            #expect(events.count == 1)
            #expect(events.first?.tenantID == "bangkrathum" && events.first?.actorName == platform.username)
            #expect(events.first?.detail.contains(id.uuidString.lowercased()) == true && events.first?.detail.contains("oops") == false)
            try await get(app, Self.page, platform) { res in
                #expect(res.body.string.contains("สั่งส่งงาน “ส่งข้อความ LINE” ใหม่แล้ว"))
                #expect(!res.body.string.contains("id=\"job-\(id.uuidString.lowercased())\""))
            }
            // Someone else was first: the job is no longer failed.
            for action in ["retry", "discard"] {
                try await post(app, Self.page + "/jobs/\(action)", platform, ["id": id.uuidString]) { res in
                    #expect(res.status == .conflict)
                    #expect(res.body.string.contains("งานนี้ไม่ได้อยู่ในสถานะล้มเหลวแล้ว"))
                }
            }
            #expect(try await Self.job(app, id).status == .pending)
            #expect(try await AuditLog.list(.init(action: .outboxJobRetried), on: app.db).count == 1)
            #expect(try await AuditLog.list(.init(action: .outboxJobDiscarded), on: app.db).isEmpty)
        }
    }

    @Test("discard sets the job aside, audited; it no longer counts as failed", arguments: TestDatabase.all)
    func discard(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let id = try await Self.failedJob(app, error: "SMTP RCPT TO: 550 no such user")
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            try await post(app, Self.page + "/jobs/discard", platform, ["id": id.uuidString]) { res in
                #expect(res.status == .seeOther)
            }
            #expect(try await Self.job(app, id).status == .discarded)
            let events = try await AuditLog.list(.init(action: .outboxJobDiscarded), on: app.db)
            #expect(events.count == 1 && events.first?.tenantID == nil && events.first?.actorName == platform.username)
            try await get(app, Self.page, platform) { res in
                let html = res.body.string
                #expect(html.contains("ยกเลิกงาน “ส่งอีเมล” แล้ว"))
                #expect(html.contains("id=\"no-failed\""))
                #expect(Self.cell(html, kind: "email", "ล้มเหลว") == "0" && Self.cell(html, kind: "email", "ยกเลิกแล้ว") == "1")
            }
        }
    }

    @Test("retry all failed jobs of a kind, audited once per tenant; with none left, a Thai message", arguments: TestDatabase.all)
    func retryKind(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let tenant = try #require(app.tenants.tenant(slug: "bangrak"))
            try await SystemPageJobs.write(kind: "email", count: 2, failing: 2, now: Date(), on: app.db)
            try await SystemPageJobs.write(kind: "email", count: 1, failing: 1, tenant: tenant, now: Date(), on: app.db)
            let other = try await Self.failedJob(app, kind: LinePushMessage.kind, error: "x")
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            try await post(app, Self.page + "/kinds/retry", platform, ["kind": "email"]) { res in #expect(res.status == .seeOther) }
            let summary = try await OutboxStore.queueSummary(now: Date(), on: app.db)
            #expect(summary.kinds.first { $0.kind == "email" }?.count(.pending) == 3)
            #expect(try await Self.job(app, other).status == .failed)
            // One event for the platform's two jobs, one for the tenant's: its own admins see theirs.
            let events = try await AuditLog.list(.init(action: .outboxJobsRetried), on: app.db)
            #expect(events.count == 2)
            #expect(events.first { $0.tenantID == nil }?.detail.contains("จำนวน 2 งาน") == true)
            #expect(events.first { $0.tenantID == tenant.id }?.detail.contains("จำนวน 1 งาน") == true)
            try await post(app, Self.page + "/kinds/retry", platform, ["kind": "email"]) { res in
                #expect(res.status == .conflict && res.body.string.contains("ไม่ได้อยู่ในสถานะล้มเหลวแล้ว"))
            }
        }
    }

    @Test("without the CSRF token nothing changes; a bad id, kind or page is a 400 Thai page", arguments: TestDatabase.all)
    func badInput(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let id = try await Self.failedJob(app, error: "x")
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            for action in ["jobs/retry", "jobs/discard"] {
                try await app.testing().test(
                    .POST, "\(Self.page)/\(action)", headers: ["Cookie": platform.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "id=\(id.uuidString)")
                ) { #expect($0.status == .forbidden, "no CSRF token") }
            }
            try await app.testing().test(
                .POST, "\(Self.page)/kinds/retry", headers: ["Cookie": platform.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "kind=email")
            ) { #expect($0.status == .forbidden, "no CSRF token") }
            #expect(try await Self.job(app, id).status == .failed)

            for bad in ["", "nope", id.uuidString + "0", " " + id.uuidString, "{\(id.uuidString)}", "' OR 1=1 --"] {
                for action in ["jobs/retry", "jobs/discard"] {
                    try await post(app, "\(Self.page)/\(action)", platform, ["id": bad]) { res in
                        #expect(res.status == .badRequest, "\(action) with '\(bad)'")
                        #expect(res.body.string.contains("รหัสงานไม่ถูกต้อง"))
                    }
                }
            }
            try await post(app, "\(Self.page)/jobs/retry", platform, [:]) { #expect($0.status == .badRequest) }
            for bad in ["", "e mail", "<b>", String(repeating: "k", count: 65)] {
                try await post(app, "\(Self.page)/kinds/retry", platform, ["kind": bad]) { res in
                    #expect(res.status == .badRequest && res.body.string.contains("ประเภทงานไม่ถูกต้อง"), "kind '\(bad)'")
                }
            }
            for query in ["page=0", "page=abc", "page=99999999999999999999", "kind=%3Cb%3E"] {
                try await get(app, "\(Self.page)?\(query)", platform) { res in
                    #expect(res.status == .badRequest, "\(query)")
                    #expect(res.body.string.contains("ไม่ถูกต้อง"))
                }
            }
            #expect(try await Self.job(app, id).status == .failed)
            #expect(try await AuditLog.list(.init(action: .outboxJobRetried), on: app.db).isEmpty)
        }
    }
}

@Suite("System page: pieces")
struct SystemPagePiecesTests {
    @Test("durations in Thai words, to the two largest units")
    func durations() {
        #expect(ThaiDuration.short(seconds: 0) == "0 วินาที")
        #expect(ThaiDuration.short(seconds: 45.7) == "45 วินาที")
        #expect(ThaiDuration.short(seconds: 180) == "3 นาที")
        #expect(ThaiDuration.short(seconds: 7_500) == "2 ชั่วโมง 5 นาที")
        #expect(ThaiDuration.short(seconds: 7_200) == "2 ชั่วโมง")
        #expect(ThaiDuration.short(seconds: 4 * 86_400 + 6 * 3_600 + 59) == "4 วัน 6 ชั่วโมง")
        #expect(ThaiDuration.short(seconds: -5) == "0 วินาที")
        #expect(ThaiDuration.short(seconds: .nan) == "0 วินาที")
        #expect(ThaiDuration.short(seconds: .infinity) == "0 วินาที")
        #expect(ThaiDuration.short(seconds: 1e300).hasSuffix("วัน") || ThaiDuration.short(seconds: 1e300).contains("วัน"))
    }

    @Test("a job's error is shown with e-mail addresses masked and clipped to 500 characters")
    func errors() {
        #expect(SystemController.shown(error: nil) == "-")
        #expect(
            SystemController.shown(error: "SMTP RCPT TO: 550 5.1.1 <a.b+c@mail.example.co.th>: no") == "SMTP RCPT TO: 550 5.1.1 <a***@mail.example.co.th>: no")
        #expect(SystemController.shown(error: "LINE API HTTP 400: The request body has 1 error(s)") == "LINE API HTTP 400: The request body has 1 error(s)")
        let long = SystemController.shown(error: String(repeating: "x", count: 900))
        #expect(long.count == 501 && long.hasSuffix("…"))
    }

    @Test("APP_REVISION: a plain word of at most 64 characters, shown with the release; anything else stops start-up")
    func revision() throws {
        #expect(AppVersion.revision("a1b2c3d") == "a1b2c3d" && AppVersion.revision("v0.15.0+build.7") == "v0.15.0+build.7")
        for bad in ["", "a b", "<b>", "ก", String(repeating: "a", count: 65), "x;rm"] { #expect(AppVersion.revision(bad) == nil, "'\(bad)'") }
        #expect(AppVersion.describe(revision: nil) == AppVersion.release)
        let base = ["TENANTS_DIR": Repo.path("Tenants"), "APP_SECRET": String(repeating: "k", count: 40)]
        #expect(try Settings.load(from: base, workingDirectory: Repo.root.path).revision == nil)
        #expect(try Settings.load(from: base.merging(["APP_REVISION": "0123abc"]) { $1 }, workingDirectory: Repo.root.path).revision == "0123abc")
        let error = try #require(throws: Settings.Problems.self) {
            try Settings.load(from: base.merging(["APP_REVISION": "not a revision"]) { $1 }, workingDirectory: Repo.root.path)
        }
        #expect(error.description.contains("APP_REVISION"))
    }

    @Test("the storage is named by folder or bucket and host, never with the keys or a password in the endpoint")
    func storage() throws {
        let s3 = S3Location(
            endpoint: try #require(URL(string: "https://user:hunter2@s3.example.internal:9000/")), bucket: "files", prefix: "bkt/", region: "th",
            accessKeyID: "AKIAEXAMPLE", secretAccessKey: "secret-key")
        let shown = SystemFacts.describe(.s3(s3))
        #expect(shown == "S3 bucket files/bkt/ ที่ https://s3.example.internal:9000")
        #expect(SystemFacts.describe(.local(URL(fileURLWithPath: "/var/lib/eservice/files"))) == "โฟลเดอร์ในเครื่อง /var/lib/eservice/files")
    }
}
