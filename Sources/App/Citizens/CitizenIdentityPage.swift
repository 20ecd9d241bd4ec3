import Domain
import Foundation

/// The identity step ("ยืนยันตัวตน"): one file field per image the tenant asks for, then the optional profile
/// photo, with the reason of a refusal and the errors of the last upload. Built by `CitizenIdentityPageBuilder`.
struct CitizenIdentityPage: Encodable {
    struct Slot: Encodable, Equatable {
        var name: String
        var label: String
        var error: String?
        var required: Bool
    }

    var page: PageChrome
    var csrf: String
    var action: String
    var notice: String?
    var verification: VerificationBanner
    var slots: [Slot]
    var errors: [ErrorLink]
    var upload: ImageUploadLimits
    var accountURL: String
    /// Reached straight from registration (nothing sent yet): "ขั้นตอนที่ 3 จาก 3".
    var registrationStep: Bool

    /// The field of the profile photo (the identity images are `image_0`, `image_1`, …).
    static let profilePhotoField = "profile_photo"

    static func imageField(_ index: Int) -> String { "image_\(index)" }
}

/// Builds the identity step from the account and the errors of the upload being answered (no request, no database).
struct CitizenIdentityPageBuilder {
    var tenant: ResolvedTenant
    var csrf: String

    func build(_ account: CitizenAccount, errors: FormErrors = FormErrors(), chrome: PageChrome, notice: String? = nil) -> CitizenIdentityPage {
        let t = tenant
        var slots = t.tenant.config.identity.images.enumerated().map { i, image in
            let name = CitizenIdentityPage.imageField(i)
            return CitizenIdentityPage.Slot(name: name, label: image.label, error: errors[name], required: true)
        }
        let photo = CitizenIdentityPage.profilePhotoField
        slots.append(.init(name: photo, label: "รูปโปรไฟล์ (ไม่บังคับ เพิ่มภายหลังได้ที่หน้าข้อมูลส่วนตัว)", error: errors[photo], required: false))
        return CitizenIdentityPage(
            page: chrome, csrf: csrf, action: t.url(.identity), notice: notice,
            verification: VerificationBanner(account, identityURL: t.url(.identity)), slots: slots, errors: errors.items,
            upload: ImageUploadLimits(tenant: t.tenant), accountURL: t.url(.account),
            registrationStep: account.verificationStatus == .awaitingImages)
    }
}
