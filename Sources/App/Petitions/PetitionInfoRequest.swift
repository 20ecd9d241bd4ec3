import Domain
import Fluent
import Foundation
import Vapor

// Asking the citizen for more (ขอข้อมูล/เอกสารเพิ่มเติม): the officer's form on the petition page, and the
// citizen's answer on theirs. The store is `PetitionWaitStore`.

/// The officer's panel: the form to ask (while the petition is open, not waiting and has a citizen account), or why
/// not, or since when it waits.
struct PetitionInfoRequestPanel: Encodable, Equatable {
    var action: String
    var version: Int
    var canAsk: Bool
    /// Why the form is not offered (closed, no account); nil when it is or while waiting.
    var refusal: String?
    /// "รอข้อมูลเพิ่มเติมจากผู้ยื่นตั้งแต่ …" while waiting.
    var waiting: String?
    var message: String
    var error: String?
    var maxLength = PetitionWaitStore.messageMaxLength
    static let field = "info-message"

    init(_ p: PetitionRecord, action: String, message: String = "", errors: FormErrors = FormErrors()) {
        self.action = action
        version = p.version
        let refusal = PetitionWaitStore.refusal(p)
        canAsk = refusal == nil
        self.refusal = refusal == .alreadyWaiting || refusal == .closed ? nil : refusal?.thai
        waiting = p.waitingSince.map { "รอข้อมูลเพิ่มเติมจากผู้ยื่นตั้งแต่ \(ThaiDate.shortWithTime($0)) (หยุดนับเวลา)" }
        self.message = message
        error = errors[Self.field]
    }
}

/// The citizen's answer section: the officer's request and the form to answer it (text and files), while waiting.
struct PetitionAnswerPanel: Encodable {
    var action: String
    /// The request answered (the form's token: a repeated submit is one answer).
    var request: String
    var requestedAt: String
    var message: String
    var text: String
    var textError: String?
    var filesError: String?
    var errors: [ErrorLink]
    var input = PetitionInfoAnswerController.fileInput
    var maxLength = PetitionWaitStore.messageMaxLength
    var maxFiles = PetitionInfoAnswerController.rule.effectiveMaxCount
    var maxMB = PetitionInfoAnswerController.rule.effectiveMaxMB
    var types = PetitionInfoAnswerController.rule.types.map(\.displayName).joined(separator: ", ")
    var accept = PetitionDocuments.acceptAttribute
    var csrf: String

    /// The panel while the petition waits for the answer to `request` (nil otherwise).
    static func make(
        _ p: PetitionRecord, events: [PetitionEventRecord], action: String, csrf: String, state: PetitionAnswerState
    ) -> PetitionAnswerPanel? {
        guard p.waitingSince != nil, p.status.isOpen,
            let request = events.filter({ $0.kind == .infoRequested }).max(by: { $0.createdAt < $1.createdAt }), let id = request.id
        else { return nil }
        return PetitionAnswerPanel(
            action: action, request: id.uuidString.lowercased(), requestedAt: ThaiDate.shortWithTime(request.createdAt),
            message: request.note ?? "", text: state.text, textError: state.errors["answer-text"],
            filesError: state.errors[PetitionInfoAnswerController.fileInput], errors: state.errors.items, csrf: csrf)
    }
}

/// What a re-rendered answer form keeps.
struct PetitionAnswerState {
    var text = ""
    var errors = FormErrors()
}

extension PetitionAttachmentItem {
    /// The files sent with answers to requests for more, by the answer's event id.
    static func answerFiles(_ files: [PetitionAttachmentRecord], audience: PetitionAudience, links: PetitionFileLinks) -> [UUID: [PetitionAttachmentItem]] {
        var out: [UUID: [PetitionAttachmentItem]] = [:]
        for f in files {
            guard let event = f.eventID else { continue }
            out[event, default: []] += items([f], labels: [:], audience: audience, links: links).map { item in
                var item = item
                item.label = f.fieldKey == PetitionCommandsController.resultRule.key ? PetitionCommandsController.resultRule.label : "ไฟล์แนบ"
                return item
            }
        }
        return out
    }
}

/// The officer asks the citizen for more.
struct PetitionInfoRequestController {
    struct RequestForm: Content {
        var message: String?
        var version: Int?
    }

    func request(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let petition = try await OfficerPetitionLookup.petition(req)
        guard let form = try? req.content.decode(RequestForm.self) else { throw Abort(.badRequest, reason: "แบบฟอร์มไม่ถูกต้อง") }
        var state = OfficerPetitionPageState()
        state.infoMessage = (form.message ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let field = PetitionInfoRequestPanel.field
        guard let version = form.version else { throw Abort(.badRequest, reason: "แบบฟอร์มไม่ถูกต้อง") }
        guard version == petition.version else {
            state.conflict = PetitionCommandsController.conflictMessage
            return try await OfficerPetitionPage.respond(req, petition: petition, state: state, status: .conflict)
        }
        if let refusal = PetitionWaitStore.refusal(petition) {
            state.errors.add(field, refusal.thai)
        } else if state.infoMessage.isEmpty {
            state.errors.add(field, "กรุณาระบุข้อมูลหรือเอกสารที่ต้องการจากผู้ยื่น")
        } else if state.infoMessage.count > PetitionWaitStore.messageMaxLength {
            state.errors.add(
                field,
                "ข้อความยาวได้ไม่เกิน \(PetitionWaitStore.messageMaxLength.formatted()) ตัวอักษร (ตอนนี้ \(state.infoMessage.count.formatted()) ตัวอักษร)")
        }
        guard state.errors.isEmpty else {
            return try await OfficerPetitionPage.respond(req, petition: petition, state: state, status: .unprocessableEntity)
        }
        let recipient = try await CitizenNotices.recipient(petition.citizenID, tenant: t, on: req.db)
        let outcome: PetitionWaitStore.Outcome
        do {
            outcome = try await PetitionWaitStore.requestInfo(
                petition, message: state.infoMessage, expectedVersion: version, staff: scope.staff, tenant: t,
                linkBase: CitizenMail.linkBase(req, tenant: t), ip: req.clientAddress, on: req.db)
        } catch let refusal as PetitionWaitStore.Refusal {
            state.errors.add(field, refusal.thai)
            return try await OfficerPetitionPage.respond(req, petition: petition, state: state, status: .unprocessableEntity)
        }
        switch outcome {
        case .conflict:
            state.conflict = PetitionCommandsController.conflictMessage
            let fresh = try await PetitionStore.byID(try petition.requireID(), tenant: t, on: req.db) ?? petition
            return try await OfficerPetitionPage.respond(req, petition: fresh, state: state, status: .conflict)
        case .done(let updated):
            req.application.outboxWakeUp.poke()
            req.flash(
                "ส่งคำขอข้อมูลเพิ่มเติมถึงผู้ยื่นแล้ว" + CitizenNotices.told(CitizenNotices.channels(.infoRequested, to: recipient))
                    + " ระบบหยุดนับเวลาดำเนินการจนกว่าผู้ยื่นจะตอบ")
            return req.redirect(to: BackOfficeURL.petition(t.slug, updated.number).path + "#info-request")
        }
    }
}

/// The citizen answers a request for more on their petition page: a streamed form (the CSRF token first) with text
/// and files, checked as filing's attachments are (size, type by content, the upload budget).
struct PetitionInfoAnswerController {
    /// What the answer's files may be: the filing's kinds and sizes, a few files.
    static let rule = AttachmentRule(
        key: PetitionWaitStore.answerFieldKey, label: "ไฟล์ข้อมูลหรือเอกสารเพิ่มเติม", required: false, types: [.pdf, .jpeg, .png],
        maxMB: AttachmentRule.defaultMaxMB, maxCount: 5)
    static var fileInput: String { PetitionForm.fileInput(rule) }
    static let textField = "answer"
    static let requestField = "request"

    func submit(_ req: Request) async throws -> Response {
        let (t, account, petition) = try await OwnPetition.load(req)
        let pageURL = t.url(.petition(petition.number))
        // Not waiting (answered already, or closed): nothing to read; the page says where things stand.
        guard petition.waitingSince != nil, petition.status.isOpen else {
            req.flash("คำร้องนี้ไม่ได้รอข้อมูลเพิ่มเติมจากท่านแล้ว (ข้อมูลที่ส่งไว้ก่อนหน้าได้รับแล้ว ไม่ได้บันทึกซ้ำ)")
            return req.redirect(to: pageURL)
        }
        if let spent = try await UploadBudget.spent(req, account) { return spent }
        let rule = Self.rule
        var state = PetitionAnswerState()
        let upload: StreamedUpload
        do {
            upload = try await StreamedUpload.read(
                req, maxFileBytes: PetitionAttachments.maxFileBytes([rule]), files: [Self.fileInput],
                maxTotalBytes: PetitionAttachments.maxTotalBytes([rule]) + 16 << 10, maxParts: 16 + rule.effectiveMaxCount,
                maxTextBytes: 16 << 10)
        } catch StreamedUpload.Problem.fileTooLarge, StreamedUpload.Problem.bodyTooLarge {
            state.errors.add(Self.fileInput, PetitionAttachments.tooLarge(rule) + " " + PetitionFilingController.filesAgain)
            return try await Self.render(req, t, petition, state: state, status: .payloadTooLarge)
        } catch StreamedUpload.Problem.csrf {
            throw Abort(.forbidden, reason: "csrf")
        } catch is StreamedUpload.Problem {
            throw Abort(.badRequest, reason: "แบบฟอร์มไม่ถูกต้อง กรุณาเปิดหน้าคำร้องใหม่แล้วส่งอีกครั้ง")
        }
        if let spent = try await UploadBudget.spend(req, account, files: upload.fileCount) { return spent }
        state.text = (upload.fields[Self.textField] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let requestID = upload.fields[Self.requestField].flatMap(UUID.init(uuidString:)) else {
            throw Abort(.badRequest, reason: "แบบฟอร์มไม่ถูกต้อง กรุณาเปิดหน้าคำร้องใหม่แล้วส่งอีกครั้ง")
        }
        if state.text.count > PetitionWaitStore.messageMaxLength {
            state.errors.add(
                "answer-text",
                "คำตอบยาวได้ไม่เกิน \(PetitionWaitStore.messageMaxLength.formatted()) ตัวอักษร (ตอนนี้ \(state.text.count.formatted()) ตัวอักษร)")
        }
        let files = try await PetitionAttachments.check(
            [rule], files: upload.fileLists, sniffer: try PetitionAttachments.fileSniffer(req.application), errors: &state.errors)
        if state.errors.isEmpty, state.text.isEmpty, files.isEmpty {
            state.errors.add("answer-text", "กรุณาพิมพ์คำตอบหรือแนบไฟล์อย่างน้อยหนึ่งอย่าง")
        }
        guard state.errors.isEmpty else {
            if !upload.fileLists.isEmpty, state.errors[Self.fileInput] == nil, files.isEmpty == false {
                state.errors.add(Self.fileInput, PetitionFilingController.filesAgain)
            }
            return try await Self.render(req, t, petition, state: state, status: .unprocessableEntity)
        }
        let stored: [PetitionStore.StoredAttachment]
        do {
            stored = try await PetitionAttachments.save(files, tenant: t.tenant, app: req.application)
        } catch let refused as PetitionAttachments.Refused {
            state.errors.add(Self.fileInput, refused.message)
            return try await Self.render(req, t, petition, state: state, status: .unprocessableEntity)
        } catch is ImageWorkPool.Busy {
            return try await UploadBudget.busyPage(req)
        }
        let answerID = UUID()
        let outcome: PetitionWaitStore.AnswerOutcome
        do {
            let mail = try await Self.assigneeMail(req, petition: petition, answerID: answerID, tenant: t.tenant)
            outcome = try await PetitionWaitStore.answer(
                petition, requestID: requestID, text: state.text, files: stored, answerID: answerID, citizenName: account.fullName,
                tenant: t.tenant, assigneeMail: mail, on: req.db)
        } catch {
            await PetitionAttachments.delete(stored, app: req.application)
            throw error
        }
        switch outcome {
        case .alreadyAnswered:
            await PetitionAttachments.delete(stored, app: req.application)
            req.flash("ระบบได้รับข้อมูลเพิ่มเติมของท่านไว้แล้ว (แบบฟอร์มนี้ถูกส่งซ้ำ ไม่ได้บันทึกซ้ำ)")
        case .answered:
            req.application.outboxWakeUp.poke()
            req.flash("ส่งข้อมูลเพิ่มเติมแล้ว เจ้าหน้าที่จะดำเนินการคำร้องของท่านต่อ และระบบนับระยะเวลาดำเนินการต่อจากเดิม")
        }
        return req.redirect(to: pageURL + "#timeline", redirectType: .normal)
    }

    /// The e-mail to the officer who holds the petition (nil when nobody holds it or they have no address).
    static func assigneeMail(_ req: Request, petition: PetitionRecord, answerID: UUID, tenant: Tenant) async throws -> RenderedMail? {
        guard let id = petition.assigneeID, let staff = try await StaffStore.find(id, on: req.db), staff.status == .active,
            !staff.email.trimmingCharacters(in: .whitespaces).isEmpty
        else { return nil }
        let link = StaffMail.absolute(req, BackOfficeURL.petition(tenant.slug, petition.number).path)
        return try await StaffMail.render(
            req, to: staff.email,
            SLAMessages.Answered(
                frame: .init(name: staff.fullNameTH, link: link), number: petition.number, serviceName: petition.serviceName,
                tenantName: tenant.thaiName, at: ThaiDate.shortWithTime(Date())),
            key: "petition-info-answered:\(answerID.uuidString.lowercased())")
    }

    /// The citizen's page again, with the answer form's errors.
    static func render(_ req: Request, _ t: ResolvedTenant, _ petition: PetitionRecord, state: PetitionAnswerState, status: HTTPStatus) async throws -> Response
    {
        try await CitizenPetitionPage.respond(req, t, petition, answer: state, status: status)
    }
}
