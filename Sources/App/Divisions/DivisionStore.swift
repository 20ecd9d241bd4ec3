import Domain
import Fluent
import Foundation
import SQLKit

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

/// Writing a tenant's divisions (the settings pages, and the demo divisions a tenant's folder names).
extension DivisionStore {
    /// What a division is, as the settings form and the tenant's folder give it.
    struct Draft: Sendable, Equatable {
        var code: String
        var name: String
        var headStaffID: UUID?
        var position: Int
    }

    /// `[A-Z0-9]{2,10}`.
    static func isCode(_ s: String) -> Bool {
        (2...10).contains(s.count) && s.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    static func byID(_ id: UUID, tenant: Tenant, on db: any Database) async throws -> DivisionRecord? {
        try await DivisionRecord.query(on: db, tenant: tenant).filter(\.$id == id).first()
    }

    @discardableResult
    static func add(_ d: Draft, tenant: Tenant, now: Date, on db: any Database) async throws -> DivisionRecord {
        let r = DivisionRecord()
        r.tenantID = tenant.id
        r.createdAt = now
        try await write(d, to: r, now: now, on: db)
        return r
    }

    /// Renames, recodes or changes the head. The code is what services and petitions name, so changing it is
    /// refused while any does (`usage`).
    static func update(_ r: DivisionRecord, _ d: Draft, now: Date, on db: any Database) async throws {
        try await write(d, to: r, now: now, on: db)
    }

    private static func write(_ d: Draft, to r: DivisionRecord, now: Date, on db: any Database) async throws {
        r.code = d.code
        r.name = String(d.name.prefix(200))
        r.headStaffID = d.headStaffID
        r.position = d.position
        r.updatedAt = now
        try await r.save(on: db)
    }

    /// The division's members become exactly `staff`.
    static func setMembers(_ r: DivisionRecord, _ staff: [UUID], now: Date, on db: any Database) async throws {
        let id = try r.requireID()
        let current = try await DivisionMemberRecord.query(on: db, tenant: r.tenantID).filter(\.$divisionID == id).all()
        let wanted = Set(staff)
        for m in current where !wanted.contains(m.staffID) { try await m.delete(on: db) }
        let have = Set(current.map(\.staffID))
        for s in staff where !have.contains(s) {
            let m = DivisionMemberRecord()
            m.tenantID = r.tenantID
            m.divisionID = id
            m.staffID = s
            m.createdAt = now
            try await m.create(on: db)
        }
    }

    /// The division's own members (its head aside), per division of the tenant: one query.
    static func memberIDs(tenant: Tenant, on db: any Database) async throws -> [UUID: [UUID]] {
        var out: [UUID: [UUID]] = [:]
        for m in try await DivisionMemberRecord.query(on: db, tenant: tenant).all() { out[m.divisionID, default: []].append(m.staffID) }
        return out
    }

    /// How many services (of the catalogue as served) and petitions name the division's code.
    static func usage(_ code: String, tenant: Tenant, on db: any Database) async throws -> (services: [String], petitions: Int) {
        var services: [String] = []
        for (_, s) in tenant.config.menus.all + tenant.retired.all where s.division == code { services.append(s.name) }
        let petitions = try await PetitionRecord.query(on: db, tenant: tenant).filter(\.$division == code).count()
        return (services, petitions)
    }

    /// Deletes the division (its member rows go with it).
    static func delete(_ r: DivisionRecord, on db: any Database) async throws {
        try await r.delete(on: db)
    }

    /// The tenants that already got their folder's divisions (`division_seeds`), in one query.
    static func seededTenants(on db: any Database) async throws -> Set<String> {
        guard let sql = db as? any SQLDatabase else { return [] }
        let rows = try await sql.raw("SELECT tenant_id FROM division_seeds").all()
        return Set(try rows.map { try $0.decode(column: "tenant_id", as: String.self) })
    }

    /// Writes a folder's divisions for a tenant once: the tenant is marked in the same transaction, and a tenant
    /// that has divisions already (made by hand before its folder named any) only gets the mark. Two instances
    /// starting at once: the mark's key refuses the second, and its transaction is rolled back whole.
    static func seed(_ divisions: [Draft], tenant: Tenant, now: Date, on db: any Database) async throws -> Bool {
        do {
            return try await db.writeTransaction { db in
                guard let sql = db as? any SQLDatabase else { return false }
                try await sql.raw("INSERT INTO division_seeds (tenant_id, seeded_at) VALUES (\(bind: tenant.id), \(bind: now))").run()
                guard try await DivisionRecord.query(on: db, tenant: tenant).count() == 0 else { return false }
                for d in divisions { try await add(d, tenant: tenant, now: now, on: db) }
                return true
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            return false
        }
    }
}

extension DivisionStore {
    /// The tenant's divisions and the codes of those this staff member works in or heads: two queries.
    static func withMine(_ staffID: UUID, tenant: Tenant, on db: any Database) async throws -> (all: [DivisionRecord], mine: [String]) {
        let all = try await all(tenant: tenant, on: db)
        guard !all.isEmpty else { return ([], []) }
        let ids = Set(try await DivisionMemberRecord.query(on: db, tenant: tenant).filter(\.$staffID == staffID).all().map(\.divisionID))
        return (all, all.filter { d in d.headStaffID == staffID || d.id.map(ids.contains) == true }.map(\.code))
    }

    /// Someone who no longer holds any right in the tenant leaves its divisions, and heads none of them.
    static func forget(staffID: UUID, tenantID: String, on db: any Database) async throws {
        try await DivisionMemberRecord.query(on: db, tenant: tenantID).filter(\.$staffID == staffID).delete()
        try await DivisionRecord.query(on: db, tenant: tenantID).filter(\.$headStaffID == staffID).set(\.$headStaffID, to: nil).update()
    }
}
