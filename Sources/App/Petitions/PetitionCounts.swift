import Domain
import Fluent
import Foundation
import SQLKit

/// Petitions per tenant, service and status (`petition_counts`), and per month for the dashboard
/// (`petition_month_received`: filed per month and channel, and how many of them are still open;
/// `petition_month_completed`: completed per month, service, division and working days taken), changed by the
/// same transactions that file and move petitions, so the officers' queue reads its tab counts, and the
/// dashboard a year, from a few rows instead of counting 100,000. Only `PetitionStore` (and the citizen's reopening in
/// `PetitionFeedbackStore`) writes petitions' statuses; anything else that does must go through here.
///
/// Rows are taken in one order in every transaction (the status counts sorted, then the month received, then
/// the month completed), so two filings or moves at once cannot wait for each other's rows.
enum PetitionCounts {
    /// A petition just filed (at ยื่นคำร้อง).
    static func filed(_ p: PetitionRecord, on db: any Database) async throws {
        try await add(1, tenant: p.tenantID, service: p.service, status: p.status, on: db)
        try await received(p, n: 1, open: p.status.isOpen ? 1 : 0, on: db)
    }

    /// A petition moved: `before` as it was, `after` as the move left it (its close time and working days).
    static func moved(_ before: PetitionRecord, to after: PetitionRecord, on db: any Database) async throws {
        let from = before.status, to = after.status
        guard from != to else { return }
        for (status, delta) in [(from, -1), (to, 1)].sorted(by: { $0.0.rawValue < $1.0.rawValue }) {
            try await add(delta, tenant: before.tenantID, service: before.service, status: status, on: db)
        }
        let open = (to.isOpen ? 1 : 0) - (from.isOpen ? 1 : 0)
        if open != 0 { try await received(before, n: 0, open: open, on: db) }
        // Out of ดำเนินการสำเร็จ (a reopening) takes the petition out of its month; into it puts it in.
        if from == .completed, let closed = before.closedAt, let days = before.workDays {
            try await completed(before, month: DashboardMonths.index(of: closed), workDays: days, delta: -1, on: db)
        }
        if to == .completed, let closed = after.closedAt, let days = after.workDays {
            try await completed(after, month: DashboardMonths.index(of: closed), workDays: days, delta: 1, on: db)
        }
    }

    /// A petition rated (once): its stars in the month rated, by service and division.
    static func rated(_ p: PetitionRecord, stars: Int, at now: Date, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw(
            """
            INSERT INTO petition_month_rating (tenant_id, month, service, division, stars, n)
            VALUES (\(bind: p.tenantID), \(bind: DashboardMonths.index(of: now)), \(bind: p.service), \(bind: p.division ?? ""), \(bind: stars), 1)
            ON CONFLICT (tenant_id, month, service, division, stars) DO UPDATE SET n = petition_month_rating.n + excluded.n
            """
        ).run()
    }

    private static func received(_ p: PetitionRecord, n: Int, open: Int, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw(
            """
            INSERT INTO petition_month_received (tenant_id, month, channel, n, open_n)
            VALUES (\(bind: p.tenantID), \(bind: DashboardMonths.index(of: p.createdAt)), \(bind: p.channelRaw), \(bind: n), \(bind: open))
            ON CONFLICT (tenant_id, month, channel) DO UPDATE
              SET n = petition_month_received.n + excluded.n, open_n = petition_month_received.open_n + excluded.open_n
            """
        ).run()
    }

    private static func completed(_ p: PetitionRecord, month: Int, workDays: Int, delta: Int, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw(
            """
            INSERT INTO petition_month_completed (tenant_id, month, service, division, work_days, n)
            VALUES (\(bind: p.tenantID), \(bind: month), \(bind: p.service), \(bind: p.division ?? ""), \(bind: workDays), \(bind: delta))
            ON CONFLICT (tenant_id, month, service, division, work_days) DO UPDATE SET n = petition_month_completed.n + excluded.n
            """
        ).run()
    }

    private static func add(_ delta: Int, tenant: String, service: String, status: PetitionStatus, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw(
            """
            INSERT INTO petition_counts (tenant_id, service, status, n) VALUES (\(bind: tenant), \(bind: service), \(bind: status.rawValue), \(bind: delta))
            ON CONFLICT (tenant_id, service, status) DO UPDATE SET n = petition_counts.n + excluded.n
            """
        ).run()
    }

    /// The tenant's petitions per status, of one service or all (statuses with none left out).
    static func read(tenant: String, service: String?, on db: any Database) async throws -> [PetitionStatus: Int] {
        guard let sql = db as? any SQLDatabase else { return [:] }
        let serviceCondition: SQLQueryString = service.map { "AND service = \(bind: $0)" } ?? ""
        var out: [PetitionStatus: Int] = [:]
        for row in try await sql.raw(
            """
            SELECT status, CAST(SUM(n) AS BIGINT) AS n FROM petition_counts WHERE tenant_id = \(bind: tenant) \(serviceCondition) GROUP BY status
            """
        ).all() {
            guard let status = PetitionStatus(rawValue: try row.decode(column: "status", as: String.self)) else { continue }
            let n = try row.decode(column: "n", as: Int.self)
            if n != 0 { out[status] = n }
        }
        return out
    }

    /// What `petition_counts` should hold, counted from the petitions themselves (for tests and checks).
    static func recount(tenant: String, on db: any Database) async throws -> [String: Int] {
        guard let sql = db as? any SQLDatabase else { return [:] }
        var out: [String: Int] = [:]
        for row in try await sql.raw("SELECT service, status, COUNT(*) AS n FROM petitions WHERE tenant_id = \(bind: tenant) GROUP BY service, status").all() {
            out[try row.decode(column: "service", as: String.self) + "/" + row.decode(column: "status", as: String.self)] = try row.decode(
                column: "n", as: Int.self)
        }
        return out
    }

    /// The rows of `petition_counts` for the tenant, in `recount`'s shape (zero rows left out).
    static func stored(tenant: String, on db: any Database) async throws -> [String: Int] {
        guard let sql = db as? any SQLDatabase else { return [:] }
        var out: [String: Int] = [:]
        for row in try await sql.raw("SELECT service, status, n FROM petition_counts WHERE tenant_id = \(bind: tenant) AND n <> 0").all() {
            out[try row.decode(column: "service", as: String.self) + "/" + row.decode(column: "status", as: String.self)] = try row.decode(
                column: "n", as: Int.self)
        }
        return out
    }
}

extension PetitionCounts {
    /// The month rows of the tenant as "received|month|channel", "open|month|channel" and
    /// "completed|month|service|division|days" → n (zero rows left out), for tests and checks.
    static func storedMonths(tenant: String, on db: any Database) async throws -> [String: Int] {
        guard let sql = db as? any SQLDatabase else { return [:] }
        var out: [String: Int] = [:]
        for row in try await sql.raw("SELECT month, channel, n, open_n FROM petition_month_received WHERE tenant_id = \(bind: tenant)").all() {
            let key = "\(try row.decode(column: "month", as: Int.self))|\(try row.decode(column: "channel", as: String.self))"
            out["received|" + key] = try row.decode(column: "n", as: Int.self)
            out["open|" + key] = try row.decode(column: "open_n", as: Int.self)
        }
        for row in try await sql.raw(
            "SELECT month, service, division, work_days, n FROM petition_month_completed WHERE tenant_id = \(bind: tenant)"
        ).all() {
            let parts = [
                String(try row.decode(column: "month", as: Int.self)), try row.decode(column: "service", as: String.self),
                try row.decode(column: "division", as: String.self), String(try row.decode(column: "work_days", as: Int.self)),
            ]
            out["completed|" + parts.joined(separator: "|")] = try row.decode(column: "n", as: Int.self)
        }
        return out.filter { $0.value != 0 }
    }

    /// What the month rows should hold, counted here from the tenant's petitions (in `storedMonths`' shape).
    static func recountMonths(tenant: String, on db: any Database) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for p in try await PetitionRecord.query(on: db).filter(\.$tenantID == tenant).all() {
            let key = "\(DashboardMonths.index(of: p.createdAt))|\(p.channelRaw)"
            out["received|" + key, default: 0] += 1
            if p.status.isOpen { out["open|" + key, default: 0] += 1 }
            if p.status == .completed, let closed = p.closedAt, let days = p.workDays {
                out["completed|\(DashboardMonths.index(of: closed))|\(p.service)|\(p.division ?? "")|\(days)", default: 0] += 1
            }
        }
        return out
    }
}
