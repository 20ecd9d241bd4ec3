import Crypto
import Domain
import Fluent
import Foundation
import Migrations
import Vapor

/// Where a citizen's identity verification stands (the seed's welcome page shows it).
enum VerificationStatus: String, Codable, Sendable, CaseIterable {
    /// Registered, but the identity images have not been sent yet.
    case awaitingImages = "awaiting_images"
    /// Images sent; an officer has not decided (กำลังตรวจสอบการยืนยันตัวตน).
    case pending
    case verified
    case rejected
    /// The account was closed at the citizen's request and anonymised (`CitizenClosing`); it cannot sign in.
    case closed

    var thai: String {
        switch self {
        case .awaitingImages: "ยังไม่ได้ส่งภาพยืนยันตัวตน"
        case .pending: "กำลังตรวจสอบการยืนยันตัวตน"
        case .verified: "ยืนยันตัวตนแล้ว"
        case .rejected: "ไม่ผ่านการยืนยันตัวตน"
        case .closed: "ปิดบัญชีแล้ว"
        }
    }
}

/// A citizen's account with one tenant. Personal data stays in this row; the national ID only sealed.
final class CitizenAccount: Model, @unchecked Sendable {
    static let schema = "citizens"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "national_id_sealed") var nationalIDSealed: String
    @Field(key: "national_id_hash") var nationalIDHash: String
    @Field(key: "national_id_tail") var nationalIDTail: String
    @Field(key: "title") var title: String
    @Field(key: "first_name") var firstName: String
    @Field(key: "last_name") var lastName: String
    @Field(key: "birth_date") var birthDate: String
    @Field(key: "mobile") var mobile: String
    @Field(key: "email") var email: String
    /// A new address asked for, until its confirmation link is followed (notices go to `email` meanwhile).
    @OptionalField(key: "pending_email") var pendingEmail: String?
    /// When `email` was confirmed by its link (049). A new registration's address waits as `pending_email` with
    /// this empty: nothing but the link is sent to it until then.
    @OptionalField(key: "email_confirmed_at") var emailConfirmedAt: Date?
    /// When the account was closed and anonymised at the citizen's request (049).
    @OptionalField(key: "closed_at") var closedAt: Date?
    @Field(key: "address_house") var house: String
    @OptionalField(key: "address_moo") var moo: String?
    @OptionalField(key: "address_village") var village: String?
    @OptionalField(key: "address_soi") var soi: String?
    @OptionalField(key: "address_road") var road: String?
    @Field(key: "province_code") var provinceCode: String
    @Field(key: "district_code") var districtCode: String
    @Field(key: "subdistrict_code") var subdistrictCode: String
    @Field(key: "postcode") var postcode: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "session_epoch") var sessionEpoch: Int
    @Field(key: "verification_status") var verificationStatusRaw: String
    @OptionalField(key: "verification_reason") var verificationReason: String?
    @OptionalField(key: "images_submitted_at") var imagesSubmittedAt: Date?
    /// Goes up with every set of identity images sent, so a decision names the images the officer saw.
    @Field(key: "identity_version") var identityVersion: Int
    @OptionalField(key: "verified_at") var verifiedAt: Date?
    @OptionalField(key: "verified_by") var verifiedBy: UUID?
    @Field(key: "terms_accepted_at") var termsAcceptedAt: Date
    /// E-mails for status changes other than completion (which is always sent).
    @Field(key: "notify_status_changes") var notifyStatusChanges: Bool
    @Field(key: "notify_filed_email") var notifyFiledEmail: Bool
    @Field(key: "notify_identity_email") var notifyIdentityEmail: Bool
    @Field(key: "notify_filed_line") var notifyFiledLine: Bool
    @Field(key: "notify_status_line") var notifyStatusLine: Bool
    @Field(key: "notify_completed_line") var notifyCompletedLine: Bool
    @Field(key: "notify_identity_line") var notifyIdentityLine: Bool
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    /// The last sign-in (registering signs in too); the abandoned-registration sweep keeps an account used lately.
    @OptionalField(key: "signed_in_at") var signedInAt: Date?

    init() {}

    var verificationStatus: VerificationStatus { VerificationStatus(rawValue: verificationStatusRaw) ?? .awaitingImages }
    var fullName: String { "\(title)\(firstName) \(lastName)" }

    /// The address notices, password resets and account mails go to: the account's e-mail once it was confirmed
    /// by its link, nil before (a registration not yet confirmed) and for a closed account.
    var confirmedEmail: String? {
        guard emailConfirmedAt != nil, closedAt == nil else { return nil }
        let e = email.trimmingCharacters(in: .whitespaces)
        return e.isEmpty ? nil : e
    }

    /// What the citizen wants to be told, and how (the completion e-mail always goes).
    var noticeChoices: NotificationChoices {
        get {
            Self.noticeChoices(
                filedEmail: notifyFiledEmail, statusEmail: notifyStatusChanges, identityEmail: notifyIdentityEmail,
                filedLine: notifyFiledLine, statusLine: notifyStatusLine, completedLine: notifyCompletedLine, identityLine: notifyIdentityLine)
        }
        set {
            notifyFiledEmail = newValue.wants(.filed, by: .email)
            notifyStatusChanges = newValue.wants(.statusChanged, by: .email)
            notifyIdentityEmail = newValue.wants(.identity, by: .email)
            notifyFiledLine = newValue.wants(.filed, by: .line)
            notifyStatusLine = newValue.wants(.statusChanged, by: .line)
            notifyCompletedLine = newValue.wants(.completed, by: .line)
            notifyIdentityLine = newValue.wants(.identity, by: .line)
        }
    }
    /// The choices from the seven stored flags (the `notify_*` columns), for the model and for rows read without it.
    static func noticeChoices(
        filedEmail: Bool, statusEmail: Bool, identityEmail: Bool, filedLine: Bool, statusLine: Bool, completedLine: Bool, identityLine: Bool
    ) -> NotificationChoices {
        let email: [(NoticeKind, Bool)] = [(.filed, filedEmail), (.statusChanged, statusEmail), (.identity, identityEmail)]
        let line: [(NoticeKind, Bool)] = [(.filed, filedLine), (.statusChanged, statusLine), (.completed, completedLine), (.identity, identityLine)]
        return NotificationChoices(email: Set(email.filter(\.1).map(\.0)), line: Set(line.filter(\.1).map(\.0)))
    }

    /// "x-xxxx-xxxxx-12-3": what lists and anyone but the owner and the tenant's officers see.
    var maskedNationalID: String {
        let t = Array(nationalIDTail)
        return t.count == 3 ? "x-xxxx-xxxxx-\(t[0])\(t[1])-\(t[2])" : "x-xxxx-xxxxx-xx-x"
    }

    var address: AddressSelection {
        AddressSelection(
            houseNumber: house, moo: moo ?? "", village: village ?? "", soi: soi ?? "", road: road ?? "",
            provinceCode: provinceCode, districtCode: districtCode, subdistrictCode: subdistrictCode, postcode: postcode)
    }
}

/// Seals national IDs and makes the keyed hash used to find an account at sign-in. Both keys come from
/// `APP_SECRET` (the environment) through HKDF with their own purpose, so neither is the other.
struct NationalIDVault: Sendable {
    private let box: SecretBox
    private let lookupKey: [UInt8]

    /// `purpose` keeps each table's keys apart: citizens' ("citizen-national-id") and staff's ("staff-national-id").
    init(appSecret: [UInt8], purpose: String = "citizen-national-id") {
        box = SecretBox(appSecret: appSecret, purpose: purpose)
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: appSecret),
            info: Data("\(purpose)-lookup".utf8), outputByteCount: 32)
        lookupKey = derived.withUnsafeBytes { Array($0) }
    }

    func seal(_ id: ThaiNationalID) throws -> String { try seal(digits: id.digits) }

    func open(_ sealed: String) throws -> ThaiNationalID {
        try ThaiNationalID(try open(sealed: sealed))
    }

    /// HMAC-SHA256 of the digits, hex: the same person gives the same value, and the table alone does not
    /// let anyone test guesses.
    func lookupHash(_ id: ThaiNationalID) -> String { lookupHash(digits: id.digits) }
}

/// The same operations on the bare digits, for the migration that seals rows written before (035).
extension NationalIDVault: NationalIDSealing {
    func seal(digits: String) throws -> String { try box.seal(Array(digits.utf8)) }

    func open(sealed: String) throws -> String { String(decoding: try box.open(sealed), as: UTF8.self) }

    func lookupHash(digits: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(digits.utf8), using: SymmetricKey(data: lookupKey))
            .map { String(format: "%02x", $0) }.joined()
    }
}

extension Application {
    struct NationalIDVaultKey: StorageKey { typealias Value = NationalIDVault }

    var nationalIDs: NationalIDVault {
        get throws {
            guard let v = storage[NationalIDVaultKey.self] else { throw Abort(.internalServerError, reason: "vault not configured") }
            return v
        }
    }
}
