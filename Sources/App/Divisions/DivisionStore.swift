import Domain
import Fluent
import Foundation

/// A tenant's divisions and who works in them.
enum DivisionStore {
    /// The tenant's divisions in their order.
    static func all(tenant: Tenant, on db: any Database) async throws -> [DivisionRecord] {
        try await DivisionRecord.query(on: db, tenant: tenant).sort(\.$position).sort(\.$code).all()
    }

    static func byCode(_ code: String, tenant: Tenant, on db: any Database) async throws -> DivisionRecord? {
        try await DivisionRecord.query(on: db, tenant: tenant).filter(\.$code == code).first()
    }

    /// The codes of the divisions a staff member works in (or heads) in this tenant.
    static func codes(of staffID: UUID, tenant: Tenant, on db: any Database) async throws -> [String] {
        let ids = try await DivisionMemberRecord.query(on: db, tenant: tenant).filter(\.$staffID == staffID).all().map(\.divisionID)
        let divisions = try await all(tenant: tenant, on: db)
        return divisions.filter { d in d.headStaffID == staffID || d.id.map(ids.contains) == true }.map(\.code)
    }

    /// The staff ids working in a division (its head included).
    static func members(of division: DivisionRecord, on db: any Database) async throws -> [UUID] {
        let ids = try await DivisionMemberRecord.query(on: db, tenant: division.tenantID).filter(\.$divisionID == (try division.requireID()))
            .all().map(\.staffID)
        return Array(Set(ids + [division.headStaffID].compactMap { $0 }))
    }
}
