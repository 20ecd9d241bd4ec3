import Domain
import Fluent
import Foundation
import SQLKit

/// The officers' petition queue of one tenant: two queries per page whatever its size — the counts (for the
/// tabs and the page count) and the page itself with the citizens' names joined in.
///
/// Only open petitions are counted: they are the officers' work and stay few, while closed ones pile up
/// forever, and counting 100,000 of them on every page would cost more than the rest of the page. A tab
/// of closed petitions (or every petition) pages on without a total: the page asks for one row more than
/// it shows to know whether there is a next page.
///
/// Indexes: `petitions_queue (tenant_id, status, created_at)` for a status tab, `petitions_tenant_created`
/// for several statuses, `petitions_service` for one service, `petitions_due (tenant_id, status, due_at)`
/// for the counts and the overdue filter, the unique `(tenant_id, number)` for a tracking number and
/// `petitions_citizen` for a name search.
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
        /// Newest first (default), or oldest first (the order to work through).
        var newestFirst = true
        /// 1-based.
        var page = 1
        var size = PetitionQueue.defaultSize
    }

    static let defaultSize = 50
    static let maxSize = 200

    /// One row of the list.
    struct Row: Decodable, Sendable {
        var id: UUID
        var number: String
        var serviceName: String
        var status: String
        var createdAt: Date
        var dueAt: Date
        var channel: String
        var title: String?
        var firstName: String?
        var lastName: String?

        enum CodingKeys: String, CodingKey {
            case id, number, status, channel, title
            case serviceName = "service_name"
            case createdAt = "created_at"
            case dueAt = "due_at"
            case firstName = "first_name"
            case lastName = "last_name"
        }

        var citizenName: String? {
            guard let firstName, let lastName else { return nil }
            return "\(title ?? "")\(firstName) \(lastName)"
        }
    }

    /// Open petitions per status under the filter's other conditions (service, dates, search), with how
    /// many of each are overdue.
    struct Counts: Sendable {
        var all: [PetitionStatus: Int] = [:]
        var overdue: [PetitionStatus: Int] = [:]

        /// nil for a tab with closed petitions (they are not counted); with `overdueOnly` a closed status
        /// has none, so every tab has a count then.
        func count(_ tab: Tab, overdueOnly: Bool) -> Int? {
            let statuses = overdueOnly ? tab.statuses.filter(\.isOpen) : tab.statuses
            guard overdueOnly || statuses.allSatisfy(\.isOpen) else { return nil }
            return statuses.reduce(0) { $0 + ((overdueOnly ? overdue : all)[$1] ?? 0) }
        }
    }

    static func counts(tenant: Tenant, filter: Filter, now: Date, on db: any Database) async throws -> Counts {
        guard let sql = db as? any SQLDatabase else { return Counts() }
        var counts = Counts()
        for row in try await sql.raw(countsSQL(tenant: tenant, filter: filter, now: now)).all() {
            guard let status = PetitionStatus(rawValue: try row.decode(column: "status", as: String.self)) else { continue }
            counts.all[status] = try row.decode(column: "n", as: Int.self)
            if status.isOpen { counts.overdue[status] = try row.decode(column: "late", as: Int?.self) ?? 0 }
        }
        return counts
    }

    static func countsSQL(tenant: Tenant, filter: Filter, now: Date) -> SQLQueryString {
        """
            SELECT p.status AS status, COUNT(*) AS n, SUM(CASE WHEN p.due_at < \(bind: now) THEN 1 ELSE 0 END) AS late
            FROM petitions p WHERE \(conditions(tenant: tenant, filter: filter, now: now, withStatus: false))
              AND p.status IN (\(binds: PetitionStatus.allCases.filter(\.isOpen).map(\.rawValue))) GROUP BY p.status
            """
    }

    /// One page of the list, with the citizens' names from one join, and whether another page follows.
    static func page(tenant: Tenant, filter: Filter, now: Date, on db: any Database) async throws -> (rows: [Row], more: Bool) {
        guard let sql = db as? any SQLDatabase else { return ([], false) }
        let size = min(max(filter.size, 1), maxSize)
        let rows = try await sql.raw(pageSQL(tenant: tenant, filter: filter, now: now)).all().map { try $0.decode(model: Row.self) }
        return (Array(rows.prefix(size)), rows.count > size)
    }

    /// One row more than the page shows. The page is cut from `petitions` first and only its rows are
    /// joined with `citizens`, so a deep page does not join the rows it skips.
    static func pageSQL(tenant: Tenant, filter: Filter, now: Date) -> SQLQueryString {
        let size = min(max(filter.size, 1), maxSize)
        let offset = (max(filter.page, 1) - 1) * size
        let direction: SQLQueryString = filter.newestFirst ? "DESC" : "ASC"
        return """
            SELECT p.id AS id, p.number AS number, p.service_name AS service_name, p.status AS status, p.created_at AS created_at,
              p.due_at AS due_at, p.channel AS channel, c.title AS title, c.first_name AS first_name, c.last_name AS last_name
            FROM (SELECT p.id, p.tenant_id, p.number, p.service_name, p.status, p.created_at, p.due_at, p.channel, p.citizen_id
                  FROM petitions p WHERE \(conditions(tenant: tenant, filter: filter, now: now, withStatus: true))
                  ORDER BY p.created_at \(direction), p.number \(direction)
                  LIMIT \(literal: size + 1) OFFSET \(literal: offset)) p
            LEFT JOIN citizens c ON c.id = p.citizen_id AND c.tenant_id = p.tenant_id
            ORDER BY p.created_at \(direction), p.number \(direction)
            """
    }

    /// Open petitions of the tenant (the back office's front page).
    static func openCount(tenant: Tenant, on db: any Database) async throws -> Int {
        try await PetitionRecord.query(on: db).filter(\.$tenantID == tenant.id)
            .filter(\.$statusRaw ~~ PetitionStatus.allCases.filter(\.isOpen).map(\.rawValue)).count()
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
            if filter.overdue { parts.append("p.due_at < \(bind: now)") }
        }
        if let service = filter.service { parts.append("p.service = \(bind: service)") }
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
           let year = Int(parts[0]), let n = Int(parts[1]) {
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
        let pattern = "%" + likeEscaped(search.lowercased()) + "%"
        return """
            p.citizen_id IN (SELECT s.id FROM citizens s WHERE s.tenant_id = \(bind: tenant.id) AND (
              LOWER(s.first_name) LIKE \(bind: pattern) ESCAPE '\\' OR LOWER(s.last_name) LIKE \(bind: pattern) ESCAPE '\\'
              OR LOWER(s.first_name || ' ' || s.last_name) LIKE \(bind: pattern) ESCAPE '\\'))
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
