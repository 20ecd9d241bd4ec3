import Domain
import Foundation
import Vapor

/// Every back-office path, written once: each case names its `Pattern` (the route the router registers, with
/// who may use it) and the values that fill the pattern's parameters, and `path` is built from the two. A
/// feature registers its routes through `BackOfficeRouter` by pattern, so a link and its route cannot drift.
public enum BackOfficeURL: Sendable, Equatable {
    case home
    case login, loginOTP, loginEnrol, loginNewPassword, logout
    case register, registerSent
    case forgotPassword, resetPassword(String), forgotUsername
    case setup(String)
    case profile, profilePassword
    case requests, approvals, audit
    case adminRegistrations, adminRegistration(UUID), adminRegistrationDocument(UUID)
    case adminStaff, adminStaffNew, adminStaffMember(UUID)
    case adminStaffStatus(UUID), adminStaffRevoke(UUID), adminStaffInitialPassword(UUID)
    case tenantHome(String), tenantStaff(String), tenantStaffRevoke(String)
    case tenantSettings(String)
    case identityQueue(String), identityReview(String, UUID), identityImage(String, UUID, UUID)
    case closingQueue(String), closingReview(String, UUID)
    case petitionQueue(String), petition(String, String), petitionStatus(String, String), petitionStatusPhotos(String, String)
    case petitionAttachment(String, String, UUID), petitionDocuments(String, String)
    case petitionDocument(String, String, UUID), petitionDocumentQR(String, String, UUID)
    case petitionDocumentWithdraw(String, String, UUID)
    case petitionAssign(String, String), petitionNotes(String, String)
    case petitionInfoRequest(String, String)
    case petitionNew(String), petitionNewFile(String), petitionReceipt(String, String), petitionReceiptSlip(String, String)
    case tenantOpen311(String), tenantOpen311Revoke(String, UUID)
    case tenantLine(String)
    case tenantDashboard(String), adminDashboard, petitionExportCSV(String), petitionExportXLSX(String)
    case system, systemJobRetry, systemJobDiscard, systemKindRetry

    /// A route: its path components under `/backoffice` and who may use it.
    public enum Pattern: String, CaseIterable, Sendable {
        case home
        case login, loginOTP, loginEnrol, loginNewPassword, logout
        case register, registerSent
        case forgotPassword, resetPassword, forgotUsername
        case setup
        case profile, profilePassword
        case requests, approvals, audit
        case adminRegistrations, adminRegistration, adminRegistrationDocument
        case adminStaff, adminStaffNew, adminStaffMember
        case adminStaffStatus, adminStaffRevoke, adminStaffInitialPassword
        case tenantHome, tenantStaff, tenantStaffRevoke
        case tenantSettings
        case identityQueue, identityReview, identityImage
        case closingQueue, closingReview
        case petitionQueue, petition, petitionStatus, petitionStatusPhotos
        case petitionAttachment, petitionDocuments
        case petitionDocument, petitionDocumentQR
        case petitionDocumentWithdraw
        case petitionAssign, petitionNotes
        case petitionInfoRequest
        case petitionNew, petitionNewFile, petitionReceipt, petitionReceiptSlip
        case tenantOpen311, tenantOpen311Revoke
        case tenantLine
        case tenantDashboard, adminDashboard, petitionExportCSV, petitionExportXLSX
        case system, systemJobRetry, systemJobDiscard, systemKindRetry

        /// Under `/backoffice`; `:name` is a parameter the handler reads by that name.
        public var components: [String] {
            let tenant = ["t", ":tenant"]
            let petition = tenant + ["petitions", ":number"]
            let document = petition + ["documents", ":document"]
            switch self {
            case .home: return []
            case .login: return ["login"]
            case .loginOTP: return ["login", "otp"]
            case .loginEnrol: return ["login", "enrol"]
            case .loginNewPassword: return ["login", "new-password"]
            case .logout: return ["logout"]
            case .register: return ["register"]
            case .registerSent: return ["register", "sent"]
            case .forgotPassword: return ["forgot-password"]
            case .resetPassword: return ["reset-password", ":token"]
            case .forgotUsername: return ["forgot-username"]
            case .setup: return ["setup", ":token"]
            case .profile: return ["profile"]
            case .profilePassword: return ["profile", "password"]
            case .requests: return ["requests"]
            case .approvals: return ["approvals"]
            case .audit: return ["audit"]
            case .adminRegistrations: return ["admin", "registrations"]
            case .adminRegistration: return ["admin", "registrations", ":id"]
            case .adminRegistrationDocument: return ["admin", "registrations", ":id", "document"]
            case .adminStaff: return ["admin", "staff"]
            case .adminStaffNew: return ["admin", "staff", "new"]
            case .adminStaffMember: return ["admin", "staff", ":id"]
            case .adminStaffStatus: return ["admin", "staff", ":id", "status"]
            case .adminStaffRevoke: return ["admin", "staff", ":id", "revoke"]
            case .adminStaffInitialPassword: return ["admin", "staff", ":id", "initial-password"]
            case .tenantHome: return tenant
            case .tenantStaff: return tenant + ["staff"]
            case .tenantStaffRevoke: return tenant + ["staff", "revoke"]
            case .tenantSettings: return tenant + ["settings"]
            case .identityQueue: return tenant + ["identity"]
            case .identityReview: return tenant + ["identity", ":citizen"]
            case .identityImage: return tenant + ["identity", ":citizen", "images", ":image"]
            case .closingQueue: return tenant + ["account-closing"]
            case .closingReview: return tenant + ["account-closing", ":request"]
            case .petitionQueue: return tenant + ["petitions"]
            case .petition: return petition
            case .petitionStatus: return petition + ["status"]
            case .petitionStatusPhotos: return petition + ["status", "photos"]
            case .petitionAttachment: return petition + ["attachments", ":attachment"]
            case .petitionDocuments: return petition + ["documents"]
            case .petitionDocument: return document
            case .petitionDocumentQR: return document + ["qr.svg"]
            case .petitionDocumentWithdraw: return document + ["withdraw"]
            case .petitionAssign: return petition + ["assignment"]
            case .petitionNotes: return petition + ["notes"]
            case .petitionNew: return tenant + ["petitions", "new"]
            case .petitionNewFile: return tenant + ["petitions", "new", "file"]
            case .petitionReceipt: return petition + ["receipt"]
            case .petitionReceiptSlip: return petition + ["receipt", "80mm"]
            case .petitionInfoRequest: return petition + ["info-request"]
            case .tenantOpen311: return tenant + ["open311"]
            case .tenantOpen311Revoke: return tenant + ["open311", ":id", "revoke"]
            case .tenantLine: return tenant + ["line"]
            case .tenantDashboard: return tenant + ["dashboard"]
            case .adminDashboard: return ["admin", "dashboard"]
            case .petitionExportCSV: return tenant + ["petitions", "export.csv"]
            case .petitionExportXLSX: return tenant + ["petitions", "export.xlsx"]
            case .system: return ["admin", "system"]
            case .systemJobRetry: return ["admin", "system", "jobs", "retry"]
            case .systemJobDiscard: return ["admin", "system", "jobs", "discard"]
            case .systemKindRetry: return ["admin", "system", "kinds", "retry"]
            }
        }

        /// Who may use the route; `BackOfficeRouter` puts it behind the matching middleware.
        var access: BackOfficeAccess {
            switch self {
            case .login, .loginOTP, .loginEnrol, .loginNewPassword, .logout, .register, .registerSent,
                .forgotPassword, .resetPassword, .forgotUsername, .setup:
                return .anyone
            case .home, .profile, .profilePassword, .requests: return .signedIn
            case .approvals, .audit: return .approver
            case .adminRegistrations, .adminRegistration, .adminRegistrationDocument, .adminStaff, .adminStaffNew,
                .adminStaffMember, .adminStaffStatus, .adminStaffRevoke, .adminStaffInitialPassword, .system, .systemJobRetry,
                .systemJobDiscard, .systemKindRetry, .adminDashboard:
                return .platformAdmin
            case .tenantDashboard, .petitionExportCSV, .petitionExportXLSX: return .tenant(.officer)
            case .tenantHome, .identityQueue, .identityReview, .identityImage, .closingQueue, .closingReview, .petitionQueue, .petition, .petitionStatus,
                .petitionStatusPhotos,
                .petitionAttachment, .petitionDocuments, .petitionDocument, .petitionDocumentQR, .petitionDocumentWithdraw,
                .petitionAssign, .petitionNotes,
                .petitionInfoRequest, .petitionNew, .petitionNewFile, .petitionReceipt, .petitionReceiptSlip:
                return .tenant(.officer)
            case .tenantStaff, .tenantStaffRevoke, .tenantSettings, .tenantOpen311, .tenantOpen311Revoke, .tenantLine:
                return .tenant(.orgAdmin)
            }
        }

        /// The home pages end in `/` (`/backoffice/`, `/backoffice/t/{slug}/`), as links have always written them.
        var trailingSlash: Bool { self == .home || self == .tenantHome }
    }

    /// The case's pattern and the values of its parameters, in order.
    public var route: (pattern: Pattern, values: [String]) {
        func id(_ u: UUID) -> String { u.uuidString.lowercased() }
        switch self {
        case .home: return (.home, [])
        case .login: return (.login, [])
        case .loginOTP: return (.loginOTP, [])
        case .loginEnrol: return (.loginEnrol, [])
        case .loginNewPassword: return (.loginNewPassword, [])
        case .logout: return (.logout, [])
        case .register: return (.register, [])
        case .registerSent: return (.registerSent, [])
        case .forgotPassword: return (.forgotPassword, [])
        case .resetPassword(let token): return (.resetPassword, [token])
        case .forgotUsername: return (.forgotUsername, [])
        case .setup(let token): return (.setup, [token])
        case .profile: return (.profile, [])
        case .profilePassword: return (.profilePassword, [])
        case .requests: return (.requests, [])
        case .approvals: return (.approvals, [])
        case .audit: return (.audit, [])
        case .adminRegistrations: return (.adminRegistrations, [])
        case .adminRegistration(let u): return (.adminRegistration, [id(u)])
        case .adminRegistrationDocument(let u): return (.adminRegistrationDocument, [id(u)])
        case .adminStaff: return (.adminStaff, [])
        case .adminStaffNew: return (.adminStaffNew, [])
        case .adminStaffMember(let u): return (.adminStaffMember, [id(u)])
        case .adminStaffStatus(let u): return (.adminStaffStatus, [id(u)])
        case .adminStaffRevoke(let u): return (.adminStaffRevoke, [id(u)])
        case .adminStaffInitialPassword(let u): return (.adminStaffInitialPassword, [id(u)])
        case .tenantHome(let t): return (.tenantHome, [t])
        case .tenantStaff(let t): return (.tenantStaff, [t])
        case .tenantStaffRevoke(let t): return (.tenantStaffRevoke, [t])
        case .tenantSettings(let t): return (.tenantSettings, [t])
        case .identityQueue(let t): return (.identityQueue, [t])
        case .identityReview(let t, let c): return (.identityReview, [t, id(c)])
        case .identityImage(let t, let c, let i): return (.identityImage, [t, id(c), id(i)])
        case .closingQueue(let t): return (.closingQueue, [t])
        case .closingReview(let t, let r): return (.closingReview, [t, id(r)])
        case .petitionQueue(let t): return (.petitionQueue, [t])
        case .petition(let t, let n): return (.petition, [t, n])
        case .petitionStatus(let t, let n): return (.petitionStatus, [t, n])
        case .petitionStatusPhotos(let t, let n): return (.petitionStatusPhotos, [t, n])
        case .petitionAttachment(let t, let n, let a): return (.petitionAttachment, [t, n, id(a)])
        case .petitionDocuments(let t, let n): return (.petitionDocuments, [t, n])
        case .petitionDocument(let t, let n, let d): return (.petitionDocument, [t, n, id(d)])
        case .petitionDocumentQR(let t, let n, let d): return (.petitionDocumentQR, [t, n, id(d)])
        case .petitionDocumentWithdraw(let t, let n, let d): return (.petitionDocumentWithdraw, [t, n, id(d)])
        case .petitionAssign(let t, let n): return (.petitionAssign, [t, n])
        case .petitionNotes(let t, let n): return (.petitionNotes, [t, n])
        case .petitionNew(let t): return (.petitionNew, [t])
        case .petitionNewFile(let t): return (.petitionNewFile, [t])
        case .petitionReceipt(let t, let n): return (.petitionReceipt, [t, n])
        case .petitionReceiptSlip(let t, let n): return (.petitionReceiptSlip, [t, n])
        case .petitionInfoRequest(let t, let n): return (.petitionInfoRequest, [t, n])
        case .tenantOpen311(let t): return (.tenantOpen311, [t])
        case .tenantOpen311Revoke(let t, let k): return (.tenantOpen311Revoke, [t, id(k)])
        case .tenantLine(let t): return (.tenantLine, [t])
        case .tenantDashboard(let t): return (.tenantDashboard, [t])
        case .adminDashboard: return (.adminDashboard, [])
        case .petitionExportCSV(let t): return (.petitionExportCSV, [t])
        case .petitionExportXLSX(let t): return (.petitionExportXLSX, [t])
        case .system: return (.system, [])
        case .systemJobRetry: return (.systemJobRetry, [])
        case .systemJobDiscard: return (.systemJobDiscard, [])
        case .systemKindRetry: return (.systemKindRetry, [])
        }
    }

    public var path: String {
        let (pattern, values) = route
        var rest = values[...]
        let parts = pattern.components.map { c in c.hasPrefix(":") ? (rest.popFirst() ?? "") : c }
        let joined = (["/backoffice"] + parts).joined(separator: "/")
        return pattern.trailingSlash ? joined + "/" : joined
    }

    /// A `next=` value is followed only if it is a path on this site (`LocalRedirect`, the one check for every
    /// `next=`) in the back office, and not the sign-in or sign-out pages.
    public static func safeNext(_ raw: String?) -> String? {
        guard let path = LocalRedirect.path(raw), path.hasPrefix(BackOfficeURL.home.path),
            !path.hasPrefix(BackOfficeURL.logout.path), !path.hasPrefix(BackOfficeURL.login.path)
        else { return nil }
        return path
    }
}
