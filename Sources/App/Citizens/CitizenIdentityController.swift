import Domain
import Foundation
import Imaging
import Vapor

/// The identity step: the page, and the streamed upload of the identity images (and optionally the profile photo).
struct CitizenIdentityController {
    func show(_ req: Request) async throws -> Response {
        let account = try req.citizen
        if account.verificationStatus == .verified { return req.redirect(to: try req.tenant.url(.account)) }
        return try await render(req, account: account, errors: FormErrors(), status: .ok)
    }

    /// Every image is checked and marked before anything is stored; one bad image means nothing is kept and the
    /// page says why.
    func upload(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        guard account.verificationStatus != .verified else { return alreadyVerified(req, t) }
        let policy = t.tenant.config.identity
        let maxMB = ImageUploadLimits(tenant: t.tenant).maxMB
        let photoField = CitizenIdentityPage.profilePhotoField
        if let spent = try await UploadBudget.spent(req, account) { return spent }
        let upload: StreamedUpload
        do {
            // Sealed: the unmarked images wait on disk only encrypted, under a key that never leaves memory.
            upload = try await StreamedUpload.read(
                req, maxFileBytes: maxMB << 20,
                files: Set(policy.images.indices.map(CitizenIdentityPage.imageField) + [photoField]), sealed: true)
        } catch StreamedUpload.Problem.fileTooLarge(let field) {
            var errors = FormErrors()
            errors.add(field, IdentityImages.tooLarge(maxMB: maxMB))
            return try await render(req, account: account, errors: errors, status: .payloadTooLarge)
        } catch StreamedUpload.Problem.bodyTooLarge {
            var errors = FormErrors()
            errors.add(CitizenIdentityPage.imageField(0), IdentityImages.tooLarge(maxMB: maxMB))
            return try await render(req, account: account, errors: errors, status: .payloadTooLarge)
        } catch StreamedUpload.Problem.csrf {
            throw Abort(.forbidden, reason: "csrf")
        } catch is StreamedUpload.Problem {
            throw Abort(.badRequest)
        }
        if let spent = try await UploadBudget.spend(req, account, files: upload.fileCount) { return spent }
        var errors = FormErrors()
        var wanted: [(slot: Int, label: String, file: StreamedUpload.File)] = []
        for (i, image) in policy.images.enumerated() {
            if let file = upload.files[CitizenIdentityPage.imageField(i)], !file.isEmpty {
                wanted.append((i, image.label, file))
            } else {
                errors.add(CitizenIdentityPage.imageField(i), "กรุณาแนบ\(image.label)")
            }
        }
        if let photo = upload.files[photoField], !photo.isEmpty { wanted.append((IdentityImages.profileSlot, "รูปโปรไฟล์", photo)) }
        let text = IdentityImages.watermarkText(tenant: t.tenant)
        var marked: [IdentityImages.Marked] = []
        for w in wanted {
            do {
                marked.append(.init(slot: w.slot, label: w.label, image: try await IdentityImages.mark(w.file, text: text, app: req.application)))
            } catch let refused as IdentityImages.Refused {
                errors.add(w.slot < 0 ? photoField : CitizenIdentityPage.imageField(w.slot), refused.message)
            } catch is ImageWorkPool.Busy {
                // Nothing is stored yet: the images marked so far are only in memory, the uploads go with the request.
                return try await UploadBudget.busyPage(req)
            }
        }
        guard errors.isEmpty else { return try await render(req, account: account, errors: errors, status: .unprocessableEntity) }
        do {
            try await IdentityImages.store(marked, for: account, submitForReview: true, app: req.application)
        } catch is IdentityImages.AlreadyVerified {
            return alreadyVerified(req, t)
        }
        req.flash("ส่งภาพยืนยันตัวตนเรียบร้อยแล้ว เจ้าหน้าที่จะตรวจสอบและแจ้งผลทางอีเมล ระหว่างนี้ท่านใช้บริการที่ไม่ต้องยืนยันตัวตนได้ทันที")
        return req.redirect(to: t.url(.account))
    }

    /// Verified accounts keep the images the officer approved.
    private func alreadyVerified(_ req: Request, _ t: ResolvedTenant) -> Response {
        req.flash("บัญชีของท่านยืนยันตัวตนแล้ว จึงไม่ต้องส่งภาพอีก")
        return req.redirect(to: t.url(.account))
    }

    private func render(_ req: Request, account: CitizenAccount, errors: FormErrors, status: HTTPStatus) async throws -> Response {
        let t = try req.tenant
        let page = CitizenIdentityPageBuilder(tenant: t, csrf: req.csrfToken())
            .build(account, errors: errors, chrome: PageChrome(request: req, title: "ยืนยันตัวตน – \(t.tenant.thaiName)"), notice: req.takeFlash())
        return try await req.view.render("tenant/identity", page).encodeResponse(status: status, for: req)
    }
}
