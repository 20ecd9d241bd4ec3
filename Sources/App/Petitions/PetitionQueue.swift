import Domain
import Fluent
import Foundation
import SQLKit

/// The officers' petition queue of one tenant: two queries per page whatever its size or filter — the counts
/// (for the tabs and the page count) and the page itself with the citizens' names joined in.
///
/// Counts come from `petition_counts` (kept by the transactions that file and move petitions) when no dates
/// or search narrow the list; under dates or a search only the open petitions are counted, since closed ones
/// pile up forever. A tab that is not counted pages on without a total: the page asks for one row more than
/// it shows to know whether there is a next page. Next and previous pages start from a row's tracking
/// number (`Cursor`), so page 200 costs what page 1 does.
///
/// Indexes: `petitions_queue (tenant_id, status, created_at)` for a status tab, `petitions_tenant_created`
/// for several statuses, `petitions_service` for one service, `petitions_due (tenant_id, status, due_at)`
/// for the overdue filter, the unique `(tenant_id, number)` for a tracking number and a cursor, and
/// `petitions_citizen_page (tenant_id, citizen_id, created_at, number, status, id)` for a name search.
enum PetitionQueue {
    /// Which statuses a tab shows.
    enum Tab: Equatable, Sendable {
        /// Not yet final: ส่งคำร้อง, เจ้าหน้าที่รับเรื่อง, กำลังดำเนินการ (the default: the officers' work).
        case open
        case all
        case status(PetitionStatus)

        var key: String {
            switch self {
            case .open: "open"
            case .all: "all"
            case .status(let s): s.rawValue
            }
        }

        var thai: String {
            switch self {
            case .open: "ยังไม่ปิด"
            case .all: "ทั้งหมด"
            case .status(let s): s.thai
            }
        }

        init?(key: String) {
            switch key {
            case "open": self = .open
            case "all": self = .all
            default:
                guard let s = PetitionStatus(rawValue: key) else { return nil }
                self = .status(s)
            }
        }

        static let order: [Tab] = [.open] + PetitionStatus.allCases.map { .status($0) } + [.all]

        var statuses: [PetitionStatus] {
            switch self {
            case .open: PetitionStatus.allCases.filter(\.isOpen)
            case .all: PetitionStatus.allCases
            case .status(let s): [s]
            }
        }
    }

    struct Filter: Sendable {
        var tab: Tab = .open
        var service: String?
        /// Filed on or after (inclusive).
        var from: Date?
        /// Filed before (exclusive).
        var until: Date?
        /// Open and past the due date from the service's SLA.
        var overdue = false
        /// A tracking number (whole, or its last digits) or part of the citizen's name.
        var search: String?
        /// Only petitions routed to these divisions (codes); nil: every division and none.
        var divisions: [String]?
        /// Only petitions this officer holds.
        var assignee: UUID?
        /// Only petitions nobody holds yet.
        var unassigned = false

        /// A filter by division or holder: the kept counts (per service and status) cannot answer it.
        var narrowsByWork: Bool { divisions != nil || assignee != nil || unassigned }
        /// Newest first (default), or oldest first (the order to work through).
        var newestFirst = true
        /// 1-based; with a cursor, only the page's label.
        var page = 1
        /// The page after this tracking number's row (the "next" link), or before it (the "previous" link):
        /// a page deep in the list costs what the first does, where skipping rows would read them all.
        var cursor: Cursor?
        var size = PetitionQueue.defaultSize
        /// Read each row's answers too (the map view's pins).
        var withAnswers = false
    }

    enum Cursor: Equatable, Sendable {
        case after(String)
        case before(String)

        var number: String {
            switch self {
            case .after(let n), .before(let n): n
            }
        }

        /// A whole tracking number, or nothing.
        static func number(_ raw: String?) -> String? {
            guard let n = raw?.uppercased(), n.range(of: #"^[A-Z]{2,5}-[0-9]{4}-[0-9]{6}$"#, options: .regularExpression) != nil else { return nil }
            return n
        }
    }

    static let defaultSize = 50
    static let maxSize = 200

    /// One row of the list.
    struct Row: Sendable {
        var number: String
        var serviceName: String
        var status: String
        var createdAt: Date
        var dueAt: Date
        var channel: String
        /// "นางสาวสมศรี ใจดี"; nil for a petition filed through Open311.
        var citizenName: String?
        /// The division's code, and the name of the officer who holds it.
        var division: String?
        var assigneeName: String?
        /// Waiting for the citizen's answer since then (the SLA clock is stopped: never overdue meanwhile).
        var waitingSince: Date?
        /// The stored answers, read only for the map view (`Filter.withAnswers`).
        var answersJSON: String?

        /// Column by column: `decode(model:)` went through a keyed decoder per row, a fifth of a 200-row page's
        /// server time.
        init(_ row: any SQLRow) throws {
            number = try row.decode(column: "number", as: String.self)
            serviceName = try row.decode(column: "service_name", as: String.self)
            status = try row.decode(column: "status", as: String.self)
            createdAt = try row.decode(column: "created_at", as: Date.self)
            dueAt = try row.decode(column: "due_at", as: Date.self)
            channel = try row.decode(column: "channel", as: String.self)
            citizenName = try row.decode(column: "citizen_name", as: String?.self)
            division = (try? row.decode(column: "division", as: String?.self)) ?? nil
            answersJSON = (try? row.decode(column: "answers_json", as: String?.self)) ?? nil
            assigneeName = (try? row.decode(column: "assignee_name", as: String?.self)) ?? nil
            waitingSince = (try? row.decode(column: "waiting_since", as: Date?.self)) ?? nil
        }
    }

    /// Petitions per status under the filter, for the tabs and the page count.
    struct Counts: Sendable {
        /// Every status (no dates or search: from `petition_counts`), or only the open ones (counted).
        var all: [PetitionStatus: Int] = [:]
        /// With the overdue filter: the open statuses' overdue petitions.
        var overdue: [PetitionStatus: Int] = [:]
        /// The statuses `all` knows.
        var counted: Set<PetitionStatus> = []

        /// nil for a tab with a status that was not counted; with `overdueOnly` a closed status has none, so
        /// every tab has a count then.
        func count(_ tab: Tab, overdueOnly: Bool) -> Int? {
            if overdueOnly { return tab.statuses.filter(\.isOpen).reduce(0) { $0 + (overdue[$1] ?? 0) } }
            guard tab.statuses.allSatisfy(counted.contains) else { return nil }
            return tab.statuses.reduce(0) { $0 + (all[$1] ?? 0) }
        }
    }

    /// One statement whatever the filter: without dates or a search, the kept counts of every status (of the
    /// service); with the overdue filter, the open petitions past their due date (few, from `petitions_due`);
    /// with dates or a search, the open petitions that match (closed ones pile up forever, and counting them
    /// under an arbitrary filter would cost more than the rest of the page).
    static func counts(tenant: Tenant, filter: Filter, now: Date, on db: any Database) async throws -> Counts {
        guard let sql = db as? any SQLDatabase else { return Counts() }
        var counts = Counts()
        if !filter.overdue, filter.from == nil, filter.until == nil, filter.search == nil, !filter.narrowsByWork {
            counts.all = try await PetitionCounts.read(tenant: tenant.id, service: filter.service, on: db)
            counts.counted = Set(PetitionStatus.allCases)
            return counts
        }
        for row in try await sql.raw(countsSQL(tenant: tenant, filter: filter, now: now)).all() {
            guard let status = PetitionStatus(rawValue: try row.decode(column: "status", as: String.self)) else { continue }
            if filter.overdue {
                counts.overdue[status] = try row.decode(column: "n", as: Int.self)
            } else {
                counts.all[status] = try row.decode(column: "n", as: Int.self)
            }
        }
        if !filter.overdue { counts.counted = Set(PetitionStatus.allCases.filter(\.isOpen)) }
        return counts
    }

    /// The open petitions per status under the filter's service, dates and search (and due date, overdue).
    static func countsSQL(tenant: Tenant, filter: Filter, now: Date) -> SQLQueryString {
        let late: SQLQueryString = filter.overdue ? "AND p.due_at < \(bind: now) AND p.waiting_since IS NULL" : ""
        return """
            SELECT p.status AS status, COUNT(*) AS n
            FROM petitions p WHERE \(conditions(tenant: tenant, filter: filter, now: now, withStatus: false))
              AND p.status IN (\(binds: PetitionStatus.allCases.filter(\.isOpen).map(\.rawValue))) \(late) GROUP BY p.status
            """
    }

    /// One page of the list in the order shown, with the citizens' names from one join, and whether more rows
    /// lie beyond it: after it, or before it for a page asked for with `.before`.
    static func page(tenant: Tenant, filter: Filter, now: Date, on db: any Database) async throws -> (rows: [Row], more: Bool) {
        guard let sql = db as? any SQLDatabase else { return ([], false) }
        let size = min(max(filter.size, 1), maxSize)
        var rows = try await sql.raw(pageSQL(tenant: tenant, filter: filter, now: now)).all().map(Row.init)
        let more = rows.count > size
        rows = Array(rows.prefix(size))
        if case .before? = filter.cursor { rows.reverse() }
        return (rows, more)
    }

    /// One row more than the page shows, walking away from the cursor (backwards for `.before`, then turned
    /// round by `page`), or skipping the rows of the pages before it when there is no cursor. The page is cut
    /// from `petitions` first and only its rows are joined with `citizens`.
    static func pageSQL(tenant: Tenant, filter: Filter, now: Date) -> SQLQueryString {
        let size = min(max(filter.size, 1), maxSize)
        var backwards = false
        if case .before? = filter.cursor { backwards = true }
        let descending = filter.newestFirst != backwards
        let direction: SQLQueryString = descending ? "DESC" : "ASC"
        var clause = conditions(tenant: tenant, filter: filter, now: now, withStatus: true)
        var skip: SQLQueryString = ""
        if let cursor = filter.cursor {
            // The cursor's row, read once by the unique (tenant_id, number); rows strictly beyond it in this order.
            // `created_at <= k` on its own too, so the index on created_at bounds the scan.
            let at: SQLQueryString = "(SELECT k.created_at FROM petitions k WHERE k.tenant_id = \(bind: tenant.id) AND k.number = \(bind: cursor.number))"
            let number: SQLQueryString = "\(bind: cursor.number)"
            clause =
                descending
                ? "\(clause) AND p.created_at <= \(at) AND (p.created_at < \(at) OR p.number < \(number))"
                : "\(clause) AND p.created_at >= \(at) AND (p.created_at > \(at) OR p.number > \(number))"
        } else {
            skip = " OFFSET \(literal: (max(filter.page, 1) - 1) * size)"
        }
        // The page's ids first (from an index alone where one covers the filter), then only those rows are read,
        // each with its citizen's name looked up by key.
        return """
            SELECT p.number AS number, p.service_name AS service_name, p.status AS status, p.created_at AS created_at,
              p.due_at AS due_at, p.channel AS channel, p.division AS division, p.assignee_name AS assignee_name,
              p.waiting_since AS waiting_since,\(unsafeRaw: filter.withAnswers ? " p.answers AS answers_json," : "")
              (SELECT COALESCE(c.title, '') || c.first_name || ' ' || c.last_name FROM citizens c
               WHERE c.id = p.citizen_id AND c.tenant_id = p.tenant_id) AS citizen_name
            FROM petitions p JOIN (SELECT p.id FROM petitions p WHERE \(clause)
                  ORDER BY p.created_at \(direction), p.number \(direction)
                  LIMIT \(literal: size + 1)\(skip)) page ON page.id = p.id
            ORDER BY p.created_at \(direction), p.number \(direction)
            """
    }

    /// Open petitions of the tenant (the back office's front page).
    static func openCount(tenant: Tenant, on db: any Database) async throws -> Int {
        try await PetitionCounts.read(tenant: tenant.id, service: nil, on: db).filter(\.key.isOpen).reduce(0) { $0 + $1.value }
    }

    /// The WHERE clause: always the tenant; the tab's statuses and the overdue condition only for the page
    /// (the counts group by status and count the overdue ones themselves).
    static func conditions(tenant: Tenant, filter: Filter, now: Date, withStatus: Bool) -> SQLQueryString {
        var parts: [SQLQueryString] = ["p.tenant_id = \(bind: tenant.id)"]
        if withStatus {
            var statuses = filter.tab.statuses
            if filter.overdue { statuses = statuses.filter(\.isOpen) }
            if statuses.isEmpty {
                parts.append("1 = 0")
            } else if statuses.count == 1 {
                parts.append("p.status = \(bind: statuses[0].rawValue)")
            } else if statuses.count < PetitionStatus.allCases.count {
                parts.append("p.status IN (\(binds: statuses.map(\.rawValue)))")
            }
            if filter.overdue { parts.append("p.due_at < \(bind: now) AND p.waiting_since IS NULL") }
        }
        if let service = filter.service { parts.append("p.service = \(bind: service)") }
        if let divisions = filter.divisions {
            parts.append(divisions.isEmpty ? "1 = 0" : divisions.count == 1 ? "p.division = \(bind: divisions[0])" : "p.division IN (\(binds: divisions))")
        }
        if let assignee = filter.assignee { parts.append("p.assignee_id = \(bind: assignee)") }
        if filter.unassigned { parts.append("p.assignee_id IS NULL") }
        if let from = filter.from { parts.append("p.created_at >= \(bind: from)") }
        if let until = filter.until { parts.append("p.created_at < \(bind: until)") }
        if let search = filter.search.map(normalizedSearch), !search.isEmpty {
            parts.append(searchCondition(search, tenant: tenant))
        }
        return parts.joined(separator: " AND ")
    }

    /// Trimmed, Thai digits made Arabic, inner spaces collapsed, at most 100 characters.
    static func normalizedSearch(_ raw: String) -> String {
        let words = raw.arabicDigits.split(whereSeparator: \.isWhitespace)
        return String(words.joined(separator: " ").prefix(100))
    }

    /// A whole tracking number ("BKT-2569-000042", any case) matches that petition; "2569-42" the 42nd of
    /// that year; up to six digits ("42", "000042") the petition with that running number in any of the last
    /// ten years; other digits and dashes are looked for inside the numbers; anything else in the citizens'
    /// first names, last names and "first last".
    static func searchCondition(_ search: String, tenant: Tenant, now: Date = Date()) -> SQLQueryString {
        let upper = search.uppercased()
        let code = tenant.config.code
        if upper.range(of: #"^[A-Z]{2,5}-[0-9]{4}-[0-9]{6}$"#, options: .regularExpression) != nil {
            return "p.number = \(bind: upper)"
        }
        let parts = upper.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 2, parts[0].count == 4, (1...6).contains(parts[1].count), parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let year = Int(parts[0]), let n = Int(parts[1])
        {
            return "p.number = \(bind: Sequences.formatted(prefix: code, year: year, value: n))"
        }
        if (1...6).contains(upper.count), upper.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(upper), n > 0 {
            let thisYear = ThaiYear.of(now)
            let numbers = ((thisYear - 10)...(thisYear + 1)).map { Sequences.formatted(prefix: code, year: $0, value: n) }
            return "p.number IN (\(binds: numbers))"
        }
        if upper.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "-" }) {
            return "p.number LIKE \(bind: "%" + likeEscaped(upper) + "%") ESCAPE '\\'"
        }
        // "first last" holds either name alone too, so one LIKE looks through both and across the space. Thai
        // has no capitals: a search without any skips LOWER, which costs more than the LIKE on every citizen.
        let pattern = "%" + likeEscaped(search.lowercased()) + "%"
        let name: SQLQueryString =
            search.lowercased() == search.uppercased()
            ? "s.first_name || ' ' || s.last_name" : "LOWER(s.first_name || ' ' || s.last_name)"
        return """
            p.citizen_id IN (SELECT s.id FROM citizens s WHERE s.tenant_id = \(bind: tenant.id)
              AND \(name) LIKE \(bind: pattern) ESCAPE '\\')
            """
    }

    static func likeEscaped(_ s: String) -> String {
        var out = ""
        for ch in s {
            if ch == "\\" || ch == "%" || ch == "_" { out.append("\\") }
            out.append(ch)
        }
        return out
    }
}
