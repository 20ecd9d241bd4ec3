import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Divisions, who holds a petition, and internal notes.
enum DivisionFixtures {
    @discardableResult
    static func division(
        _ app: Application, tenant: String = "bangkrathum", code: String, name: String, head: UUID? = nil, members: [UUID] = []
    ) async throws -> DivisionRecord {
        let t = try Tenant.named(tenant, in: app)
        // The tenant's folder may have written the same code at start-up: then it is changed to this one.
        let draft = DivisionStore.Draft(code: code, name: name, headStaffID: head, position: 0)
        let d: DivisionRecord
        if let existing = try await DivisionStore.byCode(code, tenant: t, on: app.db) {
            try await DivisionStore.update(existing, draft, now: Date(), on: app.db)
            d = existing
        } else {
            d = try await DivisionStore.add(draft, tenant: t, now: Date(), on: app.db)
        }
        try await DivisionStore.setMembers(d, members, now: Date(), on: app.db)
        return d
    }

    /// Routes a petition to a division straight in the table (as filing a service of that division would).
    static func route(_ app: Application, _ p: PetitionRecord, to code: String?) async throws -> PetitionRecord {
        p.division = code
        try await p.save(on: app.db)
        return p
    }

    /// Every outbox job's kind, key and payload (as stored), for looking through what would be sent.
    static func jobs(_ app: Application) async throws -> [(kind: String, key: String, payload: String)] {
        let sql = try #require(app.db as? any SQLDatabase)
        return try await sql.raw("SELECT kind, idempotency_key, payload FROM outbox_jobs").all().map {
            (
                try $0.decode(column: "kind", as: String.self), try $0.decode(column: "idempotency_key", as: String.self),
                try $0.decode(column: "payload", as: String.self)
            )
        }
    }
}

@Suite("Petitions: divisions, assignment and internal notes")
struct PetitionWorkTests {
    static let queue = "/backoffice/t/bangkrathum/petitions"

    @Test("an officer of the division takes an unassigned petition; one outside it may not; the head reassigns with a reason", arguments: TestDatabase.all)
    func takeAndReassign(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let member = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let outsider = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let head = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            try await DivisionFixtures.division(app, code: "ENG", name: "กองช่าง", head: head.id, members: [member.id])
            var p = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app))
            p = try await DivisionFixtures.route(app, p, to: "ENG")
            let path = "\(Self.queue)/\(p.number)"

            var (status, html) = try await PetitionFixtures.page(app, member, path)
            #expect(status == .ok && html.contains("ยังไม่มีผู้รับผิดชอบ") && html.contains("รับเรื่องนี้") && html.contains("กองช่าง (ENG)"))
            #expect(!html.contains("class=\"assign-form\""), "an officer does not assign")
            (_, html) = try await PetitionFixtures.page(app, outsider, path)
            #expect(!html.contains("รับเรื่องนี้"))
            try await post(app, "\(path)/assignment", outsider, ["action": "take", "version": "\(p.version)"]) { #expect($0.status == .forbidden) }

            try await post(app, "\(path)/assignment", member, ["action": "take", "version": "\(p.version)"]) { #expect($0.status == .seeOther) }
            p = try #require(try await PetitionStore.byNumber(p.number, tenant: try Tenant.named("bangkrathum", in: app), on: app.db))
            #expect(p.assigneeID == member.id && p.version == 2)
            #expect(try await DivisionFixtures.jobs(app).filter { $0.key.hasPrefix("petition-assigned:") }.isEmpty, "taking it oneself sends no e-mail")

            // The head reassigns: a reason is needed.
            (_, html) = try await PetitionFixtures.page(app, head, path)
            #expect(html.contains("class=\"assign-form\""))
            try await post(app, "\(path)/assignment", head, ["action": "assign", "version": "\(p.version)", "assignee": head.id.uuidString]) {
                #expect($0.status == .unprocessableEntity)
                #expect($0.body.string.contains("กรุณาระบุเหตุผลที่มอบหมายใหม่"))
            }
            try await post(app, "\(path)/assignment", head, ["action": "assign", "version": "\(p.version)", "assignee": UUID().uuidString, "reason": "x"]) {
                #expect($0.status == .unprocessableEntity)
            }
            try await post(
                app, "\(path)/assignment", head, ["action": "assign", "version": "\(p.version)", "assignee": head.id.uuidString, "reason": "ผู้รับผิดชอบลาป่วย"]
            ) { #expect($0.status == .seeOther) }
            p = try #require(try await PetitionStore.byNumber(p.number, tenant: try Tenant.named("bangkrathum", in: app), on: app.db))
            #expect(p.assigneeID == head.id)
            let events = try await PetitionStore.timeline(p, on: app.db).filter { $0.kind == .assigned }
            #expect(events.count == 2 && events.last?.note?.contains("ผู้รับผิดชอบลาป่วย") == true)
            #expect(try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.petitionAssigned.rawValue).count() == 2)
        }
    }

    @Test("assigning e-mails the new assignee once, through the outbox", arguments: TestDatabase.all)
    func assignMail(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let (officer, _) = try await StaffFixtures.account(app, username: "officer\(Int.random(in: 1000...9999))", grants: [("bangkrathum", .officer)])
            let p = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app))
            let path = "\(Self.queue)/\(p.number)"
            let (_, html) = try await PetitionFixtures.page(app, admin, path)
            #expect(html.contains(officer.fullNameTH), "with no division, the tenant's staff are offered")
            try await post(app, "\(path)/assignment", admin, ["action": "assign", "version": "\(p.version)", "assignee": try officer.requireID().uuidString]) {
                #expect($0.status == .seeOther)
            }
            let mails = try await DivisionFixtures.jobs(app).filter { $0.kind == "email" && $0.payload.contains(officer.email) }
            #expect(mails.count == 1)
            #expect(mails.first?.payload.contains(p.number) == true)
            // The same form again (stale version): 409 with a Thai message, nothing more sent.
            try await post(app, "\(path)/assignment", admin, ["action": "assign", "version": "\(p.version)", "assignee": try officer.requireID().uuidString]) {
                #expect($0.status == .conflict)
                #expect($0.body.string.contains("มีเจ้าหน้าที่ท่านอื่นมอบหมาย"))
            }
            #expect(try await DivisionFixtures.jobs(app).filter { $0.kind == "email" && $0.payload.contains(officer.email) }.count == 1)
        }
    }

    @Test("two heads assign at once: one wins, the other gets 409", arguments: TestDatabase.all)
    func race(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let one = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let two = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let p = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app))
            let path = "\(Self.queue)/\(p.number)/assignment"
            async let a: HTTPStatus = {
                var s = HTTPStatus.ok
                try await post(app, path, one, ["action": "assign", "version": "\(p.version)", "assignee": one.id.uuidString]) { s = $0.status }
                return s
            }()
            async let b: HTTPStatus = {
                var s = HTTPStatus.ok
                try await post(app, path, two, ["action": "assign", "version": "\(p.version)", "assignee": two.id.uuidString]) { s = $0.status }
                return s
            }()
            let statuses = try await [a, b]
            #expect(statuses.filter { $0 == .seeOther }.count == 1 && statuses.filter { $0 == .conflict }.count == 1, "\(statuses)")
            #expect(try await PetitionStore.timeline(p, on: app.db).filter { $0.kind == .assigned }.count == 1)
        }
    }

    @Test("an internal note is on the officer's timeline, never on the citizen's page, in a notice or in Open311", arguments: TestDatabase.all)
    func internalNote(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let client = try await CitizenFixtures.register(app)
            let account = try #require(try await CitizenAccount.query(on: app.db).filter(\.$email == client.email).first())
            account.notifyStatusChanges = true
            try await account.save(on: app.db)
            let p = try await PetitionFixtures.file(app, citizen: account)
            let secret = "ผู้ยื่นรายนี้เคยร้องเรียนซ้ำ-\(UUID().uuidString.prefix(8))"
            let path = "\(Self.queue)/\(p.number)"
            try await post(app, "\(path)/notes", officer, ["note": "  "]) { #expect($0.status == .unprocessableEntity) }
            try await post(app, "\(path)/notes", officer, ["note": secret]) { #expect($0.status == .seeOther) }
            let (_, html) = try await PetitionFixtures.page(app, officer, path)
            #expect(html.contains(secret) && html.contains("office-timeline-internal"))
            // A status change with a note to the citizen: its notices go out, the internal note with none of them.
            try await post(app, "\(path)/status", officer, ["status": "accepted", "note": "รับเรื่องแล้ว", "version": "\(p.version)"]) {
                #expect($0.status == .seeOther)
            }
            _ = try await NoticeTestSupport.run(app)
            let jobs = try await DivisionFixtures.jobs(app)
            #expect(jobs.contains { $0.payload.contains("รับเรื่องแล้ว") }, "the citizen's note went out")
            #expect(!jobs.contains { $0.payload.contains(secret) })
            try await app.testing().test(.GET, "/t/bangkrathum/account/petitions/\(p.number)", headers: ["Cookie": client.cookie]) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("รับเรื่องแล้ว") && !res.body.string.contains(secret))
            }
            for ext in ["json", "xml"] {
                try await app.testing().test(.GET, "/t/bangkrathum/open311/v2/requests/\(p.number).\(ext)") { res in
                    #expect(res.status == .ok)
                    #expect(!res.body.string.contains(secret))
                }
            }
            #expect(
                try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.petitionNoteAdded.rawValue).all().allSatisfy {
                    !$0.detail.contains(secret)
                })
        }
    }

    // MARK: Divisions

    static let settings = "/backoffice/t/bangkrathum/settings"

    @Test("a service routed to กองช่าง files petitions into กองช่าง; changing the service's division routes new ones there", arguments: TestDatabase.all)
    func routing(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            try await DivisionFixtures.division(app, code: "ENG", name: "กองช่าง")
            try await DivisionFixtures.division(app, code: "PAL", name: "สำนักปลัดเทศบาล")
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let citizen = try await PetitionFixtures.citizen(app)
            let first = try await PetitionFixtures.file(app, citizen: citizen)
            #expect(first.division == "ENG", "the folder routes street lights to กองช่าง")
            let (_, page) = try await TenantSettingsPagesTests.get(app, Self.settings + "/services/street-light", as: admin)
            #expect(page.contains("กอง/ฝ่ายที่รับผิดชอบ") && page.contains("value=\"ENG\" selected"))
            let moved = try await TenantSettingsPagesTests.post(
                app, Self.settings + "/services/street-light", as: admin,
                [("menu", "complaints"), ("name", "แจ้งซ่อมไฟฟ้าสาธารณะ"), ("description", "ไฟฟ้าดับ"), ("sla_days", "7"), ("division", "PAL")])
            #expect(moved.status == .seeOther)
            let second = try await PetitionFixtures.file(app, citizen: citizen)
            #expect(second.division == "PAL")
            let unknown = try await TenantSettingsPagesTests.post(
                app, Self.settings + "/services/street-light", as: admin,
                [("menu", "complaints"), ("name", "แจ้งซ่อมไฟฟ้าสาธารณะ"), ("description", "ไฟฟ้าดับ"), ("sla_days", "7"), ("division", "NOPE")])
            #expect(unknown.status == .unprocessableEntity && unknown.body.string.contains("กรุณาเลือกกอง/ฝ่ายจากรายการ"))
            let none = try await TenantSettingsPagesTests.post(
                app, Self.settings + "/services/street-light", as: admin,
                [("menu", "complaints"), ("name", "แจ้งซ่อมไฟฟ้าสาธารณะ"), ("description", "ไฟฟ้าดับ"), ("sla_days", "7"), ("division", "")])
            #expect(none.status == .seeOther)
            #expect(try await PetitionFixtures.file(app, citizen: citizen).division == nil)
        }
    }

    @Test("divisions in the settings: add with members, rename, a code in use cannot change, a division in use cannot be deleted", arguments: TestDatabase.all)
    func settingsPages(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let other = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let base = Self.settings + "/divisions"
            #expect(try await TenantSettingsPagesTests.get(app, base, as: officer).0 == .forbidden)
            let refused = try await TenantSettingsPagesTests.post(app, base + "/new", as: admin, [("code", "x"), ("name", "")])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.body.string.contains("รหัสกอง/ฝ่ายต้องเป็น") && refused.body.string.contains("กรุณากรอกชื่อกอง/ฝ่าย"))
            let added = try await TenantSettingsPagesTests.post(
                app, base + "/new", as: admin,
                [
                    ("code", "TST"), ("name", "กองทดสอบ"), ("head", admin.id.uuidString), ("position", "9"),
                    ("members", officer.id.uuidString), ("members", other.id.uuidString),
                ])
            #expect(added.status == .seeOther)
            let t = try Tenant.named("bangkrathum", in: app)
            let d = try #require(try await DivisionStore.byCode("TST", tenant: t, on: app.db))
            #expect(d.headStaffID == admin.id && d.position == 9)
            #expect(Set(try await DivisionStore.members(of: d, on: app.db)) == [admin.id, officer.id, other.id])
            let again = try await TenantSettingsPagesTests.post(app, base + "/new", as: admin, [("code", "TST"), ("name", "ซ้ำ")])
            #expect(again.status == .unprocessableEntity && again.body.string.contains("มีอยู่แล้ว"))
            var (_, list) = try await TenantSettingsPagesTests.get(app, base, as: admin)
            #expect(list.contains("กองทดสอบ") && list.contains("division-TST"))

            // A petition routed there: renaming is fine, the code stays, deleting is refused.
            var p = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app))
            p = try await DivisionFixtures.route(app, p, to: "TST")
            let renamed = try await TenantSettingsPagesTests.post(
                app, base + "/TST", as: admin, [("code", "TST"), ("name", "กองทดสอบระบบ"), ("members", officer.id.uuidString)])
            #expect(renamed.status == .seeOther)
            let renamedDivision = try #require(try await DivisionStore.byCode("TST", tenant: t, on: app.db))
            #expect(renamedDivision.name == "กองทดสอบระบบ" && renamedDivision.headStaffID == nil)
            #expect(try await DivisionStore.members(of: renamedDivision, on: app.db) == [officer.id])
            let recoded = try await TenantSettingsPagesTests.post(app, base + "/TST", as: admin, [("code", "TS2"), ("name", "กองทดสอบระบบ")])
            #expect(recoded.status == .unprocessableEntity && recoded.body.string.contains("เปลี่ยนรหัส TST ไม่ได้"))
            let deleted = try await TenantSettingsPagesTests.post(app, base + "/TST/delete", as: admin, [])
            #expect(deleted.status == .conflict && deleted.body.string.contains("ลบ “กองทดสอบระบบ” ไม่ได้"))
            p = try await DivisionFixtures.route(app, p, to: nil)
            let gone = try await TenantSettingsPagesTests.post(app, base + "/TST/delete", as: admin, [])
            #expect(gone.status == .seeOther)
            #expect(try await DivisionStore.byCode("TST", tenant: t, on: app.db) == nil)
            (_, list) = try await TenantSettingsPagesTests.get(app, base, as: admin)
            #expect(!list.contains("division-TST"))
            #expect(try await TenantSettingsPagesTests.audit(app, .divisionChanged).count == 3)
        }
    }

    @Test("the queue opens on the officer's divisions; filters for a division, assigned to me and nobody; same statements", arguments: TestDatabase.all)
    func queueFilters(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            try await DivisionFixtures.division(app, code: "ENG", name: "กองช่าง", members: [officer.id])
            try await DivisionFixtures.division(app, code: "PAL", name: "สำนักปลัดเทศบาล")
            let citizen = try await PetitionFixtures.citizen(app)
            let eng1 = try await DivisionFixtures.route(app, try await PetitionFixtures.file(app, citizen: citizen), to: "ENG")
            var eng2 = try await DivisionFixtures.route(app, try await PetitionFixtures.file(app, citizen: citizen), to: "ENG")
            let pal = try await DivisionFixtures.route(app, try await PetitionFixtures.file(app, citizen: citizen), to: "PAL")
            eng2.assigneeID = officer.id
            eng2.assigneeName = "นายทดสอบ ระบบงาน"
            try await eng2.save(on: app.db)
            eng2 = try #require(try await PetitionStore.byNumber(eng2.number, tenant: try Tenant.named("bangkrathum", in: app), on: app.db))

            func rows(_ query: String) async throws -> (Set<String>, String) {
                let (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + query)
                let numbers = Set([eng1, eng2, pal].map(\.number).filter { html.contains(">\($0)</a>") })
                return (numbers, html)
            }
            var (shown, html) = try await rows("")
            #expect(shown == [eng1.number, eng2.number])
            #expect(html.contains("แสดงเฉพาะคำร้องของกองช่าง") && html.contains("division=all"))
            #expect(html.contains("ยังไม่มีผู้รับผิดชอบ") && html.contains("นายทดสอบ ระบบงาน"))
            (shown, _) = try await rows("?division=all")
            #expect(shown == [eng1.number, eng2.number, pal.number])
            (shown, html) = try await rows("?division=PAL")
            #expect(shown == [pal.number])
            #expect(html.contains("(1)"), "the open tab counts under the filter")
            (shown, _) = try await rows("?division=all&assigned=me")
            #expect(shown == [eng2.number])
            (shown, _) = try await rows("?division=all&assigned=none")
            #expect(shown == [eng1.number, pal.number])
            (shown, _) = try await rows("?division=NOPE")
            #expect(shown == [eng1.number, eng2.number], "an unknown code falls back to the officer's divisions")

            let counter = QueryCounter()
            app.middleware.use(QueryCounter.Middleware(counter: counter))
            var counts: [String: Int] = [:]
            for query in ["?division=all", "", "?division=ENG&assigned=none", "?division=all&assigned=me&q=42"] {
                // The fewer of two loads: on a loaded machine a minute can pass, and the session's refresh then adds
                // a write to whichever page comes first.
                for _ in 0..<2 {
                    counter.start()
                    _ = try await rows(query)
                    counts[query] = min(counts[query] ?? .max, counter.stop().count)
                }
            }
            #expect(Set(counts.values).count == 1, "statements: \(counts)")
        }
    }

    @Test("start-up writes a folder's divisions once per tenant, also when two instances start at once", arguments: TestDatabase.all)
    func seed(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let t = try Tenant.named("bangkrathum", in: app)
            #expect(!t.config.divisions.isEmpty)
            async let a = DivisionSeed.run(app)
            async let b = DivisionSeed.run(app)
            _ = try await [a, b]
            let codes = try await DivisionStore.all(tenant: t, on: app.db).map(\.code)
            #expect(Set(codes) == Set(t.config.divisions.map(\.code)) && codes.count == t.config.divisions.count)
            #expect(try await DivisionSeed.run(app).isEmpty, "nothing twice")
            // What an admin changed stays.
            let eng = try #require(try await DivisionStore.byCode("ENG", tenant: t, on: app.db))
            try await DivisionStore.delete(eng, on: app.db)
            #expect(try await DivisionSeed.run(app).isEmpty)
            #expect(try await DivisionStore.byCode("ENG", tenant: t, on: app.db) == nil)
            // Every one of them deleted: a restart does not bring the folder's back.
            for d in try await DivisionStore.all(tenant: t, on: app.db) { try await DivisionStore.delete(d, on: app.db) }
            #expect(try await DivisionSeed.run(app).isEmpty)
            #expect(try await DivisionStore.all(tenant: t, on: app.db).isEmpty)
        }
    }

    @Test("a service naming a division its tenant does not list stops the start, naming the service")
    func unknownDivision() throws {
        let folder = Repo.root.appendingPathComponent("Tenants/bangkrathum")
        var config = try TenantLoader.load(slug: "bangkrathum", folder: folder).config
        #expect(TenantRules.problems(in: config, slug: "bangkrathum").isEmpty)
        #expect(config.menus.complaints.first?.division == "ENG")
        config.menus.complaints[0].division = "XYZ"
        config.divisions.append(.init(code: "bad code", name: ""))
        let problems = TenantRules.problems(in: config, slug: "bangkrathum").map(\.description)
        #expect(problems.contains { $0.contains("menus.complaints[0].division") && $0.contains("street-light") && $0.contains("XYZ") })
        #expect(problems.contains { $0.contains("divisions[6].code") })
    }
}
