import Domain
import Foundation
import Vapor

/// The signed-in staff member on a back-office request, loaded fresh from the database on every request
/// (so a right removed or an account disabled takes effect on the next request).
public struct StaffPrincipal: Sendable {
    public let id: UUID
    public let username: String
    public let displayName: String
    public let isPlatformAdmin: Bool
    /// Tenant slug → the highest role granted there.
    public let grants: [String: StaffRole]

    /// The role this person acts with in a tenant. A platform admin acts as an Organization admin everywhere.
    public func role(in tenantID: String) -> StaffRole? {
        isPlatformAdmin ? .orgAdmin : grants[tenantID]
    }

    public func may(_ needed: StaffRole, in tenantID: String) -> Bool {
        role(in: tenantID)?.includes(needed) ?? false
    }
}

/// The tenant a `/backoffice/t/{tenant}/…` request acts on, after the role check.
public struct BackOfficeScope: Sendable {
    public let tenant: Tenant
    public let staff: StaffPrincipal
    public let role: StaffRole
}

struct StaffPrincipalKey: StorageKey { typealias Value = StaffPrincipal }
struct BackOfficeScopeKey: StorageKey { typealias Value = BackOfficeScope }

extension Request {
    /// The signed-in staff member; routes behind `StaffAuthMiddleware` can rely on it.
    public var staff: StaffPrincipal {
        get throws {
            guard let s = storage[StaffPrincipalKey.self] else { throw Abort(.unauthorized) }
            return s
        }
    }

    public var signedInStaff: StaffPrincipal? { storage[StaffPrincipalKey.self] }

    /// The tenant and role of a `/backoffice/t/{tenant}/…` route; set by `TenantAccessMiddleware`.
    public var backOffice: BackOfficeScope {
        get throws {
            guard let s = storage[BackOfficeScopeKey.self] else { throw Abort(.forbidden) }
            return s
        }
    }
}
