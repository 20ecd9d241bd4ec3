import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting
import ZIPFoundation

@testable import App

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The dashboard's figures against a fresh count over petitions with known dates, statuses and working days;
/// its constant number of statements; the export's CSV and XLSX parsed back; who may see either.
@Suite("Petitions: dashboard and export")
struct DashboardExportTests {
    static let dashboard = "/backoffice/t/bangkrathum/dashboard"
    static let queue = "/backoffice/t/bangkrathum/petitions"

    /// 00:00 Bangkok on the day, plus hours.
    static func bangkok(_ y: Int, _ m: Int, _ d: Int, hour: Int = 10) -> Date {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = ThaiDate.bangkok
        return c.date(from: DateComponents(year: y, month: m, day: d, hour: hour))!
    }

    /// A petition filed on `filed` through the store, then moved to `status` (closed on `closed`) through it, so
    /// the kept month counts are what filings and moves leave. The division and the wait for the citizen are
    /// written to the row before the move.
    struct Spec {
        var filed: Date
        var service = "street-light"
        var status: PetitionStatus = .submitted
        var closed: Date?
        var division: String?
        var channel: PetitionChannel = .web
        var waiting = false

        /// The working days the move records (nothing was waited).
        var workDays: Int? { closed.map { WorkingDays.between(filed, $0) } }
    }

    static func make(_ app: Application, _ specs: [Spec], citizen: CitizenAccount) async throws -> [PetitionRecord] {
        var out: [PetitionRecord] = []
        let sql = try #require(app.db as? any SQLDatabase)
        for s in specs {
            var p = try await PetitionFixtures.file(app, citizen: citizen, service: s.service, at: s.filed, channel: s.channel)
            let id = try p.requireID()
            try await sql.raw(
                """
                UPDATE petitions SET division = \(bind: s.division), waiting_since = \(bind: s.waiting ? s.filed : nil) WHERE id = \(bind: id)
                """
            ).run()
            p = try #require(try await PetitionStore.byID(id, tenant: try Tenant.named(p.tenantID, in: app), on: app.db))
            if s.status != .submitted {
                let note = s.status == .cannotProceed ? "เอกสารไม่ครบ" : nil
                p = try await PetitionFixtures.move(app, p, to: s.status, note: note, at: s.closed ?? s.filed.addingTimeInterval(3600))
            }
            out.append(p)
        }
        return out
    }

    static func percentile(_ values: [Int], _ p: Int) -> Int? {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return nil }
        return sorted[Int((Double(p) / 100 * Double(sorted.count)).rounded(.up)) - 1]
    }

    @Test("the dashboard's numbers equal a fresh count; the statements do not grow with the months; the SVG parses", arguments: TestDatabase.all)
    func figures(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let citizen = try await PetitionFixtures.citizen(app)
            let division = DivisionRecord()
            division.tenantID = "bangkrathum"
            division.code = "works"
            division.name = "กองช่าง"
            division.position = 1
            division.createdAt = Date()
            division.updatedAt = Date()
            try await division.create(on: app.db)
            func b(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 10) -> Date { Self.bangkok(y, m, d, hour: h) }
            // January to March 2569 (2026), and one petition either side of them.
            let specs: [Spec] = [
                Spec(filed: b(2026, 1, 1, 0), status: .completed, closed: b(2026, 1, 20), division: "works"),
                Spec(filed: b(2026, 1, 15), status: .completed, closed: b(2026, 2, 2), division: "works", channel: .line),
                Spec(filed: b(2026, 1, 31, 23), service: "road-repair", status: .completed, closed: b(2026, 3, 31, 23)),
                Spec(filed: b(2026, 2, 10), service: "road-repair", status: .completed, closed: b(2026, 3, 1), channel: .counter),
                Spec(filed: b(2026, 2, 11), status: .completed, closed: b(2026, 2, 25), division: "works", channel: .phone),
                Spec(filed: b(2026, 2, 12), status: .cannotProceed, closed: b(2026, 2, 13)),
                Spec(filed: b(2026, 3, 3), status: .inProgress, division: "works"),
                Spec(filed: b(2026, 3, 4), status: .submitted, channel: .open311),
                Spec(filed: b(2026, 3, 5), status: .accepted, waiting: true),
                Spec(filed: b(2025, 12, 31, 23), status: .completed, closed: b(2026, 1, 5)),
                Spec(filed: b(2026, 4, 1, 0), status: .submitted),
                Spec(filed: b(2026, 3, 20), status: .completed, closed: b(2026, 4, 2)),
            ]
            _ = try await Self.make(app, specs, citizen: citizen)
            // Another tenant's petition in the same months counts nowhere here.
            let other = try await PetitionFixtures.citizen(app, tenant: "bangrak")
            try await PetitionFixtures.file(app, citizen: other, tenant: "bangrak", service: "general-complaint", at: b(2026, 2, 1))

            let months = try DashboardMonths.parse(from: "01/2569", to: "03/2569", now: Date()).get()
            let start = months.start, end = months.end
            let received = specs.filter { $0.filed >= start && $0.filed < end }
            let completed = specs.filter { $0.status == .completed && $0.closed.map { $0 >= start && $0 < end } == true }
            let open = received.filter { $0.status.isOpen }
            let overdue = open.filter { !$0.waiting }  // every due date (from the filing date) is long past
            let t = try Tenant.named("bangkrathum", in: app)
            let f = try await DashboardStore.figures(tenant: t, months: months, now: Date(), on: app.db)
            #expect(f.received == received.count && f.received == 10)
            #expect(f.completed == completed.count && f.completed == 6)
            #expect(f.open == open.count && f.open == 3)
            #expect(f.overdue == overdue.count && f.overdue == 2)
            #expect(f.receivedPerMonth == [3, 3, 4])
            #expect(f.completedPerMonth == [2, 2, 2], "closed 5 January (filed before the months) counts in January; closed 2 April does not")
            #expect(f.byChannel[.line] == 1 && f.byChannel[.counter] == 1 && f.byChannel[.phone] == 1 && f.byChannel[.open311] == 1)
            #expect(f.byChannel[.web] == 6)
            for service in ["street-light", "road-repair"] {
                let days = completed.filter { $0.service == service }.compactMap(\.workDays)
                #expect(f.byService[service]?.median == Self.percentile(days, 50), "\(service) \(days)")
                #expect(f.byService[service]?.p90 == Self.percentile(days, 90), "\(service) \(days)")
                #expect(f.byService[service]?.total == days.count)
            }
            let works = completed.filter { $0.division == "works" }.compactMap(\.workDays)
            #expect(f.byDivision["works"]?.median == Self.percentile(works, 50) && f.byDivision["works"]?.p90 == Self.percentile(works, 90))
            #expect(f.byDivision[""]?.total == completed.filter { $0.division == nil }.count)
            #expect(f.all.median == Self.percentile(completed.compactMap(\.workDays), 50))

            // The page: the same numbers, charts that parse, the statements constant whatever the months.
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let counter = QueryCounter()
            app.middleware.use(QueryCounter.Middleware(counter: counter))
            try await get(app, Self.dashboard, officer) { #expect($0.status == .ok) }
            var counts: [Int] = []
            var html = ""
            for query in ["?from=03/2569&to=03/2569", "?from=01/2569&to=03/2569", "?from=04/2566&to=03/2569"] {
                counter.start()
                try await get(app, Self.dashboard + query, officer) { res in
                    #expect(res.status == .ok)
                    if query == "?from=01/2569&to=03/2569" { html = res.body.string }
                }
                counts.append(counter.stop().count)
            }
            #expect(Set(counts).count == 1 && counts[0] <= 12, "statements: \(counts)")
            #expect(html.contains("<dt>รับคำร้อง</dt><dd>10</dd>") && html.contains("<dt>ดำเนินการสำเร็จ</dt><dd>6</dd>"))
            #expect(html.contains("<dt>เกินกำหนดและยังไม่ปิด</dt><dd>2</dd>"))
            #expect(html.contains("กองช่าง") && html.contains("มกราคม 2569") && html.contains("มีนาคม 2569"))
            let svgs = html.components(separatedBy: "<svg ").dropFirst().map { "<svg " + $0.components(separatedBy: "</svg>")[0] + "</svg>" }
            #expect(svgs.count == 2)
            for svg in svgs {
                let parser = XMLParser(data: Data(svg.utf8))
                #expect(parser.parse(), "\(svg.prefix(300))")
                #expect(svg.contains(#"role="img""#) && svg.contains("<title"))
            }

            // A bad month is a Thai message and a 400, never a 5xx.
            for bad in ["?from=13/2569", "?from=01/2569&to=12/2572", "?to=99999999999999999999999/1", "?from=03/2569&to=01/2569"] {
                try await get(app, Self.dashboard + bad, officer) { res in
                    #expect(res.status == .badRequest, "\(bad)")
                    #expect(res.body.string.contains("error-summary") || res.body.string.contains("เดือน"))
                }
            }
        }
    }

    @Test(
        "the month counts the dashboard reads are what filings and moves leave, equal to a fresh count; a database with petitions gets them from its petitions",
        arguments: TestDatabase.all)
    func keptMonths(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let citizen = try await PetitionFixtures.citizen(app)
            func b(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 10) -> Date { Self.bangkok(y, m, d, hour: h) }
            let t = try Tenant.named("bangkrathum", in: app)
            // Month edges in Bangkok time (23:00 on the last day, 00:00 on the first), every channel, both closes.
            var petitions: [PetitionRecord] = []
            let filed = [b(2025, 12, 31, 23), b(2026, 1, 1, 0), b(2026, 1, 31, 23), b(2026, 2, 1, 0), b(2026, 2, 28, 12), b(2026, 3, 15)]
            for (i, at) in filed.enumerated() {
                let channel = PetitionChannel.allCases[i % PetitionChannel.allCases.count]
                let service = i % 2 == 0 ? "street-light" : "road-repair"
                petitions.append(try await PetitionFixtures.file(app, citizen: citizen, service: service, at: at, channel: channel))
            }
            #expect(try await PetitionCounts.storedMonths(tenant: t.id, on: app.db) == PetitionCounts.recountMonths(tenant: t.id, on: app.db))
            petitions[0] = try await PetitionFixtures.move(app, petitions[0], to: .completed, at: b(2026, 1, 31, 23))
            petitions[1] = try await PetitionFixtures.move(app, petitions[1], to: .accepted, at: b(2026, 1, 2))
            petitions[1] = try await PetitionFixtures.move(app, petitions[1], to: .completed, at: b(2026, 2, 1, 0))
            petitions[2] = try await PetitionFixtures.move(app, petitions[2], to: .cannotProceed, note: "ซ้ำ", at: b(2026, 2, 3))
            petitions[3] = try await PetitionFixtures.move(app, petitions[3], to: .inProgress, at: b(2026, 2, 3))
            petitions[4] = try await PetitionFixtures.move(app, petitions[4], to: .completed, at: b(2026, 3, 31, 23))
            let kept = try await PetitionCounts.storedMonths(tenant: t.id, on: app.db)
            #expect(kept == (try await PetitionCounts.recountMonths(tenant: t.id, on: app.db)), "\(kept)")
            // The two closed on 31 January 23:00 and 1 February 00:00 fall in January and February.
            let january = DashboardMonths.index(of: b(2026, 1, 15)), february = january + 1
            #expect(kept.filter { $0.key.hasPrefix("completed|\(january)|") }.values.reduce(0, +) == 1)
            #expect(kept.filter { $0.key.hasPrefix("completed|\(february)|") }.values.reduce(0, +) == 1)
            #expect(kept.filter { $0.key.hasPrefix("open|") }.values.reduce(0, +) == 2)
            let months = try DashboardMonths.parse(from: "12/2568", to: "03/2569", now: Date()).get()
            let before = try await DashboardStore.figures(tenant: t, months: months, now: Date(), on: app.db)
            #expect(before.received == 6 && before.completed == 3 && before.open == 2 && before.overdue == 2)
            #expect(before.receivedPerMonth == [1, 2, 2, 1] && before.completedPerMonth == [0, 1, 1, 1])

            // Nothing to do when the rows agree.
            #expect(try await PetitionMonthRecount.run(on: app.db).isEmpty)
            // A database that had petitions before the month counts existed (045 creates them empty), or whose
            // petitions an instance of the previous release filed or closed during an upgrade, gets them counted
            // by the workers' sweep; a tenant whose rows agree is left alone.
            let sql = try #require(app.db as? any SQLDatabase)
            try await PetitionFixtures.file(
                app, citizen: try await PetitionFixtures.citizen(app, tenant: "bangrak"), tenant: "bangrak", service: "general-complaint")
            let otherRows = try await PetitionCounts.storedMonths(tenant: "bangrak", on: app.db)
            try await sql.raw("DELETE FROM petition_month_received WHERE tenant_id = \(bind: t.id)").run()
            try await sql.raw("DELETE FROM petition_month_completed WHERE tenant_id = \(bind: t.id)").run()
            #expect(try await PetitionMonthRecount.run(on: app.db, budget: 0).isEmpty, "no time left: the next sweep goes on")
            #expect(try await PetitionMonthRecount.run(on: app.db) == [t.id])
            #expect(try await PetitionCounts.storedMonths(tenant: t.id, on: app.db) == kept)
            // The previous release closed one without touching the month rows: still open there.
            try await sql.raw(
                "UPDATE petition_month_received SET open_n = open_n + 1 WHERE tenant_id = \(bind: t.id) AND month = \(bind: january + 2)"
            ).run()
            #expect(try await PetitionMonthRecount.run(on: app.db) == [t.id])
            #expect(try await PetitionCounts.storedMonths(tenant: t.id, on: app.db) == kept)
            #expect(try await PetitionCounts.storedMonths(tenant: "bangrak", on: app.db) == otherRows && !otherRows.isEmpty)
            let after = try await DashboardStore.figures(tenant: t, months: months, now: Date(), on: app.db)
            #expect(after.receivedPerMonth == before.receivedPerMonth && after.completedPerMonth == before.completedPerMonth)
            #expect(after.all == before.all && after.byChannel == before.byChannel && after.open == before.open)
        }
    }

    @Test("who may see: officers of the tenant only; the platform view for platform admins only", arguments: TestDatabase.all)
    func access(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let citizen = try await PetitionFixtures.citizen(app)
            try await PetitionFixtures.file(app, citizen: citizen)
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let foreign = try await signedInStaff(app, tenant: "bangrak", role: .orgAdmin)
            let admin = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            for path in [Self.dashboard, Self.queue + "/export.csv", Self.queue + "/export.xlsx"] {
                try await get(app, path, foreign) { #expect($0.status == .forbidden, "\(path)") }
                try await get(app, path, officer) { #expect($0.status == .ok, "\(path)") }
            }
            try await get(app, "/backoffice/admin/dashboard", officer) { #expect($0.status == .forbidden) }
            try await get(app, "/backoffice/admin/dashboard", foreign) { #expect($0.status == .forbidden) }
            try await get(app, "/backoffice/admin/dashboard", admin) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("dashboard-tenants") && res.body.string.contains("<svg "))
            }
            try await app.testing().test(.GET, Self.dashboard) { #expect($0.status != .ok) }
            // Linked from the tenant's home and the queue.
            try await get(app, "/backoffice/t/bangkrathum/", officer) { #expect($0.body.string.contains(Self.dashboard)) }
            try await get(app, Self.queue + "?status=all&overdue=1&page=2", officer) { res in
                let body = res.body.string
                #expect(body.contains("ส่งออก CSV") && body.contains("ส่งออก Excel"))
                #expect(body.contains(Self.queue + "/export.csv?status=all&amp;overdue=1\""), "filters kept, paging dropped")
            }
        }
    }

    /// The rows of a CSV (RFC 4180: quoted fields, doubled quotes, CRLF).
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" {
                        field.unicodeScalars.append("\"")
                        chars = chars.dropFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field)
                field = ""
            } else if c == "\r", chars.first == "\n" {
                chars = chars.dropFirst()
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { rows.append(row + [field]) }
        return rows
    }

    final class SheetReader: NSObject, XMLParserDelegate {
        var rows: [[String]] = []
        var text: String?
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if name == "row" { rows.append([]) }
            if name == "t" { text = "" }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text? += string }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "t", let t = text {
                rows[rows.count - 1].append(t)
                text = nil
            }
        }
    }

    @Test(
        "export: CSV (BOM, CRLF, Thai, a formula-looking name neutralised) and XLSX hold exactly the filtered rows, no national ID; audited",
        arguments: TestDatabase.all)
    func export(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let client = try await CitizenFixtures.register(app)
            let account = try #require(try await CitizenAccount.query(on: app.db).filter(\.$tenantID == "bangkrathum").filter(\.$email == client.email).first())
            account.firstName = "=HYPERLINK(\"http://x\",\"คลิก\")"
            account.lastName = "ใจดี, มาก"
            try await account.save(on: app.db)
            let somsri = try await PetitionFixtures.citizen(app)
            let roads = [
                try await PetitionFixtures.file(app, citizen: account, service: "road-repair"),
                try await PetitionFixtures.file(app, citizen: somsri, service: "road-repair"),
            ]
            let walkIn = try await PetitionFixtures.file(
                app, citizen: nil, requester: #"{"first_name":"มานี มีนา","phone":"0812345678","client":"เคาน์เตอร์"}"#, channel: .counter)
            let lights = [try await PetitionFixtures.file(app, citizen: somsri), try await PetitionFixtures.file(app, citizen: account), walkIn]
            let done = try await PetitionFixtures.move(app, try await PetitionFixtures.file(app, citizen: account, service: "road-repair"), to: .completed)
            let foreign = try await PetitionFixtures.file(
                app, citizen: try await PetitionFixtures.citizen(app, tenant: "bangrak"), tenant: "bangrak", service: "general-complaint")
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            // Formula-looking cells: a spreadsheet must show them as text.
            let sql = try #require(app.db as? any SQLDatabase)
            try await sql.raw("UPDATE petitions SET assignee_name = \(bind: "=cmd|' /C calc'!A0") WHERE id = \(bind: try roads[0].requireID())").run()
            try await sql.raw("UPDATE petitions SET assignee_name = \(bind: "@SUM(1)") WHERE id = \(bind: try roads[1].requireID())").run()

            // CSV of the open road repairs.
            var bytes = Data()
            try await get(app, Self.queue + "/export.csv?status=open&service=road-repair&page=3", officer) { res in
                #expect(res.status == .ok)
                #expect(res.headers.contentType?.subType == "csv")
                #expect(res.headers.first(name: .contentDisposition)?.hasPrefix("attachment;") == true)
                bytes = Data(buffer: res.body)
            }
            #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF], "UTF-8 BOM")
            let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
            #expect(text.hasSuffix("\r\n") && !text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "CRLF only")
            let rows = Self.parseCSV(text)
            #expect(rows.first == PetitionExport.headers)
            #expect(rows.count == 1 + roads.count, "\(rows)")
            #expect(Set(rows.dropFirst().map { $0[0] }) == Set(roads.map(\.number)))
            #expect(rows.allSatisfy { $0.count == PetitionExport.headers.count })
            let names = rows.dropFirst().map { $0[9] }
            #expect(names.contains("นางสาว=HYPERLINK(\"http://x\",\"คลิก\") ใจดี, มาก"), "quotes and a comma survive: \(names)")
            #expect(Set(rows.dropFirst().map { $0[8] }) == ["'=cmd|' /C calc'!A0", "'@SUM(1)"], "formulas neutralised")
            #expect(text.contains("\"นางสาว=HYPERLINK(\"\"http://x\"\",\"\"คลิก\"\") ใจดี, มาก\""), "RFC 4180 quoting")
            #expect(names.contains("นางสาวสมศรี ใจดี") || names.contains { $0.contains("สมศรี") })
            #expect(rows.dropFirst().allSatisfy { $0[3] == "ส่งคำร้อง" && $0[4] == "เว็บไซต์" })
            #expect(!text.contains(client.nationalID) && !text.contains(done.number) && !text.contains(foreign.number))
            #expect(!text.contains("ไฟดับ"), "no answers")

            // XLSX of everything of the tenant.
            var xlsx = Data()
            try await get(app, Self.queue + "/export.xlsx?status=all", officer) { res in
                #expect(res.status == .ok)
                #expect(res.headers.contentType?.subType == "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                xlsx = Data(buffer: res.body)
            }
            let archive = try Archive(data: xlsx, accessMode: .read)
            for part in ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"] {
                #expect(archive[part] != nil, "\(part)")
            }
            var sheet = Data()
            _ = try archive.extract(try #require(archive["xl/worksheets/sheet1.xml"])) { sheet.append($0) }
            let reader = SheetReader()
            let parser = XMLParser(data: sheet)
            parser.delegate = reader
            #expect(parser.parse())
            #expect(reader.rows.first == PetitionExport.headers)
            let all = roads + lights + [done]
            #expect(reader.rows.count == 1 + all.count)
            #expect(Set(reader.rows.dropFirst().map { $0[0] }) == Set(all.map(\.number)))
            #expect(reader.rows.contains { $0.contains("ดำเนินการสำเร็จ") })
            #expect(reader.rows.contains { $0.last == "นางสาว=HYPERLINK(\"http://x\",\"คลิก\") ใจดี, มาก" })
            #expect(reader.rows.contains { $0[8] == "=cmd|' /C calc'!A0" }, "an inline string is never a formula, so it stays as typed")
            #expect(
                reader.rows.contains { $0[0] == walkIn.number && $0.last == "มานี มีนา" && $0[4] == "ยื่นที่เคาน์เตอร์" },
                "a person without an account: the name they gave")
            let sheetText = String(decoding: sheet, as: UTF8.self)
            #expect(!sheetText.contains(client.nationalID) && !sheetText.contains(foreign.number) && !sheetText.contains("<f>"))
            #expect(!sheetText.contains("0812345678"), "no contact details")
            // Assembled in the deployment's private folder (not the shared /tmp); the sheet is gone once sent (the
            // workbook goes when its streaming ends).
            let spool = try FileManager.default.contentsOfDirectory(atPath: app.exportSpoolDirectory.path)
            #expect(!spool.contains { $0.hasSuffix(".xml") }, "\(spool)")

            // A bad filter: the queue's Thai message, 400.
            try await get(app, Self.queue + "/export.csv?from=31/02/2569", officer) { res in
                #expect(res.status == .badRequest)
            }
            // Audited with the filter and the row count.
            let events = try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.petitionsExported.rawValue).all()
            #expect(events.count == 2)
            #expect(events.contains { $0.detail.hasPrefix("CSV") && $0.detail.contains("service=road-repair") })
            #expect(events.contains { $0.detail.contains("Excel 6 รายการ") })
        }
    }
}
