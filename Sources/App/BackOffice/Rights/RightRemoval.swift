import Domain
import Fluent
import Foundation

extension StaffStore {
    /// Removes a right and audits it in one transaction (by whom, from which address); takes effect on the
    /// holder's next request. Returns whether there was such a right.
    static func removeRight(
        staffID: UUID, tenantID: String, role: StaffRole, by actor: AuditActor, ip: String,
        on db: any Database
    ) async throws -> Bool {
        let account = try await find(staffID, on: db)
        return try await db.writeTransaction { db in
            guard try await revoke(staffID: staffID, tenantID: tenantID, role: role, on: db) else { return false }
            try await AuditLog.record(
                .rightRemoved, actor: actor, tenant: tenantID,
                detail: "\(account?.username ?? staffID.uuidString): \(role.thai)", ip: ip, on: db)
            return true
        }
    }
}
