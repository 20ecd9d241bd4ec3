import Domain
import Fluent
import Foundation
import SQLKit

/// Brings the month rows the dashboard reads (`petition_month_received`, `petition_month_completed`) in line with
/// the petitions: a worker sweep every 5 minutes (the first within half a minute of the worker's start). Two
/// grouped queries over the kept counts find the tenants whose received and open totals in the month rows
/// differ from `petition_counts` (which every release has kept): petitions that were there before migration 045
/// created the month tables empty, and those an instance of the previous release filed or closed during a
/// rolling upgrade (any completion changes the open total, so none is missed). Only those tenants are counted
/// again from their petitions, each in one transaction that first takes the tenant's `petition_counts` rows
/// (PostgreSQL), which every filing and move of the tenant also takes; a filing of a service with no count row
/// yet can still add a month row meanwhile, and the clash of keys sends the count round again. One sweep stops
/// starting new tenants after `budget` seconds, so the first sweep after an upgrade on a large platform does
/// not hold up the worker's e-mails; the next sweep goes on.
enum PetitionMonthRecount {
    static let interval: TimeInterval = 300

    static func sweep() -> PeriodicSweep {
        PeriodicSweep(name: "dashboard month counts", interval: interval) { db, _ in
            try await run(on: db).count
        }
    }

    /// Recounts the tenants whose totals differ, for up to `budget` seconds; returns the ids recounted.
    @discardableResult
    static func run(on db: any Database, budget: TimeInterval = 10) async throws -> [String] {
        guard let sql = db as? any SQLDatabase else { return [] }
        let open = PetitionStatus.allCases.filter(\.isOpen).map(\.rawValue)
        var want: [String: [Int]] = [:]
        for row in try await sql.raw(
            """
            SELECT tenant_id, CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(CASE WHEN status IN (\(binds: open)) THEN n ELSE 0 END) AS BIGINT) AS open_n
            FROM petition_counts GROUP BY tenant_id
            """
        ).all() {
            want[try row.decode(column: "tenant_id", as: String.self)] = [
                try row.decode(column: "n", as: Int.self), try row.decode(column: "open_n", as: Int.self),
            ]
        }
        var have: [String: [Int]] = [:]
        for row in try await sql.raw(
            "SELECT tenant_id, CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(open_n) AS BIGINT) AS open_n FROM petition_month_received GROUP BY tenant_id"
        ).all() {
            have[try row.decode(column: "tenant_id", as: String.self)] = [
                try row.decode(column: "n", as: Int.self), try row.decode(column: "open_n", as: Int.self),
            ]
        }
        func zero(_ v: [Int]?) -> [Int] { v ?? [0, 0] }
        let off = Set(want.keys).union(have.keys).filter { zero(want[$0]) != zero(have[$0]) }.sorted()
        let deadline = Date().addingTimeInterval(budget)
        var done: [String] = []
        for tenant in off where Date() < deadline {
            try await recount(tenant: tenant, on: db)
            done.append(tenant)
        }
        return done
    }

    /// Counts one tenant's month rows again from its petitions, in one transaction.
    static func recount(tenant: String, on db: any Database) async throws {
        var attempt = 0
        while true {
            do {
                return try await recountOnce(tenant: tenant, on: db)
            } catch let error as any DatabaseError where error.isConstraintFailure && attempt < 3 {
                attempt += 1
            }
        }
    }

    private static func recountOnce(tenant: String, on db: any Database) async throws {
        try await db.writeTransaction { db in
            guard let sql = db as? any SQLDatabase else { return }
            if sql.dialect.name == "postgresql" {
                try await sql.raw("SELECT n FROM petition_counts WHERE tenant_id = \(bind: tenant) ORDER BY service, status FOR UPDATE").run()
            }
            try await sql.raw("DELETE FROM petition_month_received WHERE tenant_id = \(bind: tenant)").run()
            try await sql.raw("DELETE FROM petition_month_completed WHERE tenant_id = \(bind: tenant)").run()
            let open = PetitionStatus.allCases.filter(\.isOpen).map(\.rawValue)
            try await fill(tenant: tenant, column: "created_at", on: sql) { month, range in
                """
                INSERT INTO petition_month_received (tenant_id, month, channel, n, open_n)
                SELECT tenant_id, \(month), channel, COUNT(*), SUM(CASE WHEN status IN (\(binds: open)) THEN 1 ELSE 0 END)
                FROM petitions WHERE tenant_id = \(bind: tenant) AND \(range) GROUP BY 1, 2, 3
                """
            }
            try await fill(tenant: tenant, column: "closed_at", on: sql) { month, range in
                """
                INSERT INTO petition_month_completed (tenant_id, month, service, division, work_days, n)
                SELECT tenant_id, \(month), service, COALESCE(division, ''), work_days, COUNT(*)
                FROM petitions WHERE tenant_id = \(bind: tenant) AND \(range)
                  AND status = \(bind: PetitionStatus.completed.rawValue) AND work_days IS NOT NULL
                GROUP BY 1, 2, 3, 4, 5
                """
            }
        }
    }

    /// Runs `insert` for every span of up to 60 months from the month before the tenant's earliest `column` to its
    /// latest (a month early: a stored instant read back may be rounded to the microsecond), with the month as a
    /// CASE over the span's month starts and the span as a condition. Grouped by position: PostgreSQL cannot tell
    /// that a CASE with bound values is the selected one.
    private static func fill(
        tenant: String, column: String, on sql: any SQLDatabase, insert: (_ month: SQLQueryString, _ range: SQLQueryString) -> SQLQueryString
    ) async throws {
        guard
            let row = try await sql.raw(
                "SELECT MIN(\(unsafeRaw: column)) AS first, MAX(\(unsafeRaw: column)) AS last FROM petitions WHERE tenant_id = \(bind: tenant)"
            ).first(),
            let first = try row.decode(column: "first", as: Date?.self), let last = try row.decode(column: "last", as: Date?.self)
        else { return }
        let end = DashboardMonths.index(of: last) + 2
        var from = DashboardMonths.index(of: first) - 1
        while from < end {
            let to = min(from + 60, end)
            var month: SQLQueryString = "\(literal: to - 1)"
            if to - 1 > from {
                month = "CASE"
                for i in from..<to - 1 {
                    month = "\(month) WHEN \(unsafeRaw: column) < \(bind: DashboardMonths.start(ofIndex: i + 1)) THEN \(literal: i)"
                }
                month = "\(month) ELSE \(literal: to - 1) END"
            }
            let range: SQLQueryString =
                "\(unsafeRaw: column) >= \(bind: DashboardMonths.start(ofIndex: from)) AND \(unsafeRaw: column) < \(bind: DashboardMonths.start(ofIndex: to))"
            try await sql.raw(insert(month, range)).run()
            from = to
        }
    }
}
