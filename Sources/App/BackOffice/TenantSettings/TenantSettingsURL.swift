import Foundation

/// Every path of a tenant's settings in the back office, under `BackOfficeURL.tenantSettings(slug)`.
/// `TenantSettingsRoutes` registers the same words.
enum TenantSettingsURL: Sendable {
    case overview
    case display
    case identity
    case newService
    case service(String)
    case move(String)
    case retire(String)
    case restore(String)
    case form(String)
    case versions(String)
    case version(String, Int)
    case divisions
    case newDivision
    case division(String)
    case deleteDivision(String)

    func path(_ tenant: String) -> String {
        let base = BackOfficeURL.tenantSettings(tenant).path
        switch self {
        case .overview: return base
        case .display: return base + "/display"
        case .identity: return base + "/identity"
        case .newService: return base + "/services/new"
        case .service(let s): return base + "/services/\(s)"
        case .move(let s): return base + "/services/\(s)/move"
        case .retire(let s): return base + "/services/\(s)/retire"
        case .restore(let s): return base + "/services/\(s)/restore"
        case .form(let s): return base + "/services/\(s)/form"
        case .versions(let s): return base + "/services/\(s)/versions"
        case .version(let s, let n): return base + "/services/\(s)/versions/\(n)"
        case .divisions: return base + "/divisions"
        case .newDivision: return base + "/divisions/new"
        case .division(let c): return base + "/divisions/\(c)"
        case .deleteDivision(let c): return base + "/divisions/\(c)/delete"
        }
    }
}
