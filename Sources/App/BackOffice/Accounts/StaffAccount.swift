import Domain
import Fluent
import Foundation

/// A staff member's single sign-on account, shared by every tenant's back office.
final class StaffAccount: Model, @unchecked Sendable {
    static let schema = "staff_accounts"

    @ID(key: .id) var id: UUID?
    @Field(key: "username") var username: String
    /// The national ID as citizens' are kept: an HMAC look-up key (unique), the number sealed with a key from
    /// `APP_SECRET` (`Application.staffNationalIDs`), and its last three digits for the masked display.
    @Field(key: "national_id_hash") var nationalIDHash: String
    @Field(key: "national_id_sealed") var nationalIDSealed: String
    @Field(key: "national_id_tail") var nationalIDTail: String
    @Field(key: "status") var statusRaw: String
    @Field(key: "is_platform_admin") var isPlatformAdmin: Bool
    @Field(key: "request_number") var requestNumber: String
    @Field(key: "title_th") var titleTH: String
    @Field(key: "first_name_th") var firstNameTH: String
    @Field(key: "last_name_th") var lastNameTH: String
    @Field(key: "title_en") var titleEN: String
    @Field(key: "first_name_en") var firstNameEN: String
    @Field(key: "last_name_en") var lastNameEN: String
    @Field(key: "nationality") var nationality: String
    @Field(key: "email") var email: String
    @Field(key: "mobile") var mobile: String
    /// ISO date (Gregorian), used for the initial password of accounts an admin creates.
    @OptionalField(key: "birth_date") var birthDate: String?
    /// Organisation unit path code, e.g. "bangkrathum/palad/admin/saraban".
    @Field(key: "org_unit") var orgUnit: String
    @Field(key: "position") var position: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "must_change_password") var mustChangePassword: Bool
    /// When an admin issued the first password (the birth date); it works for `StaffInitialPassword.lifetime`
    /// from then. nil once the person chose their own password, and for passwords they chose.
    @OptionalField(key: "initial_password_issued_at") var initialPasswordIssuedAt: Date?
    @OptionalField(key: "password_changed_at") var passwordChangedAt: Date?
    /// Sealed with the app key (`SecretBox`); nil until OTP enrolment.
    @OptionalField(key: "totp_secret") var totpSecret: String?
    @OptionalField(key: "totp_period") var totpPeriod: Int?
    @OptionalField(key: "totp_last_step") var totpLastStep: Int64?
    /// Account-wide failure counts and lock of the first layer, no longer read: sign-in failures and locks are
    /// counted per account and client address in `StaffSignInGuard` (issue 12).
    @Field(key: "otp_failures") var otpFailures: Int
    @Field(key: "login_failures") var loginFailures: Int
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    /// Raised to end every other session (password changed, account disabled).
    @Field(key: "session_epoch") var sessionEpoch: Int
    @OptionalField(key: "document_file") var documentFile: String?
    @OptionalField(key: "document_type") var documentType: String?
    @OptionalField(key: "document_name") var documentName: String?
    @OptionalField(key: "document_sha256") var documentSHA256: String?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @OptionalField(key: "decided_by") var decidedBy: UUID?
    @OptionalField(key: "decision_reason") var decisionReason: String?

    init() {}

    var status: StaffAccountStatus {
        get { StaffAccountStatus(rawValue: statusRaw) ?? .disabled }
        set { statusRaw = newValue.rawValue }
    }

    var fullNameTH: String { "\(titleTH)\(firstNameTH) \(lastNameTH)" }
    var fullNameEN: String { "\(titleEN) \(firstNameEN) \(lastNameEN)" }
    var hasOTP: Bool { totpSecret != nil }

    /// "x-xxxx-xxxxx-12-1": what lists and pages show.
    var maskedNationalID: String {
        let t = Array(nationalIDTail)
        return t.count == 3 ? "x-xxxx-xxxxx-\(t[0])\(t[1])-\(t[2])" : "x-xxxx-xxxxx-xx-x"
    }

    /// Seals `id` into this row (hash, sealed number, tail).
    func setNationalID(_ id: ThaiNationalID, vault: NationalIDVault) throws {
        nationalIDHash = vault.lookupHash(id)
        nationalIDSealed = try vault.seal(id)
        nationalIDTail = String(id.digits.suffix(3))
    }

    /// Whether the first password an admin issued has run out at `now`.
    func initialPasswordExpired(at now: Date) -> Bool {
        guard mustChangePassword, let issued = initialPasswordIssuedAt else { return false }
        return now >= issued.addingTimeInterval(StaffInitialPassword.lifetime)
    }
}
