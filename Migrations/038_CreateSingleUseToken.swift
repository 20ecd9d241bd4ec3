import Fluent
import SQLKit

/// One table for the single-use links of staff and citizens (`single_use_tokens`), replacing `staff_tokens`
/// (006) and `citizen_tokens` (019). Every row is moved as it is: the hash, expiry, use and creation times are
/// kept, so a link that worked before the upgrade works after it, and a used or expired one still does not.
/// The kind is the old purpose prefixed by whose it is (`staff.reset`, `staff.setup`, `citizen.reset`).
/// The revert moves the rows back and drops the new table.
/// Both directions run in one transaction, so a failure half-way leaves the old tables as they were and the
/// migration can run again.
struct CreateSingleUseToken: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.transaction { try await prepareInTransaction(on: $0) }
    }

    func revert(on database: any Database) async throws {
        try await database.transaction { try await revertInTransaction(on: $0) }
    }

    private func prepareInTransaction(on database: any Database) async throws {
        try await database.schema("single_use_tokens")
            .id()
            .field("kind", .string, .required)
            .field("staff_id", .uuid, .references("staff_accounts", "id", onDelete: .cascade))
            .field("citizen_id", .uuid, .references("citizens", "id", onDelete: .cascade))
            .field("tenant_id", .string)
            .field("token_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("created_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("""
            INSERT INTO single_use_tokens (id, kind, staff_id, citizen_id, tenant_id, token_hash, expires_at, used_at, created_at)
            SELECT id, 'staff.' || purpose, staff_id, NULL, NULL, token_hash, expires_at, used_at, created_at FROM staff_tokens
            """).run()
        try await sql.raw("""
            INSERT INTO single_use_tokens (id, kind, staff_id, citizen_id, tenant_id, token_hash, expires_at, used_at, created_at)
            SELECT id, 'citizen.' || purpose, NULL, citizen_id, tenant_id, token_hash, expires_at, used_at, created_at FROM citizen_tokens
            """).run()
        try await database.schema("staff_tokens").delete()
        try await database.schema("citizen_tokens").delete()
    }

    private func revertInTransaction(on database: any Database) async throws {
        // The two tables exactly as 006 and 019 made them.
        try await CreateStaffToken().prepare(on: database)
        try await CreateCitizenToken().prepare(on: database)
        if let sql = database as? any SQLDatabase {
            try await sql.raw("""
                INSERT INTO staff_tokens (id, purpose, staff_id, token_hash, expires_at, used_at, created_at)
                SELECT id, SUBSTR(kind, 7), staff_id, token_hash, expires_at, used_at, created_at FROM single_use_tokens WHERE kind LIKE 'staff.%'
                """).run()
            try await sql.raw("""
                INSERT INTO citizen_tokens (id, tenant_id, citizen_id, purpose, token_hash, expires_at, used_at, created_at)
                SELECT id, tenant_id, citizen_id, SUBSTR(kind, 9), token_hash, expires_at, used_at, created_at FROM single_use_tokens
                WHERE kind LIKE 'citizen.%' AND citizen_id IS NOT NULL AND tenant_id IS NOT NULL
                """).run()
        }
        try await database.schema("single_use_tokens").delete()
    }
}
