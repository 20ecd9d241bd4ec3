import Domain
import Fluent
import Foundation
import Vapor

/// An officer's page of one petition: the citizen, answers, attachments, timeline, SLA, the status form and
/// the documents issued for it.
struct OfficerPetitionPage: Encodable {
    struct Row: Encodable {
        var label: String
        var value: String
    }

    struct Attachment: Encodable {
        var label: String
        var name: String
        var type: String
        var size: String
        var url: String
    }

    struct Event: Encodable {
        var when: String
        var status: String
        var statusKey: String
        var from: String?
        var actor: String
        var note: String?
    }

    struct Move: Encodable {
        var value: String
        var label: String
        var checked: Bool
        var needsReason: Bool
    }

    struct Document: Encodable {
        /// The lower-case id, for the withdrawal form's field ids.
        var id: String
        var kind: String
        var title: String
        var issued: String
        var issuedBy: String
        var validity: String
        var expired: Bool
        var code: String
        var verifyURL: String
        var fileURL: String
        var downloadURL: String
        var qrURL: String
        var sha256: String
        var size: String
        var type: String
        var isWithdrawn: Bool
        /// "เพิกถอนแล้วเมื่อ …" once withdrawn, with who and why.
        var withdrawn: String?
        var withdrawnBy: String?
        var withdrawnReason: String?
        var withdrawAction: String
        var reasonValue: String
        var reasonError: String?
    }

    var page: PageChrome
    var queueURL: String
    var selfURL: String
    var number: String
    var service: String
    var status: String
    var statusKey: String
    var filed: String
    var due: String
    var overdue: Bool
    var channel: String
    var citizen: [Row]
    var answers: [Row]
    var answersProblem: String?
    var noAnswers: Bool
    var attachments: [Attachment]
    var timeline: [Event]
    var moves: [Move]
    var isFinal: Bool
    var version: Int
    var csrf: String
    var moveAction: String
    var note: String
    var statusError: String?
    var noteError: String?
    var conflict: String?
    var errors: [ErrorLink]
    var documents: [Document]
    var uploadAction: String
    /// The upload form's submission token: a repeat of the same form gives back the document it issued.
    var submission: String
    var tokenField: String
    var reasonMaxLength: Int
    var kinds: [FieldView.Option]
    var titleValue: String
    var validUntilValue: String
    var fileError: String?
    var kindError: String?
    var titleError: String?
    var validUntilError: String?
    var uploadErrors: [ErrorLink]
    var maxMB: Int
    var maxBytes: Int
    var accept: String
    var dateHint: String
    var notice: String?

    static func respond(_ req: Request, petition p: PetitionRecord, state: OfficerPetitionPageState, status httpStatus: HTTPStatus) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let now = Date()
        let geography = req.application.geography
        let number = p.number

        var citizenRows: [OfficerPetitionPage.Row] = []
        if let citizenID = p.citizenID {
            if let c = try await CitizenStore.byID(citizenID, tenant: t, on: req.db) {
                citizenRows = [
                    .init(label: "ชื่อ–นามสกุล", value: c.fullName),
                    .init(label: "เลขประจำตัวประชาชน", value: c.maskedNationalID),
                    .init(label: "โทรศัพท์มือถือ", value: c.mobile),
                    .init(label: "อีเมล", value: c.email),
                    .init(label: "การยืนยันตัวตน", value: c.verificationStatus.thai),
                ]
            } else {
                citizenRows = [.init(label: "ผู้ยื่น", value: "ไม่พบบัญชีผู้ยื่นแล้ว")]
            }
        } else {
            citizenRows = [.init(label: "ช่องทาง", value: "ยื่นผ่านระบบอื่นทาง Open311 API")] + Self.requesterRows(p.requesterJSON)
        }

        var answers: [OfficerPetitionPage.Row] = []
        var answersProblem: String?
        if let decoded = try? StoredJSON.decode(PetitionAnswers.self, from: p.answersJSON) {
            answers = decoded.answers.map { .init(label: $0.label, value: $0.display(in: geography)) }
        } else {
            answersProblem = "แสดงคำตอบในรูปแบบปกติไม่ได้ ข้อมูลที่บันทึกไว้: \(p.answersJSON.prefix(2000))"
        }

        let form = try await FormVersions.find(tenant: t, service: p.service, version: p.formVersion, on: req.db)
        let labels = Dictionary((form?.attachments ?? []).map { ($0.key, $0.label) }, uniquingKeysWith: { a, _ in a })
        let attachments = try await PetitionStore.attachments(p, on: req.db).compactMap { a -> OfficerPetitionPage.Attachment? in
            guard let id = a.id else { return nil }
            return .init(label: labels[a.fieldKey] ?? a.fieldKey, name: a.originalName,
                         type: FileKind.from(mimeType: a.mimeType)?.displayName ?? a.mimeType, size: PetitionAttachments.sizeText(a.bytes),
                         url: BackOfficeURL.petitionAttachment(t.slug, number, id).path)
        }
        let timeline = try await PetitionStore.timeline(p, on: req.db).map { e -> OfficerPetitionPage.Event in
            let to = PetitionStatus(rawValue: e.toStatus)
            let who: String = switch e.actorKind {
            case "staff": "เจ้าหน้าที่ \(e.actorName)"
            case "api": "ระบบ \(e.actorName) (Open311)"
            default: "ผู้ยื่น \(e.actorName)"
            }
            return .init(when: ThaiDate.shortWithTime(e.createdAt), status: to?.thai ?? e.toStatus, statusKey: e.toStatus,
                         from: e.fromStatus.flatMap(PetitionStatus.init(rawValue:))?.thai, actor: who, note: e.note)
        }
        let documents = try await PetitionDocuments.list(p, on: req.db).compactMap { d -> OfficerPetitionPage.Document? in
            guard let id = d.id else { return nil }
            let validity: String
            if let until = d.validUntil {
                validity = (d.isExpired(at: now) ? "หมดอายุแล้ว (ใช้ได้ถึง " : "ใช้ได้ถึง ") + ThaiDate.long(until) + (d.isExpired(at: now) ? ")" : "")
            } else {
                validity = "ไม่มีวันหมดอายุ"
            }
            let file = BackOfficeURL.petitionDocument(t.slug, number, id).path
            let answering = state.withdrawing == id
            return .init(id: id.uuidString.lowercased(), kind: d.kind.thai, title: d.title, issued: ThaiDate.shortWithTime(d.issuedAt), issuedBy: d.issuedByName,
                         validity: validity, expired: d.isExpired(at: now), code: PetitionDocuments.displayCode(d.verificationCode),
                         verifyURL: PetitionDocuments.verifyURL(req, d), fileURL: file, downloadURL: file + "?download=1",
                         qrURL: BackOfficeURL.petitionDocumentQR(t.slug, number, id).path, sha256: d.sha256, size: PetitionAttachments.sizeText(d.bytes),
                         type: FileKind.from(mimeType: d.mimeType)?.displayName ?? d.mimeType,
                         isWithdrawn: d.isWithdrawn, withdrawn: PetitionDocuments.withdrawal(d)?.when, withdrawnBy: d.withdrawnByName,
                         withdrawnReason: PetitionDocuments.withdrawal(d)?.reason,
                         withdrawAction: BackOfficeURL.petitionDocumentWithdraw(t.slug, number, id).path,
                         reasonValue: answering ? state.reason : "", reasonError: answering ? state.errors[Self.reasonField(id)] : nil)
        }
        let status = p.status
        let context = OfficerPetitionPage(
            page: PageChrome(request: req, title: "คำร้อง \(number) – \(t.thaiName)"),
            queueURL: BackOfficeURL.petitionQueue(t.slug).path, selfURL: BackOfficeURL.petition(t.slug, number).path,
            number: number, service: p.serviceName, status: status.thai, statusKey: status.rawValue,
            filed: ThaiDate.shortWithTime(p.createdAt), due: ThaiDate.long(p.dueAt), overdue: status.isOpen && p.dueAt < now,
            channel: p.channel == .open311 ? "Open311 API" : "เว็บไซต์ (ผู้ยื่นเข้าสู่ระบบ)",
            citizen: citizenRows, answers: answers, answersProblem: answersProblem,
            noAnswers: answers.isEmpty && answersProblem == nil, attachments: attachments, timeline: timeline,
            moves: status.allowedMoves.map { .init(value: $0.rawValue, label: $0.thai, checked: $0.rawValue == state.chosen, needsReason: $0 == .cannotProceed) },
            isFinal: status.isFinal, version: p.version, csrf: req.csrfToken(),
            moveAction: BackOfficeURL.petitionStatus(t.slug, number).path, note: state.note,
            statusError: state.errors["status"], noteError: state.errors["note"], conflict: state.conflict, errors: state.errors.items,
            documents: documents, uploadAction: BackOfficeURL.petitionDocuments(t.slug, number).path,
            submission: state.submission ?? RandomToken.make(), tokenField: PetitionDocuments.tokenField,
            reasonMaxLength: PetitionDocuments.reasonMaxLength,
            kinds: PetitionDocumentKind.allCases.map { .init(value: $0.rawValue, label: $0.thai, selected: $0.rawValue == state.kind) },
            titleValue: state.title, validUntilValue: state.validUntil,
            fileError: state.uploadErrors["file"], kindError: state.uploadErrors["kind"], titleError: state.uploadErrors["title"],
            validUntilError: state.uploadErrors["valid_until"], uploadErrors: state.uploadErrors.items,
            maxMB: PetitionDocuments.maxMB, maxBytes: PetitionDocuments.maxBytes, accept: PetitionDocuments.acceptAttribute,
            dateHint: BuddhistDateInput.hint, notice: req.takeFlash())
        return try await req.view.render("backoffice/petitions/petition", context).encodeResponse(status: httpStatus, for: req)
    }

    /// Contact details an Open311 client sent (private to officers), as `Open311Requester` keeps them.
    static func requesterRows(_ json: String?) -> [OfficerPetitionPage.Row] {
        guard let json, let r = try? StoredJSON.decode(Open311Requester.self, from: json) else { return [] }
        let name = [r.firstName, r.lastName].compactMap { $0 }.joined(separator: " ")
        let rows: [(String, String?)] = [
            ("ระบบที่ยื่น", r.client), ("ชื่อผู้แจ้ง", name.isEmpty ? nil : name), ("อีเมล", r.email), ("โทรศัพท์", r.phone),
            ("รายละเอียดที่แจ้ง", r.description), ("ตำแหน่งที่แจ้ง", r.addressString),
            ("พิกัด", r.lat.flatMap { lat in r.long.map { "\(lat), \($0)" } }), ("ลิงก์ภาพที่ระบบอื่นแนบมา (ไม่ได้ดึงมาเก็บ)", r.mediaURL),
            ("รหัสที่อยู่", r.addressID), ("รหัสอุปกรณ์", r.deviceID), ("รหัสบัญชีในระบบอื่น", r.accountID),
        ]
        return rows.compactMap { label, value in
            guard let value, !value.isEmpty else { return nil }
            return .init(label: label, value: String(value.prefix(300)))
        }
    }

    static func reasonField(_ id: UUID) -> String { "withdraw-reason-\(id.uuidString.lowercased())" }
}

/// What a re-rendered page keeps of what the officer sent, and what went wrong.
struct OfficerPetitionPageState {
    var note = ""
    var chosen: String?
    var errors = FormErrors()
    var conflict: String?
    var kind: String?
    var title = ""
    var validUntil = ""
    var uploadErrors = FormErrors()
    var submission: String?
    /// The document whose withdrawal form is answered, and the reason typed.
    var withdrawing: UUID?
    var reason = ""
}

/// The petition (and document) named in an officer's path, within the signed-in scope's tenant; 404 otherwise.
enum OfficerPetitionLookup {
    static func petition(_ req: Request) async throws -> PetitionRecord {
        let scope = try req.backOffice
        guard let number = req.parameters.get("number"), (1...40).contains(number.count),
              let petition = try await PetitionStore.byNumber(number, tenant: scope.tenant, on: req.db) else { throw Abort(.notFound) }
        return petition
    }

    static func document(_ req: Request, petition: PetitionRecord) async throws -> PetitionDocumentRecord {
        guard let raw = req.parameters.get("document"), let id = UUID(uuidString: raw),
              let document = try await PetitionDocuments.find(id, petition: petition, on: req.db) else { throw Abort(.notFound) }
        return document
    }
}
