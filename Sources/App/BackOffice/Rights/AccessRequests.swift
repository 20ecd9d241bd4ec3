import Domain
import Fluent
import Foundation
import Vapor

/// Requests for rights and their decisions. Platform admins decide any request; a tenant's Organization
/// admins decide Officer requests for that tenant.
enum AccessRequests {
    enum Problem: Error, Equatable {
        case alreadyHeld, alreadyPending, unknownTenant
        var thai: String {
            switch self {
            case .alreadyHeld: "ท่านมีสิทธิ์นี้ในหน่วยงานนี้อยู่แล้ว"
            case .alreadyPending: "ท่านมีคำขอสิทธิ์นี้ที่รอตรวจสอบอยู่แล้ว"
            case .unknownTenant: "กรุณาเลือกหน่วยงาน"
            }
        }
    }

    static func create(staff: StaffPrincipal, tenant: Tenant, role: StaffRole, note: String?, now: Date, on db: any Database) async throws
        -> AccessRequestRecord
    {
        if let held = staff.grants[tenant.id], held.includes(role) { throw Problem.alreadyHeld }
        let pending = try await AccessRequestRecord.query(on: db, tenant: tenant).filter(\.$staffID == staff.id)
            .filter(\.$roleRaw == role.rawValue).filter(\.$statusRaw == RequestStatus.pending.rawValue).count()
        guard pending == 0 else { throw Problem.alreadyPending }
        let r = AccessRequestRecord()
        r.number = try await StaffStore.nextNumber(prefix: "AR", now: now, on: db)
        r.staffID = staff.id
        r.tenantID = tenant.id
        r.roleRaw = role.rawValue
        r.statusRaw = RequestStatus.pending.rawValue
        r.note = note
        r.requestedAt = now
        try await r.create(on: db)
        return r
    }

    static func history(staffID: UUID, on db: any Database) async throws -> [AccessRequestRecord] {
        try await AccessRequestRecord.crossTenantQuery(on: db, because: "a staff member's own requests, in every tenant")
            .filter(\.$staffID == staffID).sort(\.$requestedAt, .descending).limit(200).all()
    }

    /// How many of the staff member's own requests (in any tenant) wait for a decision.
    static func pendingCount(staffID: UUID, on db: any Database) async throws -> Int {
        try await AccessRequestRecord.crossTenantQuery(on: db, because: "a staff member's own requests, in every tenant")
            .filter(\.$staffID == staffID).filter(\.$statusRaw == RequestStatus.pending.rawValue).count()
    }

    /// The chosen requests, whichever tenants they are in (the caller checks `mayDecide` for each).
    static func chosen(_ ids: [UUID], on db: any Database) async throws -> [AccessRequestRecord] {
        guard !ids.isEmpty else { return [] }
        return try await AccessRequestRecord.crossTenantQuery(on: db, because: "an approver's chosen requests; mayDecide checks each")
            .filter(\.$id ~~ ids).all()
    }

    /// The requests an approver sees: every tenant's for a platform admin, else those of the tenants where
    /// they are Organization admin (nil: none).
    private static func visible(to approver: StaffPrincipal, on db: any Database) -> QueryBuilder<AccessRequestRecord>? {
        if approver.isPlatformAdmin {
            return AccessRequestRecord.crossTenantQuery(on: db, because: "the platform admin decides requests of every tenant")
        }
        let tenants = approver.grants.filter { $0.value == .orgAdmin }.map(\.key)
        guard !tenants.isEmpty else { return nil }
        return AccessRequestRecord.query(on: db, tenants: tenants)
    }

    /// Whether this approver may decide this request.
    static func mayDecide(_ approver: StaffPrincipal, _ request: AccessRequestRecord) -> Bool {
        if approver.isPlatformAdmin { return true }
        return request.role == .officer && approver.grants[request.tenantID] == .orgAdmin && request.staffID != approver.id
    }

    /// Pending requests this approver may decide, oldest first.
    static func pending(for approver: StaffPrincipal, on db: any Database) async throws -> [AccessRequestRecord] {
        guard let q = visible(to: approver, on: db) else { return [] }
        q.filter(\.$statusRaw == RequestStatus.pending.rawValue)
        if !approver.isPlatformAdmin { q.filter(\.$roleRaw == StaffRole.officer.rawValue) }
        return try await q.sort(\.$requestedAt).limit(500).all().filter { mayDecide(approver, $0) }
    }

    static func recentDecisions(for approver: StaffPrincipal, on db: any Database) async throws -> [AccessRequestRecord] {
        guard let q = visible(to: approver, on: db) else { return [] }
        q.filter(\.$statusRaw != RequestStatus.pending.rawValue)
        return try await q.sort(\.$decidedAt, .descending).limit(50).all()
    }

    /// Approves or rejects; an approval grants the right in the same transaction.
    static func decide(_ r: AccessRequestRecord, approve: Bool, reason: String?, by approver: StaffPrincipal, now: Date, on db: any Database) async throws {
        r.statusRaw = (approve ? RequestStatus.approved : .rejected).rawValue
        r.reason = reason
        r.decidedAt = now
        r.decidedBy = approver.id
        r.decidedByName = approver.displayName
        try await r.save(on: db)
        if approve {
            try await StaffStore.grant(staffID: r.staffID, tenantID: r.tenantID, role: r.role, by: approver.id, requestID: r.id, now: now, on: db)
        }
    }
}
