import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// An officer files for a walk-in or calling person (with an account found by national ID, or without one),
/// through the real pages, and prints the acknowledgement of receipt on A4 and on an 80 mm printer.
@Suite("Petitions: filing at the counter and by phone, and the receipt")
struct CounterFilingTests {
    static let start = "/backoffice/t/bangkrathum/petitions/new"

    struct Step {
        var status: HTTPStatus
        var html: String
        var hidden: [String: String]
        var action: String
    }

    /// Step one: the person and the service.
    static func choose(_ app: Application, _ officer: StaffClient, _ fields: [String: String], path: String = start) async throws -> Step {
        let (h, b) = officer.form(fields)
        var step = Step(status: .ok, html: "", hidden: [:], action: "")
        try await app.testing().test(.POST, path, headers: h, body: ByteBuffer(string: b)) { res in
            let html = res.body.string
            var action = ""
            if let form = html.range(of: #"id="counter-form""#), let r = html[..<form.lowerBound].range(of: #"action=""#, options: .backwards) {
                let rest = html[r.upperBound...]
                action = HTMLText.unescape(String(rest[..<rest.firstIndex(of: "\"")!]))
            }
            step = Step(status: res.status, html: html, hidden: FormSession.hidden(html), action: action)
        }
        return step
    }

    /// Step two: the service's form as multipart, the hidden fields (CSRF first) and the answers.
    static func submit(
        _ app: Application, _ officer: StaffClient, _ step: Step, answers: [(String, String)] = PetitionFilingTests.validAnswers,
        files: [(String, String, Data)] = [("file_plans", "plan.pdf", samplePDF)], extra: [(String, String)] = [], csrf: String? = nil
    ) async throws -> (HTTPStatus, String, String?) {
        var m = Multipart()
        m.field("_csrf", csrf ?? step.hidden["_csrf"] ?? "")
        for (k, v) in step.hidden where k != "_csrf" { m.field(k, HTMLText.unescape(v)) }
        for (k, v) in answers + extra { m.field(k, v) }
        for f in files { m.file(f.0, filename: f.1, type: "application/octet-stream", data: f.2) }
        var (headers, body) = m.finished()
        headers.add(name: "Cookie", value: officer.cookie)
        var out: (HTTPStatus, String, String?) = (.ok, "", nil)
        try await app.testing().test(.POST, step.action, headers: headers, body: body) { res in
            out = (res.status, res.body.string, res.headers.first(name: .location))
        }
        return out
    }

    static func petitions(_ app: Application, service: String = PetitionFilingTests.slug) async throws -> [PetitionRecord] {
        try await PetitionRecord.query(on: app.db).filter(\.$tenantID == "bangkrathum").filter(\.$service == service).all()
    }

    @Test("with an account: found by national ID (masked), identity tick, filed once, in คำร้องของฉัน, notice, audit, receipts", arguments: TestDatabase.all)
    func withAccount(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            try await PetitionFilingTests.addAllFieldsService(app, verifiedIdentity: true)
            let citizen = try await CitizenFixtures.register(app)
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let account = try #require(try await CitizenAccount.query(on: app.db).filter(\.$email == citizen.email).first())

            // The queue links here; step one renders.
            let (_, queue) = try await PetitionFixtures.page(app, officer, PetitionOfficeTests.queue)
            #expect(queue.contains("href=\"\(Self.start)\""))
            let (status, startPage) = try await PetitionFixtures.page(app, officer, Self.start)
            #expect(status == .ok && startPage.contains("ยื่นคำร้องแทนประชาชน") && startPage.contains(PetitionFilingTests.slug))

            let d = Array(citizen.nationalID)
            let dashed = "\(d[0])-\(String(d[1...4]))-\(String(d[5...9]))-\(String(d[10...11]))-\(d[12])"
            let step = try await Self.choose(
                app, officer, ["channel": "counter", "who": "citizen", "national_id": dashed, "service": PetitionFilingTests.slug])
            #expect(step.status == .ok, "\(step.html.prefix(400))")
            #expect(step.html.contains(account.fullName) && step.html.contains(account.maskedNationalID))
            #expect(!step.html.contains(citizen.nationalID) && !step.html.contains(dashed), "the full national ID is never sent back")
            #expect(step.hidden["citizen"] == account.id?.uuidString && step.html.contains("ตรวจสอบบัตรประจำตัวประชาชนแล้ว"))

            // A service that needs a verified identity: not without the officer's tick.
            let (refused, refusedPage, _) = try await Self.submit(app, officer, step)
            #expect(refused == .unprocessableEntity && refusedPage.contains("บริการนี้ต้องยืนยันตัวตน"))
            #expect(try await Self.petitions(app).isEmpty)

            let (filed, _, location) = try await Self.submit(app, officer, step, extra: [(CounterFilingController.identityField, "1")])
            #expect(filed == .seeOther)
            let p = try #require(try await Self.petitions(app).first)
            #expect(location == "/backoffice/t/bangkrathum/petitions/\(p.number)")
            #expect(p.citizenID == account.id && p.channel == .counter && p.requesterJSON == nil)
            let first = try #require(try await PetitionStore.timeline(p, on: app.db).first)
            #expect(first.actorKind == "staff" && first.actorID == officer.id)
            #expect(first.actorName.hasPrefix("เจ้าหน้าที่ ") && first.actorName.hasSuffix("(ยื่นแทนที่เคาน์เตอร์)"))

            let (_, afterFiling) = try await PetitionFixtures.page(app, officer, try #require(location))
            #expect(afterFiling.contains("ยื่นคำร้อง \(p.number) แทน"), "the notice after filing")
            // The same form again: still one petition.
            let (again, _, againLocation) = try await Self.submit(app, officer, step, extra: [(CounterFilingController.identityField, "1")])
            #expect(again == .seeOther && againLocation == location)
            #expect(try await Self.petitions(app).count == 1)

            // The citizen sees it in คำร้องของฉัน, and is told as they chose (the filing notice is in the outbox).
            try await app.testing().test(.GET, "\(citizen.base)/account/petitions", headers: citizen.headers) { res in
                #expect(res.status == .ok && res.body.string.contains(p.number))
            }
            let key = "event:" + PetitionFiled(petition: try PetitionFacts(p), linkBase: "").key
            #expect(try await OutboxStore.allJobs(on: app.db).filter { $0.idempotencyKey == key }.count == 1)
            let audits = try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.petitionFiledForCitizen.rawValue).all()
            #expect(audits.count == 1 && audits.first?.detail.contains(p.number) == true)
            #expect(audits.first?.detail.contains(citizen.nationalID) == false)

            // The officer's page links both receipts; both render with the number, the QR code and the tenant.
            let (_, page) = try await PetitionFixtures.page(app, officer, "/backoffice/t/bangkrathum/petitions/\(p.number)")
            #expect(page.contains("/petitions/\(p.number)/receipt\"") && page.contains("/petitions/\(p.number)/receipt/80mm\""))
            for (path, css) in [("receipt", "receipt-a4.css"), ("receipt/80mm", "receipt-80mm.css")] {
                let (s, html) = try await PetitionFixtures.page(app, officer, "/backoffice/t/bangkrathum/petitions/\(p.number)/\(path)")
                #expect(s == .ok)
                #expect(html.contains("<p class=\"ack-number\" id=\"ack-number\">\(p.number)</p>"))
                #expect(html.contains(css) && html.contains("<svg") && html.contains("ใบรับคำร้อง"))
                #expect(html.contains("ยื่นที่เคาน์เตอร์") && html.contains("เทศบาล") && html.contains(account.maskedNationalID))
                #expect(html.contains(ThaiDate.long(p.dueAt)) && html.contains(first.actorName))
                #expect(!html.contains(citizen.nationalID))
            }
        }
    }

    @Test("without an account, by phone: name and a contact kept private, never in Open311 or the public site", arguments: TestDatabase.all)
    func withoutAccount(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            try await PetitionFilingTests.addAllFieldsService(app, verifiedIdentity: false)
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let base = ["channel": "phone", "who": "guest", "service": PetitionFilingTests.slug]

            // A name and at least one contact.
            var step = try await Self.choose(app, officer, base.merging(["name": "ป้าสมใจ รักถิ่น"]) { a, _ in a })
            #expect(step.status == .unprocessableEntity && step.html.contains("กรุณากรอกหมายเลขโทรศัพท์หรืออีเมล"))
            step = try await Self.choose(app, officer, base.merging(["phone": "0812345678", "email": "not-an-email"]) { a, _ in a })
            #expect(step.status == .unprocessableEntity && step.html.contains("กรุณากรอกชื่อ") && step.html.contains("รูปแบบอีเมลไม่ถูกต้อง"))

            step = try await Self.choose(app, officer, base.merging(["name": "ป้าสมใจ รักถิ่น", "phone": "081-234-5678"]) { a, _ in a })
            #expect(step.status == .ok && step.html.contains("ป้าสมใจ รักถิ่น") && step.html.contains("ทางโทรศัพท์"))
            #expect(!step.html.contains("ตรวจสอบบัตรประจำตัวประชาชนแล้ว"), "no tick for a service without the identity rule")
            let (filed, _, _) = try await Self.submit(app, officer, step)
            #expect(filed == .seeOther)
            let p = try #require(try await Self.petitions(app).first)
            #expect(p.citizenID == nil && p.channel == .phone)
            let requester = try #require(p.requesterJSON)
            #expect(requester.contains("ป้าสมใจ รักถิ่น") && requester.contains("081-234-5678"))
            #expect(try await PetitionStore.timeline(p, on: app.db).first?.actorName.hasSuffix("(ยื่นแทนทางโทรศัพท์)") == true)

            // Officers see the person; the Open311 API and the public site never do.
            let (_, page) = try await PetitionFixtures.page(app, officer, "/backoffice/t/bangkrathum/petitions/\(p.number)")
            #expect(page.contains("ป้าสมใจ รักถิ่น") && page.contains("081-234-5678"))
            #expect(page.contains("ทางโทรศัพท์ (เจ้าหน้าที่ยื่นแทน)") && page.contains("เจ้าหน้าที่ยื่นแทนผู้ไม่มีบัญชี") && !page.contains("ยื่นผ่านระบบอื่นทาง Open311 API"))
            for path in ["requests.json", "requests.xml", "requests/\(p.number).json", "requests/\(p.number).xml"] {
                try await app.testing().test(.GET, "/t/bangkrathum/open311/v2/\(path)") { res in
                    let body = res.body.string
                    #expect(res.status == .ok && body.contains(p.number), "\(path) lists the petition")
                    #expect(!body.contains("สมใจ") && !body.contains("081-234-5678") && !body.contains("2345678"), "\(path)")
                }
            }
            for path in ["/t/bangkrathum/", "/t/bangkrathum/petitions/\(p.number)", "/t/bangkrathum/petitions/\(p.number)/receipt"] {
                try await app.testing().test(.GET, path) { res in
                    #expect(!res.body.string.contains("สมใจ") && !res.body.string.contains("081-234-5678"))
                }
            }
            // Its receipt names the person without an account and has no tracking QR code (there is no account to sign in with).
            let (s, slip) = try await PetitionFixtures.page(app, officer, "/backoffice/t/bangkrathum/petitions/\(p.number)/receipt/80mm")
            #expect(s == .ok && slip.contains(p.number) && slip.contains("ป้าสมใจ รักถิ่น") && !slip.contains("<svg"))
            #expect(slip.contains("ทางโทรศัพท์"))
        }
    }

    @Test("a bad or unknown national ID: a Thai message and 4xx, nothing echoed or filed", arguments: TestDatabase.all)
    func badNationalID(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            var wrong = Array(StaffFixtures.nationalID())
            wrong[12] = Character(String(((wrong[12].wholeNumberValue ?? 0) + 1) % 10))
            let bad = String(wrong)
            var step = try await Self.choose(app, officer, ["channel": "counter", "who": "citizen", "national_id": bad, "service": "street-light"])
            #expect(step.status == .unprocessableEntity && step.html.contains("เลขประจำตัวประชาชนไม่ถูกต้อง") && !step.html.contains(bad))
            step = try await Self.choose(app, officer, ["channel": "counter", "who": "citizen", "national_id": "12345", "service": "street-light"])
            #expect(step.status == .unprocessableEntity && step.html.contains("ต้องเป็นตัวเลข 13 หลัก"))
            let unknown = StaffFixtures.nationalID()
            step = try await Self.choose(app, officer, ["channel": "counter", "who": "citizen", "national_id": unknown, "service": "street-light"])
            #expect(step.status == .notFound && step.html.contains("ไม่พบผู้ลงทะเบียน") && !step.html.contains(unknown))
            // A citizen of another tenant is not found here either.
            let other = try await CitizenFixtures.register(app, tenant: "bangrak")
            step = try await Self.choose(app, officer, ["channel": "counter", "who": "citizen", "national_id": other.nationalID, "service": "street-light"])
            #expect(step.status == .notFound)
            // No channel, no service.
            step = try await Self.choose(app, officer, ["channel": "web", "who": "citizen", "national_id": unknown, "service": "no-such"])
            #expect(step.status == .unprocessableEntity && step.html.contains("กรุณาเลือกช่องทาง") && step.html.contains("กรุณาเลือกบริการ"))
            #expect(try await PetitionRecord.query(on: app.db).count() == 0)
        }
    }

    @Test("another tenant's officer is refused; CSRF is required on both steps", arguments: TestDatabase.all)
    func refusals(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            try await PetitionFilingTests.addAllFieldsService(app, verifiedIdentity: false)
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let stranger = try await signedInStaff(app, tenant: "bangrak", role: .orgAdmin)
            let fields = ["channel": "counter", "who": "guest", "name": "สมหมาย", "phone": "0812345678", "service": PetitionFilingTests.slug]
            let (s1, _) = try await PetitionFixtures.page(app, stranger, Self.start)
            #expect(s1 == .forbidden || s1 == .notFound)
            let foreign = try await Self.choose(app, stranger, fields)
            #expect(foreign.status == .forbidden || foreign.status == .notFound)

            // Step one without the token.
            var h: HTTPHeaders = ["Cookie": officer.cookie, "Content-Type": "application/x-www-form-urlencoded"]
            h.add(name: .accept, value: "text/html")
            try await app.testing().test(.POST, Self.start, headers: h, body: ByteBuffer(string: formBody(fields))) { res in
                #expect(res.status == .forbidden)
            }
            // Step two with a wrong token, and by the other tenant's officer with a good page.
            let step = try await Self.choose(app, officer, fields)
            #expect(step.status == .ok)
            let (bad, _, _) = try await Self.submit(app, officer, step, csrf: "wrong")
            #expect(bad == .forbidden)
            var strangerStep = step
            strangerStep.hidden["_csrf"] = stranger.csrf
            let (other, _, _) = try await Self.submit(app, stranger, strangerStep)
            #expect(other == .forbidden || other == .notFound)
            // Another tenant's receipt path does not show this tenant's petition.
            #expect(try await Self.petitions(app).isEmpty)
            let (ok, _, _) = try await Self.submit(app, officer, step)
            #expect(ok == .seeOther)
            let p = try #require(try await Self.petitions(app).first)
            let (r, _) = try await PetitionFixtures.page(app, stranger, "/backoffice/t/bangkrathum/petitions/\(p.number)/receipt")
            #expect(r == .forbidden || r == .notFound)
            let (r2, _) = try await PetitionFixtures.page(app, stranger, "/backoffice/t/bangrak/petitions/\(p.number)/receipt")
            #expect(r2 == .notFound)
        }
    }
}
