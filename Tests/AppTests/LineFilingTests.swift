import Domain
import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Filing a complaint inside LINE (issue 17, part 4), against the LINE-compatible server with SDK-made events:
/// quick replies, photos fetched from the content endpoint, LINE's location message, confirmation, the tracking
/// number in the chat; redelivery, expiry, cancel, refused images, and who may file.
@Suite("LINE: filing a complaint in the chat")
struct LineFilingTests {
    static let tenant = "bangkrathum"

    /// A citizen linked to `user` and verified.
    static func verifiedCitizen(_ app: Application, _ line: LINEServer, user: String) async throws -> CitizenAccount {
        let (_, account) = try await LineTests.linkedCitizen(app, line, user: user)
        account.verificationStatusRaw = VerificationStatus.verified.rawValue
        try await account.save(on: app.db)
        return account
    }

    /// Sends one event and runs the outbox; returns the fixture (for redelivering it).
    @discardableResult
    static func send(_ app: Application, _ event: [String: Any], now: (@Sendable () -> Date)? = nil) async throws -> LineWebhookFixture {
        let fixture = try LineWebhookFixture.make([event])
        #expect(try await LineTestSupport.post(app, fixture) == .ok)
        try await LineTestSupport.drain(app)
        return fixture
    }

    /// The texts of the last reply or push.
    static func lastTexts(_ line: LINEServer, _ app: Application) async throws -> [String] {
        try await line.delivered(app).last?.texts ?? []
    }

    static func storedPhotos(_ env: TestEnvironment) -> [URL] {
        let dir = env.dataDirectory.appendingPathComponent("files/petitions/\(tenant)")
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { !$0.hasDirectoryPath }
    }

    static func jobCount(_ app: Application) async throws -> Int {
        try await OutboxStore.allJobs(on: app.db).filter { $0.kind == LineEventHandler.kind }.count
    }

    @Test(
        "the whole chat: type from quick replies, a photo from LINE's content endpoint (stored without EXIF GPS), the place, the questions, confirm → the petition and its number; redelivery files nothing twice",
        arguments: TestDatabase.all)
    func wholeConversation(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, env in
            let user = LineWebhookFixture.user(41)
            let account = try await Self.verifiedCitizen(app, line, user: user)

            try await Self.send(app, ["type": "message", "user": user, "text": "แจ้งเรื่อง"])
            var raw = try await line.deliveredJSON(app)
            #expect(raw.contains("action=file-service&s=street-light"), "the complaint types as quick replies")
            #expect(try await Self.lastTexts(line, app).first?.contains("กรุณาเลือกประเภทเรื่อง") == true)

            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-service&s=street-light"])
            #expect(try await Self.lastTexts(line, app).first?.contains("ส่งรูปถ่าย") == true)

            let photo = try TestImages.fixture("id-photo.jpg")
            #expect(photo.range(of: Data("Exif".utf8)) != nil && [UInt8](photo).contains(subsequence: [0x88, 0x25]), "the fixture has GPS")
            try await line.setContent(app, messageID: "700000000000000001", data: photo)
            let image = try await Self.send(app, ["type": "message", "user": user, "image": true, "messageId": "700000000000000001"])
            #expect(try await Self.lastTexts(line, app).first?.contains("ได้รับรูปแล้ว 1 จาก 3 รูป") == true)
            #expect(try await line.requests(app).contains { $0.path == "/v2/bot/message/700000000000000001/content" && $0.auth_ok })

            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-next"])
            raw = try await line.deliveredJSON(app)
            #expect(raw.contains("\"location\""), "a location quick reply")
            try await Self.send(
                app,
                [
                    "type": "message", "user": user,
                    "location": ["title": "หน้าวัดบางกระทุ่ม", "address": "ตำบลบางกระทุ่ม พิษณุโลก", "latitude": 16.5712, "longitude": 100.3031],
                ])
            #expect(try await Self.lastTexts(line, app).first?.contains("กรุณาเลือกลักษณะการชำรุด") == true)
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-answer&i=0"])
            #expect(try await Self.lastTexts(line, app).first?.contains("กรุณาพิมพ์จำนวนดวงที่ชำรุด") == true)
            try await Self.send(app, ["type": "message", "user": user, "text": "สองดวง"])
            #expect(try await Self.lastTexts(line, app).first?.contains("ต้องเป็นตัวเลข") == true, "the form's own rule")
            try await Self.send(app, ["type": "message", "user": user, "text": "2"])
            #expect(try await Self.lastTexts(line, app).first?.contains("รายละเอียดเพิ่มเติม") == true, "the optional detail")
            try await Self.send(app, ["type": "message", "user": user, "text": "ดับมาสามคืนแล้ว"])
            let summary = try await Self.lastTexts(line, app).first ?? ""
            #expect(summary.contains("แจ้งซ่อมไฟฟ้าสาธารณะ") && summary.contains("รูปถ่าย: 1 รูป") && summary.contains("หน้าวัดบางกระทุ่ม"), "\(summary)")

            let confirm = try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-confirm"])
            let petitions = try await PetitionRecord.query(on: app.db).filter(\.$citizenID == account.requireID()).all()
            #expect(petitions.count == 1)
            let p = try #require(petitions.first)
            #expect(p.channel == .line && p.service == "street-light")
            #expect(try await Self.lastTexts(line, app).first?.contains("ยื่นคำร้องสำเร็จ เลขที่ \(p.number)") == true, "the number in the chat")
            let answers = try JSONDecoder().decode(PetitionAnswers.self, from: Data(p.answersJSON.utf8))
            #expect(answers["light_location"]?.value == .location(description: "หน้าวัดบางกระทุ่ม ตำบลบางกระทุ่ม พิษณุโลก", lat: 16.5712, lng: 100.3031))
            #expect(answers["problem"]?.value == .choices(["ไฟดับ"]) && answers["lamp_count"]?.value == .number("2"))
            #expect(answers["details"]?.value == .text("ดับมาสามคืนแล้ว"))
            let files = try await PetitionStore.attachments(p, on: app.db)
            #expect(files.count == 1 && files.first?.mimeType == "image/jpeg")
            let stored = [UInt8](try Data(contentsOf: env.dataDirectory.appendingPathComponent("files/\(try #require(files.first).fileName)")))
            #expect(!stored.contains(subsequence: Array("Exif".utf8)) && !stored.contains(subsequence: [0x88, 0x25]), "EXIF and its GPS tag are gone")
            #expect(!stored.contains(subsequence: [0xFF, 0xE1]) && stored.starts(with: [0xFF, 0xD8]), "a JPEG without an APP1 segment")

            // LINE redelivers the image and the confirmation; the citizen taps "ยืนยัน" again.
            let jobs = try await Self.jobCount(app)
            for f in [image, confirm] {
                let again = try LineWebhookFixture.make(
                    [
                        f.events[0].type == "message"
                            ? ["type": "message", "user": user, "image": true, "messageId": "700000000000000001"]
                            : ["type": "postback", "user": user, "data": "action=file-confirm"]
                    ],
                    redelivery: true, eventIDs: [f.events[0].webhookEventId])
                #expect(try await LineTestSupport.post(app, again) == .ok)
            }
            try await LineTestSupport.drain(app)
            #expect(try await Self.jobCount(app) == jobs, "one job per webhookEventId")
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-confirm"])
            #expect(try await Self.lastTexts(line, app).first == "เรื่องนี้ยื่นแล้ว เลขที่คำร้อง \(p.number)")
            #expect(try await PetitionRecord.query(on: app.db).filter(\.$citizenID == account.requireID()).count() == 1, "no second petition")
            #expect(try await PetitionStore.attachments(p, on: app.db).count == 1 && Self.storedPhotos(env).count == 1, "no second photo")
            let pushes = try await line.delivered(app).filter { $0.kind == "push" }.flatMap(\.texts)
            #expect(!pushes.contains { $0.contains("ยื่นคำร้องสำเร็จ") }, "the chat's answer is not pushed again by the notifier: \(pushes)")
        }
    }

    @Test(
        "a chat left for 30 minutes is over: the next message starts again with a note and its photo is deleted; the sweep takes leftovers and their photos",
        arguments: TestDatabase.all)
    func expiry(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, env in
            let user = LineWebhookFixture.user(42)
            _ = try await Self.verifiedCitizen(app, line, user: user)
            try await Self.send(app, ["type": "message", "user": user, "text": "แจ้งเรื่อง"])
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-service&s=street-light"])
            try await line.setContent(app, messageID: "700000000000000002", data: try TestImages.fixture("id-photo.jpg"))
            try await Self.send(app, ["type": "message", "user": user, "image": true, "messageId": "700000000000000002"])
            #expect(Self.storedPhotos(env).count == 1)

            let later = Date().addingTimeInterval(31 * 60)
            app.registerOutboxHandler(LineEventHandler.kind) { LineEventHandler(app: $0, now: { later }) }
            try await Self.send(app, ["type": "message", "user": user, "text": "สวัสดี"])
            let texts = try await Self.lastTexts(line, app)
            #expect(texts.first?.contains("ค้างไว้เกิน 30 นาที") == true && texts.last?.contains("กรุณาเลือกประเภทเรื่อง") == true, "\(texts)")
            #expect(Self.storedPhotos(env).isEmpty, "the expired chat's photo is deleted")

            // A chat nobody comes back to: the sweep deletes it and its photo an hour later.
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-service&s=street-light"])
            try await line.setContent(app, messageID: "700000000000000003", data: try TestImages.fixture("id-photo.jpg"))
            try await Self.send(app, ["type": "message", "user": user, "image": true, "messageId": "700000000000000003"])
            #expect(Self.storedPhotos(env).count == 1)
            let sweep = try #require(Retention.sweeps(RetentionSettings(), fileStore: app.fileStore).first { $0.name == "LINE conversations" })
            _ = try await (app.tenantGuard ?? TenantGuard()).checking { try await sweep.run(app.db, later.addingTimeInterval(2 * 3600)) }
            #expect(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db) == nil)
            #expect(Self.storedPhotos(env).isEmpty, "no photo left without a petition")
        }
    }

    @Test(
        "who may file: a LINE user without a linked account is offered the link; a linked citizen not yet verified is told to verify",
        arguments: TestDatabase.all)
    func whoMayFile(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, _ in
            let stranger = LineWebhookFixture.user(43), user = LineWebhookFixture.user(44)
            try await Self.send(app, ["type": "message", "user": stranger, "text": "แจ้งเรื่อง"])
            #expect(try await Self.lastTexts(line, app).first?.contains("เชื่อมบัญชี") == true)
            #expect(try await line.linkTokens(app).values.contains(stranger), "a link token was asked for")
            #expect(try await LineConversationStore.get(tenant: Self.tenant, userID: stranger, on: app.db) == nil)

            _ = try await LineTests.linkedCitizen(app, line, user: user)
            try await Self.send(app, ["type": "message", "user": user, "text": "แจ้งเรื่อง"])
            #expect(try await Self.lastTexts(line, app).first?.contains("กรุณายืนยันตัวตน") == true)
            #expect(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db) == nil)
        }
    }

    @Test(
        "refused images (not an image, too large) get a Thai message and keep nothing; cancel ends the chat and deletes its photos", arguments: TestDatabase.all
    )
    func refusedAndCancel(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, env in
            let user = LineWebhookFixture.user(45)
            _ = try await Self.verifiedCitizen(app, line, user: user)
            try await Self.send(app, ["type": "message", "user": user, "text": "แจ้งเรื่อง"])
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-service&s=street-light"])

            try await line.setContent(app, messageID: "700000000000000010", data: Data("hello, not a picture".utf8))
            try await Self.send(app, ["type": "message", "user": user, "image": true, "messageId": "700000000000000010"])
            var text = try await Self.lastTexts(line, app).first ?? ""
            #expect(text.hasPrefix("ไม่สามารถรับรูปนี้ได้") && text.contains("ไม่ใช่ไฟล์ประเภทที่รับ"), "\(text)")
            try await line.setContent(app, messageID: "700000000000000011", size: 6 << 20)
            try await Self.send(app, ["type": "message", "user": user, "image": true, "messageId": "700000000000000011"])
            text = try await Self.lastTexts(line, app).first ?? ""
            #expect(text.hasPrefix("ไม่สามารถรับรูปนี้ได้") && text.contains("เกิน 5 MB"), "\(text)")
            #expect(Self.storedPhotos(env).isEmpty)
            // A redirect is not followed (it would carry the channel's token elsewhere), even to a real picture.
            try await line.setContent(app, messageID: "700000000000000019", data: try TestImages.fixture("id-photo.jpg"))
            try await line.setContent(
                app, messageID: "700000000000000013", redirect: line.baseURL + "/v2/bot/message/700000000000000019/content")
            try await Self.send(app, ["type": "message", "user": user, "image": true, "messageId": "700000000000000013"])
            text = try await Self.lastTexts(line, app).first ?? ""
            #expect(text.hasPrefix("ไม่สามารถรับรูปนี้ได้"), "\(text)")
            #expect(try await !line.requests(app).contains { $0.path.contains("700000000000000019") }, "the redirect was not followed")
            #expect(Self.storedPhotos(env).isEmpty)

            try await line.setContent(app, messageID: "700000000000000012", data: try TestImages.fixture("id-photo.jpg"))
            try await Self.send(app, ["type": "message", "user": user, "image": true, "messageId": "700000000000000012"])
            #expect(Self.storedPhotos(env).count == 1)
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-cancel"])
            #expect(try await Self.lastTexts(line, app).first?.contains("ยกเลิกการแจ้งเรื่องแล้ว") == true)
            #expect(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db) == nil)
            #expect(Self.storedPhotos(env).isEmpty, "the cancelled chat's photo is deleted")
            #expect(try await PetitionRecord.query(on: app.db).count() == 0)
            // After the chat: a photo or a confirmation is answered, nothing filed.
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-confirm"])
            #expect(try await Self.lastTexts(line, app).first?.contains("ไม่มีเรื่องที่กำลังแจ้ง") == true)
        }
    }

    @Test(
        "one user's photos handled at once by two workers are both kept; a place outside the area is refused at once; an earlier question's button answers nothing; a job retried after its reply failed is not applied twice; a relinked LINE user's chat ends; closing the account takes the chat and its photos",
        arguments: TestDatabase.all)
    func appliedOnce(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, env in
            let user = LineWebhookFixture.user(46)
            let account = try await Self.verifiedCitizen(app, line, user: user)
            try await Self.send(app, ["type": "message", "user": user, "text": "แจ้งเรื่อง"])
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-service&s=street-light"])

            // Two photos, each job on its own worker at the same moment; both read the chat before either writes.
            let photo = try TestImages.fixture("id-photo.jpg")
            for id in ["700000000000000021", "700000000000000022"] {
                try await line.setContent(app, messageID: id, data: photo, delay: 0.5)
                let f = try LineWebhookFixture.make([["type": "message", "user": user, "image": true, "messageId": id]])
                #expect(try await LineTestSupport.post(app, f) == .ok)
            }
            var one = OutboxWorker.Options()
            one.batchSize = 1
            let a = app.makeOutboxWorker(options: one), b = app.makeOutboxWorker(options: one)
            let taken = try await (app.tenantGuard ?? TenantGuard()).checking {
                async let x = a.runOnce()
                async let y = b.runOnce()
                return try await x + y
            }
            #expect(taken == 2, "each worker took one photo")
            try await LineTestSupport.drain(app)
            var c = try #require(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db))
            #expect(Set(c.photos.map(\.messageID)) == ["700000000000000021", "700000000000000022"], "neither photo was lost")
            #expect(Self.storedPhotos(env).count == 2, "and no file without its place in the chat")

            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-next&at=photos"])
            // Bangkok is outside Bang Krathum: said at once, in the website's words, and asked again.
            try await Self.send(
                app, ["type": "message", "user": user, "location": ["title": "", "address": "กรุงเทพฯ", "latitude": 13.7563, "longitude": 100.5018]])
            var texts = try await Self.lastTexts(line, app)
            #expect(texts.first?.contains("อยู่นอกเขตเทศบาลตำบลบางกระทุ่ม") == true, "\(texts)")
            c = try #require(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db))
            #expect(c.step == "location" && c.place == nil)
            try await Self.send(
                app, ["type": "message", "user": user, "location": ["title": "ตลาด", "address": "บางกระทุ่ม", "latitude": 16.5712, "longitude": 100.3031]])
            // The photo step's "ถัดไป", tapped late, does not skip the question now asked.
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-next&at=photos"])
            c = try #require(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db))
            #expect(c.step == "q:problem", "\(c.step)")
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-answer&at=q%3Aproblem&i=0"])
            c = try #require(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db))
            #expect(c.step == "q:lamp_count" && c.answers["problem"] == "ไฟดับ", "\(c.step)")

            // "2" is written, then LINE refuses the reply (500): the job runs again and asks the next question again,
            // instead of taking "2" as the answer to it too.
            try await line.script(app, #"{"reply":[{"status":500}]}"#)
            try await Self.send(app, ["type": "message", "user": user, "text": "2"])
            c = try #require(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db))
            #expect(c.step == "q:details" && c.answers["lamp_count"] == "2")
            let retried = try await LineTestSupport.drain(app, now: { Date().addingTimeInterval(3600) })
            #expect(retried >= 1, "the job ran again")
            c = try #require(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db))
            #expect(c.step == "q:details" && c.answers["details"] == nil, "not applied twice: \(c.step) \(c.answers)")
            texts = try await Self.lastTexts(line, app)
            #expect(texts.first?.contains("รายละเอียดเพิ่มเติม") == true, "the question asked again: \(texts)")

            // The LINE user is linked to someone else now: the chat (the first citizen's) ends with its photos.
            let other = try await CitizenFixtures.register(app)
            let otherAccount = try #require(try await CitizenAccount.query(on: app.db).filter(\.$email == other.email).first())
            otherAccount.verificationStatusRaw = VerificationStatus.verified.rawValue
            try await otherAccount.save(on: app.db)
            try await (try sqlDatabase(app.db)).raw(
                "UPDATE line_users SET citizen_id = \(bind: try otherAccount.requireID()) WHERE tenant_id = \(bind: Self.tenant) AND user_id = \(bind: user)"
            ).run()
            try await line.setContent(app, messageID: "700000000000000023", data: photo)
            try await Self.send(app, ["type": "message", "user": user, "image": true, "messageId": "700000000000000023"])
            texts = try await Self.lastTexts(line, app)
            #expect(texts.first?.contains("บัญชีที่เชื่อมกับ LINE นี้เปลี่ยนไป") == true, "\(texts)")
            #expect(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db) == nil)
            #expect(Self.storedPhotos(env).isEmpty, "the first citizen's photos went with the chat")
            #expect(try await PetitionRecord.query(on: app.db).filter(\.$citizenID == account.requireID()).count() == 0)

            // The new owner starts a chat with a photo, then their account is closed: the chat and photo go too.
            try await Self.send(app, ["type": "message", "user": user, "text": "แจ้งเรื่อง"])
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-service&s=street-light"])
            try await line.setContent(app, messageID: "700000000000000024", data: photo)
            try await Self.send(app, ["type": "message", "user": user, "image": true, "messageId": "700000000000000024"])
            #expect(Self.storedPhotos(env).count == 1)
            let tenant = try #require(app.tenants.tenant(slug: Self.tenant))
            let files = try await CitizenClosing.anonymise(
                citizenID: try otherAccount.requireID(), tenant: tenant, unusablePasswordHash: "closed", now: Date(), on: app.db)
            for f in files { await app.fileStore.delete(f) }
            #expect(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db) == nil)
            #expect(Self.storedPhotos(env).isEmpty, "the closed account's chat photo is deleted")
        }
    }

    @Test(
        "an earlier chat's events change nothing in the next one: a cancel retried after its reply failed, and an old chat's ยืนยัน button",
        arguments: TestDatabase.all)
    func earlierChat(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, env in
            let user = LineWebhookFixture.user(47)
            _ = try await Self.verifiedCitizen(app, line, user: user)
            try await Self.send(app, ["type": "message", "user": user, "text": "แจ้งเรื่อง"])
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-service&s=street-light"])
            let first = try #require(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db))
            // The cancel is applied, LINE refuses its reply (500), and the job waits for another try.
            try await line.script(app, #"{"reply":[{"status":500}]}"#)
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-cancel"])
            #expect(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db) == nil)
            // Its next try is an hour away (the backoff would be seconds: it is kept from running in the steps below).
            let later = Date().addingTimeInterval(3600)
            let waiting = try await (try sqlDatabase(app.db)).raw(
                "UPDATE outbox_jobs SET run_at = \(bind: later) WHERE kind = 'line.event' AND status = 'pending' RETURNING id"
            ).all()
            #expect(waiting.count == 1, "the cancel waits for its retry")
            // Meanwhile the citizen starts again and sends a photo.
            try await Task.sleep(for: .milliseconds(5))
            try await Self.send(app, ["type": "message", "user": user, "text": "แจ้งเรื่อง"])
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-service&s=street-light"])
            try await line.setContent(app, messageID: "700000000000000031", data: try TestImages.fixture("id-photo.jpg"))
            try await Self.send(app, ["type": "message", "user": user, "image": true, "messageId": "700000000000000031"])
            let second = try #require(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db))
            #expect(second.id != first.id && second.photos.count == 1)
            // The old cancel runs again an hour later: the new chat and its photo stay.
            #expect(try await LineTestSupport.drain(app, now: { Date().addingTimeInterval(7200) }) >= 1)
            let after = try #require(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db))
            #expect(after.id == second.id && after.photos.count == 1 && after.step == "photos", "\(after.step)")
            #expect(Self.storedPhotos(env).count == 1)

            // The first chat's "ยืนยัน" (its tag) does not confirm this one, even at its summary.
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-next&at=photos"])
            try await Self.send(
                app, ["type": "message", "user": user, "location": ["title": "ตลาด", "address": "บางกระทุ่ม", "latitude": 16.5712, "longitude": 100.3031]])
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-answer&at=q%3Aproblem&i=0"])
            try await Self.send(app, ["type": "message", "user": user, "text": "1"])
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-next&at=q%3Adetails"])
            let atConfirm = try #require(try await LineConversationStore.get(tenant: Self.tenant, userID: user, on: app.db))
            #expect(atConfirm.step == "confirm", "\(atConfirm.step)")
            let raw = try await line.deliveredJSON(app)
            #expect(raw.contains("action=file-confirm&c=\(LineNotices.chatTag(atConfirm.id))"), "the summary's button carries the chat's tag")
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-confirm&c=\(LineNotices.chatTag(first.id))"])
            #expect(try await PetitionRecord.query(on: app.db).count() == 0, "an earlier chat's button filed nothing")
            try await Self.send(app, ["type": "postback", "user": user, "data": "action=file-confirm&c=\(LineNotices.chatTag(atConfirm.id))"])
            #expect(try await PetitionRecord.query(on: app.db).count() == 1)
        }
    }

    @Test("the photo gate lets at most its permits through at once, each in its turn, and a failed fetch gives its turn back")
    func contentGate() async throws {
        let gate = LineContentGate(permits: 2)
        let state = NIOLockedValueBox((now: 0, most: 0, order: [Int]()))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask {
                    do {
                        _ = try await gate.run { @Sendable () async throws -> Int in
                            state.withLockedValue { s in
                                s.now += 1
                                s.most = max(s.most, s.now)
                                s.order.append(i)
                            }
                            try await Task.sleep(for: .milliseconds(20))
                            state.withLockedValue { $0.now -= 1 }
                            if i == 3 { throw LineAPIError(status: 500, message: "scripted") }
                            return i
                        }
                    } catch is LineAPIError {}
                }
                try await Task.sleep(for: .milliseconds(2))
            }
            try await group.waitForAll()
        }
        let s = state.withLockedValue { $0 }
        #expect(s.most == 2, "never more than two at once")
        #expect(s.order.sorted() == Array(0..<8), "every fetch ran, the failed one's turn was given back")
    }

    @Test("the plan: which complaint forms the chat can fill, and in what steps")
    func plan() throws {
        let loc = FormField(key: "where", type: .location, label: "ตำแหน่ง", required: true, help: nil, options: nil, maxLength: nil)
        let kind = FormField(key: "kind", type: .radio, label: "ประเภท", required: true, help: nil, options: ["ก", "ข"], maxLength: nil)
        let note = FormField(key: "note", type: .textarea, label: "รายละเอียด", required: false, help: nil, options: nil, maxLength: nil)
        let addr = FormField(key: "home", type: .address, label: "ที่อยู่", required: true, help: nil, options: nil, maxLength: nil)
        let photos = AttachmentRule(key: "photos", label: "ภาพ", required: false, types: [.jpeg, .png], maxMB: 5, maxCount: 3)
        let plan = try #require(LineFilingPlan(fields: [loc, kind, note], attachments: [photos]))
        #expect(plan.steps == [.photos, .location, .question("kind"), .question("note"), .confirm] && plan.maxPhotos == 3)
        #expect(LineFilingPlan(fields: [loc, addr], attachments: []) == nil, "a required address is left to the website")
        let input = plan.input(answers: ["kind": "ก"], place: LinePlace(title: "", address: "", latitude: 13.5, longitude: 100.25))
        #expect(input["where"] == ["ตำแหน่งที่ส่งทาง LINE"] && input["where_lat"] == ["13.5"] && input["kind"] == ["ก"])
    }
}
