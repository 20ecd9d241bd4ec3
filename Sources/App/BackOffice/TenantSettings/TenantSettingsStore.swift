import Domain
import Fluent
import Foundation

/// Reads what admins changed in the back office, tenant by tenant, to lay over the folders.
enum TenantSettingsStore {
    struct Loaded: Sendable {
        var slug: String
        var overrides: TenantOverrides
        var revision: Int64
    }

    /// The overrides of `slugs` (nil: every tenant that has any), each with the revision it was read at.
    /// The revision is read first, so what follows is at least that new.
    static func load(tenants slugs: [String]?, on db: any Database) async throws -> [Loaded] {
        let settings = TenantSettingRecord.crossTenantQuery(on: db, because: "the overrides of several tenants (all at start-up)")
        if let slugs { settings.filter(\.$tenantID ~~ slugs) }
        let rows = try await settings.all()
        guard !rows.isEmpty else { return [] }
        let ids = rows.map(\.tenantID)
        let services = TenantServiceRecord.crossTenantQuery(on: db, because: "the catalogues of the tenants just read")
        let forms = ServiceFormRecord.crossTenantQuery(on: db, because: "the forms of the tenants just read")
        if slugs != nil {
            services.filter(\.$tenantID ~~ ids)
            forms.filter(\.$tenantID ~~ ids)
        }
        let servicesByTenant = Dictionary(grouping: try await services.all(), by: \.tenantID)
        let formsByTenant = Dictionary(grouping: try await forms.all(), by: \.tenantID)
        return try rows.map { row in
            var overrides = TenantOverrides()
            overrides.display = try row.display.map { try StoredJSON.decode(DisplayDetails.self, from: $0) }
            overrides.identity = try row.identity.map { try StoredJSON.decode(IdentityPolicy.self, from: $0) }
            overrides.line = try row.line.map { try StoredJSON.decode(LineChannelSettings.self, from: $0) }
            overrides.catalogue = (servicesByTenant[row.tenantID] ?? []).compactMap(CatalogueStore.entry)
            for form in formsByTenant[row.tenantID] ?? [] {
                overrides.forms[form.service] = try StoredJSON.decode(ServiceForm.self, from: form.form)
            }
            return Loaded(slug: row.tenantID, overrides: overrides, revision: row.revision)
        }
    }

    static func setDisplay(_ display: DisplayDetails, on record: TenantSettingRecord, db: any Database) async throws {
        record.display = try StoredJSON.encode(display)
        try await record.save(on: db)
    }

    static func setLine(_ line: LineChannelSettings, on record: TenantSettingRecord, db: any Database) async throws {
        record.line = try StoredJSON.encode(line)
        try await record.save(on: db)
    }

    static func setIdentity(_ policy: IdentityPolicy, on record: TenantSettingRecord, db: any Database) async throws {
        record.identity = try StoredJSON.encode(policy)
        try await record.save(on: db)
    }
}
