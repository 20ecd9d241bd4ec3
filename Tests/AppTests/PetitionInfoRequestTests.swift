import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Asking the citizen for more (ขอข้อมูล/เอกสารเพิ่มเติม), the SLA pause, and the SLA reminders and escalations.
@Suite("Petitions: requests for more, the SLA pause, reminders and escalations")
struct PetitionInfoRequestTests {
    static let queue = "/backoffice/t/bangkrathum/petitions"

    /// A citizen signed in through the real pages, and their account.
    static func citizen(_ app: Application) async throws -> (CitizenClient, CitizenAccount) {
        let client = try await CitizenFixtures.register(app)
        let account = try #require(
            try await CitizenAccount.query(on: app.db).filter(\.$tenantID == "bangkrathum").filter(\.$email == client.email).first())
        return (client, account)
    }

    static func askForMore(_ app: Application, _ officer: StaffClient, _ number: String, message: String, version: String? = nil) async throws
        -> (HTTPStatus, String)
    {
        let page = try await PetitionFixtures.page(app, officer, "\(Self.queue)/\(number)").1
        var out: (HTTPStatus, String) = (.ok, "")
        try await post(
            app, "\(Self.queue)/\(number)/info-request", officer,
            ["message": message, "version": version ?? PetitionFixtures.version(page)]
        ) { out = ($0.status, $0.body.string) }
        return out
    }

    static func answerBody(
        _ c: CitizenClient, csrf: String, request: String, text: String, files: [(name: String, data: Data)] = []
    ) -> (HTTPHeaders, ByteBuffer) {
        var m = Multipart()
        m.field("_csrf", csrf)
        m.field("request", request)
        m.field("answer", text)
        for f in files { m.file(PetitionInfoAnswerController.fileInput, filename: f.name, type: "application/octet-stream", data: f.data) }
        var (headers, body) = m.finished()
        headers.add(name: "Cookie", value: c.cookie)
        return (headers, body)
    }

    static func jobs(_ app: Application, prefix: String) async throws -> [OutboxJobRecord] {
        try await OutboxStore.allJobs(on: app.db).filter { $0.idempotencyKey.hasPrefix(prefix) }
    }

    static func payload(_ app: Application, key: String) async throws -> String {
        let sql = try #require(app.db as? any SQLDatabase)
        struct Row: Decodable { var payload: String }
        return try await sql.raw("SELECT payload FROM outbox_jobs WHERE idempotency_key = \(bind: key)").first(decoding: Row.self)?.payload ?? ""
    }

    @Test("round trip: the officer asks, the citizen is told, answers with a file once, the clock resumes; both timelines show it", arguments: TestDatabase.all)
    func roundTrip(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let (client, account) = try await Self.citizen(app)
            var p = try await PetitionFixtures.file(app, citizen: account)
            // The officer holds it: the answer is e-mailed to them.
            p.assigneeID = officer.id
            p.assigneeName = "ผู้รับผิดชอบ"
            try await p.save(on: app.db)

            // Hostile or empty input: 4xx in Thai, nothing written.
            var (status, html) = try await Self.askForMore(app, officer, p.number, message: "   ")
            #expect(status == .unprocessableEntity && html.contains("กรุณาระบุข้อมูลหรือเอกสารที่ต้องการจากผู้ยื่น"))
            (status, html) = try await Self.askForMore(app, officer, p.number, message: String(repeating: "ก", count: 2001))
            #expect(status == .unprocessableEntity && html.contains("ไม่เกิน 2,000 ตัวอักษร"))
            (status, _) = try await Self.askForMore(app, officer, p.number, message: "x", version: "99999999999999999999999")
            #expect(status == .badRequest)
            (status, html) = try await Self.askForMore(app, officer, p.number, message: "x", version: "7")
            #expect(status == .conflict)

            let message = "กรุณาแนบสำเนาโฉนดที่ดินหน้า-หลัง"
            (status, _) = try await Self.askForMore(app, officer, p.number, message: message)
            #expect(status == .seeOther)
            p = try #require(try await PetitionStore.byID(try p.requireID(), tenant: try Tenant.named("bangkrathum", in: app), on: app.db))
            #expect(p.waitingSince != nil)
            let events = try await PetitionStore.timeline(p, on: app.db)
            #expect(events.filter { $0.kind == .infoRequested }.map(\.note) == [message])
            #expect(try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.petitionInfoRequested.rawValue).count() == 1)
            // The notice event tells the citizen by e-mail (always), with the message.
            #expect(try await NoticeTestSupport.events(app, kind: PetitionInfoRequested.kind).count == 1)
            try await NoticeTestSupport.run(app)
            let mails = try await Self.jobs(app, prefix: "petition-info-requested:")
            #expect(mails.count == 1 && mails.first?.kind == EmailOutbox.kind)
            let mail = try await Self.payload(app, key: try #require(mails.first).idempotencyKey)
            #expect(mail.contains("สำเนาโฉนดที่ดิน") || mail.contains("\\u0e2a"), "the message goes out")

            // The officer's page: waiting, no second request.
            (_, html) = try await PetitionFixtures.page(app, officer, "\(Self.queue)/\(p.number)")
            #expect(html.contains("รอข้อมูลเพิ่มเติมจากผู้ยื่น (หยุดนับเวลา)") && html.contains("id=\"info-waiting\""))
            (status, html) = try await Self.askForMore(app, officer, p.number, message: "อีกครั้ง")
            #expect(status == .unprocessableEntity && html.contains("กำลังรอข้อมูลเพิ่มเติมจากผู้ยื่นอยู่แล้ว"))

            // The citizen's page shows the request and the form.
            var page = ""
            try await app.testing().test(.GET, "\(client.base)/account/petitions/\(p.number)", headers: client.headers) { res in
                #expect(res.status == .ok)
                page = res.body.string
            }
            #expect(page.contains(message) && page.contains("ส่งข้อมูลเพิ่มเติม") && page.contains("รอข้อมูลเพิ่มเติมจากผู้ยื่น (หยุดนับเวลา)"))
            let hidden = FormSession.hidden(page)
            let csrf = try #require(hidden["_csrf"]), request = try #require(hidden["request"])
            let answerURL = "\(client.base)/account/petitions/\(p.number)/answer"

            // Hostile answers: no CSRF, junk, too long, a file that is not what it says, nothing at all.
            var (h, b) = Self.answerBody(client, csrf: "wrong", request: request, text: "x")
            try await app.testing().test(.POST, answerURL, headers: h, body: b) { #expect($0.status == .forbidden) }
            try await app.testing().test(
                .POST, answerURL, headers: ["Cookie": client.cookie, "Content-Type": "multipart/form-data; boundary=zzz"],
                body: ByteBuffer(string: "--zzz\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(csrf)\r\n--zzz\r\ngarbage")
            ) { #expect((400..<500).contains($0.status.code)) }
            (h, b) = Self.answerBody(client, csrf: csrf, request: request, text: String(repeating: "ข", count: 2001))
            try await app.testing().test(.POST, answerURL, headers: h, body: b) { res in
                #expect(res.status == .unprocessableEntity && res.body.string.contains("คำตอบยาวได้ไม่เกิน"))
            }
            (h, b) = Self.answerBody(client, csrf: csrf, request: request, text: "", files: [("deed.pdf", Data("<html>hi</html>".utf8))])
            try await app.testing().test(.POST, answerURL, headers: h, body: b) { res in
                #expect(res.status == .unprocessableEntity && res.body.string.contains("ไม่ใช่ไฟล์ประเภทที่รับ"))
            }
            (h, b) = Self.answerBody(client, csrf: csrf, request: request, text: "  ")
            try await app.testing().test(.POST, answerURL, headers: h, body: b) { res in
                #expect(res.status == .unprocessableEntity && res.body.string.contains("กรุณาพิมพ์คำตอบหรือแนบไฟล์"))
            }
            (h, b) = Self.answerBody(client, csrf: csrf, request: "not-a-uuid", text: "x")
            try await app.testing().test(.POST, answerURL, headers: h, body: b) { #expect($0.status == .badRequest) }
            #expect(try await PetitionStore.byID(try p.requireID(), tenant: try Tenant.named("bangkrathum", in: app), on: app.db)?.waitingSince != nil)
            #expect(PetitionFilingTests.petitionFiles(env).isEmpty, "no file is kept from a refused answer")

            // The answer, with a PDF; then the same form again.
            (h, b) = Self.answerBody(client, csrf: csrf, request: request, text: "แนบโฉนดแล้วครับ", files: [("deed.pdf", samplePDF)])
            try await app.testing().test(.POST, answerURL, headers: h, body: b) { #expect($0.status == .seeOther) }
            (h, b) = Self.answerBody(client, csrf: csrf, request: request, text: "แนบโฉนดแล้วครับ", files: [("deed.pdf", samplePDF)])
            try await app.testing().test(.POST, answerURL, headers: h, body: b) { #expect($0.status == .seeOther) }
            let t = try Tenant.named("bangkrathum", in: app)
            p = try #require(try await PetitionStore.byID(try p.requireID(), tenant: t, on: app.db))
            #expect(p.waitingSince == nil)
            let answers = try await PetitionStore.timeline(p, on: app.db).filter { $0.kind == .infoAnswered }
            #expect(answers.count == 1, "a repeated submit is one answer")
            let files = try await PetitionStore.attachments(p, on: app.db).filter { $0.eventID != nil }
            #expect(files.count == 1 && files.first?.eventID == answers.first?.id && files.first?.mimeType == "application/pdf")
            #expect(PetitionFilingTests.petitionFiles(env).count == 1, "the repeat's file was deleted")
            #expect(try await Self.jobs(app, prefix: "petition-info-answered:").count == 1, "the assignee is e-mailed")

            // Both timelines: the request, the answer and its file, linked for each.
            (_, html) = try await PetitionFixtures.page(app, officer, "\(Self.queue)/\(p.number)")
            let fileID = try #require(files.first?.id).uuidString.lowercased()
            #expect(html.contains(message) && html.contains("แนบโฉนดแล้วครับ") && html.contains("/attachments/\(fileID)"))
            #expect(!html.contains("id=\"waiting-flag\""))
            try await app.testing().test(.GET, "\(client.base)/account/petitions/\(p.number)", headers: client.headers) { res in
                let body = res.body.string
                #expect(body.contains(message) && body.contains("แนบโฉนดแล้วครับ") && body.contains("/files/\(fileID)"))
                #expect(!body.contains("ส่งข้อมูลเพิ่มเติม</button>"), "no form once answered")
            }
            try await app.testing().test(.GET, "\(client.base)/account/petitions/\(p.number)/files/\(fileID)", headers: client.headers) {
                #expect($0.status == .ok)
            }
        }
    }

    @Test("a petition without a citizen account, or closed, cannot be asked; the officer is told to contact the person", arguments: TestDatabase.all)
    func refusals(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let api = try await PetitionFixtures.file(app, citizen: nil)
            var (status, html) = try await Self.askForMore(app, officer, api.number, message: "ขอเอกสาร")
            #expect(status == .unprocessableEntity && html.contains("กรุณาติดต่อผู้ยื่นโดยตรง"))
            let closed = try await PetitionFixtures.move(
                app, try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app)), to: .completed)
            (status, html) = try await Self.askForMore(app, officer, closed.number, message: "ขอเอกสาร", version: "\(closed.version)")
            #expect(status == .unprocessableEntity && html.contains("ดำเนินการเสร็จสิ้นหรือปิดแล้ว"))
            #expect(try await NoticeTestSupport.events(app, kind: PetitionInfoRequested.kind).isEmpty)
            // Another tenant's officer cannot reach it.
            let foreign = try await signedInStaff(app, tenant: "bangrak", role: .officer)
            try await post(app, "\(Self.queue)/\(closed.number)/info-request", foreign, ["message": "x", "version": "1"]) {
                #expect($0.status == .forbidden || $0.status == .notFound)
            }
        }
    }

    @Test("the SLA pause: the due date shown moves while waiting, the stored one on the answer; overdue leaves waiting ones out", arguments: TestDatabase.all)
    func pause(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let t = try Tenant.named("bangkrathum", in: app)
            let account = try await PetitionFixtures.citizen(app)
            // Filed on a Monday (Bangkok), due some working days later.
            let monday = try #require(ISO8601DateFormatter().date(from: "2026-11-02T03:00:00Z"))
            var p = try await PetitionFixtures.file(app, citizen: account, at: monday)
            let due = p.dueAt
            let staff = StaffPrincipal(id: UUID(), username: "o", displayName: "เจ้าหน้าที่", isPlatformAdmin: false, grants: ["bangkrathum": .officer])
            guard
                case .done(let waiting) = try await PetitionWaitStore.requestInfo(
                    p, message: "ขอเอกสาร", expectedVersion: p.version, staff: staff, tenant: t, linkBase: "", ip: "127.0.0.1", now: monday, on: app.db)
            else { throw TestFailure("request refused") }
            p = waiting
            // A second request while waiting is refused; so is one from a stale page.
            await #expect(throws: PetitionWaitStore.Refusal.alreadyWaiting) {
                _ = try await PetitionWaitStore.requestInfo(
                    waiting, message: "x", expectedVersion: waiting.version, staff: staff, tenant: t, linkBase: "", ip: "", now: monday, on: app.db)
            }
            let other = try await PetitionFixtures.file(app, citizen: account, at: monday)
            let stale = try await PetitionWaitStore.requestInfo(
                other, message: "x", expectedVersion: other.version - 1, staff: staff, tenant: t, linkBase: "", ip: "", now: monday, on: app.db)
            if case .done = stale { Issue.record("a stale request must be refused") }
            // Thursday: three working days waited; shown due date moved by three, not overdue while waiting.
            let thursday = monday.addingTimeInterval(3 * 86_400)
            #expect(p.sla.due(at: thursday) == WorkingDays.extend(due, by: 3))
            #expect(!p.sla.isOverdue(at: due.addingTimeInterval(86_400 * 30)))
            let request = try #require(try await PetitionWaitStore.latestRequest(p, on: app.db)?.id)
            guard
                case .answered(let answered) = try await PetitionWaitStore.answer(
                    p, requestID: request, text: "ส่งแล้ว", files: [], citizenName: "ผู้ยื่น", tenant: t, assigneeMail: nil, now: thursday, on: app.db)
            else { throw TestFailure("answer refused") }
            #expect(answered.waitingSince == nil && answered.pausedDays == 3 && answered.dueAt == WorkingDays.extend(due, by: 3))
            // The same answer again writes nothing.
            let again = try await PetitionWaitStore.answer(
                answered, requestID: request, text: "ส่งแล้ว", files: [], citizenName: "ผู้ยื่น", tenant: t, assigneeMail: nil, now: thursday, on: app.db)
            if case .answered = again { Issue.record("a second answer must not be written") }

            // The queue's overdue filter leaves a waiting petition out (and counts it out).
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let old = Date().addingTimeInterval(-40 * 86_400)
            let late = try await PetitionFixtures.file(app, citizen: account, at: old)
            let lateWaiting = try await PetitionFixtures.file(app, citizen: account, at: old)
            _ = try await PetitionWaitStore.requestInfo(
                lateWaiting, message: "ขอเอกสาร", expectedVersion: lateWaiting.version, staff: staff, tenant: t, linkBase: "", ip: "", on: app.db)
            let (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&overdue=1")
            #expect(html.contains(late.number) && !html.contains(lateWaiting.number))
        }
    }

    // MARK: Reminders and escalations

    struct Setup {
        var assignee: StaffAccount
        var head: StaffAccount
        var admin: StaffAccount
    }

    static func setUp(_ app: Application) async throws -> Setup {
        let (assignee, _) = try await StaffFixtures.account(app, username: "assignee\(Int.random(in: 1000...9999))", grants: [("bangkrathum", .officer)])
        let (head, _) = try await StaffFixtures.account(app, username: "head\(Int.random(in: 1000...9999))", grants: [("bangkrathum", .officer)])
        let (admin, _) = try await StaffFixtures.account(app, username: "admin\(Int.random(in: 1000...9999))", grants: [("bangkrathum", .orgAdmin)])
        let d = DivisionRecord()
        d.tenantID = "bangkrathum"
        d.code = "engineering"
        d.name = "กองช่าง"
        d.headStaffID = try head.requireID()
        d.position = 1
        d.createdAt = Date()
        d.updatedAt = Date()
        try await d.create(on: app.db)
        return Setup(assignee: assignee, head: head, admin: admin)
    }

    static func context(_ app: Application) -> SLAEscalation.Context {
        SLAEscalation.Context(views: { app.view }, mailFrom: "e-service@example.go.th", base: "https://eservice.example", tenants: { app.tenants.all })
    }

    static func petition(
        _ app: Application, citizen: CitizenAccount, due: Date, assignee: StaffAccount? = nil, division: String? = nil
    ) async throws -> PetitionRecord {
        let p = try await PetitionFixtures.file(app, citizen: citizen)
        p.dueAt = due
        p.assigneeID = try assignee?.requireID()
        p.assigneeName = assignee?.fullNameTH
        p.division = division
        try await p.save(on: app.db)
        return p
    }

    @Test("reminder, head, then admins: each once through the outbox; none for waiting or closed; a test clock", arguments: TestDatabase.all)
    func escalations(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let s = try await Self.setUp(app)
            let citizen = try await PetitionFixtures.citizen(app)
            let t = try Tenant.named("bangkrathum", in: app)
            // Tuesday 10:00 Bangkok.
            let now = try #require(ISO8601DateFormatter().date(from: "2026-11-03T03:00:00Z"))
            let soon = try await Self.petition(app, citizen: citizen, due: WorkingDays.due(filed: now, days: 1), assignee: s.assignee)
            let later = try await Self.petition(app, citizen: citizen, due: WorkingDays.due(filed: now, days: 3), assignee: s.assignee)
            let late = try await Self.petition(app, citizen: citizen, due: now.addingTimeInterval(-3600), assignee: s.assignee, division: "engineering")
            let orphan = try await Self.petition(app, citizen: citizen, due: now.addingTimeInterval(-3600))
            let waiting = try await Self.petition(app, citizen: citizen, due: now.addingTimeInterval(-3600), assignee: s.assignee, division: "engineering")
            waiting.waitingSince = now.addingTimeInterval(-86_400)
            try await waiting.save(on: app.db)
            var closed = try await Self.petition(app, citizen: citizen, due: now.addingTimeInterval(-3600), assignee: s.assignee, division: "engineering")
            closed = try await PetitionFixtures.move(app, closed, to: .completed)

            let sent = try await (app.tenantGuard ?? TenantGuard()).checking {
                try await SLAEscalation.run(Self.context(app), now: now, on: app.db)
            }
            #expect(sent == .init(reminders: 1, heads: 1, admins: 1))
            func key(_ p: PetitionRecord) throws -> String { try p.requireID().uuidString.lowercased() }
            // Keys end with the due date's cycle (":<seconds>"): compared here without it.
            func uncycled(_ jobs: [OutboxJobRecord]) -> [String] {
                jobs.map { k in String(k.idempotencyKey[..<(k.idempotencyKey.lastIndex(of: ":") ?? k.idempotencyKey.endIndex)]) }
            }
            #expect(uncycled(try await Self.jobs(app, prefix: "sla-reminder:")) == ["sla-reminder:\(try key(soon))"])
            #expect(uncycled(try await Self.jobs(app, prefix: "sla-head:")) == ["sla-head:\(try key(late))"])
            #expect(
                uncycled(try await Self.jobs(app, prefix: "sla-admins:")) == [
                    "sla-admins:\(try key(orphan)):\(try s.admin.requireID().uuidString.lowercased())"
                ],
                "no division, no head: the admins at once")
            let headMail = try await Self.payload(app, key: try #require(try await Self.jobs(app, prefix: "sla-head:\(try key(late))").first).idempotencyKey)
            #expect(headMail.contains(s.head.email) && headMail.contains(late.number))
            let reminder = try #require(try await Self.jobs(app, prefix: "sla-reminder:\(try key(soon))").first)
            #expect(try await Self.payload(app, key: reminder.idempotencyKey).contains(s.assignee.email))

            // The next sweep, the same day: nothing again.
            #expect(try await SLAEscalation.run(Self.context(app), now: now.addingTimeInterval(600), on: app.db).total == 0)
            // Two working days on, still overdue: the admins are told about the head's one, once.
            let thursday = now.addingTimeInterval(2 * 86_400)
            // By then "later" is one working day from due (reminded), "soon" is overdue without a division (admins at
            // once), and "late" has been overdue a working day past its head's e-mail (admins).
            #expect(try await SLAEscalation.run(Self.context(app), now: thursday, on: app.db) == .init(reminders: 1, heads: 0, admins: 2))
            #expect(try await Self.jobs(app, prefix: "sla-reminder:\(try key(later))").count == 1)
            #expect(try await Self.jobs(app, prefix: "sla-admins:\(try key(late))").count == 1)
            #expect(try await Self.jobs(app, prefix: "sla-admins:\(try key(soon))").count == 1)
            #expect(try await SLAEscalation.run(Self.context(app), now: thursday, on: app.db).total == 0)
            // Nothing ever for the waiting or the closed one.
            for p in [waiting, closed] {
                #expect(
                    try await OutboxStore.allJobs(on: app.db).filter { $0.idempotencyKey.contains(try key(p)) && $0.idempotencyKey.hasPrefix("sla-") }.isEmpty)
            }
            let stored = try #require(try await PetitionStore.byID(try late.requireID(), tenant: t, on: app.db))
            #expect(stored.escalatedHeadAt != nil && stored.escalatedAdminsAt != nil)
        }
    }

    @Test("two sweeps at once send each e-mail once", arguments: TestDatabase.all)
    func concurrentSweeps(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let s = try await Self.setUp(app)
            let citizen = try await PetitionFixtures.citizen(app)
            let now = try #require(ISO8601DateFormatter().date(from: "2026-11-03T03:00:00Z"))
            var petitions: [PetitionRecord] = []
            for i in 0..<6 {
                petitions.append(
                    try await Self.petition(
                        app, citizen: citizen, due: i % 2 == 0 ? now.addingTimeInterval(-3600) : WorkingDays.due(filed: now, days: 1),
                        assignee: s.assignee, division: "engineering"))
            }
            let context = Self.context(app)
            async let a = SLAEscalation.run(context, now: now, on: app.db)
            async let b = SLAEscalation.run(context, now: now, on: app.db)
            let (ra, rb) = try await (a, b)
            #expect(ra.total + rb.total == 6, "\(ra) \(rb)")
            #expect(try await Self.jobs(app, prefix: "sla-head:").count == 3)
            #expect(try await Self.jobs(app, prefix: "sla-reminder:").count == 3)
        }
    }
}
