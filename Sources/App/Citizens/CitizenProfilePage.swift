import Domain
import Fluent
import Foundation

/// The citizen's profile ("ข้อมูลส่วนตัว"): their registration data (the same rows the reviewing officer sees),
/// the profile photo and its upload form, the notice choices, and the LINE link. Built by
/// `CitizenProfilePageBuilder` from `CitizenProfilePage.Records`.
struct CitizenProfilePage: Encodable {
    /// One kind of notice, with its e-mail and LINE boxes as the citizen chose them.
    struct NoticeRow: Encodable, Equatable {
        var kind: String
        var label: String
        var email: Bool
        /// The completion e-mail cannot be turned off.
        var emailFixed: Bool
        var line: Bool

        static func rows(_ choices: NotificationChoices) -> [NoticeRow] {
            NoticeKind.allCases.map { kind in
                NoticeRow(
                    kind: kind.rawValue, label: kind.thai, email: choices.wants(kind, by: .email),
                    emailFixed: NotificationChoices.fixedEmail.contains(kind), line: choices.wants(kind, by: .line))
            }
        }
    }

    /// The citizen's LINE account link with the tenant's Official Account.
    struct LineLink: Encodable, Equatable {
        /// The tenant has a LINE Official Account.
        var available: Bool
        var linked: Bool
        var linkedAt: String?
        var unlinkAction: String
    }

    var page: PageChrome
    var notice: String?
    var rows: [CitizenDetailRow]
    var photo: String?
    var csrf: String
    var photoAction: String
    var photoError: String?
    var upload: ImageUploadLimits
    var accountURL: String
    /// The account's own actions: change the password, download my data.
    var passwordURL: String
    var dataURL: String
    var contactURL: String
    /// A new e-mail address waiting for its confirmation.
    var pendingEmail: String?
    /// The account has no confirmed address yet (a registration whose link was not followed): no e-mail is sent.
    var emailUnconfirmed: Bool
    var resendAction: String
    var closeURL: String
    var notices: [NoticeRow]
    var notificationsAction: String
    var line: LineLink

    /// Everything the page shows, loaded through the stores.
    struct Records {
        var account: CitizenAccount
        /// The national ID as its owner sees it (in full).
        var nationalID: String
        var images: [IdentityImageRecord]
        var line: LineStore.LineUser?

        static func load(_ account: CitizenAccount, tenant t: Tenant, nationalIDs: NationalIDVault, on db: any Database) async throws -> Records {
            let id = try account.requireID()
            return Records(
                account: account, nationalID: try nationalIDs.open(account.nationalIDSealed).formatted,
                images: try await IdentityImages.list(citizenID: id, tenant: t, on: db),
                line: try await LineStore.linked(tenant: t.id, citizenID: id, on: db))
        }
    }
}

/// Builds the profile page from its records (no request, no database).
struct CitizenProfilePageBuilder {
    var tenant: ResolvedTenant
    var geography: ThaiGeography
    var csrf: String

    func build(_ r: CitizenProfilePage.Records, photoError: String? = nil, chrome: PageChrome, notice: String? = nil) -> CitizenProfilePage {
        let t = tenant
        return CitizenProfilePage(
            page: chrome, notice: notice, rows: CitizenDetailRow.rows(r.account, nationalID: r.nationalID, geography: geography),
            photo: r.images.first { $0.slot == IdentityImages.profileSlot }.flatMap(\.id).map { t.url(.accountImage($0)) },
            csrf: csrf, photoAction: t.url(.profilePhoto), photoError: photoError, upload: ImageUploadLimits(tenant: t.tenant),
            accountURL: t.url(.account), passwordURL: t.url(.password), dataURL: t.url(.myData),
            contactURL: t.url(.contactDetails), pendingEmail: r.account.pendingEmail, emailUnconfirmed: r.account.confirmedEmail == nil,
            resendAction: t.url(.resendEmailConfirmation), closeURL: t.url(.closeAccount),
            notices: CitizenProfilePage.NoticeRow.rows(r.account.noticeChoices),
            notificationsAction: t.url(.notifications),
            line: .init(
                available: t.tenant.config.line != nil, linked: r.line?.citizenID != nil,
                linkedAt: r.line?.linkedAt.map(ThaiDate.shortWithTime), unlinkAction: t.url(.lineUnlink)))
    }
}
