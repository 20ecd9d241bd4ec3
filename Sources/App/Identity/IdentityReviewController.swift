import Domain
import Fluent
import Foundation
import Vapor

/// Officers of a tenant check citizens' identities: the queue (oldest first, with counts), the registration
/// data beside the watermarked images, and approve or reject with a reason. The citizen is e-mailed the
/// result through the outbox; every image an officer opens is written to the audit log.
struct IdentityReviewController {
    struct QueuePage: Encodable {
        struct Row: Encodable {
            var url: String
            var name: String
            var maskedID: String
            var submitted: String
            var waiting: String
        }

        struct Tab: Encodable {
            var key: String
            var title: String
            var count: Int
            var url: String
            var current: Bool
        }

        var page: PageChrome
        var tabs: [Tab]
        var rows: [Row]
        var statusTitle: String
        var notice: String?
    }

    struct ReviewPage: Encodable {
        struct Image: Encodable {
            var label: String
            var url: String
            var size: String
        }

        var page: PageChrome
        var name: String
        var rows: [CitizenDetailRow]
        var images: [Image]
        var status: String
        var statusKey: String
        var reason: String?
        var decidable: Bool
        var csrf: String
        var action: String
        var queueURL: String
        var error: String?
        var notice: String?
        var reasonValue: String
        var identityVersion: Int
    }

    struct DecisionForm: Content {
        var decision: String?
        var reason: String?
        /// The set of images the page showed.
        var identityVersion: Int?
    }

    func queue(_ req: Request) async throws -> View {
        let scope = try req.backOffice
        let t = scope.tenant
        let status = (try? req.query.get(String.self, at: "status")).flatMap(VerificationStatus.init(rawValue:)) ?? .pending
        let counts = try await CitizenStore.counts(tenant: t, on: req.db)
        let accounts = try await CitizenStore.queue(tenant: t, status: status, on: req.db)
        let now = Date()
        let order: [VerificationStatus] = [.pending, .rejected, .verified, .awaitingImages]
        return try await req.view.render(
            "backoffice/identity/queue",
            QueuePage(
                page: PageChrome(request: req, title: "ตรวจสอบการยืนยันตัวตน – \(t.thaiName)"),
                tabs: order.map { s in
                    .init(
                        key: s.rawValue, title: s.thai, count: counts[s] ?? 0,
                        url: BackOfficeURL.identityQueue(t.slug).path + "?status=\(s.rawValue)", current: s == status)
                },
                rows: accounts.compactMap { a in
                    guard let id = a.id else { return nil }
                    let since = a.imagesSubmittedAt ?? a.createdAt
                    return .init(
                        url: BackOfficeURL.identityReview(t.slug, id).path, name: a.fullName, maskedID: a.maskedNationalID,
                        submitted: ThaiDate.shortWithTime(since), waiting: Self.waiting(since: since, now: now))
                },
                statusTitle: status.thai, notice: req.takeFlash()))
    }

    func review(_ req: Request) async throws -> Response {
        try await render(req, error: nil, reason: "", status: .ok)
    }

    func decide(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let account = try await load(req)
        let form = try req.content.decode(DecisionForm.self)
        let reason = form.reason.clean
        guard let decision = form.decision, ["approve", "reject"].contains(decision) else {
            return try await render(req, error: "กรุณาเลือก อนุมัติ หรือ ไม่อนุมัติ", reason: reason, status: .unprocessableEntity)
        }
        let approve = decision == "approve"
        if !approve && reason.isEmpty {
            return try await render(req, error: "กรุณาระบุเหตุผลที่ไม่อนุมัติ เพื่อแจ้งให้ผู้ลงทะเบียนทราบและส่งภาพใหม่ได้ถูกต้อง", reason: reason, status: .unprocessableEntity)
        }
        guard reason.count <= 500 else {
            return try await render(req, error: "เหตุผลยาวได้ไม่เกิน 500 ตัวอักษร", reason: reason, status: .unprocessableEntity)
        }
        let citizenID = try account.requireID()
        let shownVersion = form.identityVersion ?? -1
        let now = Date()
        let linkBase = CitizenMail.linkBase(req, tenant: t)
        let channels = CitizenNotices.channels(.identity, to: try await CitizenNotices.recipient(citizenID, tenant: t, on: req.db))
        let staff = scope.staff
        let decided = try await req.db.writeTransaction { db -> Bool in
            guard
                try await CitizenStore.decide(
                    account, identityVersion: shownVersion, verified: approve, reason: approve ? nil : reason, staffID: staff.id,
                    tenant: t, linkBase: linkBase, now: now, on: db)
            else {
                return false
            }
            try await AuditLog.record(
                approve ? .identityApproved : .identityRejected, actor: AuditActor(staff), tenant: t.slug,
                detail: "\(account.fullName) (\(account.maskedNationalID))" + (approve ? "" : " เหตุผล: \(reason)"),
                ip: req.clientAddress, on: db)
            return true
        }
        guard decided else {
            return try await render(
                req, error: "ยังไม่ได้บันทึก: มีเจ้าหน้าที่ท่านอื่นตัดสินรายการนี้ไปแล้ว หรือผู้ลงทะเบียนส่งภาพชุดใหม่หลังจากที่ท่านเปิดหน้านี้ กรุณาตรวจสอบสถานะและภาพล่าสุดด้านล่าง",
                reason: reason, status: .conflict)
        }
        req.application.outboxWakeUp.poke()
        req.flash(
            (approve ? "อนุมัติการยืนยันตัวตนของ \(account.fullName) แล้ว" : "ไม่อนุมัติการยืนยันตัวตนของ \(account.fullName) แล้ว")
                + CitizenNotices.told(channels, who: "ผู้ลงทะเบียน") + (approve || channels.isEmpty ? "" : "พร้อมเหตุผล"))
        return req.redirect(to: BackOfficeURL.identityQueue(t.slug).path)
    }

    /// One identity image, for officers of the tenant only, each view audited.
    func image(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let account = try await load(req)
        guard let raw = req.parameters.get("image"), let imageID = UUID(uuidString: raw),
            let record = try await IdentityImages.image(imageID, citizenID: try account.requireID(), tenant: scope.tenant, on: req.db)
        else { throw Abort(.notFound) }
        try await AuditLog.record(
            .identityImageViewed, on: req, tenant: scope.tenant.slug,
            detail: "\(record.label) ของ \(account.fullName) (\(account.maskedNationalID))")
        return try await IdentityImages.response(record, app: req.application)
    }

    private func load(_ req: Request) async throws -> CitizenAccount {
        let scope = try req.backOffice
        guard let raw = req.parameters.get("citizen"), let id = UUID(uuidString: raw),
            let account = try await CitizenStore.byID(id, tenant: scope.tenant, on: req.db)
        else { throw Abort(.notFound) }
        return account
    }

    private func render(_ req: Request, error: String?, reason: String, status: HTTPStatus) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let account = try await load(req)
        let id = try account.requireID()
        // Officers of the tenant see the full national ID: they compare it with the card in the image.
        // A closed account keeps no national ID (`CitizenClosing`).
        let nationalID = account.closedAt == nil ? try req.application.nationalIDs.open(account.nationalIDSealed).formatted : "-"
        let images = try await IdentityImages.list(citizenID: id, tenant: t, on: req.db)
        let s = account.verificationStatus
        let context = ReviewPage(
            page: PageChrome(request: req, title: "ตรวจสอบการยืนยันตัวตน – \(account.fullName)"), name: account.fullName,
            rows: CitizenDetailRow.rows(account, nationalID: nationalID, geography: req.application.geography),
            images: images.compactMap { r in
                r.id.map {
                    .init(
                        label: r.slot < 0 ? "รูปโปรไฟล์" : r.label, url: BackOfficeURL.identityImage(t.slug, id, $0).path,
                        size: "\(r.width) × \(r.height) พิกเซล")
                }
            },
            status: s.thai, statusKey: s.rawValue, reason: account.verificationReason, decidable: s == .pending,
            csrf: req.csrfToken(), action: BackOfficeURL.identityReview(t.slug, id).path, queueURL: BackOfficeURL.identityQueue(t.slug).path,
            error: error, notice: req.takeFlash(), reasonValue: reason, identityVersion: account.identityVersion)
        return try await req.view.render("backoffice/identity/review", context).encodeResponse(status: status, for: req)
    }

    /// "3 วัน 4 ชั่วโมง" since a date.
    static func waiting(since: Date, now: Date) -> String {
        let minutes = max(0, Int(now.timeIntervalSince(since) / 60))
        let days = minutes / 1440, hours = (minutes % 1440) / 60
        if days > 0 { return "\(days) วัน \(hours) ชั่วโมง" }
        if hours > 0 { return "\(hours) ชั่วโมง \(minutes % 60) นาที" }
        return "\(minutes) นาที"
    }
}
