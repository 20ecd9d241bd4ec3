import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// The tenant's LINE Official Account, against a LINE-compatible server that validates every body with the
/// official SDK's models, with webhook bodies built and signed by the SDK's own rules.
@Suite("LINE Official Account")
struct LineTests {
    static let tenant = "bangkrathum"

    /// Registers a citizen, and links a LINE user to them through the real pages and the `accountLink` event.
    static func linkedCitizen(_ app: Application, _ line: LINEServer, user: String) async throws -> (CitizenClient, CitizenAccount) {
        let client = try await CitizenFixtures.register(app)
        let account = try #require(try await CitizenAccount.query(on: app.db).filter(\.$email == client.email).first())
        let nonce = try await Self.nonce(app, client, linkToken: "linktoken-\(user.suffix(8))")
        _ = try await LineTestSupport.post(app, try LineWebhookFixture.make([["type": "accountLink", "user": user, "result": "ok", "nonce": nonce]]))
        try await LineTestSupport.drain(app)
        #expect(try await LineStore.linked(tenant: tenant, citizenID: try account.requireID(), on: app.db)?.userID == user)
        return (client, account)
    }

    /// The link page's form: its redirect to LINE's dialog carries the nonce.
    static func nonce(_ app: Application, _ client: CitizenClient, linkToken: String) async throws -> String {
        var location = ""
        try await app.testing().test(
            .POST, "/t/\(tenant)/line/link", headers: client.form(["linkToken": linkToken]).0,
            body: client.form(["linkToken": linkToken]).1
        ) { res in
            #expect(res.status == .seeOther)
            location = res.headers.first(name: .location) ?? ""
        }
        let c = try #require(URLComponents(string: location))
        #expect(location.hasPrefix("https://access.line.me/dialog/bot/accountLink?"))
        #expect(c.queryItems?.first { $0.name == "linkToken" }?.value == linkToken)
        return try #require(c.queryItems?.first { $0.name == "nonce" }?.value)
    }

    static func jobs(_ app: Application, kind: String) async throws -> [OutboxJobRecord] {
        try await OutboxStore.allJobs(on: app.db).filter { $0.kind == kind }
    }

    @Test(
        "the webhook checks LINE's signature (missing, wrong, body changed: 401, nothing kept) and handles a redelivered event once",
        arguments: TestDatabase.all)
    func webhook(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, _ in
            let user = LineWebhookFixture.user(1)
            let follow = try LineWebhookFixture.make([["type": "follow", "user": user]])
            #expect(try await LineTestSupport.post(app, follow, signature: "") == .unauthorized, "no signature")
            let wrong = LineSignature.sign(Array(follow.body.utf8), secret: "another-channel-secret")
            #expect(try await LineTestSupport.post(app, follow, signature: wrong) == .unauthorized, "another channel's secret")
            #expect(
                try await LineTestSupport.post(app, follow, body: follow.body.replacingOccurrences(of: "\"follow\"", with: "\"unfollow\"")) == .unauthorized,
                "the body changed after signing")
            #expect(try await LineTestSupport.post(app, follow, signature: "not base64!") == .unauthorized)
            #expect(try await OutboxStore.allJobs(on: app.db).isEmpty, "nothing is processed")
            #expect(try await LineStore.rejections(tenant: Self.tenant, since: Date().addingTimeInterval(-7200), on: app.db).count == 4)

            #expect(try await LineTestSupport.post(app, follow) == .ok)
            let again = try LineWebhookFixture.make([["type": "follow", "user": user]], redelivery: true, eventIDs: [follow.events[0].webhookEventId])
            #expect(try await LineTestSupport.post(app, again) == .ok, "LINE redelivers")
            #expect(try await Self.jobs(app, kind: "line.event").count == 1, "one job per webhookEventId")
            try await LineTestSupport.drain(app)
            let sql = try #require(app.db as? any SQLDatabase)
            let kept = try await sql.raw("SELECT payload FROM outbox_jobs WHERE kind = 'line.event'").all().map {
                try $0.decode(column: "payload", as: String.self)
            }
            #expect(kept == ["{}"], "the event's content is not kept once handled (its key is)")
            #expect(try await LineStore.user(tenant: Self.tenant, userID: user, on: app.db)?.following == true)
            let delivered = try await line.delivered(app)
            #expect(delivered.count == 1 && delivered[0].kind == "reply" && delivered[0].replyToken == follow.events[0].replyToken)
            #expect(delivered.first?.texts.first?.contains("ขอบคุณที่เพิ่ม เทศบาลตำบลบางกระทุ่ม เป็นเพื่อน") == true)

            // A body that is signed but not a webhook; LINE's "verify" call with no events; a tenant without LINE.
            let junk = "{\"events\": 5}"
            #expect(
                try await LineTestSupport.post(app, follow, signature: LineSignature.sign(Array(junk.utf8), secret: LINEServer.secret), body: junk)
                    == .badRequest)
            let empty = #"{"destination":"U00000000000000000000000000000000","events":[]}"#
            #expect(
                try await LineTestSupport.post(app, follow, signature: LineSignature.sign(Array(empty.utf8), secret: LINEServer.secret), body: empty) == .ok)
            #expect(try await LineTestSupport.post(app, follow, tenant: "bangrak") == .notFound)
        }
    }

    @Test("follow, unfollow; “สถานะ” and tracking numbers answer a linked citizen only; anything else gets help", arguments: TestDatabase.all)
    func conversation(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, _ in
            let user = LineWebhookFixture.user(2), stranger = LineWebhookFixture.user(3)
            _ = try await LineTestSupport.post(
                app,
                try LineWebhookFixture.make([
                    ["type": "follow", "user": stranger],
                    ["type": "message", "user": stranger, "text": "สถานะ"],
                    ["type": "message", "user": stranger, "text": "สวัสดีครับ"],
                ]))
            try await LineTestSupport.drain(app)
            var texts = try await line.delivered(app).flatMap(\.texts)
            #expect(texts.contains { $0.contains("ยังไม่ได้เชื่อมบัญชี") }, "no statuses for a LINE user who has not linked: \(texts)")
            #expect(texts.contains { $0.hasPrefix("พิมพ์ “สถานะ”") }, "help")

            let (_, account) = try await Self.linkedCitizen(app, line, user: user)
            let p1 = try await PetitionFixtures.file(app, citizen: account)
            let p2 = try await PetitionFixtures.move(app, try await PetitionFixtures.file(app, citizen: account), to: .accepted)
            let other = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app))
            let thaiDigits = p1.number.lowercased().replacingOccurrences(of: "-00000", with: "-").map { c -> String in
                guard let d = c.wholeNumberValue, c.isASCII else { return String(c) }
                return String(UnicodeScalar(0x0E50 + d)!)
            }.joined()
            _ = try await LineTestSupport.post(
                app,
                try LineWebhookFixture.make([
                    ["type": "message", "user": user, "text": "status"],
                    ["type": "message", "user": user, "text": "ขอดูคำร้อง \(thaiDigits) ครับ"],
                    ["type": "message", "user": user, "text": other.number],
                    ["type": "postback", "user": user, "data": "action=status"],
                ]))
            try await LineTestSupport.drain(app)
            texts = try await line.delivered(app).suffix(4).flatMap(\.texts)
            #expect(texts.count == 4)
            #expect(texts[0].contains("\(p2.number) เจ้าหน้าที่รับเรื่อง") && texts[0].contains("\(p1.number) ส่งคำร้อง"), "newest first: \(texts[0])")
            #expect(texts[1] == "คำร้อง \(p1.number): ส่งคำร้อง", "Thai digits, lower case, no zeros: \(texts[1])")
            #expect(texts[2].contains("ไม่พบคำร้องเลขที่ \(other.number) ในบัญชีของท่าน"), "another citizen's petition is not shown")
            #expect(texts[3] == texts[0])

            _ = try await LineTestSupport.post(app, try LineWebhookFixture.make([["type": "unfollow", "user": user]]))
            try await LineTestSupport.drain(app)
            let u = try await LineStore.user(tenant: Self.tenant, userID: user, on: app.db)
            let accountID = try account.requireID()
            #expect(u?.following == false && u?.citizenID == accountID, "unfollow stops pushes and keeps the link")
            #expect(try await line.requests(app).allSatisfy { $0.auth_ok }, "every call carried the channel's token")
        }
    }

    @Test(
        "account link: the link page after sign-in, a single-use nonce, LINE's accountLink event; a reused or unknown nonce does nothing; unlink",
        arguments: TestDatabase.all)
    func linking(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, _ in
            let user = LineWebhookFixture.user(4), intruder = LineWebhookFixture.user(5)
            // The button in the chat: a link token from LINE, and a link to the tenant's sign-in page with it.
            _ = try await LineTestSupport.post(app, try LineWebhookFixture.make([["type": "postback", "user": user, "data": "action=link"]]))
            try await LineTestSupport.drain(app)
            let token = try #require(try await line.linkTokens(app).first { $0.value == user }?.key)
            let raw = try await line.deliveredJSON(app)
            #expect(raw.contains("/t/bangkrathum/line/link?linkToken=\(token)"), "the reply links the sign-in page with the token")

            // Not signed in: the sign-in page first, coming back here.
            try await app.testing().test(.GET, "/t/bangkrathum/line/link?linkToken=\(token)") { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location)?.hasPrefix("/t/bangkrathum/login?next=") == true)
            }
            let client = try await CitizenFixtures.register(app)
            let account = try #require(try await CitizenAccount.query(on: app.db).filter(\.$email == client.email).first())
            try await app.testing().test(.GET, "/t/bangkrathum/line/link?linkToken=\(token)", headers: client.headers) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("นางสาวสมศรี ใจดี") && res.body.string.contains("ยืนยันการเชื่อมบัญชี"))
                #expect(res.body.string.contains("name=\"linkToken\" value=\"\(token)\""))
                #expect(
                    res.headers.first(name: "Content-Security-Policy")?.contains("form-action 'self' https://access.line.me;") == true,
                    "the browser may follow the confirm button's redirect to LINE's dialog")
            }
            try await app.testing().test(.GET, "/t/bangkrathum/line/link?linkToken=%22%3E%3Cscript%3E", headers: client.headers) { res in
                #expect(res.status == .badRequest && res.body.string.contains("ลิงก์เชื่อมบัญชีไม่ถูกต้อง") && !res.body.string.contains("<script>"))
            }
            // A form without the CSRF token is refused.
            try await app.testing().test(
                .POST, "/t/bangkrathum/line/link", headers: ["Cookie": client.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "linkToken=\(token)")
            ) { res in
                #expect(res.status == .forbidden)
            }
            let nonce = try await Self.nonce(app, client, linkToken: token)
            #expect(
                try await LineStore.link(tenant: "bangrak", nonce: nonce, userID: intruder, now: Date(), on: app.db) == nil,
                "another tenant's accountLink cannot use this tenant's nonce")

            // Unknown nonce, a failed link, then the real one; then the same nonce again for someone else.
            _ = try await LineTestSupport.post(
                app,
                try LineWebhookFixture.make([
                    ["type": "accountLink", "user": intruder, "result": "ok", "nonce": "made-up-nonce-000000000000"],
                    ["type": "accountLink", "user": user, "result": "failed", "nonce": nonce],
                ]))
            try await LineTestSupport.drain(app)
            #expect(try await LineStore.linked(tenant: Self.tenant, citizenID: try account.requireID(), on: app.db) == nil, "nothing linked yet")
            _ = try await LineTestSupport.post(app, try LineWebhookFixture.make([["type": "accountLink", "user": user, "result": "ok", "nonce": nonce]]))
            try await LineTestSupport.drain(app)
            #expect(try await LineStore.linked(tenant: Self.tenant, citizenID: try account.requireID(), on: app.db)?.userID == user)
            #expect(try await line.delivered(app).last?.texts.first?.hasPrefix("เชื่อมบัญชี LINE กับบัญชี e-Service ของนางสาวสมศรี ใจดีเรียบร้อยแล้ว") == true)
            _ = try await LineTestSupport.post(app, try LineWebhookFixture.make([["type": "accountLink", "user": intruder, "result": "ok", "nonce": nonce]]))
            try await LineTestSupport.drain(app)
            #expect(try await LineStore.user(tenant: Self.tenant, userID: intruder, on: app.db)?.citizenID == nil, "a used nonce links nobody")
            #expect(try await LineStore.linked(tenant: Self.tenant, citizenID: try account.requireID(), on: app.db)?.userID == user)

            // The profile page shows the link; unlinking ends it.
            try await app.testing().test(.GET, "/t/bangkrathum/account/profile", headers: client.headers) { res in
                #expect(res.body.string.contains("เชื่อมบัญชี LINE แล้ว") && res.body.string.contains("ยกเลิกการเชื่อมบัญชี LINE"))
            }
            let (h, b) = client.form([:])
            try await app.testing().test(.POST, "/t/bangkrathum/account/profile/line/unlink", headers: h, body: b) { res in
                #expect(res.status == .seeOther)
            }
            #expect(try await LineStore.linked(tenant: Self.tenant, citizenID: try account.requireID(), on: app.db) == nil)
            try await app.testing().test(.GET, "/t/bangkrathum/account/profile", headers: client.headers) { res in
                #expect(res.body.string.contains("ยกเลิกการเชื่อมบัญชี LINE แล้ว") && res.body.string.contains("ยังไม่ได้เชื่อมบัญชี LINE"))
            }
        }
    }

    @Test(
        "pushes: filing “สำเร็จ”, status changes, completion, identity result, as the citizen chose; retry key; 5xx and 429 retried, 4xx fails with LINE's reason",
        arguments: TestDatabase.all)
    func pushes(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, _ in
            let user = LineWebhookFixture.user(6)
            let (client, account) = try await Self.linkedCitizen(app, line, user: user)
            let t = try Tenant.named(Self.tenant, in: app)
            let (menu, service) = try #require(t.service("street-light"))
            let filing = PetitionStore.Filing(
                tenant: t, citizenID: try account.requireID(), citizenName: account.fullName, menu: menu, service: service,
                formVersion: 1, answersJSON: try PetitionFixtures.answersJSON(), attachments: [], submissionKey: "line-push-1")
            let p = try await PetitionStore.file(filing, linkBase: NoticeTestSupport.linkBase, on: app.db).petition
            try await NoticeTestSupport.run(app)  // the notifier: the filing's event becomes an e-mail and a push
            let emails = try await Self.jobs(app, kind: "email").count, pushJobs = try await Self.jobs(app, kind: "line.push").count
            #expect(emails == 1 && pushJobs == 1, "one e-mail and one push")
            try await LineTestSupport.drain(app)
            var pushes = try await line.delivered(app).filter { $0.kind == "push" }
            #expect(pushes.count == 1 && pushes[0].to == user)
            #expect(pushes.first?.texts.first == "ยื่นคำร้องสำเร็จ เลขที่ \(p.number) (\(p.serviceName)) – เทศบาลตำบลบางกระทุ่ม")
            #expect(UUID(uuidString: pushes.first?.retry_key ?? "") != nil, "a retry key on every push")

            // The officer's moves, through the back office: accepted and completed reach LINE.
            let officer = try await signedInStaff(app, tenant: Self.tenant, role: .officer)
            let path = "/backoffice/t/bangkrathum/petitions/\(p.number)"
            func move(_ target: String, note: String) async throws -> String {
                let (_, html) = try await PetitionFixtures.page(app, officer, path)
                var flash = ""
                try await post(app, "\(path)/status", officer, ["status": target, "note": note, "version": PetitionFixtures.version(html)]) { res in
                    #expect(res.status == .seeOther)
                }
                (_, flash) = try await PetitionFixtures.page(app, officer, path)
                return flash
            }
            var page = try await move("accepted", note: "รับเรื่องแล้ว จะออกตรวจพรุ่งนี้")
            #expect(page.contains("ระบบแจ้งผู้ยื่นทางอีเมลและLINE"))
            // The notifier decides when it runs (at once in the server, which is poked): here, before the citizen changes anything.
            try await NoticeTestSupport.run(app)
            // The citizen turns LINE off for status changes (and e-mail for everything it can be turned off for).
            let (h, b) = client.form(["line_filed": "1", "line_completed": "1", "line_identity": "1"])
            try await app.testing().test(.POST, "/t/bangkrathum/account/profile/notifications", headers: h, body: b) { res in #expect(res.status == .seeOther) }
            page = try await move("in_progress", note: "")
            #expect(!page.contains("ระบบแจ้งผู้ยื่นทาง"), "nothing for in progress now")
            page = try await move("completed", note: "เปลี่ยนหลอดไฟแล้ว")
            #expect(page.contains("ระบบแจ้งผู้ยื่นทางอีเมลและLINE"), "completion: the e-mail always, LINE as chosen")
            try await LineTestSupport.drain(app)
            pushes = try await line.delivered(app).filter { $0.kind == "push" }
            #expect(
                pushes.map { $0.texts.first ?? "" } == [
                    "ยื่นคำร้องสำเร็จ เลขที่ \(p.number) (\(p.serviceName)) – เทศบาลตำบลบางกระทุ่ม",
                    "คำร้อง \(p.number): เจ้าหน้าที่รับเรื่อง – เทศบาลตำบลบางกระทุ่ม",
                    "คำร้อง \(p.number): ดำเนินการสำเร็จ – เทศบาลตำบลบางกระทุ่ม",
                ])
            #expect(Set(pushes.compactMap(\.retry_key)).count == 3)

            // Identity result; LINE answers 500, then 429 (Retry-After 1), then takes it: delivered once.
            try await line.script(app, #"{"push":[{"status":500},{"status":429,"retry_after":1}]}"#)
            try await app.db.writeTransaction { db in
                try await IdentityDecided(
                    citizenID: try account.requireID(), approved: false, reason: "ภาพไม่ชัด", identityVersion: 101,
                    linkBase: NoticeTestSupport.linkBase
                ).record(tenant: t, on: db)
            }
            var clock = Date()
            for _ in 0..<4 {
                clock = clock.addingTimeInterval(7200)
                let at = clock
                try await LineTestSupport.drain(app, now: { at })
            }
            let identity = try await line.delivered(app).filter { $0.texts.first?.hasPrefix("ไม่ผ่านการยืนยันตัวตน") == true }
            #expect(identity.count == 1, "delivered once after a 500 and a 429")
            #expect(try await line.requests(app).filter { $0.retry_key == identity.first?.retry_key }.map(\.status) == [500, 429, 200])
            #expect(try await Self.jobs(app, kind: "line.push").allSatisfy { $0.status == .done })

            // A 400 is not tried again: the job fails with LINE's reason.
            try await line.script(app, #"{"push":[{"status":400,"message":"The user hasn't added the LINE Official Account as a friend."}]}"#)
            try await app.db.writeTransaction { db in
                try await IdentityDecided(
                    citizenID: try account.requireID(), approved: true, reason: nil, identityVersion: 102,
                    linkBase: NoticeTestSupport.linkBase
                ).record(tenant: t, on: db)
            }
            try await LineTestSupport.drain(app)
            let failed = try await OutboxStore.allJobs(status: .failed, on: app.db)
            #expect(failed.count == 1 && failed.first?.lastError?.contains("hasn't added the LINE Official Account") == true)

            // After an unfollow nothing more is sent (the job ends without a call).
            _ = try await LineTestSupport.post(app, try LineWebhookFixture.make([["type": "unfollow", "user": user]]))
            try await LineTestSupport.drain(app)
            let before = try await line.requests(app).count
            try await app.db.writeTransaction { db in
                try await LinePushMessage(to: user, messages: [.text("ทดสอบ")], key: "after-unfollow").enqueue(tenant: t, on: db)
            }
            try await LineTestSupport.drain(app)
            #expect(try await line.requests(app).count == before)
            #expect(try await CitizenNotices.recipient(try account.requireID(), tenant: t, on: app.db)?.lineUserID == nil)
        }
    }

    @Test(
        "a hostile Retry-After from LINE's side (NaN, 1e309, twenty digits) is ignored: the worker keeps running and retries",
        arguments: TestDatabase.all)
    func hostileRetryAfter(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, _ in
            let t = try Tenant.named(Self.tenant, in: app)
            let user = LineWebhookFixture.user(9)
            _ = try await Self.linkedCitizen(app, line, user: user)
            try await LineTestSupport.drain(app)
            let before = try await line.requests(app).count
            try await line.script(
                app, #"{"push":[{"status":429,"retry_after":"NaN"},{"status":429,"retry_after":"1e309"},{"status":429,"retry_after":"99999999999999999999"}]}"#)
            try await app.db.writeTransaction { db in
                try await LinePushMessage(to: user, messages: [.text("ทดสอบ")], key: "hostile-retry-after").enqueue(tenant: t, on: db)
            }
            var clock = Date()
            for _ in 0..<4 {
                clock = clock.addingTimeInterval(7200)
                let at = clock
                try await LineTestSupport.drain(app, now: { at })
            }
            let statuses = try await line.requests(app).dropFirst(before).map(\.status)
            #expect(statuses == [429, 429, 429, 200], "retried after each, delivered once")
            #expect(try await Self.jobs(app, kind: "line.push").allSatisfy { $0.status == .done })
        }
    }

    @Test(
        "a worker process killed mid-delivery: another takes its jobs when the lease runs out; every push arrives, none twice",
        arguments: TestDatabase.all)
    func killedWorker(database: TestDatabase) async throws {
        let binary = Repo.path(".build/debug/eservice")
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the server first (swift build)")
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, env in
            let t = try Tenant.named(Self.tenant, in: app)
            var users: [String] = []
            for i in 0..<5 {
                let citizen = try await PetitionFixtures.citizen(app)
                let user = LineWebhookFixture.user(100 + i)
                let nonce = try await LineStore.makeNonce(tenant: t.id, citizenID: try citizen.requireID(), now: Date(), on: app.db)
                _ = try await LineStore.link(tenant: t.id, nonce: nonce, userID: user, now: Date(), on: app.db)
                users.append(user)
            }
            let linkedUsers = users
            try await app.db.writeTransaction { db in
                for (i, user) in linkedUsers.enumerated() {
                    try await LinePushMessage(to: user, messages: [.text("แจ้งเตือนที่ \(i + 1)")], key: "killed-worker-\(i)").enqueue(tenant: t, on: db)
                }
            }
            // LINE takes each push and then holds the answer: the worker is killed while it waits.
            try await line.script(app, #"{"hang_seconds": 60}"#)
            let worker = Process()
            worker.executableURL = URL(fileURLWithPath: binary)
            worker.arguments = ["worker"]
            worker.currentDirectoryURL = Repo.root
            worker.environment = ProcessInfo.processInfo.environment.merging(env.variables(line.settings)) { $1 }
            worker.standardOutput = FileHandle.nullDevice
            worker.standardError = FileHandle.nullDevice
            try worker.run()
            let deadline = Date().addingTimeInterval(60)
            while try await line.requests(app).count < 5, Date() < deadline, worker.isRunning { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await line.requests(app).count == 5, "the worker sent all five before it was killed")
            kill(worker.processIdentifier, SIGKILL)
            worker.waitUntilExit()
            #expect(try await OutboxStore.allJobs(status: .running, on: app.db).count == 5, "left running, under the dead worker's lease")

            // Another worker, once the lease has run out (its clock is moved past it): the same retry keys, so LINE
            // answers 409 "already accepted" and the jobs end as done.
            try await line.script(app, #"{"hang_seconds": 0}"#)
            try await LineTestSupport.drain(app, now: { Date().addingTimeInterval(600) })
            let delivered = try await line.delivered(app)
            #expect(delivered.count == 5 && Set(delivered.compactMap(\.to)) == Set(users), "each user got the push once")
            let requests = try await line.requests(app)
            #expect(requests.map(\.status).sorted() == Array(repeating: 200, count: 5) + Array(repeating: 409, count: 5))
            #expect(Set(requests.compactMap(\.retry_key)).count == 5, "the retry was sent with the first try's key")
            #expect(try await Self.jobs(app, kind: "line.push").allSatisfy { $0.status == .done })
        }
    }

    @Test(
        "back office: the channel's health, linked users and failed pushes; settings name environment variables, never secrets",
        arguments: TestDatabase.all)
    func channelPage(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, _ in
            let admin = try await signedInStaff(app, tenant: Self.tenant, role: .orgAdmin)
            let path = "/backoffice/t/bangkrathum/line"
            _ = try await Self.linkedCitizen(app, line, user: LineWebhookFixture.user(7))
            let wrong = try LineWebhookFixture.make([["type": "follow", "user": LineWebhookFixture.user(8)]])
            _ = try await LineTestSupport.post(app, wrong, signature: LineSignature.sign(Array(wrong.body.utf8), secret: "not-ours"))
            try await line.script(app, #"{"push":[{"status":400,"message":"Failed to send messages"}]}"#)
            let t = try Tenant.named(Self.tenant, in: app)
            try await app.db.writeTransaction { db in
                try await LinePushMessage(to: LineWebhookFixture.user(7), messages: [.text("ทดสอบ")], key: "petition-status:x:2").enqueue(tenant: t, on: db)
            }
            try await LineTestSupport.drain(app)

            var (status, html) = try await PetitionFixtures.page(app, admin, path)
            #expect(status == .ok)
            #expect(html.contains("พร้อมใช้งาน") && html.contains("/t/bangkrathum/line/webhook"))
            #expect(html.contains("1 คน") && html.contains("1 ครั้ง") && html.contains("X-Line-Signature ไม่ตรงกับเนื้อหา"))
            #expect(html.contains("แจ้งเปลี่ยนสถานะคำร้อง") && html.contains("Failed to send messages"), "failed pushes with LINE's reason")
            #expect(!html.contains(LINEServer.secret) && !html.contains(LINEServer.token), "secrets are never shown")
            #expect(html.contains("value=\"2001234567\""))
            #expect(
                html.contains("<code>LINE_BANGKRATHUM_CHANNEL_SECRET</code>") && html.contains("<code>LINE_BANGKRATHUM_ACCESS_TOKEN</code>")
                    && html.contains("ตั้งค่าแล้ว"), "the two variables the channel reads, and that each is set")
            #expect(!html.contains("name=\"secret_env\"") && !html.contains("name=\"token_env\""), "the names are not the admin's to choose")

            // A channel ID with letters: refused with a Thai message.
            try await post(app, path, admin, ["channel_id": "abc"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("Channel ID เป็นตัวเลข"))
                #expect(res.body.string.contains("href=\"#channel_id\""))
            }
            // A new channel ID is saved; variable names posted with it are ignored (see TenantSecretsTests).
            try await post(app, path, admin, ["channel_id": "2009999999", "secret_env": "LINE_OTHER_SECRET", "token_env": "LINE_OTHER_TOKEN"]) { res in
                #expect(res.status == .seeOther)
            }
            let saved = try #require(try Tenant.named(Self.tenant, in: app).config.line)
            #expect(
                saved.channelID == "2009999999" && saved.envNames(slug: Self.tenant) == ("LINE_BANGKRATHUM_CHANNEL_SECRET", "LINE_BANGKRATHUM_ACCESS_TOKEN"))
            (_, html) = try await PetitionFixtures.page(app, admin, path)
            #expect(html.contains("บันทึกการตั้งค่าช่องทาง LINE แล้ว") && html.contains("พร้อมใช้งาน") && !html.contains("LINE_OTHER"))
            #expect(
                try await LineTestSupport.post(app, try LineWebhookFixture.make([["type": "follow", "user": LineWebhookFixture.user(9)]])) == .ok,
                "the channel still reads its own secret")
            let audit = try await AuditLog.list(.init(tenants: [Self.tenant]), on: app.db)
            #expect(audit.contains { $0.action == .lineSettingsChanged && $0.detail.contains("2009999999") })
            #expect(audit.contains { $0.action == .lineLinked })
        }
    }

    @Test(
        "the identity check's result reaches LINE through the officer's decision, and e-mail only if the citizen wants it",
        arguments: TestDatabase.all)
    func identityResult(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, _ in
            let user = LineWebhookFixture.user(10)
            let (client, account) = try await Self.linkedCitizen(app, line, user: user)
            let photo = try TestImages.fixture("id-photo.jpg")
            let (h, b) = CitizenFixtures.identityUpload(client, files: [("image_0", "front.jpg", photo), ("image_1", "selfie.jpg", photo)])
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { res in #expect(res.status == .seeOther) }
            // LINE only for the identity result.
            let (h2, b2) = client.form(["line_identity": "1"])
            try await app.testing().test(.POST, "/t/bangkrathum/account/profile/notifications", headers: h2, body: b2) { res in #expect(res.status == .seeOther)
            }
            let emailsBefore = try await Self.jobs(app, kind: "email").count
            let officer = try await signedInStaff(app, tenant: Self.tenant, role: .officer)
            try await post(
                app, "/backoffice/t/bangkrathum/identity/\(try account.requireID().uuidString.lowercased())", officer,
                ["decision": "reject", "reason": "ภาพหน้าบัตรไม่ชัด", "identityVersion": "1"]
            ) { res in
                #expect(res.status == .seeOther)
            }
            #expect(try await Self.jobs(app, kind: "email").count == emailsBefore, "no e-mail: the citizen chose LINE only")
            try await LineTestSupport.drain(app)
            let push = try #require(try await line.delivered(app).last)
            #expect(push.kind == "push" && push.to == user)
            #expect(push.texts.first == "ไม่ผ่านการยืนยันตัวตน กรุณาส่งภาพใหม่ – เทศบาลตำบลบางกระทุ่ม")
            let raw = try await line.deliveredJSON(app)
            #expect(raw.contains("ภาพหน้าบัตรไม่ชัด") && raw.contains("/t/bangkrathum/account/identity"), "the reason and the way to send new images")
        }
    }

    @Test("LINE messages: texts, Thai cut by UTF-16 length, retry keys stable per job", arguments: [0])
    func messages(_: Int) throws {
        #expect(LineCommand.parse(" สถานะ ") == .status && LineCommand.parse("STATUS") == .status)
        #expect(LineCommand.parse("bkt-๒๕๖๙-๔๒") == .tracking("BKT-2569-000042"))
        #expect(LineCommand.parse("สวัสดี") == .help && LineCommand.parse("BKT-2569-0") == .help)
        let long = String(repeating: "ที่", count: 300)
        let cut = long.linePrefix(utf16: 400)
        #expect(cut.utf16.count <= 400 && cut.utf16.count >= 398 && long.hasPrefix(cut))
        #expect(
            LinePushMessage.retryKey(for: "a") == LinePushMessage.retryKey(for: "a") && LinePushMessage.retryKey(for: "a") != LinePushMessage.retryKey(for: "b")
        )
        let body = Array("{}".utf8)
        #expect(LineSignature.isValid(body, secret: "s", signature: LineSignature.sign(body, secret: "s")))
        #expect(
            !LineSignature.isValid(body, secret: "s", signature: nil)
                && !LineSignature.isValid(body, secret: "", signature: LineSignature.sign(body, secret: "")))
    }
}
