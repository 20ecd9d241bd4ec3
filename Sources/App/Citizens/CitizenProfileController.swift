import Domain
import Foundation
import Imaging
import Vapor

/// The citizen's profile: the page, the streamed profile-photo upload, and the citizen's own images.
struct CitizenProfileController {
    func show(_ req: Request) async throws -> Response {
        try await render(req, photoError: nil, status: .ok)
    }

    func uploadPhoto(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        let maxMB = ImageUploadLimits(tenant: t.tenant).maxMB
        let field = CitizenIdentityPage.profilePhotoField
        if let spent = try await UploadBudget.spent(req, account) { return spent }
        let upload: StreamedUpload
        do {
            upload = try await StreamedUpload.read(req, maxFileBytes: maxMB << 20, files: [field], sealed: true)
        } catch StreamedUpload.Problem.fileTooLarge, StreamedUpload.Problem.bodyTooLarge {
            return try await render(req, photoError: IdentityImages.tooLarge(maxMB: maxMB), status: .payloadTooLarge)
        } catch StreamedUpload.Problem.csrf {
            throw Abort(.forbidden, reason: "csrf")
        } catch is StreamedUpload.Problem {
            throw Abort(.badRequest)
        }
        if let spent = try await UploadBudget.spend(req, account, files: upload.fileCount) { return spent }
        guard let file = upload.files[field], !file.isEmpty else {
            return try await render(req, photoError: "กรุณาเลือกไฟล์รูปโปรไฟล์", status: .unprocessableEntity)
        }
        let image: MarkedImage
        do {
            image = try await IdentityImages.mark(file, text: IdentityImages.watermarkText(tenant: t.tenant), app: req.application)
        } catch let refused as IdentityImages.Refused {
            return try await render(req, photoError: refused.message, status: .unprocessableEntity)
        } catch is ImageWorkPool.Busy {
            return try await UploadBudget.busyPage(req)
        }
        try await IdentityImages.store(
            [.init(slot: IdentityImages.profileSlot, label: "รูปโปรไฟล์", image: image)], for: account,
            submitForReview: false, app: req.application)
        req.flash("บันทึกรูปโปรไฟล์แล้ว")
        return req.redirect(to: t.url(.profile))
    }

    /// An image of the signed-in citizen only: another citizen's image id answers 404 like a missing one.
    func image(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        guard let raw = req.parameters.get("image"), let id = UUID(uuidString: raw),
            let record = try await IdentityImages.image(id, citizenID: try account.requireID(), tenant: t.tenant, on: req.db)
        else { throw Abort(.notFound) }
        return try await IdentityImages.response(record, app: req.application)
    }

    private func render(_ req: Request, photoError: String?, status: HTTPStatus) async throws -> Response {
        let t = try req.tenant
        let records = try await CitizenProfilePage.Records.load(try req.citizen, tenant: t.tenant, nationalIDs: req.application.nationalIDs, on: req.db)
        let page = CitizenProfilePageBuilder(tenant: t, geography: req.application.geography, csrf: req.csrfToken())
            .build(
                records, photoError: photoError, chrome: PageChrome(request: req, title: "ข้อมูลส่วนตัว – \(t.tenant.thaiName)"),
                notice: req.takeFlash())
        return try await req.view.render("tenant/profile", page).encodeResponse(status: status, for: req)
    }
}
