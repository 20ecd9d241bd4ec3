import Domain
import Fluent
import SQLKit

/// Petitions per tenant, service and status (`petition_counts`), changed by the same transactions that file
/// and move petitions, so the officers' queue reads its tab counts from a few rows instead of counting
/// 100,000. Only `PetitionStore` writes petitions' statuses; anything else that does must go through here.
enum PetitionCounts {
    /// A petition filed at `status`.
    static func filed(tenant: String, service: String, status: PetitionStatus, on db: any Database) async throws {
        try await add(1, tenant: tenant, service: service, status: status, on: db)
    }

    /// A petition moved from one status to another. The two rows are changed in a fixed order, so two moves at
    /// once cannot wait for each other's rows.
    static func moved(tenant: String, service: String, from: PetitionStatus, to: PetitionStatus, on db: any Database) async throws {
        guard from != to else { return }
        for (status, delta) in [(from, -1), (to, 1)].sorted(by: { $0.0.rawValue < $1.0.rawValue }) {
            try await add(delta, tenant: tenant, service: service, status: status, on: db)
        }
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
