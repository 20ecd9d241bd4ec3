import SQLKit

/// The one statement every retention sweep deletes with: up to `limit` rows of `table` that match `condition`, the
/// first by `orderBy`, in one short statement. `key` names each row: one column, or several for a composite key (a
/// row value, on both databases). The condition stands in the outer WHERE as well as in the sub-select that picks the
/// batch: PostgreSQL (READ COMMITTED) re-checks only the outer WHERE on a row it had to wait for, so a row that changed
/// meanwhile and no longer matches (a failed job retried, a counter hit again, a session extended) is kept.
enum OldestRows {
    static func delete(
        from table: String, key: [String], where condition: SQLQueryString, orderBy: String, limit: Int, on sql: any SQLDatabase
    ) async throws -> Int {
        let columns = key.joined(separator: ", ")
        let row = key.count == 1 ? columns : "(\(columns))"
        return try await sql.raw(
            """
            DELETE FROM \(unsafeRaw: table) WHERE \(unsafeRaw: row) IN (
              SELECT \(unsafeRaw: columns) FROM \(unsafeRaw: table) WHERE \(condition) ORDER BY \(unsafeRaw: orderBy) LIMIT \(literal: max(1, limit)))
              AND \(condition)
            RETURNING \(unsafeRaw: key[0])
            """
        ).all().count
    }
}
