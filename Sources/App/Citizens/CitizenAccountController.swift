import Domain
import Fluent
import Foundation
import Imaging
import Vapor

/// The citizen's own pages: the welcome page with the verification status, the identity-image step,
/// the profile (with the optional profile photo) and their own images.
struct CitizenAccountController {
    struct Thumb: Encodable {
        var label: String
        var url: String
    }

    struct DocumentLink: Encodable {
        var kind: String
        var title: String
        var number: String
        var issued: String
        var url: String
        var petitionURL: String
        /// Withdrawn by the tenant (still listed: it is a record).
        var withdrawn: Bool
    }

    struct WelcomePage: Encodable {
        var page: PageChrome
        var documents: [DocumentLink]
        var name: String
        var status: String
        var statusKey: String
        var reason: String?
        var notice: String?
        var identityURL: String
        var profileURL: String
        var images: [Thumb]
        var canUpload: Bool
    }

    struct IdentityPage: Encodable {
        struct Slot: Encodable {
            var name: String
            var label: String
            var error: String?
            var required: Bool
        }

        var page: PageChrome
        var csrf: String
        var action: String
        var notice: String?
        var status: String
        var reason: String?
        var slots: [Slot]
        var errors: [ErrorLink]
        var maxMB: Int
        var maxBytes: Int
        var accept: String
        var accountURL: String
        var step: String?
    }

    struct ProfilePage: Encodable {
        var page: PageChrome
        var rows: [CitizenDetailRow]
        var photo: String?
        var csrf: String
        var photoAction: String
        var photoError: String?
        var notice: String?
        var maxMB: Int
        var maxBytes: Int
        var accept: String
        var accountURL: String
        var notices: [NoticeRow]
        var notificationsAction: String
        /// The tenant has a LINE Official Account.
        var lineAvailable: Bool
        var lineLinked: Bool
        var lineLinkedAt: String?
        var unlinkAction: String
    }

    /// One kind of notice on the profile page, with its e-mail and LINE boxes.
    struct NoticeRow: Encodable {
        var kind: String
        var label: String
        var email: Bool
        /// The completion e-mail cannot be turned off.
        var emailFixed: Bool
        var line: Bool
    }

    // MARK: Welcome

    func welcome(_ req: Request) async throws -> View {
        let t = try req.tenant
        let account = try req.citizen
        let status = account.verificationStatus
        let images = try await IdentityImages.list(citizenID: try account.requireID(), tenant: t.tenant, on: req.db)
        let documents = try await PetitionDocuments.forCitizen(try account.requireID(), tenant: t.tenant, on: req.db)
        return try await req.view.render("tenant/account", WelcomePage(
            page: PageChrome(request: req, title: "ยินดีต้อนรับ – \(t.tenant.thaiName)"),
            documents: documents.compactMap { d, number in
                d.id.map { .init(kind: d.kind.thai, title: d.title, number: number, issued: ThaiDate.long(d.issuedAt),
                                          url: t.url(.petitionDocument(number, $0)), petitionURL: t.url(.petition(number)),
                                          withdrawn: d.isWithdrawn) }
            },
            name: account.fullName, status: status.thai, statusKey: status.rawValue,
            reason: status == .rejected ? account.verificationReason : nil, notice: req.takeFlash(),
            identityURL: t.url(.identity), profileURL: t.url(.profile),
            images: images.filter { $0.slot >= 0 }.compactMap { r in r.id.map { Thumb(label: r.label, url: t.url(.accountImage($0))) } },
            canUpload: status != .verified))
    }

    // MARK: Identity images

    func identityPage(_ req: Request) async throws -> Response {
        let account = try req.citizen
        if account.verificationStatus == .verified { return req.redirect(to: try req.tenant.url(.account)) }
        return try await renderIdentity(req, account: account, errors: FormErrors(), status: .ok)
    }

    /// The streamed upload of the identity images (and optionally the profile photo). Every image is checked
    /// and marked before anything is stored; one bad image means nothing is kept and the page says why.
    func uploadIdentity(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        guard account.verificationStatus != .verified else { return Self.alreadyVerified(req, t) }
        let policy = t.tenant.config.identity
        let maxMB = policy.maxFileMB ?? IdentityPolicy.defaultMaxFileMB
        if let spent = try await UploadBudget.spent(req, account) { return spent }
        let upload: StreamedUpload
        do {
            // Sealed: the unmarked images wait on disk only encrypted, under a key that never leaves memory.
            upload = try await StreamedUpload.read(req, maxFileBytes: maxMB << 20,
                                                   files: Set(policy.images.indices.map { "image_\($0)" } + ["profile_photo"]), sealed: true)
        } catch StreamedUpload.Problem.fileTooLarge(let field) {
            var errors = FormErrors()
            errors.add(field, IdentityImages.tooLarge(maxMB: maxMB))
            return try await renderIdentity(req, account: account, errors: errors, status: .payloadTooLarge)
        } catch StreamedUpload.Problem.bodyTooLarge {
            var errors = FormErrors()
            errors.add("image_0", IdentityImages.tooLarge(maxMB: maxMB))
            return try await renderIdentity(req, account: account, errors: errors, status: .payloadTooLarge)
        } catch StreamedUpload.Problem.csrf {
            throw Abort(.forbidden, reason: "csrf")
        } catch is StreamedUpload.Problem {
            throw Abort(.badRequest)
        }
        if let spent = try await UploadBudget.spend(req, account, files: upload.fileCount) { return spent }
        var errors = FormErrors()
        var wanted: [(slot: Int, label: String, file: StreamedUpload.File)] = []
        for (i, image) in policy.images.enumerated() {
            if let file = upload.files["image_\(i)"], !file.isEmpty { wanted.append((i, image.label, file)) }
            else { errors.add("image_\(i)", "กรุณาแนบ\(image.label)") }
        }
        if let photo = upload.files["profile_photo"], !photo.isEmpty { wanted.append((IdentityImages.profileSlot, "รูปโปรไฟล์", photo)) }
        let text = IdentityImages.watermarkText(tenant: t.tenant)
        var marked: [IdentityImages.Marked] = []
        for w in wanted {
            do {
                marked.append(.init(slot: w.slot, label: w.label, image: try await IdentityImages.mark(w.file, text: text, app: req.application)))
            } catch let refused as IdentityImages.Refused {
                errors.add(w.slot < 0 ? "profile_photo" : "image_\(w.slot)", refused.message)
            } catch is ImageWorkPool.Busy {
                // Nothing is stored yet: the images marked so far are only in memory, the uploads go with the request.
                return try await UploadBudget.busyPage(req)
            }
        }
        guard errors.isEmpty else { return try await renderIdentity(req, account: account, errors: errors, status: .unprocessableEntity) }
        do {
            try await IdentityImages.store(marked, for: account, submitForReview: true, app: req.application)
        } catch is IdentityImages.AlreadyVerified {
            return Self.alreadyVerified(req, t)
        }
        req.flash("ส่งภาพยืนยันตัวตนเรียบร้อยแล้ว เจ้าหน้าที่จะตรวจสอบและแจ้งผลทางอีเมล ระหว่างนี้ท่านใช้บริการที่ไม่ต้องยืนยันตัวตนได้ทันที")
        return req.redirect(to: t.url(.account))
    }

    /// Verified accounts keep the images the officer approved.
    static func alreadyVerified(_ req: Request, _ t: ResolvedTenant) -> Response {
        req.flash("บัญชีของท่านยืนยันตัวตนแล้ว จึงไม่ต้องส่งภาพอีก")
        return req.redirect(to: t.url(.account))
    }

    private func renderIdentity(_ req: Request, account: CitizenAccount, errors: FormErrors, status: HTTPStatus) async throws -> Response {
        let t = try req.tenant
        let policy = t.tenant.config.identity
        let maxMB = policy.maxFileMB ?? IdentityPolicy.defaultMaxFileMB
        var slots = policy.images.enumerated().map { IdentityPage.Slot(name: "image_\($0.offset)", label: $0.element.label, error: errors["image_\($0.offset)"], required: true) }
        slots.append(.init(name: "profile_photo", label: "รูปโปรไฟล์ (ไม่บังคับ เพิ่มภายหลังได้ที่หน้าข้อมูลส่วนตัว)", error: errors["profile_photo"], required: false))
        let context = IdentityPage(
            page: PageChrome(request: req, title: "ยืนยันตัวตน – \(t.tenant.thaiName)"), csrf: req.csrfToken(), action: t.url(.identity),
            notice: req.takeFlash(), status: account.verificationStatus.thai,
            reason: account.verificationStatus == .rejected ? account.verificationReason : nil,
            slots: slots, errors: errors.items, maxMB: maxMB, maxBytes: maxMB << 20, accept: IdentityImages.acceptAttribute,
            accountURL: t.url(.account), step: account.verificationStatus == .awaitingImages ? "ขั้นตอนที่ 3 จาก 3" : nil)
        return try await req.view.render("tenant/identity", context).encodeResponse(status: status, for: req)
    }

    // MARK: Profile

    func profile(_ req: Request) async throws -> Response {
        try await renderProfile(req, photoError: nil, status: .ok)
    }

    func uploadPhoto(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        let maxMB = t.tenant.config.identity.maxFileMB ?? IdentityPolicy.defaultMaxFileMB
        if let spent = try await UploadBudget.spent(req, account) { return spent }
        let upload: StreamedUpload
        do {
            upload = try await StreamedUpload.read(req, maxFileBytes: maxMB << 20, files: ["profile_photo"], sealed: true)
        } catch StreamedUpload.Problem.fileTooLarge, StreamedUpload.Problem.bodyTooLarge {
            return try await renderProfile(req, photoError: IdentityImages.tooLarge(maxMB: maxMB), status: .payloadTooLarge)
        } catch StreamedUpload.Problem.csrf {
            throw Abort(.forbidden, reason: "csrf")
        } catch is StreamedUpload.Problem {
            throw Abort(.badRequest)
        }
        if let spent = try await UploadBudget.spend(req, account, files: upload.fileCount) { return spent }
        guard let file = upload.files["profile_photo"], !file.isEmpty else {
            return try await renderProfile(req, photoError: "กรุณาเลือกไฟล์รูปโปรไฟล์", status: .unprocessableEntity)
        }
        let image: MarkedImage
        do {
            image = try await IdentityImages.mark(file, text: IdentityImages.watermarkText(tenant: t.tenant), app: req.application)
        } catch let refused as IdentityImages.Refused {
            return try await renderProfile(req, photoError: refused.message, status: .unprocessableEntity)
        } catch is ImageWorkPool.Busy {
            return try await UploadBudget.busyPage(req)
        }
        try await IdentityImages.store([.init(slot: IdentityImages.profileSlot, label: "รูปโปรไฟล์", image: image)], for: account,
                                       submitForReview: false, app: req.application)
        req.flash("บันทึกรูปโปรไฟล์แล้ว")
        return req.redirect(to: t.url(.profile))
    }

    private func renderProfile(_ req: Request, photoError: String?, status: HTTPStatus) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        let geography = req.application.geography
        let nationalID = try req.application.nationalIDs.open(account.nationalIDSealed)
        let images = try await IdentityImages.list(citizenID: try account.requireID(), tenant: t.tenant, on: req.db)
        let maxMB = t.tenant.config.identity.maxFileMB ?? IdentityPolicy.defaultMaxFileMB
        let choices = account.noticeChoices
        let line = try await LineStore.linked(tenant: t.tenant.id, citizenID: try account.requireID(), on: req.db)
        let context = ProfilePage(
            page: PageChrome(request: req, title: "ข้อมูลส่วนตัว – \(t.tenant.thaiName)"),
            rows: CitizenDetailRow.rows(account, nationalID: nationalID.formatted, geography: geography),
            photo: images.first { $0.slot == IdentityImages.profileSlot }.flatMap { $0.id }.map { t.url(.accountImage($0)) },
            csrf: req.csrfToken(), photoAction: t.url(.profilePhoto), photoError: photoError, notice: req.takeFlash(),
            maxMB: maxMB, maxBytes: maxMB << 20, accept: IdentityImages.acceptAttribute, accountURL: t.url(.account),
            notices: NoticeKind.allCases.map { kind in
                NoticeRow(kind: kind.rawValue, label: kind.thai, email: choices.wants(kind, by: .email),
                          emailFixed: NotificationChoices.fixedEmail.contains(kind), line: choices.wants(kind, by: .line))
            },
            notificationsAction: t.url(.notifications), lineAvailable: t.tenant.config.line != nil, lineLinked: line?.citizenID != nil,
            lineLinkedAt: line?.linkedAt.map(ThaiDate.shortWithTime), unlinkAction: t.url(.lineUnlink))
        return try await req.view.render("tenant/profile", context).encodeResponse(status: status, for: req)
    }

    // MARK: E-mail choice

    /// Turns the e-mails for status changes on or off (the one for completion is always sent).
    func notifications(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        func ticked(_ channel: NoticeChannel, _ kind: NoticeKind) -> Bool {
            (try? req.content.get(String.self, at: "\(channel.rawValue)_\(kind.rawValue)")) == "1"
        }
        let choices = NotificationChoices(email: Set(NoticeKind.allCases.filter { ticked(.email, $0) }),
                                          line: Set(NoticeKind.allCases.filter { ticked(.line, $0) }))
        account.noticeChoices = choices
        account.updatedAt = Date()
        try await account.save(on: req.db)
        req.flash("บันทึกช่องทางการแจ้งเตือนแล้ว" + (choices.email.count == NotificationChoices.fixedEmail.count && choices.line.isEmpty
                                                    ? " ท่านจะได้รับเฉพาะอีเมลแจ้งเมื่อคำร้องดำเนินการสำเร็จ" : ""))
        return req.redirect(to: t.url(.profile))
    }

    // MARK: Own images

    /// An image of the signed-in citizen only: another citizen's image id answers 404 like a missing one.
    func image(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        guard let raw = req.parameters.get("image"), let id = UUID(uuidString: raw),
              let record = try await IdentityImages.image(id, citizenID: try account.requireID(), tenant: t.tenant, on: req.db)
        else { throw Abort(.notFound) }
        return try await IdentityImages.response(record, app: req.application)
    }
}
