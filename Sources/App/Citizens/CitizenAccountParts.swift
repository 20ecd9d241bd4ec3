import Domain
import Foundation

// The parts the citizen's own pages (the account page, the identity step, the profile) are built from. Each is a
// typed, Encodable value made from records alone (no request, no database), so a page builder is a plain
// function and a test can check a part field by field. The words stay in the templates; the parts decide which.

/// Where the citizen's identity verification stands, as the account page and the identity step tell it, and
/// what the citizen can do next.
struct VerificationBanner: Encodable, Equatable {
    /// The button to the identity step; its words are in the template.
    enum NextStep: String, Encodable, Equatable {
        /// Nothing sent yet: "แนบภาพยืนยันตัวตน".
        case attach
        /// Waiting for an officer: "เปลี่ยนภาพที่ส่ง".
        case replace
        /// Refused: "ส่งภาพยืนยันตัวตนใหม่".
        case resend
    }

    var status: String
    var statusKey: String
    /// The officer's reason, only when the images were refused.
    var reason: String?
    /// Nil once verified: the approved images stay and none are taken any more.
    var nextStep: NextStep?
    var identityURL: String

    init(status: VerificationStatus, reason: String?, identityURL: String) {
        self.status = status.thai
        statusKey = status.rawValue
        self.reason = status == .rejected ? reason : nil
        nextStep =
            switch status {
            case .awaitingImages: .attach
            case .pending: .replace
            case .rejected: .resend
            case .verified, .closed: nil
            }
        self.identityURL = identityURL
    }

    init(_ account: CitizenAccount, identityURL: String) {
        self.init(status: account.verificationStatus, reason: account.verificationReason, identityURL: identityURL)
    }
}

/// What an image upload form states and the browser checks before sending: the tenant's size limit and the
/// accepted types.
struct ImageUploadLimits: Encodable, Equatable {
    var maxMB: Int
    var maxBytes: Int
    var accept: String

    init(tenant: Tenant) {
        maxMB = tenant.config.identity.maxFileMB ?? IdentityPolicy.defaultMaxFileMB
        maxBytes = maxMB << 20
        accept = IdentityImages.acceptAttribute
    }
}
