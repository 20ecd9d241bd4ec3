import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// The citizen's say on a finished petition: a rating once, and "ยังไม่ได้รับการแก้ไข" within 14 days of completion.
@Suite("Petitions: the citizen's rating and reopening")
struct PetitionFeedbackTests {
    static let queue = "/backoffice/t/bangkrathum/petitions"

    static func citizenPage(_ app: Application, _ c: CitizenClient, _ number: String) async throws -> (HTTPStatus, String) {
        var out: (HTTPStatus, String) = (.ok, "")
        try await app.testing().test(.GET, "\(c.base)/account/petitions/\(number)", headers: c.headers) { out = ($0.status, $0.body.string) }
        return out
    }

    static func send(_ app: Application, _ c: CitizenClient, _ path: String, _ fields: [String: String]) async throws -> (HTTPStatus, String) {
        let (h, b) = c.form(fields)
        var out: (HTTPStatus, String) = (.ok, "")
        try await app.testing().test(.POST, "\(c.base)/account/petitions/\(path)", headers: h, body: b) { out = ($0.status, $0.body.string) }
        return out
    }

    static func fresh(_ app: Application, _ p: PetitionRecord) async throws -> PetitionRecord {
        try #require(try await PetitionStore.byID(try p.requireID(), tenant: try Tenant.named(p.tenantID, in: app), on: app.db))
    }

    static func account(_ app: Application, _ c: CitizenClient) async throws -> CitizenAccount {
        try #require(try await CitizenAccount.query(on: app.db).filter(\.$tenantID == c.tenant).filter(\.$email == c.email).first())
    }

    /// The kept counts (status, month received, completed, ratings) agree with a fresh count of the petitions.
    static func countsAgree(_ app: Application) async throws {
        #expect(try await PetitionCounts.stored(tenant: "bangkrathum", on: app.db) == PetitionCounts.recount(tenant: "bangkrathum", on: app.db))
        #expect(
            try await PetitionCounts.storedMonths(tenant: "bangkrathum", on: app.db)
                == PetitionCounts.recountMonths(tenant: "bangkrathum", on: app.db))
    }

    @Test(
        "rating: only once the petition is finished, 1–5 with a comment, once; refused values in Thai; officer and dashboard see it",
        arguments: TestDatabase.all)
    func rating(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let client = try await CitizenFixtures.register(app)
            let account = try await Self.account(app, client)
            var p = try await PetitionFixtures.file(app, citizen: account)

            // Still open: no form, and a post changes nothing.
            var (status, html) = try await Self.citizenPage(app, client, p.number)
            #expect(status == .ok && !html.contains("id=\"rating-form\"") && !html.contains("id=\"reopen-form\""))
            (status, _) = try await Self.send(app, client, "\(p.number)/rating", ["stars": "5"])
            #expect(status == .seeOther)
            #expect(try await Self.fresh(app, p).rating == nil)
            (_, html) = try await Self.citizenPage(app, client, p.number)
            #expect(html.contains(PetitionRating.Problem.notFinished.thai))

            p = try await PetitionFixtures.move(app, p, to: .completed, note: "เปลี่ยนหลอดแล้ว")
            (_, html) = try await Self.citizenPage(app, client, p.number)
            #expect(html.contains("id=\"rating-form\"") && html.contains("5 – พอใจมากที่สุด") && html.contains("id=\"reopen-form\""))

            // Hostile values: a clear Thai message on the field, 422, nothing written.
            for stars in ["", "0", "6", "-1", "4.5", " 4", "٤", "99999999999999999999999", "5; DROP TABLE petitions"] {
                (status, html) = try await Self.send(app, client, "\(p.number)/rating", ["stars": stars])
                #expect(status == .unprocessableEntity && html.contains("กรุณาเลือกระดับความพึงพอใจ 1 ถึง 5"), "\(stars)")
            }
            (status, html) = try await Self.send(app, client, "\(p.number)/rating", ["stars": "3", "comment": String(repeating: "ก", count: 1001)])
            #expect(status == .unprocessableEntity && html.contains("ไม่เกิน 1,000 ตัวอักษร (ตอนนี้ 1,001 ตัวอักษร)"))
            #expect(html.contains("id=\"rating-3\" name=\"stars\" value=\"3\" checked"), "the chosen value stays")
            // Without the session's CSRF token.
            var (h, b) = client.form(["stars": "5"])
            h.replaceOrAdd(name: "Cookie", value: client.cookie)
            b = ByteBuffer(string: formBody(["stars": "5", "_csrf": "wrong"]))
            try await app.testing().test(.POST, "\(client.base)/account/petitions/\(p.number)/rating", headers: h, body: b) {
                #expect($0.status == .forbidden)
            }
            // Someone else's petition is not there at all.
            let other = try await CitizenFixtures.register(app)
            (status, _) = try await Self.send(app, other, "\(p.number)/rating", ["stars": "1"])
            #expect(status == .notFound)
            #expect(try await Self.fresh(app, p).rating == nil)

            (status, _) = try await Self.send(app, client, "\(p.number)/rating", ["stars": "4", "comment": "  เร็วดี ขอบคุณครับ  "])
            #expect(status == .seeOther)
            var rated = try await Self.fresh(app, p)
            #expect(rated.rating == 4 && rated.ratingComment == "เร็วดี ขอบคุณครับ" && rated.ratedAt != nil)
            #expect(rated.version == p.version, "a rating does not make an officer's open form stale")
            // Once: a second rating (another tab) writes nothing.
            (status, _) = try await Self.send(app, client, "\(p.number)/rating", ["stars": "1"])
            #expect(status == .seeOther)
            rated = try await Self.fresh(app, p)
            #expect(rated.rating == 4)
            let events = try await PetitionStore.timeline(rated, on: app.db).filter { $0.kind == .rated }
            #expect(events.count == 1 && events.first?.note == "เร็วดี ขอบคุณครับ" && events.first?.actorKind == "citizen")

            (_, html) = try await Self.citizenPage(app, client, p.number)
            #expect(!html.contains("id=\"rating-form\"") && html.contains("ท่านให้คะแนน <strong>4 จาก 5 (พอใจมาก)</strong>"))
            #expect(html.contains("ผู้ยื่นให้คะแนนความพึงพอใจ 4 จาก 5 (พอใจมาก)"), "the timeline names the rating")

            // The officer sees it on the petition page, and the dashboard counts it.
            (status, html) = try await PetitionFixtures.page(app, officer, "\(Self.queue)/\(p.number)")
            #expect(status == .ok && html.contains("id=\"rating\"><strong>4 จาก 5 (พอใจมาก)</strong>") && html.contains("เร็วดี ขอบคุณครับ"))
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            (status, html) = try await PetitionFixtures.page(app, admin, BackOfficeURL.tenantDashboard("bangkrathum").path)
            #expect(status == .ok && html.contains("4.0 จาก 5 (1 ความเห็น)"), "\(html.count)")
            #expect(html.contains("id=\"dashboard-ratings\""))
            try await Self.countsAgree(app)
        }
    }

    @Test("a petition closed as ไม่สามารถดำเนินการได้ may be rated but not reopened; a petition without an account shows neither", arguments: TestDatabase.all)
    func cannotProceed(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let client = try await CitizenFixtures.register(app)
            let account = try await Self.account(app, client)
            var p = try await PetitionFixtures.file(app, citizen: account)
            p = try await PetitionFixtures.move(app, p, to: .cannotProceed, note: "อยู่นอกเขตเทศบาล")
            var (_, html) = try await Self.citizenPage(app, client, p.number)
            #expect(html.contains("id=\"rating-form\"") && !html.contains("id=\"reopen-form\""))
            var status: HTTPStatus
            (status, _) = try await Self.send(app, client, "\(p.number)/reopen", ["reason": "ยังไม่แก้", "version": "\(p.version)"])
            #expect(status == .seeOther)
            #expect(try await Self.fresh(app, p).status == .cannotProceed)
            (_, html) = try await Self.citizenPage(app, client, p.number)
            #expect(html.contains("แจ้งว่ายังไม่ได้รับการแก้ไขไม่ได้"))
            (status, _) = try await Self.send(app, client, "\(p.number)/rating", ["stars": "2"])
            #expect(status == .seeOther)
            #expect(try await Self.fresh(app, p).rating == 2)

            // Filed through Open311 (no account): the store refuses a rating even when asked directly.
            var api = try await PetitionFixtures.file(app, citizen: nil)
            api = try await PetitionFixtures.move(app, api, to: .completed)
            let outcome = try await PetitionFeedbackStore.rate(
                api, PetitionRating(stars: 5, comment: nil), citizenName: "x", tenant: try Tenant.named("bangkrathum", in: app), on: app.db)
            guard case .alreadyRated = outcome else {
                Issue.record("rated a petition without an account")
                return
            }
            #expect(PetitionFeedbackPanel.make(api, rateAction: "", reopenAction: "", csrf: "", now: Date(), state: .init()) == nil)
        }
    }

    @Test(
        "reopening: within 14 days with a reason it goes back to กำลังดำเนินการ with a new due date, the holder is e-mailed once, counts stay true; not after",
        arguments: TestDatabase.all)
    func reopening(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let client = try await CitizenFixtures.register(app)
            let account = try await Self.account(app, client)
            var p = try await PetitionFixtures.file(app, citizen: account)
            p.assigneeID = officer.id
            p.assigneeName = "ผู้รับผิดชอบ"
            try await p.save(on: app.db)
            // The assignee is reminded one working day before the first due date.
            let sweep = try await SLAEscalation.run(PetitionInfoRequestTests.context(app), now: p.dueAt.addingTimeInterval(-3600), on: app.db)
            #expect(sweep.reminders == 1)
            p = try await PetitionFixtures.move(app, p, to: .completed, note: "ซ่อมแล้ว")
            #expect(p.closedAt != nil && p.workDays != nil)
            #expect(try await PetitionCounts.storedMonths(tenant: "bangkrathum", on: app.db).keys.contains { $0.hasPrefix("completed|") })

            // No reason, too long, a stale page, junk versions: nothing moves.
            var (status, html) = try await Self.send(app, client, "\(p.number)/reopen", ["reason": "  ", "version": "\(p.version)"])
            #expect(status == .unprocessableEntity && html.contains("กรุณาบอกว่ายังไม่ได้รับการแก้ไขอย่างไร"))
            (status, html) = try await Self.send(
                app, client, "\(p.number)/reopen", ["reason": String(repeating: "ข", count: 2001), "version": "\(p.version)"])
            #expect(status == .unprocessableEntity && html.contains("ไม่เกิน 2,000 ตัวอักษร"))
            (status, _) = try await Self.send(app, client, "\(p.number)/reopen", ["reason": "ไฟยังดับ", "version": "\(p.version - 1)"])
            #expect(status == .seeOther)
            for version in ["", "x", "99999999999999999999999", "-1"] {
                (status, _) = try await Self.send(app, client, "\(p.number)/reopen", ["reason": "ไฟยังดับ", "version": version])
                #expect(status == .badRequest || status == .seeOther, "\(version)")
            }
            #expect(try await Self.fresh(app, p).status == .completed)

            let before = Date()
            (status, _) = try await Self.send(app, client, "\(p.number)/reopen", ["reason": "ไฟยังดับอยู่ทุกคืน", "version": "\(p.version)"])
            #expect(status == .seeOther)
            let reopened = try await Self.fresh(app, p)
            #expect(reopened.status == .inProgress && reopened.reopenedCount == 1 && reopened.version == p.version + 1)
            #expect(reopened.dueAt > before && reopened.remindedAt == nil && reopened.escalatedHeadAt == nil)
            #expect(reopened.closedAt == nil && reopened.workDays == nil, "no close date while it is in progress again")
            // A new due date is a new cycle: the assignee is reminded again (not taken for a repeat of the first).
            let again1 = try await SLAEscalation.run(
                PetitionInfoRequestTests.context(app), now: reopened.dueAt.addingTimeInterval(-3600), on: app.db)
            #expect(again1.reminders == 1)
            let reminders = try await OutboxStore.allJobs(on: app.db).filter {
                $0.idempotencyKey.hasPrefix("sla-reminder:\(try p.requireID().uuidString.lowercased())")
            }
            #expect(reminders.count == 2)
            let entry = try #require(try await PetitionStore.timeline(reopened, on: app.db).last)
            #expect(entry.kind == .reopened && entry.note == "ไฟยังดับอยู่ทุกคืน" && entry.fromStatus == "completed" && entry.toStatus == "in_progress")
            try await Self.countsAgree(app)
            #expect(!(try await PetitionCounts.storedMonths(tenant: "bangkrathum", on: app.db).keys.contains { $0.hasPrefix("completed|") }))

            // The officer who holds it is e-mailed, once (the same form again writes nothing).
            let mails = try await OutboxStore.allJobs(on: app.db).filter { $0.idempotencyKey.hasPrefix("petition-reopened:") }
            #expect(mails.count == 1 && mails.first?.kind == EmailOutbox.kind)
            let payload = try await PetitionInfoRequestTests.payload(app, key: try #require(mails.first).idempotencyKey)
            let staffEmail = try #require(try await StaffStore.find(officer.id, on: app.db)).email
            #expect(payload.contains(staffEmail))
            (status, _) = try await Self.send(app, client, "\(p.number)/reopen", ["reason": "ไฟยังดับอยู่ทุกคืน", "version": "\(p.version)"])
            #expect(status == .seeOther)
            (_, html) = try await Self.citizenPage(app, client, p.number)
            #expect(html.contains("แบบฟอร์มนี้ถูกส่งซ้ำ ไม่ได้บันทึกซ้ำ"))
            #expect(try await OutboxStore.allJobs(on: app.db).filter { $0.idempotencyKey.hasPrefix("petition-reopened:") }.count == 1)
            #expect(try await Self.fresh(app, p).reopenedCount == 1)

            // Both sides see what happened.
            (_, html) = try await Self.citizenPage(app, client, p.number)
            #expect(html.contains("ผู้ยื่นแจ้งว่ายังไม่ได้รับการแก้ไข (กลับไปที่ “กำลังดำเนินการ”)") && html.contains("ไฟยังดับอยู่ทุกคืน"))
            #expect(!html.contains("id=\"reopen-form\"") && !html.contains("id=\"rating-form\""), "open again: nothing to rate or reopen")
            (_, html) = try await PetitionFixtures.page(app, officer, "\(Self.queue)/\(p.number)")
            #expect(html.contains("ผู้ยื่นแจ้งว่ายังไม่ได้รับการแก้ไข 1 ครั้ง") && html.contains("ไฟยังดับอยู่ทุกคืน"))

            // Completed again: the window counts from the new completion; past 14 days it is closed.
            var again = try await PetitionFixtures.move(app, reopened, to: .completed)
            try await Self.countsAgree(app)
            let sql = try #require(app.db as? any SQLDatabase)
            let old = Date().addingTimeInterval(-15 * 86_400)
            try await sql.raw("UPDATE petitions SET status_changed_at = \(bind: old) WHERE id = \(bind: try again.requireID())").run()
            again = try await Self.fresh(app, again)
            (_, html) = try await Self.citizenPage(app, client, p.number)
            #expect(!html.contains("id=\"reopen-form\"") && html.contains("id=\"rating-form\""))
            (status, _) = try await Self.send(app, client, "\(p.number)/reopen", ["reason": "ยังดับ", "version": "\(again.version)"])
            #expect(status == .seeOther)
            #expect(try await Self.fresh(app, again).status == .completed)
            (_, html) = try await Self.citizenPage(app, client, p.number)
            #expect(html.contains("ภายใน 14 วันนับจากวันที่ดำเนินการสำเร็จ ซึ่งเลยกำหนดแล้ว"))
            // Even straight through the store, a petition past its window is not reopened.
            let transition = try PetitionReopening.transition(from: .completed, completedAt: Date(), now: Date(), reason: "x")
            let late = try await PetitionFeedbackStore.reopen(
                again, transition: transition, expectedVersion: again.version, due: Date(), citizenName: "x",
                tenant: try Tenant.named("bangkrathum", in: app), staffMails: [], on: app.db)
            guard case .conflict = late else {
                Issue.record("reopened after the window")
                return
            }
        }
    }

    @Test("whom a reopening tells: the holder, else the division's head, else the Organization admins", arguments: [TestDatabase.sqlite])
    func recipients(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let t = try Tenant.named("bangkrathum", in: app)
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let head = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let account = try await PetitionFixtures.citizen(app)
            let p = try await PetitionFixtures.file(app, citizen: account)
            let division = try #require(try await DivisionStore.all(tenant: t, on: app.db).first)

            p.division = nil
            var who = try await PetitionFeedbackStore.reopenRecipients(p, tenant: t, on: app.db)
            #expect(who.map { $0.0.id } == [admin.id] && who.allSatisfy { $0.1 == .orgAdmin })

            division.headStaffID = head.id
            try await division.save(on: app.db)
            p.division = division.code
            who = try await PetitionFeedbackStore.reopenRecipients(p, tenant: t, on: app.db)
            #expect(who.map { $0.0.id } == [head.id] && who.first?.1 == .divisionHead)

            p.assigneeID = officer.id
            who = try await PetitionFeedbackStore.reopenRecipients(p, tenant: t, on: app.db)
            #expect(who.map { $0.0.id } == [officer.id] && who.first?.1 == .assignee)

            // A disabled holder is not told; the head is.
            let holder = try #require(try await StaffStore.find(officer.id, on: app.db))
            holder.statusRaw = StaffAccountStatus.disabled.rawValue
            try await holder.save(on: app.db)
            who = try await PetitionFeedbackStore.reopenRecipients(p, tenant: t, on: app.db)
            #expect(who.map { $0.0.id } == [head.id])
        }
    }

    static func statusBody(_ officer: StaffClient, csrf: String? = nil, fields: [String: String], photos: [(String, Data)]) -> (HTTPHeaders, ByteBuffer) {
        var m = Multipart()
        m.field("_csrf", csrf ?? officer.csrf)
        for (k, v) in fields.sorted(by: { $0.key < $1.key }) { m.field(k, v) }
        for (name, data) in photos { m.file(PetitionCommandsController.resultInput, filename: name, type: "image/jpeg", data: data) }
        var (h, b) = m.finished()
        h.add(name: "Cookie", value: officer.cookie)
        return (h, b)
    }

    @Test(
        "before and after: a complaint is completed with photos of the result (no EXIF kept), the citizen sees them beside their own; refused files keep nothing",
        arguments: TestDatabase.all)
    func beforeAndAfter(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let client = try await CitizenFixtures.register(app)
            let account = try await Self.account(app, client)
            let p = try await PetitionFixtures.file(app, citizen: account)
            let photo = try TestImages.fixture("id-photo.jpg")
            #expect(photo.range(of: Data("Exif".utf8)) != nil, "the fixture carries EXIF")
            let url = "\(Self.queue)/\(p.number)/status/photos"

            // A complaint's status form is multipart, with the photo field.
            var (status, html) = try await PetitionFixtures.page(app, officer, "\(Self.queue)/\(p.number)")
            #expect(html.contains("action=\"\(url)\" class=\"decision-form move-form\" novalidate enctype=\"multipart/form-data\""))
            #expect(html.contains("name=\"\(PetitionCommandsController.resultInput)\""))
            let version = PetitionFixtures.version(html)

            // Refused: without the CSRF token; photos with a status other than ดำเนินการสำเร็จ; a file that is not an image.
            var (h, b) = Self.statusBody(officer, csrf: "wrong", fields: ["status": "completed", "version": version], photos: [("after.jpg", photo)])
            try await app.testing().test(.POST, url, headers: h, body: b) { #expect($0.status == .forbidden) }
            (h, b) = Self.statusBody(officer, fields: ["status": "in_progress", "version": version], photos: [("after.jpg", photo)])
            try await app.testing().test(.POST, url, headers: h, body: b) { res in
                #expect(res.status == .unprocessableEntity && res.body.string.contains("แนบรูปผลการดำเนินการได้เมื่อเลือกสถานะ “ดำเนินการสำเร็จ” เท่านั้น"))
            }
            (h, b) = Self.statusBody(officer, fields: ["status": "completed", "version": version], photos: [("after.jpg", samplePDF)])
            try await app.testing().test(.POST, url, headers: h, body: b) { res in
                #expect(res.status == .unprocessableEntity && res.body.string.contains("ไม่ใช่ไฟล์ประเภทที่รับ"))
            }
            (h, b) = Self.statusBody(officer, fields: ["status": "completed", "version": "99999999999999999999999"], photos: [])
            try await app.testing().test(.POST, url, headers: h, body: b) { #expect($0.status == .badRequest) }
            #expect(try await Self.fresh(app, p).status == .submitted)
            #expect(PetitionFilingTests.petitionFiles(env).isEmpty, "nothing kept from a refused form")

            (h, b) = Self.statusBody(
                officer, fields: ["status": "completed", "note": "เปลี่ยนหลอดใหม่แล้ว", "version": version],
                photos: [("after-1.jpg", photo), ("after-2.jpg", photo)])
            try await app.testing().test(.POST, url, headers: h, body: b) { #expect($0.status == .seeOther) }
            let done = try await Self.fresh(app, p)
            #expect(done.status == .completed)
            let files = try await PetitionStore.attachments(done, on: app.db)
            let completion = try #require(try await PetitionStore.timeline(done, on: app.db).last)
            #expect(completion.toStatus == "completed" && completion.note == "เปลี่ยนหลอดใหม่แล้ว")
            #expect(files.count == 2 && files.allSatisfy { $0.fieldKey == "_result" && $0.eventID == completion.id && $0.mimeType == "image/jpeg" })
            for f in PetitionFilingTests.petitionFiles(env) {
                #expect(try Data(contentsOf: f).range(of: Data("Exif".utf8)) == nil, "stored without EXIF: \(f.lastPathComponent)")
            }
            #expect(PetitionFilingTests.petitionFiles(env).count == 2)
            // A stale form with photos: 409, and the photos are not kept.
            (h, b) = Self.statusBody(officer, fields: ["status": "completed", "version": version], photos: [("late.jpg", photo)])
            try await app.testing().test(.POST, url, headers: h, body: b) { #expect($0.status == .conflict) }
            #expect(PetitionFilingTests.petitionFiles(env).count == 2)

            // The citizen: ก่อนและหลัง with the result's photos (their own filing had none), and in the timeline.
            (status, html) = try await Self.citizenPage(app, client, p.number)
            #expect(status == .ok && html.contains("id=\"before-after\"") && html.contains("ท่านไม่ได้แนบรูปไว้"))
            let first = try #require(files.first?.id).uuidString.lowercased()
            #expect(html.contains("<img src=\"\(client.base)/account/petitions/\(p.number)/files/\(first)\" alt=\"รูปผลการดำเนินการ 1: after-1.jpg\""))
            #expect(html.contains("รูปผลการดำเนินการ"))
            try await app.testing().test(.GET, "\(client.base)/account/petitions/\(p.number)/files/\(first)", headers: client.headers) { res in
                #expect(res.status == .ok && res.headers.contentType?.description == "image/jpeg")
            }

            // A petition that is not a complaint keeps the plain status form.
            let bin = try await PetitionFixtures.file(app, citizen: account, service: "waste-bin")
            (_, html) = try await PetitionFixtures.page(app, officer, "\(Self.queue)/\(bin.number)")
            #expect(!html.contains("multipart/form-data\"><input type=\"hidden\" name=\"_csrf\"") && !html.contains(PetitionCommandsController.resultInput))
        }
    }

}
