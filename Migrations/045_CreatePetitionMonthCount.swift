import Domain
import Fluent
import Foundation
import SQLKit

/// The dashboard's figures kept per month (Bangkok time; the key is the Gregorian month index, year × 12 +
/// month − 1) by the same transactions that file and move petitions, as `petition_counts` is, so a year of a
/// tenant is a few hundred rows instead of every petition of the year:
/// - `petition_month_received`: per tenant, month filed and channel, the petitions received and how many of
///   them are still open;
/// - `petition_month_completed`: per tenant, month completed, service, division ("" for none) and working days
///   taken, the petitions completed (ดำเนินการสำเร็จ): the histogram the medians and 90th percentiles come from.
///
/// Filled from the petitions already there, a few years at a time (the month of each row is a CASE over the
/// months' starts, grouped by position, the same SQL on SQLite and PostgreSQL).
struct CreatePetitionMonthCount: AsyncMigration {
    static let openStatuses = ["submitted", "accepted", "in_progress"]

    func prepare(on database: any Database) async throws {
        try await database.schema("petition_month_received")
            .field("tenant_id", .string, .required)
            .field("month", .int, .required)
            .field("channel", .string, .required)
            .field("n", .int, .required)
            .field("open_n", .int, .required)
            .compositeIdentifier(over: "tenant_id", "month", "channel")
            .create()
        try await database.schema("petition_month_completed")
            .field("tenant_id", .string, .required)
            .field("month", .int, .required)
            .field("service", .string, .required)
            .field("division", .string, .required)
            .field("work_days", .int, .required)
            .field("n", .int, .required)
            .compositeIdentifier(over: "tenant_id", "month", "service", "division", "work_days")
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        try await fill(column: "created_at", on: sql) { month, range in
            """
            INSERT INTO petition_month_received (tenant_id, month, channel, n, open_n)
            SELECT tenant_id, \(month), channel, COUNT(*), SUM(CASE WHEN status IN (\(binds: Self.openStatuses)) THEN 1 ELSE 0 END)
            FROM petitions WHERE \(range) GROUP BY 1, 2, 3
            """
        }
        try await fill(column: "closed_at", on: sql) { month, range in
            """
            INSERT INTO petition_month_completed (tenant_id, month, service, division, work_days, n)
            SELECT tenant_id, \(month), service, COALESCE(division, ''), work_days, COUNT(*)
            FROM petitions WHERE \(range) AND status = 'completed' AND work_days IS NOT NULL
            GROUP BY 1, 2, 3, 4, 5
            """
        }
    }

    /// Runs `insert` for every span of up to 60 months between the earliest and the latest `column`, with the
    /// month as a CASE over the span's month starts and the span's range as a condition.
    private func fill(
        column: String, on sql: any SQLDatabase, insert: (_ month: SQLQueryString, _ range: SQLQueryString) -> SQLQueryString
    ) async throws {
        guard
            let row = try await sql.raw("SELECT MIN(\(unsafeRaw: column)) AS first, MAX(\(unsafeRaw: column)) AS last FROM petitions").first(),
            let first = try row.decode(column: "first", as: Date?.self), let last = try row.decode(column: "last", as: Date?.self)
        else { return }
        let end = DashboardMonths.index(of: last) + 1
        var from = DashboardMonths.index(of: first)
        while from < end {
            let to = min(from + 60, end)
            // Grouped by position: PostgreSQL cannot tell that a CASE with bound values is the selected one.
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

    func revert(on database: any Database) async throws {
        try await database.schema("petition_month_completed").delete()
        try await database.schema("petition_month_received").delete()
    }
}
