import Fluent
import Foundation
import SQLKit
import Vapor

/// Revisions of back-office settings. Every change raises one shared counter (`tenant_settings_epoch`) as the
/// first statement of its transaction and stamps the tenant with the new value. Raising the counter locks its
/// row until the transaction ends (SQLite: takes the write lock), so changes commit in counter order: an
/// instance that has seen value N has seen every change up to N.
enum SettingsRevision {
    static func next(on db: any Database) async throws -> Int64 {
        // Read first. SQLite then answers a second writer "busy" at once (and `writeTransaction` runs it again
        // after a pause) instead of letting it wait on a thread of the pool the first writer needs to finish.
        _ = try await latest(on: db)
        let row = try await sql(db).raw(
            """
            INSERT INTO tenant_settings_epoch (id, value) VALUES (1, 1)
            ON CONFLICT (id) DO UPDATE SET value = tenant_settings_epoch.value + 1
            RETURNING value
            """
        ).first()
        guard let value = try row?.decode(column: "value", as: Int64.self) else {
            throw Abort(.internalServerError, reason: "settings revision gave no value")
        }
        return value
    }

    /// The latest revision of any tenant's settings (0: none changed yet). One row, read every few seconds.
    static func latest(on db: any Database) async throws -> Int64 {
        let row = try await sql(db).raw("SELECT value FROM tenant_settings_epoch WHERE id = 1").first()
        return try row?.decode(column: "value", as: Int64.self) ?? 0
    }

    /// Tenants changed after `revision` (uses the index on `revision`).
    static func tenants(changedAfter revision: Int64, on db: any Database) async throws -> [String] {
        try await TenantSettingRecord.crossTenantQuery(on: db, because: "the settings poll: which tenants changed").filter(\.$revision > revision).all(
            \.$tenantID)
    }

    /// Stamps the tenant with `revision`, creating its settings row on its first change.
    static func stamp(tenant: Tenant, revision: Int64, now: Date, on db: any Database) async throws -> TenantSettingRecord {
        let record =
            try await TenantSettingRecord.query(on: db, tenant: tenant).first()
            ?? {
                let r = TenantSettingRecord()
                r.tenantID = tenant.id
                return r
            }()
        record.revision = revision
        record.updatedAt = now
        try await record.save(on: db)
        return record
    }

    private static func sql(_ db: any Database) throws -> any SQLDatabase {
        guard let sql = db as? any SQLDatabase else { throw Abort(.internalServerError, reason: "SQL database required") }
        return sql
    }
}
