import Domain
import Fluent
import Foundation
import SQLKit

/// The queue's rows for export, read in keyset pages so 100,000 rows never sit in memory, and their CSV and
/// XLSX (SpreadsheetML) text. Columns: tracking number, service, division, status, channel, filed, due, closed,
/// assignee, citizen name — never a national ID or the answers.
enum PetitionExport {
    static let batchSize = 2_000

    static let headers = [
        "เลขที่คำร้อง", "บริการ", "กอง/ฝ่าย", "สถานะ", "ช่องทาง", "ยื่นเมื่อ", "กำหนดเสร็จ", "ปิดเรื่องเมื่อ", "ผู้รับผิดชอบ", "ชื่อผู้ยื่น",
    ]

    struct Row: Sendable {
        var number: String
        var serviceName: String
        var division: String?
        var status: String
        var channel: String
        var createdAt: Date
        var dueAt: Date
        var closedAt: Date?
        var assignee: String?
        var citizenName: String?

        init(_ row: any SQLRow) throws {
            number = try row.decode(column: "number", as: String.self)
            serviceName = try row.decode(column: "service_name", as: String.self)
            division = try row.decode(column: "division", as: String?.self)
            status = try row.decode(column: "status", as: String.self)
            channel = try row.decode(column: "channel", as: String.self)
            createdAt = try row.decode(column: "created_at", as: Date.self)
            dueAt = try row.decode(column: "due_at", as: Date.self)
            closedAt = try row.decode(column: "closed_at", as: Date?.self)
            assignee = try row.decode(column: "assignee_name", as: String?.self)
            // A person without an account (at the counter, by phone, through Open311): the name they gave.
            citizenName =
                try row.decode(column: "citizen_name", as: String?.self)
                ?? Open311Requester.name(in: try row.decode(column: "requester", as: String?.self))
        }

        /// The cells in the headers' order, as people read them (Thai status and channel, Buddhist dates).
        func cells(divisions: [String: String]) -> [String] {
            [
                number, serviceName, division.map { divisions[$0] ?? $0 } ?? "",
                PetitionStatus(rawValue: status)?.thai ?? status, PetitionChannel(rawValue: channel)?.thai ?? channel,
                ThaiDate.shortWithTime(createdAt), ThaiDate.long(dueAt), closedAt.map(ThaiDate.shortWithTime) ?? "",
                assignee ?? "", citizenName ?? "",
            ]
        }
    }

    /// The queue's filter (tab, service, dates, overdue, search, and whatever `PetitionQueue.conditions` adds),
    /// newest first, `batchSize` rows after the cursor's row (a tracking number), read through the unique
    /// (tenant_id, number) like the queue's own cursor.
    static func batchSQL(tenant: Tenant, filter: PetitionQueue.Filter, now: Date, after: String?) -> SQLQueryString {
        var clause = PetitionQueue.conditions(tenant: tenant, filter: filter, now: now, withStatus: true)
        if let after {
            let at: SQLQueryString = "(SELECT k.created_at FROM petitions k WHERE k.tenant_id = \(bind: tenant.id) AND k.number = \(bind: after))"
            clause = "\(clause) AND p.created_at <= \(at) AND (p.created_at < \(at) OR p.number < \(bind: after))"
        }
        return """
            SELECT p.number AS number, p.service_name AS service_name, p.division AS division, p.status AS status,
              p.channel AS channel, p.created_at AS created_at, p.due_at AS due_at, p.closed_at AS closed_at,
              p.assignee_name AS assignee_name, p.requester AS requester,
              (SELECT COALESCE(c.title, '') || c.first_name || ' ' || c.last_name FROM citizens c
               WHERE c.id = p.citizen_id AND c.tenant_id = p.tenant_id) AS citizen_name
            FROM petitions p WHERE \(clause)
            ORDER BY p.created_at DESC, p.number DESC LIMIT \(literal: batchSize)
            """
    }

    /// Calls `body` with each batch in order; the number of rows.
    @discardableResult
    static func forEachBatch(
        tenant: Tenant, filter: PetitionQueue.Filter, now: Date, on db: any Database, _ body: ([Row]) async throws -> Void
    ) async throws -> Int {
        guard let sql = db as? any SQLDatabase else { return 0 }
        var after: String?
        var total = 0
        while true {
            let rows = try await sql.raw(batchSQL(tenant: tenant, filter: filter, now: now, after: after)).all().map(Row.init)
            if rows.isEmpty { break }
            total += rows.count
            try await body(rows)
            if rows.count < batchSize { break }
            after = rows.last?.number
        }
        return total
    }

    /// An export path with the queue's query string, less its paging (an export holds every page).
    static func link(_ url: BackOfficeURL, query: String?) -> String {
        // Read through `URLComponents(string:)`, which refuses a malformed query (the setter would trap).
        let given = query.flatMap { URLComponents(string: "?" + $0)?.queryItems } ?? []
        let items = given.filter { !["page", "after", "before", "size"].contains($0.name) }
        var c = URLComponents()
        c.path = url.path
        c.queryItems = items.isEmpty ? nil : items
        return c.string ?? url.path
    }

    // MARK: CSV (RFC 4180)

    static let bom = "\u{FEFF}"

    /// One record: fields quoted when they hold a comma, a quote or a line break (quotes doubled); a field that
    /// a spreadsheet would read as a formula (= + - @, tab, CR at the start) gets a leading apostrophe; CRLF.
    static func csvLine(_ cells: [String]) -> String {
        cells.map(csvField).joined(separator: ",") + "\r\n"
    }

    static func csvField(_ raw: String) -> String {
        var s = raw
        if let first = s.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { s = "'" + s }
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: XLSX

    /// Text for an XML element: the markup characters escaped, characters XML 1.0 forbids dropped.
    static func xmlText(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            default:
                if u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// One sheet row of inline strings (never formulas), 1-based row number.
    static func xlsxRow(_ cells: [String], index: Int) -> String {
        var out = "<row r=\"\(index)\">"
        for (i, cell) in cells.enumerated() {
            out += "<c r=\"\(column(i))\(index)\" t=\"inlineStr\"><is><t xml:space=\"preserve\">\(xmlText(cell))</t></is></c>"
        }
        return out + "</row>"
    }

    /// "A" … "Z", "AA" …
    static func column(_ i: Int) -> String {
        var n = i + 1
        var s = ""
        while n > 0 {
            let r = (n - 1) % 26
            s = String(UnicodeScalar(UInt8(65 + r))) + s
            n = (n - 1) / 26
        }
        return s
    }

    static let sheetStart =
        #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#
        + #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#
    static let sheetEnd = "</sheetData></worksheet>"

    /// The workbook's other parts: content types, relationships, the workbook naming its one sheet.
    static let parts: [(path: String, text: String)] = [
        (
            "[Content_Types].xml",
            #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#
                + #"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#
                + #"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#
                + #"<Default Extension="xml" ContentType="application/xml"/>"#
                + #"<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#
                + #"<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
                + "</Types>"
        ),
        (
            "_rels/.rels",
            #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#
                + #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
                + #"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>"#
                + "</Relationships>"
        ),
        (
            "xl/workbook.xml",
            #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#
                + #"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#
                + #"<sheets><sheet name="คำร้อง" sheetId="1" r:id="rId1"/></sheets></workbook>"#
        ),
        (
            "xl/_rels/workbook.xml.rels",
            #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#
                + #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
                + #"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>"#
                + "</Relationships>"
        ),
    ]
}
