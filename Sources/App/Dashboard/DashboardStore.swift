import Domain
import Fluent
import Foundation
import SQLKit

/// The figures of the dashboard, from a constant number of GROUP BY queries whatever the months chosen: one
/// over the petitions received (per month and channel: received, still open, overdue), one over the petitions
/// completed (per month), one histogram of working days to complete (per service, division and days), and the
/// tenant's divisions for their names. Months are cut in Bangkok time by a CASE over the months' boundaries,
/// the same SQL on SQLite and PostgreSQL.
///
/// "Completed" is status ดำเนินการสำเร็จ with `closed_at` in the months; "open" and "overdue" count the
/// petitions received in the months that are not closed (overdue: past `due_at` and not waiting for the
/// citizen). Indexes: `petitions_tenant_created` for the first, `petitions_closed (tenant_id, closed_at)` for the
/// others.
enum DashboardStore {
    struct Figures: Sendable {
        var received = 0
        var completed = 0
        var open = 0
        var overdue = 0
        var receivedPerMonth: [Int] = []
        var completedPerMonth: [Int] = []
        var byChannel: [PetitionChannel: Int] = [:]
        /// Channels stored that `PetitionChannel` does not know (kept, not dropped).
        var otherChannels = 0
        var byService: [String: WorkDaysHistogram] = [:]
        /// Division code ("" for none) → histogram.
        var byDivision: [String: WorkDaysHistogram] = [:]
        var divisions: [String: String] = [:]
        var all = WorkDaysHistogram()
    }

    /// One tenant's figures for the months.
    static func figures(tenant: Tenant, months: DashboardMonths, now: Date, on db: any Database) async throws -> Figures {
        guard let sql = db as? any SQLDatabase else { return Figures() }
        let bounds = months.boundaries
        var f = Figures()
        f.receivedPerMonth = Array(repeating: 0, count: months.count)
        f.completedPerMonth = Array(repeating: 0, count: months.count)
        for row in try await sql.raw(receivedSQL(tenant: tenant.id, bounds: bounds, now: now)).all() {
            let m = try row.decode(column: "m", as: Int.self)
            let n = try row.decode(column: "n", as: Int.self)
            f.received += n
            if f.receivedPerMonth.indices.contains(m) { f.receivedPerMonth[m] += n }
            f.open += try row.decode(column: "open_n", as: Int?.self) ?? 0
            f.overdue += try row.decode(column: "overdue_n", as: Int?.self) ?? 0
            if let channel = PetitionChannel(rawValue: try row.decode(column: "channel", as: String.self)) {
                f.byChannel[channel, default: 0] += n
            } else {
                f.otherChannels += n
            }
        }
        for row in try await sql.raw(completedSQL(tenant: tenant.id, bounds: bounds)).all() {
            let m = try row.decode(column: "m", as: Int.self)
            let n = try row.decode(column: "n", as: Int.self)
            f.completed += n
            if f.completedPerMonth.indices.contains(m) { f.completedPerMonth[m] += n }
        }
        for row in try await sql.raw(histogramSQL(tenant: tenant.id, bounds: bounds)).all() {
            let service = try row.decode(column: "service", as: String.self)
            let division = try row.decode(column: "division", as: String?.self) ?? ""
            let days = try row.decode(column: "work_days", as: Int.self)
            let n = try row.decode(column: "n", as: Int.self)
            f.byService[service, default: WorkDaysHistogram()].add(days: days, count: n)
            f.byDivision[division, default: WorkDaysHistogram()].add(days: days, count: n)
            f.all.add(days: days, count: n)
        }
        for d in try await DivisionStore.all(tenant: tenant, on: db) { f.divisions[d.code] = d.name }
        return f
    }

    /// One row per tenant with petitions in the months.
    struct TenantFigures: Sendable {
        var received = 0
        var completed = 0
        var open = 0
        var overdue = 0
        var days = WorkDaysHistogram()
    }

    /// Every tenant's totals for the months: two queries.
    static func platform(months: DashboardMonths, now: Date, on db: any Database) async throws -> [String: TenantFigures] {
        guard let sql = db as? any SQLDatabase else { return [:] }
        let bounds = months.boundaries
        var out: [String: TenantFigures] = [:]
        let open = PetitionStatus.allCases.filter(\.isOpen).map(\.rawValue)
        let received: SQLQueryString = """
            SELECT p.tenant_id AS tenant_id, COUNT(*) AS n,
              SUM(CASE WHEN p.status IN (\(binds: open)) THEN 1 ELSE 0 END) AS open_n,
              SUM(CASE WHEN p.status IN (\(binds: open)) AND p.waiting_since IS NULL AND p.due_at < \(bind: now) THEN 1 ELSE 0 END) AS overdue_n
            FROM petitions p WHERE p.created_at >= \(bind: bounds[0]) AND p.created_at < \(bind: bounds[bounds.count - 1])
            GROUP BY p.tenant_id
            """
        for row in try await sql.raw(received).all() {
            let t = try row.decode(column: "tenant_id", as: String.self)
            out[t, default: TenantFigures()].received += try row.decode(column: "n", as: Int.self)
            out[t, default: TenantFigures()].open += try row.decode(column: "open_n", as: Int?.self) ?? 0
            out[t, default: TenantFigures()].overdue += try row.decode(column: "overdue_n", as: Int?.self) ?? 0
        }
        let completed: SQLQueryString = """
            SELECT p.tenant_id AS tenant_id, p.work_days AS work_days, COUNT(*) AS n
            FROM petitions p WHERE p.status = \(bind: PetitionStatus.completed.rawValue)
              AND p.closed_at >= \(bind: bounds[0]) AND p.closed_at < \(bind: bounds[bounds.count - 1])
            GROUP BY p.tenant_id, p.work_days
            """
        for row in try await sql.raw(completed).all() {
            let t = try row.decode(column: "tenant_id", as: String.self)
            let n = try row.decode(column: "n", as: Int.self)
            out[t, default: TenantFigures()].completed += n
            if let days = try row.decode(column: "work_days", as: Int?.self) { out[t, default: TenantFigures()].days.add(days: days, count: n) }
        }
        return out
    }

    /// The month (0-based) a column's instant falls in: a CASE over the boundaries (rows are already within them).
    static func bucket(_ column: String, bounds: [Date]) -> SQLQueryString {
        // One WHEN per inner boundary; at least one, so a single month is still a CASE.
        var s: SQLQueryString = "CASE"
        for i in 1..<max(bounds.count - 1, 2) {
            s = "\(s) WHEN \(unsafeRaw: column) < \(bind: bounds[i]) THEN \(literal: i - 1)"
        }
        return "\(s) ELSE \(literal: max(bounds.count - 2, 0)) END"
    }

    static func receivedSQL(tenant: String, bounds: [Date], now: Date) -> SQLQueryString {
        let open = PetitionStatus.allCases.filter(\.isOpen).map(\.rawValue)
        return """
            SELECT \(bucket("p.created_at", bounds: bounds)) AS m, p.channel AS channel, COUNT(*) AS n,
              SUM(CASE WHEN p.status IN (\(binds: open)) THEN 1 ELSE 0 END) AS open_n,
              SUM(CASE WHEN p.status IN (\(binds: open)) AND p.waiting_since IS NULL AND p.due_at < \(bind: now) THEN 1 ELSE 0 END) AS overdue_n
            FROM petitions p
            WHERE p.tenant_id = \(bind: tenant) AND p.created_at >= \(bind: bounds[0]) AND p.created_at < \(bind: bounds[bounds.count - 1])
            GROUP BY 1, p.channel
            """
    }

    static func completedSQL(tenant: String, bounds: [Date]) -> SQLQueryString {
        """
        SELECT \(bucket("p.closed_at", bounds: bounds)) AS m, COUNT(*) AS n
        FROM petitions p
        WHERE p.tenant_id = \(bind: tenant) AND p.closed_at >= \(bind: bounds[0]) AND p.closed_at < \(bind: bounds[bounds.count - 1])
          AND p.status = \(bind: PetitionStatus.completed.rawValue)
        GROUP BY 1
        """
    }

    static func histogramSQL(tenant: String, bounds: [Date]) -> SQLQueryString {
        """
        SELECT p.service AS service, p.division AS division, p.work_days AS work_days, COUNT(*) AS n
        FROM petitions p
        WHERE p.tenant_id = \(bind: tenant) AND p.closed_at >= \(bind: bounds[0]) AND p.closed_at < \(bind: bounds[bounds.count - 1])
          AND p.status = \(bind: PetitionStatus.completed.rawValue) AND p.work_days IS NOT NULL
        GROUP BY p.service, p.division, p.work_days
        """
    }
}
