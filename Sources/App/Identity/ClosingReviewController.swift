import Domain
import Fluent
import Foundation
import Vapor

/// `emails/citizen-account-closed` (sent to the confirmed address before it is wiped) and
/// `emails/citizen-account-close-refused`.
struct CitizenClosingMail: Encodable, Sendable {
    var frame: NoticeMail.Frame
    var maskedNationalID: String
    var decidedAt: String
    var removed: [String] = CitizenClosingPage.removed
    var kept: [String] = CitizenClosingPage.kept
    var why: String = CitizenClosingPage.why
    var reason: String = ""
}

/// Officers of a tenant (those who verify identities) decide citizens' requests to close their accounts: the list
/// (waiting first, oldest first), one request beside the account, approve (the account is anonymised,
/// `CitizenClosing.anonymise`, its image files deleted from the store after the commit) or refuse with a reason the
/// citizen is told. Each decision is audited without naming the person.
struct ClosingReviewController {
    struct QueuePage: Encodable {
        struct Row: Encodable {
            var url: String
            var name: String
            var maskedID: String
            var requested: String
            var decided: String
        }

        struct Tab: Encodable {
            var title: String
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
        var page: PageChrome
        var name: String
        var rows: [CitizenDetailRow]
        var status: String
        var statusKey: String
        var decided: String?
        var decidable: Bool
        var csrf: String
        var action: String
        var queueURL: String
        var error: String?
        var notice: String?
        var reasonValue: String
    }

    struct DecisionForm: Content {
        var decision: String?
        var reason: String?
    }

    func queue(_ req: Request) async throws -> View {
        let t = try req.backOffice.tenant
        let status = (try? req.query.get(String.self, at: "status")).flatMap(ClosingStatus.init(rawValue:)) ?? .pending
        let requests = try await CitizenClosing.list(tenant: t, status: status, on: req.db)
        var rows: [QueuePage.Row] = []
        for r in requests {
            guard let id = r.id else { continue }
            let account = try await CitizenStore.byID(r.citizenID, tenant: t, on: req.db)
            rows.append(
                .init(
                    url: BackOfficeURL.closingReview(t.slug, id).path, name: account?.fullName ?? CitizenClosing.placeholderName,
                    maskedID: account?.maskedNationalID ?? "", requested: ThaiDate.shortWithTime(r.requestedAt),
                    decided: r.decidedAt.map { "\(r.status.thai) \(ThaiDate.shortWithTime($0))" } ?? r.status.thai))
        }
        return try await req.view.render(
            "backoffice/closing/queue",
            QueuePage(
                page: PageChrome(request: req, title: "คำขอปิดบัญชีของประชาชน – \(t.thaiName)"),
                tabs: ClosingStatus.allCases.map { s in
                    .init(title: s.thai, url: BackOfficeURL.closingQueue(t.slug).path + "?status=\(s.rawValue)", current: s == status)
                },
                rows: rows, statusTitle: status.thai, notice: req.takeFlash()))
    }

    func review(_ req: Request) async throws -> Response {
        try await render(req, error: nil, reason: "", status: .ok)
    }

    func decide(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let (request, account) = try await load(req)
        let form = (try? req.content.decode(DecisionForm.self)) ?? DecisionForm()
        let reason = (form.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let decision = form.decision, ["approve", "refuse"].contains(decision) else {
            return try await render(req, error: "กรุณาเลือก อนุมัติ หรือ ไม่อนุมัติ", reason: reason, status: .unprocessableEntity)
        }
        let approve = decision == "approve"
        if !approve && reason.isEmpty {
            return try await render(req, error: "กรุณาระบุเหตุผลที่ไม่อนุมัติ เพื่อแจ้งให้ผู้ขอทราบ", reason: reason, status: .unprocessableEntity)
        }
        guard reason.count <= CitizenClosing.reasonMaxLength else {
            return try await render(req, error: "เหตุผลยาวได้ไม่เกิน 500 ตัวอักษร", reason: reason, status: .unprocessableEntity)
        }
        guard request.status == .pending, account.closedAt == nil else {
            return try await render(req, error: "คำขอนี้ได้รับการพิจารณาหรือถูกยกเลิกไปแล้ว", reason: reason, status: .conflict)
        }
        let requestID = try request.requireID()
        let citizenID = try account.requireID()
        let staff = scope.staff
        let now = Date()
        // The citizen's mail is written from the account as it is now, before the address is wiped.
        var mail: RenderedMail?
        if let address = account.confirmedEmail {
            var context = CitizenClosingMail(
                frame: .init(
                    name: account.fullName, tenantName: t.thaiName,
                    link: CitizenMail.link(req, tenant: t, approve ? .home : .closeAccount)),
                maskedNationalID: account.maskedNationalID, decidedAt: ThaiDate.shortWithTime(now))
            context.reason = reason
            mail = try await EmailOutbox(views: req.view, from: req.application.settings.mailFrom).render(
                template: approve ? "citizen-account-closed" : "citizen-account-close-refused", context: context, to: [address],
                subject: approve ? "ปิดบัญชี e-Service \(t.thaiName) ของท่านแล้ว" : "คำขอปิดบัญชี e-Service \(t.thaiName) ไม่ได้รับอนุมัติ",
                idempotencyKey: "citizen-closing:\(requestID.uuidString.lowercased()):\(decision)")
        }
        let unusable = approve ? try await Passwords.hash(RandomToken.make(), on: req) : ""
        let outgoing = mail
        let files = try await req.db.writeTransaction { db -> [String]? in
            guard
                try await CitizenClosing.decide(
                    requestID, tenant: t, status: approve ? .approved : .refused, refusal: approve ? nil : reason, staffID: staff.id,
                    staffName: staff.displayName, now: now, on: db)
            else { return nil }
            if let outgoing { _ = try await EmailOutbox.enqueue(outgoing, tenant: t, on: db) }
            let files =
                approve ? try await CitizenClosing.anonymise(citizenID: citizenID, tenant: t, unusablePasswordHash: unusable, now: now, on: db) : []
            try await AuditLog.record(
                approve ? .accountClosingApproved : .accountClosingRefused, actor: AuditActor(staff), tenant: t.slug,
                detail: "คำขอปิดบัญชี \(requestID.uuidString.lowercased()) บัญชี \(citizenID.uuidString.lowercased())"
                    + (approve ? "" : " เหตุผล: \(reason)"),
                ip: req.clientAddress, on: db)
            return files
        }
        guard let files else {
            return try await render(req, error: "ยังไม่ได้บันทึก: คำขอนี้ได้รับการพิจารณาหรือถูกยกเลิกไปแล้ว", reason: reason, status: .conflict)
        }
        // The rows are gone with the commit; now their files.
        for file in files { await req.application.fileStore.delete(file) }
        req.application.outboxWakeUp.poke()
        req.flash(
            approve
                ? "อนุมัติแล้ว ปิดบัญชีและลบข้อมูลส่วนบุคคลแล้ว" + (outgoing == nil ? "" : " ระบบแจ้งผู้ขอทางอีเมล")
                : "ไม่อนุมัติคำขอปิดบัญชีแล้ว" + (outgoing == nil ? " (ผู้ขอเห็นเหตุผลเมื่อเข้าสู่ระบบ)" : " ระบบแจ้งผู้ขอทางอีเมลพร้อมเหตุผล"))
        return req.redirect(to: BackOfficeURL.closingQueue(t.slug).path)
    }

    private func load(_ req: Request) async throws -> (CitizenClosingRequest, CitizenAccount) {
        let t = try req.backOffice.tenant
        guard let raw = req.parameters.get("request"), let id = UUID(uuidString: raw),
            let request = try await CitizenClosing.find(id, tenant: t, on: req.db),
            let account = try await CitizenStore.byID(request.citizenID, tenant: t, on: req.db)
        else { throw Abort(.notFound) }
        return (request, account)
    }

    private func render(_ req: Request, error: String?, reason: String, status: HTTPStatus) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let (request, account) = try await load(req)
        let petitions = try await PetitionRecord.query(on: req.db, tenant: t).filter(\.$citizenID == request.citizenID).count()
        var rows = [
            CitizenDetailRow(label: "ชื่อ–นามสกุล", value: account.fullName),
            CitizenDetailRow(label: "เลขประจำตัวประชาชน", value: account.maskedNationalID),
            CitizenDetailRow(label: "ลงทะเบียนเมื่อ", value: ThaiDate.shortWithTime(account.createdAt)),
            CitizenDetailRow(label: "สถานะบัญชี", value: account.verificationStatus.thai),
            CitizenDetailRow(label: "คำร้องที่ยื่นไว้", value: "\(petitions) เรื่อง (เก็บไว้โดยไม่มีข้อมูลส่วนบุคคล)"),
            CitizenDetailRow(label: "ขอปิดบัญชีเมื่อ", value: ThaiDate.shortWithTime(request.requestedAt)),
        ]
        if let r = request.reason, !r.isEmpty { rows.append(.init(label: "เหตุผลของผู้ขอ", value: r)) }
        if let r = request.refusalReason, !r.isEmpty { rows.append(.init(label: "เหตุผลที่ไม่อนุมัติ", value: r)) }
        let context = ReviewPage(
            page: PageChrome(request: req, title: "คำขอปิดบัญชี – \(t.thaiName)"), name: account.fullName, rows: rows,
            status: request.status.thai, statusKey: request.status.rawValue,
            decided: request.decidedAt.map { "เมื่อ \(ThaiDate.shortWithTime($0))" + (request.decidedByName.map { " โดย \($0)" } ?? "") },
            decidable: request.status == .pending, csrf: req.csrfToken(), action: BackOfficeURL.closingReview(t.slug, try request.requireID()).path,
            queueURL: BackOfficeURL.closingQueue(t.slug).path, error: error, notice: req.takeFlash(), reasonValue: reason)
        return try await req.view.render("backoffice/closing/review", context).encodeResponse(status: status, for: req)
    }
}
