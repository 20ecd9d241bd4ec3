import Fluent
import Foundation
import SQLKit

/// Which tenants already got their folder's divisions (`tenant.yaml` `divisions:`): one row each, written in the
/// same transaction as the divisions. Start-up seeds only tenants without a row, so divisions an Organization
/// admin deleted, every one of them included, stay deleted after a restart. Tenants that have divisions now are
/// marked.
struct CreateDivisionSeed: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("division_seeds")
            .field("tenant_id", .string, .required)
            .field("seeded_at", .datetime, .required)
            .unique(on: "tenant_id")
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("INSERT INTO division_seeds (tenant_id, seeded_at) SELECT DISTINCT tenant_id, \(bind: Date()) FROM divisions").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("division_seeds").delete()
    }
}
