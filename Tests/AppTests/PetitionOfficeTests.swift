import Domain
import Fluent
import Foundation
import Logging
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Petitions made straight through `PetitionStore.file` (the citizen's filing pages are tested on their own).
enum PetitionFixtures {
    /// A citizen registered through the real pages, renamed when asked (for name searches).
    static func citizen(
        _ app: Application, tenant: String = "bangkrathum", first: String? = nil, last: String? = nil,
        notify: Bool = true
    ) async throws -> CitizenAccount {
        let client = try await CitizenFixtures.register(app, tenant: tenant)
        let account = try #require(try await CitizenAccount.query(on: app.db).filter(\.$tenantID == tenant).filter(\.$email == client.email).first())
        if let first { account.firstName = first }
        if let last { account.lastName = last }
        account.notifyStatusChanges = notify
        try await account.save(on: app.db)
        return account
    }

    /// Answers as the filing pages store them: `PetitionAnswers` through `JSONEncoder`.
    static func answersJSON(problem: String = "ไฟดับ") throws -> String {
        let answers = PetitionAnswers(answers: [
            Answer(
                key: "light_location", label: "ตำแหน่งไฟฟ้าสาธารณะที่ชำรุด", type: .location,
                value: .location(description: "หน้าวัดบางกระทุ่ม", lat: 16.57, lng: 100.3)),
            Answer(key: "problem", label: "ลักษณะการชำรุด", type: .radio, value: .choices([problem])),
            Answer(key: "lamp_count", label: "จำนวนดวงที่ชำรุด", type: .number, value: .number("1500")),
        ])
        return String(decoding: try JSONEncoder().encode(answers), as: UTF8.self)
    }

    @discardableResult
    static func file(
        _ app: Application, citizen: CitizenAccount?, tenant: String = "bangkrathum", service: String = "street-light",
        at now: Date = Date(), attachments: [PetitionStore.StoredAttachment] = [],
        requester: String? = nil, channel: PetitionChannel? = nil, answersJSON answers: String? = nil
    ) async throws -> PetitionRecord {
        let t = try Tenant.named(tenant, in: app)
        let (menu, s) = try #require(t.service(service))
        let filing = PetitionStore.Filing(
            tenant: t, citizenID: try citizen?.requireID(), citizenName: citizen?.fullName ?? "ระบบแจ้งเหตุ",
            channel: channel ?? (citizen == nil ? .open311 : .web), requesterJSON: requester, menu: menu, service: s, formVersion: 1,
            answersJSON: try answers ?? answersJSON(), attachments: attachments, submissionKey: UUID().uuidString)
        // A fixture tells nobody: its notice event is dropped before anything runs it.
        let p = try await PetitionStore.file(filing, linkBase: NoticeTestSupport.linkBase(tenant), now: now, on: app.db).petition
        try await NoticeTestSupport.forget(PetitionFiled(petition: try PetitionFacts(p), linkBase: "").key, app)
        return p
    }

    /// Moves a petition as some officer, straight through the store.
    @discardableResult
    static func move(
        _ app: Application, _ p: PetitionRecord, to status: PetitionStatus, note: String? = nil, at now: Date = Date()
    ) async throws -> PetitionRecord {
        let t = try Tenant.named(p.tenantID, in: app)
        guard
            case .moved(let moved) = try await PetitionStore.move(
                p, to: status, note: note, expectedVersion: p.version,
                actor: .init(kind: .staff, id: nil, name: "fixture"), tenant: t,
                linkBase: NoticeTestSupport.linkBase(p.tenantID), now: now, on: app.db)
        else {
            throw TestFailure("fixture move refused")
        }
        try await NoticeTestSupport.forget(
            PetitionMoved(
                petition: try PetitionFacts(moved), from: p.status, to: status, at: moved.statusChangedAt,
                note: nil, version: moved.version, linkBase: ""
            ).key, app)
        return moved
    }

    static func page(_ app: Application, _ client: StaffClient, _ path: String) async throws -> (HTTPStatus, String) {
        var out: (HTTPStatus, String) = (.ok, "")
        try await get(app, path, client) { out = ($0.status, $0.body.string) }
        return out
    }

    /// The hidden version on a petition page.
    static func version(_ html: String) -> String { FormSession.hidden(html)["version"] ?? "" }
}

/// Counts the SQL statements a request runs: the request's logger is swapped for one whose handler keeps the
/// "Executing query" lines SQLKit writes at debug level for every statement (on both drivers).
final class QueryCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var statements: [String] = []
    private var on = false

    func start() {
        lock.withLock {
            statements = []; on = true
        }
    }
    func stop() -> [String] {
        lock.withLock {
            on = false; return statements
        }
    }
    func add(_ sql: String) { lock.withLock { if on { statements.append(sql) } } }

    struct Handler: LogHandler {
        let counter: QueryCounter
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            guard event.message.description == "Executing query", let sql = event.metadata?["sql"] else { return }
            counter.add("\(sql)")
        }
    }

    struct Middleware: AsyncMiddleware {
        let counter: QueryCounter
        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            let counter = counter
            request.logger = Logger(label: "query-counter") { _ in Handler(counter: counter) }
            return try await next.respond(to: request)
        }
    }
}

@Suite("Petitions: the officers' side")
struct PetitionOfficeTests {
    static let queue = "/backoffice/t/bangkrathum/petitions"

    /// The pager's link with this `rel`, unescaped.
    static func link(_ html: String, rel: String) -> String? {
        guard let r = html.range(of: "\" rel=\"\(rel)\"") else { return nil }
        let head = html[..<r.lowerBound]
        guard let start = head.range(of: "href=\"", options: .backwards) else { return nil }
        return HTMLText.unescape(String(head[start.upperBound...]))
    }

    @Test("queue: status tabs with counts, service, dates in BE, overdue, search by number or name, pages", arguments: TestDatabase.all)
    func queueFilters(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let somsri = try await PetitionFixtures.citizen(app)
            let mana = try await PetitionFixtures.citizen(app, first: "มานะ", last: "ขยันยิ่ง")
            let old = Date().addingTimeInterval(-40 * 86_400)
            let a1 = try await PetitionFixtures.file(app, citizen: somsri)
            let a2 = try await PetitionFixtures.file(app, citizen: somsri)
            let late = try await PetitionFixtures.file(app, citizen: somsri, service: "road-repair", at: old)
            let b1 = try await PetitionFixtures.file(app, citizen: mana)
            let b2 = try await PetitionFixtures.move(app, try await PetitionFixtures.file(app, citizen: mana), to: .completed)
            let api = try await PetitionFixtures.file(app, citizen: nil, requester: #"{"first_name":"เอ","email":"a@example.com","client":"แชตบอต"}"#)
            let foreign = try await PetitionFixtures.file(
                app, citizen: try await PetitionFixtures.citizen(app, tenant: "bangrak"), tenant: "bangrak",
                service: "general-complaint")

            // Default: open petitions, newest first, every tenant's own only.
            var (status, html) = try await PetitionFixtures.page(app, officer, Self.queue)
            #expect(status == .ok)
            for p in [a1, a2, late, b1, api] { #expect(html.contains(p.number), "\(p.number) is open") }
            #expect(!html.contains(b2.number), "completed is not in the open tab")
            #expect(!html.contains(foreign.number), "another tenant's petition never shows")
            #expect(html.contains("ยังไม่ปิด <span class=\"count\">(5)</span>"))
            #expect(html.contains("ส่งคำร้อง <span class=\"count\">(5)</span>"))
            #expect(
                html.contains("ดำเนินการสำเร็จ <span class=\"count\">(1)</span>") && html.contains("ทั้งหมด <span class=\"count\">(6)</span>"),
                "without dates or a search every tab is counted (from petition_counts)")
            #expect(html.contains("สมศรี ใจดี") && html.contains("มานะ ขยันยิ่ง") && html.contains("ยื่นผ่าน Open311"))
            #expect(html.range(of: api.number)!.lowerBound < html.range(of: a1.number)!.lowerBound, "newest first")
            #expect(html.contains("เกินกำหนด"))
            // The contact details an Open311 client sent are shown to the tenant's officers (never by the API).
            let (apiStatus, apiPage) = try await PetitionFixtures.page(app, officer, "\(Self.queue)/\(api.number)")
            #expect(apiStatus == .ok)
            for text in ["ระบบที่ยื่น", "แชตบอต", "ชื่อผู้แจ้ง", "เอ", "a@example.com"] { #expect(apiPage.contains(text), "\(text)") }

            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=open&sort=oldest")
            #expect(html.range(of: late.number)!.lowerBound < html.range(of: a1.number)!.lowerBound, "oldest first on request")

            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=completed")
            #expect(html.contains(b2.number) && !html.contains(a1.number))

            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&service=road-repair")
            #expect(html.contains(late.number) && !html.contains(a1.number) && !html.contains(b2.number))

            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&overdue=1")
            #expect(html.contains(late.number) && !html.contains(a1.number) && !html.contains(b1.number))
            #expect(html.contains("ยังไม่ปิด <span class=\"count\">(1)</span>"), "tab counts follow the overdue filter")

            // Search: a whole number (any case), its last digits, a name.
            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&q=\(b1.number.lowercased())")
            #expect(html.contains(b1.number) && !html.contains(a1.number) && !html.contains(b2.number))
            let tail = String(a2.number.suffix(6))
            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&q=\(tail)")
            #expect(html.contains(a2.number) && !html.contains(a1.number))
            let running = Int(tail)!, year = a2.number.split(separator: "-")[1]
            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&q=\(year)-\(running)")
            #expect(html.contains(a2.number) && !html.contains(a1.number))
            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&q=\(running)")
            #expect(html.contains(a2.number) && !html.contains(a1.number), "a running number alone")
            (_, html) = try await PetitionFixtures.page(
                app, officer, Self.queue + "?status=all&q=" + "มานะ".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(html.contains(b1.number) && html.contains(b2.number) && !html.contains(a1.number) && !html.contains(api.number))
            (_, html) = try await PetitionFixtures.page(
                app, officer, Self.queue + "?status=all&q=" + "ใจดี".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(html.contains(a1.number) && !html.contains(b1.number))
            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&q=%25")
            #expect(html.contains("ไม่พบคำร้อง"), "% is a character, not a wildcard")

            // Dates in the Buddhist era: filed up to 30 days ago is the late one only.
            let cut = BuddhistDateInput.format(Date().addingTimeInterval(-30 * 86_400))
            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&to=\(cut)")
            #expect(html.contains(late.number) && !html.contains(a1.number))
            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&from=\(cut)")
            #expect(!html.contains(late.number) && html.contains(a1.number))
            (status, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&from=31/02/2569&to=1/1/2026")
            #expect(status == .badRequest)
            #expect(html.contains("ไม่มีวันที่นี้ในปฏิทิน") && html.contains("ปีเป็นพุทธศักราช"))
            #expect(html.contains("href=\"#from\""), "the error summary links to the field")

            // Pages: two per page; the open tab knows its total, "all" pages on without one.
            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?size=2")
            #expect(html.components(separatedBy: "class=\"petition-row\"").count - 1 == 2)
            #expect(html.contains("หน้า 1 จาก 3") && html.contains("page=2") && html.contains("แสดงรายการที่ 1–2 จาก 5 รายการ"))
            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?size=2&page=3")
            #expect(html.components(separatedBy: "class=\"petition-row\"").count - 1 == 1)
            #expect(html.contains(late.number) && !html.contains("rel=\"next\""), "the oldest is on the last page")
            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&size=2&page=2")
            #expect(html.components(separatedBy: "class=\"petition-row\"").count - 1 == 2)
            #expect(html.contains("หน้า 2 จาก 3") && html.contains("rel=\"next\"") && html.contains("rel=\"prev\""))
            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&size=2&page=3")
            #expect(html.components(separatedBy: "class=\"petition-row\"").count - 1 == 2 && !html.contains("rel=\"next\""))
            // Under a search only open petitions are counted: the "all" tab pages on without a total.
            (_, html) = try await PetitionFixtures.page(
                app, officer, Self.queue + "?status=all&size=2&page=2&q=" + "ใจดี".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(html.contains("หน้า 2<") && html.contains(">ทั้งหมด</a>") && html.contains("ยังไม่ปิด <span class=\"count\">(3)</span>"))

            // Next and previous follow the rows' tracking numbers: walking the whole "all" tab two at a time, each
            // way, gives every petition once, in order, as the pages without cursors do.
            let everyRow = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all").1.components(separatedBy: "class=\"petition-number\">")
                .dropFirst()
                .map { String($0.prefix { $0 != "<" }) }
            #expect(everyRow.count == 6)
            var walked: [String] = []
            var next: String? = Self.queue + "?status=all&size=2"
            var last = ""
            while let url = next {
                (status, html) = try await PetitionFixtures.page(app, officer, url)
                #expect(status == .ok)
                walked += html.components(separatedBy: "class=\"petition-number\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
                next = Self.link(html, rel: "next")
                if next != nil { #expect(next!.contains("after=")) }
                last = url
            }
            #expect(walked == everyRow, "forwards: \(walked)")
            var back: [String] = []
            var prev: String? = last
            while let url = prev {
                (_, html) = try await PetitionFixtures.page(app, officer, url)
                back.insert(contentsOf: html.components(separatedBy: "class=\"petition-number\">").dropFirst().map { String($0.prefix { $0 != "<" }) }, at: 0)
                prev = Self.link(html, rel: "prev")
            }
            #expect(back == everyRow, "backwards: \(back)")
            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&size=2&page=2&after=\(everyRow[1])&sort=oldest")
            #expect(
                html.contains(everyRow[0]) && !html.contains(everyRow[1]) && !html.contains(everyRow[2]) && html.contains("หน้า 2"),
                "oldest first walks the other way from the same row")
            (status, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&size=2&page=2&after=BKT-2500-000999")
            #expect(status == .ok && html.contains("ไม่มีรายการในหน้านี้"), "an unknown cursor gives an empty page, not an error")
            (status, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&size=2&page=2&after=%27%3B--")
            #expect(status == .ok && html.components(separatedBy: "class=\"petition-row\"").count - 1 == 2, "a malformed cursor is ignored")
            (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&size=5000")
            #expect(html.components(separatedBy: "class=\"petition-row\"").count - 1 == 6, "size is capped, not refused")

            // The tenant's back-office home links the queue with the open count.
            (_, html) = try await PetitionFixtures.page(app, officer, "/backoffice/t/bangkrathum/")
            #expect(html.contains("href=\"\(Self.queue)\"") && html.contains("ยังไม่ปิด 5 เรื่อง"))

            // A name in Latin letters is found whatever the case typed.
            let john = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app, first: "John", last: "O'Smith"))
            for q in ["smith", "SMITH", "john%20o'sm"] {
                (_, html) = try await PetitionFixtures.page(app, officer, Self.queue + "?status=all&q=\(q)")
                #expect(html.contains(john.number) && !html.contains(a1.number), "\(q)")
            }
            #expect(html.contains("John O&#39;Smith"), "names are escaped in the rows")
        }
    }

    @Test("a queue page runs the same number of SQL statements for 10 rows as for 200", arguments: TestDatabase.all)
    func constantQueries(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let citizens = [try await PetitionFixtures.citizen(app), try await PetitionFixtures.citizen(app, first: "มานะ", last: "ขยัน")]
            for i in 0..<230 { try await PetitionFixtures.file(app, citizen: i % 7 == 0 ? nil : citizens[i % 2]) }
            // Signed in after the filings: the idle clock is written at most once a minute, so a sign-in more than a
            // minute before the pages (230 filings on a slow machine) would add that write to one of them.
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let counter = QueryCounter()
            app.middleware.use(QueryCounter.Middleware(counter: counter))
            // One page first: the session's first page writes its CSRF token and idle clock, which later pages
            // (whatever their size) do not write again.
            try await get(app, Self.queue, officer) { #expect($0.status == .ok) }
            var counts: [Int: Int] = [:]
            for size in [10, 200] {
                counter.start()
                var html = ""
                try await get(app, Self.queue + "?status=all&size=\(size)", officer) { res in
                    #expect(res.status == .ok)
                    html = res.body.string
                }
                let statements = counter.stop()
                #expect(html.components(separatedBy: "class=\"petition-row\"").count - 1 == size)
                #expect(statements.contains { $0.contains("FROM citizens c") && $0.contains("FROM petitions p") }, "the names come with the page's rows")
                counts[size] = statements.count
            }
            #expect(counts[10] == counts[200], "statements: \(counts)")
            #expect((counts[10] ?? 0) > 0 && (counts[10] ?? 99) <= 12, "statements: \(counts)")
        }
    }

    @Test("an officer of another tenant gets 403 everywhere; a citizen's session gets nothing", arguments: TestDatabase.all)
    func access(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            let citizen = try await PetitionFixtures.citizen(app)
            let stored = try await app.fileStore.save(samplePDF, folder: "petitions/bangkrathum", ext: "pdf")
            let p = try await PetitionFixtures.file(
                app, citizen: citizen,
                attachments: [
                    .init(
                        fieldKey: "photos", fileName: stored, originalName: "a.pdf", mimeType: "application/pdf", bytes: samplePDF.count,
                        sha256: Hex.sha256(samplePDF))
                ])
            let mine = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let outsider = try await signedInStaff(app, tenant: "bangrak", role: .orgAdmin)
            let attachment = try #require(try await PetitionStore.attachments(p, on: app.db).first?.id)
            let base = "\(Self.queue)/\(p.number)"

            // Our officer may see the attachment, and the view is audited.
            try await get(app, "\(base)/attachments/\(attachment.uuidString.lowercased())", mine) { res in
                #expect(res.status == .ok)
                #expect(res.headers.first(name: .contentType) == "application/pdf")
                #expect(res.headers.first(name: "X-Content-Type-Options") == "nosniff")
                #expect(res.headers.first(name: .cacheControl)?.contains("no-store") == true)
                #expect(res.headers.first(name: .contentDisposition)?.hasPrefix("inline; filename=\"a.pdf\"") == true)
                #expect(res.body.readableBytes == samplePDF.count)
            }
            #expect(try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.petitionAttachmentViewed.rawValue).count() == 1)

            for path in [Self.queue, base, "\(base)/attachments/\(attachment.uuidString.lowercased())"] {
                try await get(app, path, outsider) { #expect($0.status == .forbidden, "\(path)") }
            }
            try await post(app, "\(base)/status", outsider, ["status": "accepted", "version": "1"]) { #expect($0.status == .forbidden) }
            var m = Multipart()
            m.field("_csrf", outsider.csrf)
            m.field("kind", "receipt")
            m.file("file", filename: "r.pdf", type: "application/pdf", data: samplePDF)
            var (headers, body) = m.finished()
            headers.add(name: "Cookie", value: outsider.cookie)
            try await app.testing().test(.POST, "\(base)/documents", headers: headers, body: body) { #expect($0.status == .forbidden) }
            #expect(try await PetitionDocumentRecord.query(on: app.db).count() == 0)
            #expect(try await PetitionStore.byID(try p.requireID(), tenant: try Tenant.named("bangkrathum", in: app), on: app.db)?.version == 1)
            // A number of the other tenant is simply not found for our officer.
            try await get(app, "/backoffice/t/bangkrathum/petitions/BRK-2569-999999", mine) { #expect($0.status == .notFound) }

            // A citizen signed in on the tenant's site is nobody in the back office.
            let client = try #require(try await CitizenFixtures.signIn(app, nationalID: try app.nationalIDs.open(citizen.nationalIDSealed).digits))
            for path in [Self.queue, base] {
                try await app.testing().test(.GET, path, headers: client.headers) { res in
                    #expect(res.status == .seeOther || res.status == .unauthorized, "\(path): \(res.status)")
                    #expect(!res.body.string.contains(p.number))
                }
            }
            let (h, b) = client.form(["status": "accepted", "version": "1"])
            try await app.testing().test(.POST, "\(base)/status", headers: h, body: b) { res in
                #expect([.unauthorized, .forbidden].contains(res.status), "\(res.status)")
            }
            _ = env
        }
    }

    @Test("the officer moves a petition through every status with notes; the page shows the timeline", arguments: TestDatabase.all)
    func moveChain(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let citizen = try await PetitionFixtures.citizen(app)
            let p = try await PetitionFixtures.file(app, citizen: citizen)
            let path = "\(Self.queue)/\(p.number)"
            var (status, html) = try await PetitionFixtures.page(app, officer, path)
            #expect(status == .ok)
            #expect(html.contains("สมศรี ใจดี") && html.contains("x-xxxx-xxxxx-") && html.contains("081"))
            #expect(!html.contains(try app.nationalIDs.open(citizen.nationalIDSealed).digits), "only the masked national ID")
            #expect(html.contains("หน้าวัดบางกระทุ่ม (16.57, 100.3)") && html.contains("1,500"), "answers shown through PetitionAnswers")
            #expect(html.contains("value=\"accepted\"") && html.contains("value=\"cannot_proceed\""))

            for (target, note) in [("accepted", "รับเรื่องแล้ว"), ("in_progress", ""), ("completed", "เปลี่ยนหลอดไฟแล้ว")] {
                let version = PetitionFixtures.version(html)
                try await post(app, "\(path)/status", officer, ["status": target, "note": note, "version": version]) { res in
                    #expect(res.status == .seeOther, "\(target): \(res.status) \(res.body.string.prefix(300))")
                    #expect(res.headers.first(name: .location) == path)
                }
                (_, html) = try await PetitionFixtures.page(app, officer, path)
                #expect(html.contains("id=\"current-status\">\(PetitionStatus(rawValue: target)!.thai)<"))
            }
            #expect(html.contains("เปลี่ยนสถานะคำร้อง \(p.number) เป็น “ดำเนินการสำเร็จ” แล้ว"))
            #expect(html.contains("รับเรื่องแล้ว") && html.contains("เปลี่ยนหลอดไฟแล้ว"))
            #expect(html.contains("คำร้องนี้ปิดแล้ว") && !html.contains("name=\"status\""))
            let done = try #require(try await PetitionStore.byNumber(p.number, tenant: try Tenant.named("bangkrathum", in: app), on: app.db))
            let timeline = try await PetitionStore.timeline(done, on: app.db)
            #expect(timeline.map(\.toStatus) == ["submitted", "accepted", "in_progress", "completed"])
            #expect(timeline.map(\.note) == [nil, "รับเรื่องแล้ว", nil, "เปลี่ยนหลอดไฟแล้ว"])
            #expect(timeline.dropFirst().allSatisfy { $0.actorKind == "staff" && $0.actorID == officer.id })
            #expect(try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.petitionStatusChanged.rawValue).count() == 3)

            // From a final status nothing moves: 422 with the Domain's Thai text beside the field.
            try await post(app, "\(path)/status", officer, ["status": "cannot_proceed", "note": "x", "version": "\(done.version)"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains(PetitionStatus.TransitionError.final(.completed).thai.replacingOccurrences(of: "“", with: "“")))
                #expect(res.body.string.contains("id=\"status-error\""))
            }
            #expect(try await PetitionStore.timeline(done, on: app.db).count == 4)
        }
    }

    @Test("forbidden moves: backwards, closing without a reason, a stale version (409), nothing chosen", arguments: TestDatabase.all)
    func forbiddenMoves(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let p = try await PetitionFixtures.move(
                app, try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app)), to: .inProgress)
            let path = "\(Self.queue)/\(p.number)"
            try await post(app, "\(path)/status", officer, ["status": "accepted", "version": "\(p.version)"]) { res in
                #expect(res.status == .unprocessableEntity)
                let html = res.body.string
                #expect(html.contains("เปลี่ยนสถานะย้อนกลับไม่ได้"))
                #expect(html.contains("href=\"#status\""), "the summary links to the field")
            }
            try await post(app, "\(path)/status", officer, ["status": "cannot_proceed", "note": "   ", "version": "\(p.version)"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("id=\"note-error\"") && res.body.string.contains("กรุณาระบุเหตุผลที่ไม่สามารถดำเนินการได้"))
            }
            try await post(app, "\(path)/status", officer, ["note": "x", "version": "\(p.version)"]) { res in
                #expect(res.status == .unprocessableEntity && res.body.string.contains("กรุณาเลือกสถานะใหม่"))
            }
            try await post(app, "\(path)/status", officer, ["status": "completed", "note": "ทำไปแล้ว", "version": "\(p.version - 1)"]) { res in
                #expect(res.status == .conflict)
                #expect(res.body.string.contains("มีเจ้าหน้าที่ท่านอื่นเปลี่ยนสถานะ") && res.body.string.contains("href=\"\(path)\""))
                #expect(res.body.string.contains("ทำไปแล้ว"), "the typed note is kept")
            }
            let t = try Tenant.named("bangkrathum", in: app)
            #expect(try await PetitionStore.byID(try p.requireID(), tenant: t, on: app.db)?.status == .inProgress)
            #expect(try await PetitionStore.timeline(p, on: app.db).count == 2)
            // Closing with a reason works.
            try await post(app, "\(path)/status", officer, ["status": "cannot_proceed", "note": "อยู่นอกเขตเทศบาล", "version": "\(p.version)"]) { res in
                #expect(res.status == .seeOther)
            }
            #expect(try await PetitionStore.byID(try p.requireID(), tenant: t, on: app.db)?.status == .cannotProceed)
        }
    }

    @Test("two officers move the same petition at once: one wins, the other gets 409, one timeline entry", arguments: TestDatabase.all)
    func twoOfficers(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let one = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let two = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let p = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app))
            let path = "\(Self.queue)/\(p.number)"
            let v1 = PetitionFixtures.version(try await PetitionFixtures.page(app, one, path).1)
            let v2 = PetitionFixtures.version(try await PetitionFixtures.page(app, two, path).1)
            #expect(v1 == "1" && v2 == "1")
            async let a: HTTPStatus = {
                var s = HTTPStatus.ok
                try await post(app, "\(path)/status", one, ["status": "accepted", "note": "คนที่หนึ่ง", "version": v1]) { s = $0.status }
                return s
            }()
            async let b: HTTPStatus = {
                var s = HTTPStatus.ok
                try await post(app, "\(path)/status", two, ["status": "accepted", "note": "คนที่สอง", "version": v2]) { s = $0.status }
                return s
            }()
            let statuses = try await [a, b]
            #expect(statuses.filter { $0 == .seeOther }.count == 1 && statuses.filter { $0 == .conflict }.count == 1, "\(statuses)")
            let timeline = try await PetitionStore.timeline(p, on: app.db)
            #expect(timeline.map(\.toStatus) == ["submitted", "accepted"])
            #expect(try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.petitionStatusChanged.rawValue).count() == 1)
        }
    }

    @Test("status e-mails: other statuses only if the citizen wants them, completion always, none for Open311", arguments: TestDatabase.all)
    func statusMails(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let quiet = try await PetitionFixtures.citizen(app, notify: false)
            let keen = try await PetitionFixtures.citizen(app, first: "มานะ", last: "ขยัน", notify: true)
            let pq = try await PetitionFixtures.file(app, citizen: quiet)
            let pk = try await PetitionFixtures.file(app, citizen: keen)
            let api = try await PetitionFixtures.file(app, citizen: nil, requester: #"{"email":"someone@example.com","client":"แชตบอต"}"#)
            func move(_ p: PetitionRecord, _ status: String, note: String = "", version: Int) async throws {
                try await post(app, "\(Self.queue)/\(p.number)/status", officer, ["status": status, "note": note, "version": "\(version)"]) {
                    #expect($0.status == .seeOther, "\($0.status)")
                }
            }
            let before = try await queuedMails(app).count
            try await move(pq, "accepted", version: 1)
            #expect(try await queuedMails(app).count == before, "opted out: no mail for accepted")
            try await move(pk, "accepted", note: "รับเรื่องแล้วครับ", version: 1)
            var mails = try await queuedMails(app)
            #expect(mails.count == before + 1)
            #expect(mails.last?.to == [keen.email])
            #expect(mails.last?.subject.contains(pk.number) == true && mails.last?.subject.contains("เจ้าหน้าที่รับเรื่อง") == true)
            #expect(mails.last?.text.contains("รับเรื่องแล้วครับ") == true, "the officer's note is in the mail")
            #expect(mails.last?.text.contains("/t/bangkrathum/account/petitions/\(pk.number)") == true)

            try await move(pq, "completed", note: "เสร็จแล้ว", version: 2)
            mails = try await queuedMails(app)
            #expect(mails.count == before + 2, "completion is mailed even to a citizen who opted out")
            #expect(mails.last?.to == [quiet.email] && mails.last?.subject.contains("ดำเนินการสำเร็จ") == true)

            try await move(api, "completed", version: 1)
            #expect(try await queuedMails(app).count == before + 2, "an Open311 petition has nobody to mail")
        }
    }

    @Test("the completion e-mail reaches a real SMTP server with the tracking number")
    func completionOverSMTP() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        try await withApp(.sqlite, settings: ["SMTP_URL": "smtp://127.0.0.1:\(sink.port)?starttls=off"]) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let citizen = try await PetitionFixtures.citizen(app, notify: false)
            let p = try await PetitionFixtures.move(app, try await PetitionFixtures.file(app, citizen: citizen), to: .inProgress)
            try await post(app, "\(Self.queue)/\(p.number)/status", officer, ["status": "completed", "note": "ซ่อมเสร็จแล้ว", "version": "\(p.version)"]) {
                #expect($0.status == .seeOther)
            }
            let worker = app.makeOutboxWorker()
            var delivered = 0
            for _ in 0..<5 where sink.messages().isEmpty { delivered += try await worker.runOnce() }
            let file = try #require(sink.messages().first)
            let mail = try ParsedMail.parse(file)
            #expect(mail.to.contains(citizen.email))
            #expect(mail.subject.contains(p.number) && mail.subject.contains("ดำเนินการสำเร็จ"))
            #expect(mail.parts.first?.body.contains(p.number) == true && mail.parts.first?.body.contains("ซ่อมเสร็จแล้ว") == true)
            #expect(sink.messages().count == 1)
        }
    }

    @Test("the filing e-mail: number, service, received time in BE, link to the petition page; Open311 petitions tell nobody", arguments: TestDatabase.all)
    func filedMail(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let citizen = try await PetitionFixtures.citizen(app)
            let t = try Tenant.named("bangkrathum", in: app)
            let (menu, s) = try #require(t.service("street-light"))
            let before = try await queuedMails(app).count
            let p = try await PetitionStore.file(
                .init(
                    tenant: t, citizenID: try citizen.requireID(), citizenName: citizen.fullName, menu: menu, service: s,
                    formVersion: 1, answersJSON: try PetitionFixtures.answersJSON(), attachments: [],
                    submissionKey: "filed-mail"), linkBase: "http://127.0.0.1:8080/t/bangkrathum", on: app.db
            ).petition
            let mails = try await queuedMails(app)
            #expect(mails.count == before + 1)
            let mail = try #require(mails.last)
            #expect(mail.to == [citizen.email] && mail.subject.contains(p.number))
            #expect(mail.text.contains("แจ้งซ่อมไฟฟ้าสาธารณะ") && mail.text.contains(ThaiDate.shortWithTime(p.createdAt)))
            #expect(mail.text.contains("\(ThaiYear.of(Date()))"))
            #expect(mail.text.contains("http://127.0.0.1:8080/t/bangkrathum/account/petitions/\(p.number)"))
            let key = "petition-filed:\(try p.requireID().uuidString.lowercased())"
            #expect(try await OutboxStore.allJobs(on: app.db).contains { $0.kind == EmailOutbox.kind && $0.idempotencyKey == key })
            // Nobody to tell about an Open311 petition's status.
            let api = try await PetitionStore.file(
                .init(
                    tenant: t, citizenID: nil, citizenName: "Open311", channel: .open311, menu: menu, service: s,
                    formVersion: 1, answersJSON: try PetitionFixtures.answersJSON(), attachments: [],
                    submissionKey: "filed-mail-api"), linkBase: NoticeTestSupport.linkBase, on: app.db
            ).petition
            _ = try await PetitionStore.move(
                api, to: .completed, note: nil, expectedVersion: 1, actor: .init(kind: .staff, id: nil, name: "x"), tenant: t,
                linkBase: NoticeTestSupport.linkBase, on: app.db)
            #expect(try await queuedMails(app).count == before + 1)
        }
    }
}
