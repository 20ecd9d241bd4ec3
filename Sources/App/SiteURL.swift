import Vapor

/// Every path of the site in one place. Routes are registered from these patterns and links are built
/// from them, so a renamed path cannot leave a dead link. Keep the public ones stable:
/// `/`, `/t/{slug}/`, `/backoffice/`, `/healthz`, `/readyz`.
public enum SiteURL {
    case portal
    case healthz
    case readyz
    case backoffice
    case mailbox
    case mailboxMessage(String)
    /// Public verification of an issued document (`verifyForm` takes a typed code).
    case verifyForm
    case verify(String)

    public var path: String {
        switch self {
        case .portal: "/"
        case .healthz: "/healthz"
        case .readyz: "/readyz"
        case .backoffice: BackOfficeURL.home.path
        case .mailbox: "/dev/mailbox"
        case .mailboxMessage(let id): "/dev/mailbox/\(id)"
        case .verifyForm: "/verify"
        case .verify(let code): "/verify/\(code)"
        }
    }

    /// Prefix of path-based tenant addresses: `/t/{slug}/…`.
    public static let tenantPrefix = "t"
}

/// Pages of one tenant's site. The same page answers at `/t/{slug}/<path>` and, on the tenant's own
/// host name, at `/<path>`.
public enum TenantURL {
    case home
    case service(String)
    case terms
    case contact
    case contactSent(String)
    case theme
    case logo
    // Citizens: registration, sign-in, password reset and their own account.
    case register
    case registerDetails
    case login
    case logout
    case forgotPassword
    case resetPassword(String)
    case account
    case identity
    case profile
    case profilePhoto
    case accountImage(UUID)
    /// A citizen's petition page (the route comes with the citizen's petition pages).
    case petition(String)
    // Petitions: filing a service's form, "คำร้องของฉัน" and each petition's pages.
    case apply(String)
    case petitions
    case petitionFiled(String)
    case petitionReceipt(String)
    case petitionFile(String, UUID)
    case petitionDocument(String, UUID)
    case petitionDocumentQR(String, UUID)
    /// The citizen's answer to a request for more (ขอข้อมูลเพิ่มเติม): a streamed form of text and files.
    case petitionAnswer(String)
    /// The citizen's rating of a finished petition, and "ยังไม่ได้รับการแก้ไข" (reopening a completed one).
    case petitionRate(String)
    case petitionReopen(String)
    case notifications
    /// Changing the password while signed in, and "ดาวน์โหลดข้อมูลของฉัน" (a ZIP).
    case password
    case myData
    /// "แก้ไขข้อมูลติดต่อ" (mobile, e-mail, address), and the link confirming a new e-mail address.
    case contactDetails
    case confirmEmail(String)
    /// "ส่งลิงก์ยืนยันอีกครั้ง": the link again to the address waiting for confirmation.
    case resendEmailConfirmation
    /// "ขอปิดบัญชี": the page and the request (current password), and withdrawing a waiting request.
    case closeAccount
    case closeAccountWithdraw
    /// LINE's account link: the confirmation page (GET, with `linkToken`) and its form (POST).
    case lineLink
    case lineUnlink

    /// Route patterns, relative to the tenant's base.
    enum Pattern: CaseIterable {
        case service, terms, contact, contactSent, theme, logo
        case register, registerDetails, login, logout, forgotPassword, resetPassword, account, identity, profile, profilePhoto, accountImage
        case apply, petitions, petition, petitionFiled, petitionReceipt, petitionFile, petitionDocument, petitionDocumentQR, petitionAnswer,
            petitionRate, petitionReopen, notifications, password, myData, contactDetails, confirmEmail, resendEmailConfirmation, closeAccount,
            closeAccountWithdraw
        case lineLink, lineUnlink

        var components: [PathComponent] {
            switch self {
            case .service: ["services", ":service"]
            case .terms: ["terms"]
            case .contact: ["contact"]
            case .contactSent: ["contact", "sent", ":token"]
            case .theme: ["theme.css"]
            case .logo: ["logo"]
            case .register: ["register"]
            case .registerDetails: ["register", "details"]
            case .login: ["login"]
            case .logout: ["logout"]
            case .forgotPassword: ["forgot-password"]
            case .resetPassword: ["reset-password", ":token"]
            case .account: ["account"]
            case .identity: ["account", "identity"]
            case .profile: ["account", "profile"]
            case .profilePhoto: ["account", "profile", "photo"]
            case .accountImage: ["account", "images", ":image"]
            case .apply: ["services", ":service", "apply"]
            case .petitions: ["account", "petitions"]
            case .petition: ["account", "petitions", ":number"]
            case .petitionFiled: ["account", "petitions", ":number", "filed"]
            case .petitionReceipt: ["account", "petitions", ":number", "receipt"]
            case .petitionFile: ["account", "petitions", ":number", "files", ":file"]
            case .petitionDocument: ["account", "petitions", ":number", "documents", ":document"]
            case .petitionDocumentQR: ["account", "petitions", ":number", "documents", ":document", "qr.svg"]
            case .petitionAnswer: ["account", "petitions", ":number", "answer"]
            case .petitionRate: ["account", "petitions", ":number", "rating"]
            case .petitionReopen: ["account", "petitions", ":number", "reopen"]
            case .notifications: ["account", "profile", "notifications"]
            case .password: ["account", "profile", "password"]
            case .myData: ["account", "profile", "my-data.zip"]
            case .contactDetails: ["account", "profile", "contact"]
            case .confirmEmail: ["confirm-email", ":token"]
            case .resendEmailConfirmation: ["account", "profile", "contact", "resend"]
            case .closeAccount: ["account", "profile", "close"]
            case .closeAccountWithdraw: ["account", "profile", "close", "withdraw"]
            case .lineLink: ["line", "link"]
            case .lineUnlink: ["account", "profile", "line", "unlink"]
            }
        }
    }

    var relative: String {
        switch self {
        case .home: "/"
        case .service(let slug): "/services/\(slug)"
        case .terms: "/terms"
        case .contact: "/contact"
        case .contactSent(let token): "/contact/sent/\(token)"
        case .theme: "/theme.css"
        case .logo: "/logo"
        case .register: "/register"
        case .registerDetails: "/register/details"
        case .login: "/login"
        case .logout: "/logout"
        case .forgotPassword: "/forgot-password"
        case .resetPassword(let token): "/reset-password/\(token)"
        case .account: "/account"
        case .identity: "/account/identity"
        case .profile: "/account/profile"
        case .profilePhoto: "/account/profile/photo"
        case .accountImage(let id): "/account/images/\(id.uuidString.lowercased())"
        case .petition(let number): "/account/petitions/\(number)"
        case .apply(let slug): "/services/\(slug)/apply"
        case .petitions: "/account/petitions"
        case .petitionFiled(let number): "/account/petitions/\(number)/filed"
        case .petitionReceipt(let number): "/account/petitions/\(number)/receipt"
        case .petitionFile(let number, let id): "/account/petitions/\(number)/files/\(id.uuidString.lowercased())"
        case .petitionDocument(let number, let id): "/account/petitions/\(number)/documents/\(id.uuidString.lowercased())"
        case .petitionDocumentQR(let number, let id): "/account/petitions/\(number)/documents/\(id.uuidString.lowercased())/qr.svg"
        case .petitionAnswer(let number): "/account/petitions/\(number)/answer"
        case .petitionRate(let number): "/account/petitions/\(number)/rating"
        case .petitionReopen(let number): "/account/petitions/\(number)/reopen"
        case .notifications: "/account/profile/notifications"
        case .password: "/account/profile/password"
        case .myData: "/account/profile/my-data.zip"
        case .contactDetails: "/account/profile/contact"
        case .confirmEmail(let token): "/confirm-email/\(token)"
        case .resendEmailConfirmation: "/account/profile/contact/resend"
        case .closeAccount: "/account/profile/close"
        case .closeAccountWithdraw: "/account/profile/close/withdraw"
        case .lineLink: "/line/link"
        case .lineUnlink: "/account/profile/line/unlink"
        }
    }

    /// `base` is "/t/{slug}" for path-based requests and "" on the tenant's own host.
    public func path(base: String) -> String {
        base + relative
    }

    public static func base(slug: String) -> String { "/\(SiteURL.tenantPrefix)/\(slug)" }
}
