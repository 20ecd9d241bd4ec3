import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// One road for notices: a store writes the change's event in its own transaction, one notifier decides the
/// channels (`NoticePolicy`) and writes the e-mail and LINE jobs, which the worker delivers.
@Suite("Notices: one pipeline from a change to e-mail and LINE")
struct NoticePipelineTests {
    static let tenant = "bangkrathum"

    static func filing(_ t: Tenant, citizen: CitizenAccount?, key: String) throws -> PetitionStore.Filing {
        let (menu, service) = try #require(t.service("street-light"))
        return PetitionStore.Filing(
            tenant: t, citizenID: try citizen?.requireID(), citizenName: citizen?.fullName ?? "Open311: แชตบอต",
            channel: citizen == nil ? .open311 : .web, menu: menu, service: service, formVersion: 1,
            answersJSON: try PetitionFixtures.answersJSON(), attachments: [], submissionKey: key)
    }

    static func jobs(_ app: Application, key: String) async throws -> [OutboxJobRecord] {
        try await OutboxStore.allJobs(on: app.db).filter { $0.idempotencyKey == key }
    }

    @Test(
        "a citizen who chose LINE is told in LINE (and by e-mail) that their document was withdrawn; the flash says both",
        arguments: TestDatabase.all)
    func withdrawalReachesLine(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, _ in
            let user = LineWebhookFixture.user(21)
            let (_, account) = try await LineTests.linkedCitizen(app, line, user: user)
            let officer = try await signedInStaff(app, tenant: Self.tenant, role: .officer)
            let p = try await PetitionFixtures.move(app, try await PetitionFixtures.file(app, citizen: account), to: .completed)
            try await PetitionDocumentTests.upload(app, officer, number: p.number, title: "ใบอนุญาตติดตั้งป้าย ที่ 9/2569") { #expect($0.status == .seeOther) }
            let doc = try #require(try await PetitionDocuments.list(p, on: app.db).first)
            let code = PetitionDocuments.displayCode(doc.verificationCode)
            try await LineTestSupport.drain(app)
            let pushesBefore = try await line.delivered(app).filter { $0.kind == "push" }.count

            let reason = "ออกผิดฉบับ ชื่อผู้รับอนุญาตสะกดผิด"
            try await PetitionDocumentTests.withdraw(app, officer, number: p.number, id: try doc.requireID(), reason: reason) {
                #expect($0.status == .seeOther)
            }
            let (_, html) = try await PetitionFixtures.page(app, officer, "/backoffice/t/\(Self.tenant)/petitions/\(p.number)")
            #expect(html.contains("ระบบแจ้งผู้ยื่นทางอีเมลและLINE"), "the flash names both channels")
            try await LineTestSupport.drain(app)

            let pushes = try await line.delivered(app).filter { $0.kind == "push" }
            #expect(pushes.count == pushesBefore + 1)
            let push = try #require(pushes.last)
            #expect(push.to == user && push.texts.first == "เพิกถอนใบอนุญาต คำร้อง \(p.number) – เทศบาลตำบลบางกระทุ่ม")
            let json = try await line.deliveredJSON(app)
            #expect(
                json.contains(reason) && json.contains(code) && json.contains("/t/bangkrathum/account/petitions/\(p.number)"),
                "the bubble carries the reason, the code and the petition's link")
            let key = "petition-document-withdrawn:\(try doc.requireID().uuidString.lowercased())"
            #expect(try await Self.jobs(app, key: key).map(\.kind) == [EmailOutbox.kind])
            #expect(try await Self.jobs(app, key: "line:" + key).map(\.status) == [.done])
            let mail = try #require(try await queuedMails(app).last)
            #expect(mail.to == [account.email] && mail.subject.contains("เพิกถอนใบอนุญาต") && mail.text.contains(reason) && mail.text.contains(code))
        }
    }

    @Test(
        "the event is written in the change's transaction: a rolled-back filing, move, withdrawal or decision leaves none",
        arguments: TestDatabase.all)
    func sameTransaction(database: TestDatabase) async throws {
        struct Rollback: Error {}
        try await withApp(database) { app, _ in
            let t = try Tenant.named(Self.tenant, in: app)
            let citizen = try await PetitionFixtures.citizen(app)
            let filing = try Self.filing(t, citizen: citizen, key: "rolled-back")
            await #expect(throws: Rollback.self) {
                try await app.db.writeTransaction { db in
                    _ = try await PetitionStore.file(filing, linkBase: NoticeTestSupport.linkBase, on: db)
                    throw Rollback()
                }
            }
            #expect(try await PetitionRecord.query(on: app.db).count() == 0)
            let p = try await PetitionStore.file(try Self.filing(t, citizen: citizen, key: "kept"), linkBase: NoticeTestSupport.linkBase, on: app.db).petition
            let actor = PetitionStore.Actor(kind: .staff, id: nil, name: "เจ้าหน้าที่")
            await #expect(throws: Rollback.self) {
                try await app.db.writeTransaction { db in
                    _ = try await PetitionStore.move(
                        p, to: .accepted, note: "รับเรื่อง", expectedVersion: 1, actor: actor, tenant: t,
                        linkBase: NoticeTestSupport.linkBase, on: db)
                    throw Rollback()
                }
            }
            #expect(try await PetitionStore.byID(try p.requireID(), tenant: t, on: app.db)?.status == .submitted)
            await #expect(throws: Rollback.self) {
                try await app.db.writeTransaction { db in
                    _ = try await CitizenStore.decide(
                        citizen, identityVersion: citizen.identityVersion, verified: false, reason: "ไม่ชัด", staffID: UUID(),
                        tenant: t, linkBase: NoticeTestSupport.linkBase, on: db)
                    throw Rollback()
                }
            }
            // Only the committed filing's event is there.
            let events = try await OutboxStore.allJobs(on: app.db).filter { NoticeEvents.kinds.contains($0.kind) }
            #expect(events.map(\.idempotencyKey) == ["event:petition-filed:\(try p.requireID().uuidString.lowercased())"])

            // Committed: the move's event carries the note, the statuses and the version.
            guard
                case .moved(let moved) = try await PetitionStore.move(
                    p, to: .accepted, note: "รับเรื่องแล้ว", expectedVersion: 1, actor: actor, tenant: t,
                    linkBase: NoticeTestSupport.linkBase, on: app.db)
            else {
                Issue.record("not moved"); return
            }
            let sql = try #require(app.db as? any SQLDatabase)
            let payload = try #require(
                try await sql.raw("SELECT payload FROM outbox_jobs WHERE kind = \(bind: PetitionMoved.kind)").first()?
                    .decode(column: "payload", as: String.self))
            let event = try JSONDecoder.outbox.decode(PetitionMoved.self, from: Data(payload.utf8))
            #expect(event.from == .submitted && event.to == .accepted && event.note == "รับเรื่องแล้ว" && event.version == moved.version)
            #expect(event.key == "petition-status:\(try p.requireID().uuidString.lowercased()):2" && event.linkBase == NoticeTestSupport.linkBase)
        }
    }

    @Test("a notifier job run again (its worker died after writing) makes one e-mail and one push", arguments: TestDatabase.all)
    func retriedNotifier(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, _ in
            let user = LineWebhookFixture.user(22)
            let (_, account) = try await LineTests.linkedCitizen(app, line, user: user)
            let t = try Tenant.named(Self.tenant, in: app)
            let p = try await PetitionStore.file(try Self.filing(t, citizen: account, key: "retried"), linkBase: NoticeTestSupport.linkBase, on: app.db)
                .petition
            let key = "petition-filed:\(try p.requireID().uuidString.lowercased())"
            // Claim the event, run it, and "die" before completing it: the lease runs out and another worker runs it again.
            let start = Date()
            var options = OutboxWorker.Options()
            options.kinds = NoticeEvents.kinds
            let claimed = try await OutboxStore.claim(
                worker: "dies", limit: 10, now: start, leaseUntil: start.addingTimeInterval(1), kinds: NoticeEvents.kinds, on: app.db)
            #expect(claimed.map(\.idempotencyKey) == ["event:" + key])
            try await NoticeHandler(app: app).handle(try #require(claimed.first))
            options.now = { start.addingTimeInterval(5) }
            #expect(try await app.makeOutboxWorker(options: options).runOnce() == 1, "the lease ran out: run again")
            #expect(try await Self.jobs(app, key: "event:" + key).map(\.attempts) == [2])
            let sql = try #require(app.db as? any SQLDatabase)
            let kept = try await sql.raw("SELECT payload FROM outbox_jobs WHERE idempotency_key = \(bind: "event:" + key)").all()
                .map { try $0.decode(column: "payload", as: String.self) }
            #expect(kept == ["{}"], "a handled event keeps its key, not its content (an officer's note, a reason)")
            // The deliveries are due since the change, so in a backlog they go before newer changes' events.
            func date(_ column: String, _ k: String) async throws -> Date {
                try #require(
                    try await sql.raw("SELECT \(ident: column) FROM outbox_jobs WHERE idempotency_key = \(bind: k)").first()?
                        .decode(column: column, as: Date.self))
            }
            let changed = try await date("created_at", "event:" + key)
            let emailDue = try await date("run_at", key), pushDue = try await date("run_at", "line:" + key)
            #expect(abs(emailDue.timeIntervalSince(changed)) < 0.001 && abs(pushDue.timeIntervalSince(changed)) < 0.001)
            #expect(try await Self.jobs(app, key: key).count == 1, "one e-mail job")
            #expect(try await Self.jobs(app, key: "line:" + key).count == 1, "one push job")
            try await LineTestSupport.drain(app)
            let pushes = try await line.delivered(app).filter { $0.kind == "push" && $0.texts.first?.contains(p.number) == true }
            #expect(pushes.count == 1 && pushes.first?.to == user)
        }
    }

    @Test("Open311 petitions (no citizen) produce no notices: the events run and send nothing", arguments: TestDatabase.all)
    func open311Silent(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let t = try Tenant.named(Self.tenant, in: app)
            let p = try await PetitionStore.file(try Self.filing(t, citizen: nil, key: "open311"), linkBase: NoticeTestSupport.linkBase, on: app.db).petition
            let actor = PetitionStore.Actor(kind: .staff, id: nil, name: "เจ้าหน้าที่")
            guard
                case .moved(let accepted) = try await PetitionStore.move(
                    p, to: .accepted, note: nil, expectedVersion: 1, actor: actor, tenant: t,
                    linkBase: NoticeTestSupport.linkBase, on: app.db)
            else { Issue.record("accepted"); return }
            _ = try await PetitionStore.move(
                accepted, to: .completed, note: "เสร็จ", expectedVersion: 2, actor: actor, tenant: t,
                linkBase: NoticeTestSupport.linkBase, on: app.db)
            #expect(try await NoticeTestSupport.run(app) == 3)
            let jobs = try await OutboxStore.allJobs(on: app.db)
            #expect(jobs.count == 3 && jobs.allSatisfy { NoticeEvents.kinds.contains($0.kind) && $0.status == .done })
        }
    }

    @Test("the officer's flash names exactly the channels the notifier used", arguments: TestDatabase.all)
    func flashAgrees(database: TestDatabase) async throws {
        let line = try LINEServer()
        defer { line.stop() }
        try await withApp(database, settings: line.settings) { app, _ in
            let (_, linked) = try await LineTests.linkedCitizen(app, line, user: LineWebhookFixture.user(23))
            let plain = try await PetitionFixtures.citizen(app)
            let officer = try await signedInStaff(app, tenant: Self.tenant, role: .officer)
            let cases: [(CitizenAccount, NotificationChoices, PetitionStatus)] = [
                (linked, .all, .accepted),
                (linked, NotificationChoices(email: [], line: [.statusChanged]), .inProgress),
                (linked, NotificationChoices(email: [.statusChanged], line: []), .accepted),
                (linked, NotificationChoices(email: [], line: []), .accepted),
                (linked, NotificationChoices(email: [], line: []), .completed),
                (plain, .all, .cannotProceed),
            ]
            for (citizen, choices, target) in cases {
                citizen.noticeChoices = choices
                try await citizen.save(on: app.db)
                let p = try await PetitionFixtures.file(app, citizen: citizen)
                let path = "/backoffice/t/\(Self.tenant)/petitions/\(p.number)"
                try await post(app, "\(path)/status", officer, ["status": target.rawValue, "note": "เหตุผลประกอบ", "version": "1"]) {
                    #expect($0.status == .seeOther)
                }
                let (_, html) = try await PetitionFixtures.page(app, officer, path)
                try await NoticeTestSupport.run(app)
                let key = "petition-status:\(try p.requireID().uuidString.lowercased()):2"
                var sent: [NoticeChannel] = []
                if try await !Self.jobs(app, key: key).isEmpty { sent.append(.email) }
                if try await !Self.jobs(app, key: "line:" + key).isEmpty { sent.append(.line) }
                let flash = sent.isEmpty ? "ระบบแจ้งผู้ยื่นทาง" : "ระบบแจ้งผู้ยื่นทาง" + sent.map(\.thai).joined(separator: "และ") + "<"
                #expect(sent.isEmpty ? !html.contains(flash) : html.contains(flash), "\(choices) → \(target): sent \(sent)")
            }
        }
    }

    @Test("each notice e-mail renders its Thai text from its typed context through the application's renderer")
    func templates() async throws {
        try await withApp(.sqlite) { app, _ in
            let t = try Tenant.named(Self.tenant, in: app)
            let r = CitizenNotices.Recipient(
                name: "นายสมชาย ใจดี", emailAddress: "somchai@example.com", choices: NotificationChoices(email: [], line: []), lineUserID: nil)
            let base = "https://bangkrathum.example.go.th"
            let at = Date(timeIntervalSince1970: 1_767_225_600)  // 1 ม.ค. 2569 07:00 Bangkok
            let petition = PetitionFacts(
                petitionID: UUID(), citizenID: UUID(), number: "BKT-2569-000042", serviceName: "แจ้งซ่อมไฟฟ้าสาธารณะ",
                filedAt: at, dueAt: at.addingTimeInterval(86_400 * 5))
            let link = "\(base)/account/petitions/BKT-2569-000042"
            func check(_ mail: RenderedMail, subject: String, _ texts: [String], button: (label: String, url: String), not: [String] = []) {
                #expect(mail.mail.to == ["somchai@example.com"] && mail.mail.subject == subject)
                #expect(mail.mail.text.contains("\(button.label): \(button.url)"))
                #expect(mail.mail.html.contains("<a href=\"\(button.url)\"") && mail.mail.html.contains(">\(HTMLText.escaped(button.label))</a>"))
                for text in texts + ["เรียน นายสมชาย ใจดี", "เทศบาลตำบลบางกระทุ่ม"] {
                    #expect(mail.mail.text.contains(text), "text part: \(text)")
                    #expect(mail.mail.html.contains(HTMLText.escaped(text)), "html part: \(text)")
                }
                for text in not { #expect(!mail.mail.text.contains(text), "not: \(text)") }
                #expect(!mail.mail.text.contains("#("), "no Leaf left over")
            }
            let filed = try await NoticeMail.filed(PetitionFiled(petition: petition, linkBase: base), tenant: t, to: r, app: app)
            check(
                filed, subject: "ได้รับคำร้องเลขที่ BKT-2569-000042 แล้ว – เทศบาลตำบลบางกระทุ่ม",
                [
                    "ได้รับคำร้องของท่านแล้ว", "เลขที่คำร้อง: BKT-2569-000042", "บริการ: แจ้งซ่อมไฟฟ้าสาธารณะ", "วันและเวลาที่ได้รับ: \(ThaiDate.shortWithTime(at))",
                    "สถานะ: ส่งคำร้อง",
                ], button: ("ดูคำร้องและติดตามสถานะ", link))
            #expect(filed.idempotencyKey == "petition-filed:\(petition.petitionID.uuidString.lowercased())")
            let closed = try await NoticeMail.statusChanged(
                PetitionMoved(
                    petition: petition, from: .accepted, to: .cannotProceed, at: at, note: "  อยู่นอกเขต  ",
                    version: 3, linkBase: base), tenant: t, to: r, app: app)
            check(
                closed, subject: "คำร้องเลขที่ BKT-2569-000042: ไม่สามารถดำเนินการได้ – เทศบาลตำบลบางกระทุ่ม",
                [
                    "เปลี่ยนสถานะเป็น “ไม่สามารถดำเนินการได้”", "เหตุผลจากเจ้าหน้าที่: อยู่นอกเขต", "หากมีข้อสงสัย กรุณาติดต่อเทศบาลตำบลบางกระทุ่ม",
                    "ท่านเลือกได้ว่าจะรับอีเมลแจ้งการเปลี่ยนสถานะหรือไม่",
                ], button: ("ดูคำร้อง", link), not: ["หมายเหตุจากเจ้าหน้าที่", "ดำเนินการเสร็จสิ้นแล้ว"])
            let done = try await NoticeMail.statusChanged(
                PetitionMoved(
                    petition: petition, from: .inProgress, to: .completed, at: at, note: nil,
                    version: 4, linkBase: base), tenant: t, to: r, app: app)
            check(
                done, subject: "คำร้องเลขที่ BKT-2569-000042: ดำเนินการสำเร็จ – เทศบาลตำบลบางกระทุ่ม",
                ["คำร้องของท่านดำเนินการเสร็จสิ้นแล้ว"], button: ("ดูคำร้อง", link), not: ["จากเจ้าหน้าที่", "ท่านเลือกได้ว่าจะรับอีเมล", "หากมีข้อสงสัย"])
            #expect(done.idempotencyKey == "petition-status:\(petition.petitionID.uuidString.lowercased()):4")
            let document = DocumentFacts(documentID: UUID(), kind: .licence, title: "ใบอนุญาตติดตั้งป้าย", code: "7KQ2-M9XD-4HTR")
            let withdrawn = try await NoticeMail.documentWithdrawn(
                DocumentWithdrawn(
                    petition: petition, document: document, withdrawnAt: at, reason: "ออกผิดฉบับ",
                    linkBase: base), tenant: t, to: r, app: app)
            check(
                withdrawn, subject: "เพิกถอนใบอนุญาต คำร้องเลขที่ BKT-2569-000042 – เทศบาลตำบลบางกระทุ่ม",
                ["ได้เพิกถอนใบอนุญาต “ใบอนุญาตติดตั้งป้าย” (รหัสตรวจสอบ 7KQ2-M9XD-4HTR)", "เหตุผล: ออกผิดฉบับ", "เอกสารฉบับนี้ใช้อ้างอิงไม่ได้แล้ว"],
                button: ("ดูคำร้องและเอกสาร", link))
            let rejected = try await NoticeMail.identityDecided(
                IdentityDecided(
                    citizenID: UUID(), approved: false, reason: "ภาพหน้าบัตรไม่ชัด", identityVersion: 2,
                    linkBase: base), tenant: t, to: r, app: app)
            check(
                rejected, subject: "ไม่ผ่านการยืนยันตัวตน e-Service เทศบาลตำบลบางกระทุ่ม",
                ["ยังไม่ผ่าน เพราะ: ภาพหน้าบัตรไม่ชัด", "กรุณาเข้าสู่ระบบและส่งภาพยืนยันตัวตนใหม่"], button: ("ส่งภาพยืนยันตัวตนใหม่", "\(base)/account/identity"))
            let approved = try await NoticeMail.identityDecided(
                IdentityDecided(
                    citizenID: UUID(), approved: true, reason: nil, identityVersion: 3,
                    linkBase: base), tenant: t, to: r, app: app)
            check(
                approved, subject: "ยืนยันตัวตนแล้ว e-Service เทศบาลตำบลบางกระทุ่ม",
                ["ท่านใช้บริการออนไลน์ของเทศบาลตำบลบางกระทุ่มได้ทุกบริการ"], button: ("เข้าสู่ระบบ e-Service", "\(base)/account"), not: ["ยังไม่ผ่าน"])
            if ProcessInfo.processInfo.environment["SHOW_MAIL"] != nil { print(closed.mail.text); print(withdrawn.mail.html) }
        }
    }
}
