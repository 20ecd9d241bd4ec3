import Domain
import Fluent
import Foundation
import SQLKit

/// The figures of the dashboard from the month rows `PetitionCounts` keeps (a year of a tenant is a few hundred
/// rows whatever its petitions): one query over the months received (per month and channel: received, still
/// open), one over the months completed (per month, service, division and working days: the histogram), one
/// count of the petitions received in the months that are overdue now (open, past `due_at` and not waiting
/// for the citizen: time moves them, so they are counted, from `petitions_due`), and the tenant's divisions
/// for their names. Months are Bangkok months.
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
        /// Citizens' ratings given in the months, in all and per service.
        var ratings = RatingTally()
        var ratingsByService: [String: RatingTally] = [:]
    }

    /// One tenant's figures for the months.
    static func figures(tenant: Tenant, months: DashboardMonths, now: Date, on db: any Database) async throws -> Figures {
        guard let sql = db as? any SQLDatabase else { return Figures() }
        let range = months.indexRange
        var f = Figures()
        f.receivedPerMonth = Array(repeating: 0, count: months.count)
        f.completedPerMonth = Array(repeating: 0, count: months.count)
        let received: SQLQueryString = """
            SELECT month, channel, n, open_n FROM petition_month_received
            WHERE tenant_id = \(bind: tenant.id) AND month >= \(bind: range.lowerBound) AND month < \(bind: range.upperBound)
            """
        for row in try await sql.raw(received).all() {
            let m = try row.decode(column: "month", as: Int.self) - range.lowerBound
            let n = try row.decode(column: "n", as: Int.self)
            f.received += n
            if f.receivedPerMonth.indices.contains(m) { f.receivedPerMonth[m] += n }
            f.open += max(0, try row.decode(column: "open_n", as: Int.self))
            if let channel = PetitionChannel(rawValue: try row.decode(column: "channel", as: String.self)) {
                f.byChannel[channel, default: 0] += n
            } else {
                f.otherChannels += n
            }
        }
        let completed: SQLQueryString = """
            SELECT month, service, division, work_days, n FROM petition_month_completed
            WHERE tenant_id = \(bind: tenant.id) AND month >= \(bind: range.lowerBound) AND month < \(bind: range.upperBound)
            """
        for row in try await sql.raw(completed).all() {
            let m = try row.decode(column: "month", as: Int.self) - range.lowerBound
            let n = try row.decode(column: "n", as: Int.self)
            guard n > 0 else { continue }
            f.completed += n
            if f.completedPerMonth.indices.contains(m) { f.completedPerMonth[m] += n }
            let service = try row.decode(column: "service", as: String.self)
            let division = try row.decode(column: "division", as: String.self)
            let days = try row.decode(column: "work_days", as: Int.self)
            f.byService[service, default: WorkDaysHistogram()].add(days: days, count: n)
            f.byDivision[division, default: WorkDaysHistogram()].add(days: days, count: n)
            f.all.add(days: days, count: n)
        }
        let rated: SQLQueryString = """
            SELECT service, stars, CAST(SUM(n) AS BIGINT) AS n FROM petition_month_rating
            WHERE tenant_id = \(bind: tenant.id) AND month >= \(bind: range.lowerBound) AND month < \(bind: range.upperBound)
            GROUP BY service, stars
            """
        for row in try await sql.raw(rated).all() {
            let stars = try row.decode(column: "stars", as: Int.self)
            let n = try row.decode(column: "n", as: Int.self)
            f.ratings.add(stars: stars, count: n)
            f.ratingsByService[try row.decode(column: "service", as: String.self), default: RatingTally()].add(stars: stars, count: n)
        }
        let overdue: SQLQueryString = """
            SELECT COUNT(*) AS n FROM petitions p
            WHERE p.tenant_id = \(bind: tenant.id) AND \(overdueCondition(now: now))
              AND p.created_at >= \(bind: months.start) AND p.created_at < \(bind: months.end)
            """
        f.overdue = try await sql.raw(overdue).first()?.decode(column: "n", as: Int.self) ?? 0
        for d in try await DivisionStore.all(tenant: tenant, on: db) { f.divisions[d.code] = d.name }
        return f
    }

    /// Open, past its due date and not waiting for the citizen (the queue's overdue filter).
    static func overdueCondition(now: Date) -> SQLQueryString {
        let open = PetitionStatus.allCases.filter(\.isOpen).map(\.rawValue)
        return "p.status IN (\(binds: open)) AND p.due_at < \(bind: now) AND p.waiting_since IS NULL"
    }

    /// One row per tenant with petitions in the months.
    struct TenantFigures: Sendable {
        var received = 0
        var completed = 0
        var open = 0
        var overdue = 0
        var days = WorkDaysHistogram()
    }

    /// Every tenant's totals for the months: three queries.
    static func platform(months: DashboardMonths, now: Date, on db: any Database) async throws -> [String: TenantFigures] {
        guard let sql = db as? any SQLDatabase else { return [:] }
        let range = months.indexRange
        var out: [String: TenantFigures] = [:]
        let received: SQLQueryString = """
            SELECT tenant_id, CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(open_n) AS BIGINT) AS open_n FROM petition_month_received
            WHERE month >= \(bind: range.lowerBound) AND month < \(bind: range.upperBound)
            GROUP BY tenant_id
            """
        for row in try await sql.raw(received).all() {
            let t = try row.decode(column: "tenant_id", as: String.self)
            out[t, default: TenantFigures()].received += try row.decode(column: "n", as: Int.self)
            out[t, default: TenantFigures()].open += max(0, try row.decode(column: "open_n", as: Int.self))
        }
        let overdue: SQLQueryString = """
            SELECT p.tenant_id AS tenant_id, COUNT(*) AS n FROM petitions p
            WHERE \(overdueCondition(now: now)) AND p.created_at >= \(bind: months.start) AND p.created_at < \(bind: months.end)
            GROUP BY p.tenant_id
            """
        for row in try await sql.raw(overdue).all() {
            out[try row.decode(column: "tenant_id", as: String.self), default: TenantFigures()].overdue += try row.decode(column: "n", as: Int.self)
        }
        let completed: SQLQueryString = """
            SELECT tenant_id, work_days, CAST(SUM(n) AS BIGINT) AS n FROM petition_month_completed
            WHERE month >= \(bind: range.lowerBound) AND month < \(bind: range.upperBound)
            GROUP BY tenant_id, work_days
            """
        for row in try await sql.raw(completed).all() {
            let t = try row.decode(column: "tenant_id", as: String.self)
            let n = try row.decode(column: "n", as: Int.self)
            guard n > 0 else { continue }
            out[t, default: TenantFigures()].completed += n
            out[t, default: TenantFigures()].days.add(days: try row.decode(column: "work_days", as: Int.self), count: n)
        }
        return out
    }
}
