import Domain
import Foundation
import Vapor

/// Every back-office path. Routes are registered from `BackOfficeRoutes` and links built from here.
public enum BackOfficeURL: Sendable {
    case home
    case login, loginOTP, loginEnrol, loginNewPassword, logout
    case register, registerSent
    case forgotPassword, resetPassword(String), forgotUsername
    case setup(String)
    case profile, profilePassword
    case requests, approvals, audit
    case adminRegistrations, adminRegistration(UUID), adminRegistrationDocument(UUID)
    case adminStaff, adminStaffNew, adminStaffMember(UUID)
    case tenantHome(String), tenantStaff(String)
    case tenantSettings(String)
    case identityQueue(String), identityReview(String, UUID), identityImage(String, UUID, UUID)
    // Petitions (issue 5): the queue, one petition, its status, the citizen's attachments, issued documents.
    case petitionQueue(String), petition(String, String), petitionStatus(String, String)
    case petitionAttachment(String, String, UUID), petitionDocuments(String, String)
    case petitionDocument(String, String, UUID), petitionDocumentQR(String, String, UUID)
    case tenantOpen311(String), tenantOpen311Revoke(String, UUID)
    case tenantLine(String)
    // Withdrawing an issued document (docfix).
    case petitionDocumentWithdraw(String, String, UUID)

    public var path: String {
        let b = "/backoffice"
        switch self {
        case .home: return b + "/"
        case .login: return b + "/login"
        case .loginOTP: return b + "/login/otp"
        case .loginEnrol: return b + "/login/enrol"
        case .loginNewPassword: return b + "/login/new-password"
        case .logout: return b + "/logout"
        case .register: return b + "/register"
        case .registerSent: return b + "/register/sent"
        case .forgotPassword: return b + "/forgot-password"
        case .resetPassword(let token): return b + "/reset-password/\(token)"
        case .forgotUsername: return b + "/forgot-username"
        case .setup(let token): return b + "/setup/\(token)"
        case .profile: return b + "/profile"
        case .profilePassword: return b + "/profile/password"
        case .requests: return b + "/requests"
        case .approvals: return b + "/approvals"
        case .audit: return b + "/audit"
        case .adminRegistrations: return b + "/admin/registrations"
        case .adminRegistration(let id): return b + "/admin/registrations/\(id.uuidString.lowercased())"
        case .adminRegistrationDocument(let id): return b + "/admin/registrations/\(id.uuidString.lowercased())/document"
        case .adminStaff: return b + "/admin/staff"
        case .adminStaffNew: return b + "/admin/staff/new"
        case .adminStaffMember(let id): return b + "/admin/staff/\(id.uuidString.lowercased())"
        case .tenantHome(let slug): return b + "/t/\(slug)/"
        case .tenantStaff(let slug): return b + "/t/\(slug)/staff"
        case .tenantSettings(let slug): return b + "/t/\(slug)/settings"
        case .identityQueue(let slug): return b + "/t/\(slug)/identity"
        case .identityReview(let slug, let id): return b + "/t/\(slug)/identity/\(id.uuidString.lowercased())"
        case .identityImage(let slug, let id, let image):
            return b + "/t/\(slug)/identity/\(id.uuidString.lowercased())/images/\(image.uuidString.lowercased())"
        case .petitionQueue(let slug): return b + "/t/\(slug)/petitions"
        case .petition(let slug, let number): return b + "/t/\(slug)/petitions/\(number)"
        case .petitionStatus(let slug, let number): return b + "/t/\(slug)/petitions/\(number)/status"
        case .petitionAttachment(let slug, let number, let id): return b + "/t/\(slug)/petitions/\(number)/attachments/\(id.uuidString.lowercased())"
        case .petitionDocuments(let slug, let number): return b + "/t/\(slug)/petitions/\(number)/documents"
        case .petitionDocument(let slug, let number, let id): return b + "/t/\(slug)/petitions/\(number)/documents/\(id.uuidString.lowercased())"
        case .petitionDocumentQR(let slug, let number, let id):
            return b + "/t/\(slug)/petitions/\(number)/documents/\(id.uuidString.lowercased())/qr.svg"
        case .tenantOpen311(let slug): return b + "/t/\(slug)/open311"
        case .tenantLine(let slug): return b + "/t/\(slug)/line"
        case .tenantOpen311Revoke(let slug, let id): return b + "/t/\(slug)/open311/\(id.uuidString.lowercased())/revoke"
        case .petitionDocumentWithdraw(let slug, let number, let id):
            return b + "/t/\(slug)/petitions/\(number)/documents/\(id.uuidString.lowercased())/withdraw"
        }
    }

    /// A `next=` value is followed only if it is a path on this site (`LocalRedirect`, the one check for every
    /// `next=`) in the back office, and not the sign-in or sign-out pages.
    public static func safeNext(_ raw: String?) -> String? {
        guard let path = LocalRedirect.path(raw), path.hasPrefix(BackOfficeURL.home.path),
              !path.hasPrefix(BackOfficeURL.logout.path), !path.hasPrefix(BackOfficeURL.login.path) else { return nil }
        return path
    }
}
