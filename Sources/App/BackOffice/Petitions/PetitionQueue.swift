import Domain
import Fluent
import Foundation
import SQLKit

/// The officers' petition queue of one tenant: two queries per page whatever its size — the counts per status
/// (for the tabs and the page count) and the page itself with the citizens' names joined in.
///
/// Indexes: `petitions_queue (tenant_id, status, created_at)` for a status tab, `petitions_tenant_created`
/// for every status, `petitions_service` for one service, `petitions_due` for the overdue counts, the unique
/// `(tenant_id, number)` for a tracking number and `petitions_citizen` for a name search.
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

    /// Petitions per status under the filter's other conditions (service, dates, search), with how many of
    /// each are overdue.
    struct Counts: Sendable {
        var all: [PetitionStatus: Int] = [:]
        var overdue: [PetitionStatus: Int] = [:]

        func count(_ tab: Tab, overdueOnly: Bool) -> Int {
            tab.statuses.reduce(0) { $0 + ((overdueOnly ? overdue : all)[$1] ?? 0) }
        }
    }

    static func counts(tenant: Tenant, filter: Filter, now: Date, on db: any Database) async throws -> Counts {
        guard let sql = db as? any SQLDatabase else { return Counts() }
        let query: SQLQueryString = """
            SELECT p.status AS status, COUNT(*) AS n, SUM(CASE WHEN p.due_at < \(bind: now) THEN 1 ELSE 0 END) AS late
            FROM petitions p WHERE \(conditions(tenant: tenant, filter: filter, now: now, withStatus: false)) GROUP BY p.status
            """
        var counts = Counts()
        for row in try await sql.raw(query).all() {
            guard let status = PetitionStatus(rawValue: try row.decode(column: "status", as: String.self)) else { continue }
            counts.all[status] = try row.decode(column: "n", as: Int.self)
            if status.isOpen { counts.overdue[status] = try row.decode(column: "late", as: Int?.self) ?? 0 }
        }
        return counts
    }

    /// One page of the list, with the citizens' names from one join.
    static func page(tenant: Tenant, filter: Filter, now: Date, on db: any Database) async throws -> [Row] {
        guard let sql = db as? any SQLDatabase else { return [] }
        let size = min(max(filter.size, 1), maxSize)
        let offset = (max(filter.page, 1) - 1) * size
        let direction: SQLQueryString = filter.newestFirst ? "DESC" : "ASC"
        let query: SQLQueryString = """
            SELECT p.id AS id, p.number AS number, p.service_name AS service_name, p.status AS status, p.created_at AS created_at,
              p.due_at AS due_at, p.channel AS channel, c.title AS title, c.first_name AS first_name, c.last_name AS last_name
            FROM petitions p LEFT JOIN citizens c ON c.id = p.citizen_id AND c.tenant_id = p.tenant_id
            WHERE \(conditions(tenant: tenant, filter: filter, now: now, withStatus: true))
            ORDER BY p.created_at \(direction), p.number \(direction)
            LIMIT \(literal: size) OFFSET \(literal: offset)
            """
        return try await sql.raw(query).all().map { try $0.decode(model: Row.self) }
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

    /// A whole tracking number ("BKT-2569-000042", any case) matches that petition; digits (and dashes) match
    /// the end of the number ("000042", "42", "2569-000042"); anything else is looked for in the citizens'
    /// first names, last names and "first last".
    static func searchCondition(_ search: String, tenant: Tenant) -> SQLQueryString {
        let upper = search.uppercased()
        if upper.range(of: #"^[A-Z]{2,5}-[0-9]{4}-[0-9]{6}$"#, options: .regularExpression) != nil {
            return "p.number = \(bind: upper)"
        }
        if upper.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "-" }) {
            return "p.number LIKE \(bind: "%" + likeEscaped(upper)) ESCAPE '\\'"
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
