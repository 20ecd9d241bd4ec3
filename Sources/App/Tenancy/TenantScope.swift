import Fluent
import Foundation

/// A model whose table has a required `tenant_id` column: a row belongs to exactly one municipality.
///
/// Stores reach such a table only through ``query(on:tenant:)`` (or a ``TenantScope``), which adds the
/// tenant's filter before anything else, so a store function cannot forget it. Fluent's own `query(on:)`
/// is marked deprecated for these models: calling it compiles with a warning that points here. The few
/// queries that really span tenants (a staff member's rights in every tenant, the settings poll, start-up
/// sweeps) say so with ``crossTenantQuery(on:because:)``. Raw SQL cannot be checked by the compiler; the
/// test harness checks every statement instead (`TenantGuard` in Tests/AppTests/Support): a SELECT, UPDATE
/// or DELETE on a tenant-owned table without a `tenant_id` condition fails the test that ran it.
protocol TenantOwned: Model {
    /// The `tenant_id` field (`\.$tenantID`).
    static var tenantField: KeyPath<Self, FieldProperty<Self, String>> { get }
}

extension TenantOwned {
    /// The one entry for queries on a tenant-owned table: the builder already filters on `tenant_id`.
    static func query(on database: any Database, tenant: String) -> QueryBuilder<Self> {
        QueryBuilder<Self>(database: database).filter(tenantField == tenant)
    }

    static func query(on database: any Database, tenant: Tenant) -> QueryBuilder<Self> {
        query(on: database, tenant: tenant.id)
    }

    /// A query over the rows of several tenants (a staff member's: the back office is shared, rights are per
    /// tenant). An empty list matches nothing.
    static func query(on database: any Database, tenants: [String]) -> QueryBuilder<Self> {
        QueryBuilder<Self>(database: database).filter(tenantField ~~ tenants)
    }

    /// A query across every tenant, with the reason it must be one (for the reader; nothing checks it).
    static func crossTenantQuery(on database: any Database, because reason: StaticString) -> QueryBuilder<Self> {
        QueryBuilder<Self>(database: database)
    }

    /// Fluent's unscoped entry, kept only so that calling it warns.
    @available(*, deprecated, message: "a tenant-owned table: use query(on:tenant:), or crossTenantQuery(on:because:) for a query that spans tenants")
    static func query(on database: any Database) -> QueryBuilder<Self> {
        QueryBuilder<Self>(database: database)
    }
}

/// One tenant's view of the database: every query it builds is already filtered to the tenant.
struct TenantScope: Sendable {
    let tenant: String
    let db: any Database

    init(_ tenant: Tenant, _ db: any Database) { self.init(tenant.id, db) }
    init(_ tenant: String, _ db: any Database) {
        self.tenant = tenant
        self.db = db
    }

    func query<M: TenantOwned>(_ model: M.Type) -> QueryBuilder<M> { M.query(on: db, tenant: tenant) }
}

// MARK: The tenant-owned models

extension PetitionRecord: TenantOwned { static var tenantField: KeyPath<PetitionRecord, FieldProperty<PetitionRecord, String>> { \.$tenantID } }
extension PetitionEventRecord: TenantOwned { static var tenantField: KeyPath<PetitionEventRecord, FieldProperty<PetitionEventRecord, String>> { \.$tenantID } }
extension PetitionAttachmentRecord: TenantOwned {
    static var tenantField: KeyPath<PetitionAttachmentRecord, FieldProperty<PetitionAttachmentRecord, String>> { \.$tenantID }
}
extension PetitionDocumentRecord: TenantOwned {
    static var tenantField: KeyPath<PetitionDocumentRecord, FieldProperty<PetitionDocumentRecord, String>> { \.$tenantID }
}
extension CitizenAccount: TenantOwned { static var tenantField: KeyPath<CitizenAccount, FieldProperty<CitizenAccount, String>> { \.$tenantID } }
extension IdentityImageRecord: TenantOwned { static var tenantField: KeyPath<IdentityImageRecord, FieldProperty<IdentityImageRecord, String>> { \.$tenantID } }
extension Open311KeyRecord: TenantOwned { static var tenantField: KeyPath<Open311KeyRecord, FieldProperty<Open311KeyRecord, String>> { \.$tenantID } }
extension ContactMessageRecord: TenantOwned {
    static var tenantField: KeyPath<ContactMessageRecord, FieldProperty<ContactMessageRecord, String>> { \.$tenantID }
}
extension StaffGrantRecord: TenantOwned { static var tenantField: KeyPath<StaffGrantRecord, FieldProperty<StaffGrantRecord, String>> { \.$tenantID } }
extension AccessRequestRecord: TenantOwned { static var tenantField: KeyPath<AccessRequestRecord, FieldProperty<AccessRequestRecord, String>> { \.$tenantID } }
extension TenantSettingRecord: TenantOwned { static var tenantField: KeyPath<TenantSettingRecord, FieldProperty<TenantSettingRecord, String>> { \.$tenantID } }
extension TenantServiceRecord: TenantOwned { static var tenantField: KeyPath<TenantServiceRecord, FieldProperty<TenantServiceRecord, String>> { \.$tenantID } }
extension FormVersionRecord: TenantOwned { static var tenantField: KeyPath<FormVersionRecord, FieldProperty<FormVersionRecord, String>> { \.$tenantID } }
extension ServiceFormRecord: TenantOwned { static var tenantField: KeyPath<ServiceFormRecord, FieldProperty<ServiceFormRecord, String>> { \.$tenantID } }
