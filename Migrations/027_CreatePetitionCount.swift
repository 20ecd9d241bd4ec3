import Fluent
import SQLKit

/// How many petitions each tenant has per service and status, kept by the same transactions that file and
/// move petitions, so the officers' queue shows its tab counts without counting rows on every page. Filled
/// from the petitions already there.
struct CreatePetitionCount: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("petition_counts")
            .field("tenant_id", .string, .required)
            .field("service", .string, .required)
            .field("status", .string, .required)
            .field("n", .int, .required)
            .compositeIdentifier(over: "tenant_id", "service", "status")
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("""
            INSERT INTO petition_counts (tenant_id, service, status, n)
            SELECT tenant_id, service, status, COUNT(*) FROM petitions GROUP BY tenant_id, service, status
            """).run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("petition_counts").delete()
    }
}
