import Domain
import Foundation

/// Builds an officer's petition page from its records and what a re-rendered form keeps (no request, no
/// database): the summary, the applicant, the answers, and the parts shared with the citizen's page.
struct OfficerPetitionPageBuilder {
    var tenant: Tenant
    var geography: ThaiGeography
    var now: Date
    var csrf: String
    /// The public verification page of a document (absolute, from the request's base address).
    var verifyURL: (PetitionDocumentRecord) -> String
    /// Map tiles for the answers' pins (none drawn when `MAP_TILE_URL` is off).
    var maps: MapSettings = .default

    func build(_ r: OfficerPetitionPage.Records, state: OfficerPetitionPageState = .init(), chrome: PageChrome, notice: String? = nil) -> OfficerPetitionPage {
        let p = r.petition
        let slug = tenant.slug
        let number = p.number
        let links = PetitionFileLinks(
            document: { BackOfficeURL.petitionDocument(slug, number, $0).path },
            documentQR: { BackOfficeURL.petitionDocumentQR(slug, number, $0).path },
            attachment: { BackOfficeURL.petitionAttachment(slug, number, $0).path },
            verify: verifyURL)
        var answers: [OfficerPetitionPage.Row] = []
        var answersProblem: String?
        var map: MapView?
        if let decoded = try? StoredJSON.decode(PetitionAnswers.self, from: p.answersJSON) {
            answers = decoded.answers.map { .init(label: $0.label, value: $0.display(in: geography)) }
            let pins = MapView.pins(decoded)
            if maps.drawsMaps, !pins.isEmpty {
                map = MapView(settings: maps, area: tenant.config.area, pins: pins, label: "แผนที่ตำแหน่งที่ระบุในคำร้อง \(number)")
            }
        } else {
            answersProblem = "แสดงคำตอบในรูปแบบปกติไม่ได้ ข้อมูลที่บันทึกไว้: \(p.answersJSON.prefix(2000))"
        }
        let status = p.status
        return OfficerPetitionPage(
            page: chrome, queueURL: BackOfficeURL.petitionQueue(slug).path, selfURL: BackOfficeURL.petition(slug, number).path,
            number: number, service: p.serviceName, status: status.thai, statusKey: status.rawValue,
            filed: ThaiDate.shortWithTime(p.createdAt), due: ThaiDate.long(p.sla.due(at: now)), overdue: p.sla.isOverdue(at: now),
            channel: p.channel == .open311
                ? "Open311 API" : p.channel.isAssisted ? "\(p.channel.thai) (เจ้าหน้าที่ยื่นแทน)" : "\(p.channel.thai) (ผู้ยื่นเข้าสู่ระบบ)",
            citizen: applicantRows(r.applicant, petition: p), answers: answers, answersProblem: answersProblem,
            noAnswers: answers.isEmpty && answersProblem == nil,
            attachments: PetitionAttachmentItem.items(
                r.attachments.filter { $0.eventID == nil }, labels: r.attachmentLabels, audience: .officer, links: links),
            timeline: PetitionTimelineEntry.timeline(
                r.events, audience: .officer, files: PetitionAttachmentItem.answerFiles(r.attachments, audience: .officer, links: links),
                rating: p.rating),
            statusForm: PetitionStatusForm(
                status: status, version: p.version, action: BackOfficeURL.petitionStatus(slug, number).path,
                photosAction: p.menu == MenuKey.complaints.rawValue ? BackOfficeURL.petitionStatusPhotos(slug, number).path : nil,
                chosen: state.chosen, note: state.note, errors: state.errors),
            csrf: csrf, conflict: state.conflict, errors: state.errors.items,
            documents: PetitionDocumentCard.cards(r.documents, audience: .officer, links: links, now: now).map { card in
                document(card, number: number, state: state)
            },
            upload: PetitionUploadForm(
                action: BackOfficeURL.petitionDocuments(slug, number).path, submission: state.submission ?? RandomToken.make(),
                kind: state.kind, title: state.title, validUntil: state.validUntil, errors: state.uploadErrors),
            reasonMaxLength: PetitionDocuments.reasonMaxLength, notice: notice, waiting: p.waitingSince != nil && status.isOpen,
            infoRequest: PetitionInfoRequestPanel(
                p, action: BackOfficeURL.petitionInfoRequest(slug, number).path, message: state.infoMessage, errors: state.errors),
            rating: p.rating.map { "\($0) จาก \(PetitionRating.stars.upperBound) (\(PetitionRating.thai($0)))" }, ratingComment: p.ratingComment,
            ratedAt: p.ratedAt.map(ThaiDate.shortWithTime),
            reopened: p.reopenedCount > 0 ? "ผู้ยื่นแจ้งว่ายังไม่ได้รับการแก้ไข \(p.reopenedCount) ครั้ง" : nil,
            map: map, mapTiles: map != nil)
    }

    /// A card, with the withdrawal form while the document stands (keeping the reason typed and its error when
    /// that form was the one sent).
    func document(_ card: PetitionDocumentCard, number: String, state: OfficerPetitionPageState) -> OfficerPetitionPage.Document {
        guard !card.isWithdrawn, let id = UUID(uuidString: card.id) else { return .init(card: card, withdraw: nil) }
        let field = OfficerPetitionPage.reasonField(id)
        let answering = state.withdrawing == id
        return .init(
            card: card,
            withdraw: .init(
                action: BackOfficeURL.petitionDocumentWithdraw(tenant.slug, number, id).path, field: field,
                value: answering ? state.reason : "", error: answering ? state.errors[field] : nil))
    }

    func applicantRows(_ applicant: OfficerPetitionPage.Applicant, petition p: PetitionRecord) -> [OfficerPetitionPage.Row] {
        switch applicant {
        case .citizen(let c):
            [
                .init(label: "ชื่อ–นามสกุล", value: c.fullName),
                .init(label: "เลขประจำตัวประชาชน", value: c.maskedNationalID),
                .init(label: "โทรศัพท์มือถือ", value: c.mobile),
                .init(label: "อีเมล", value: c.email),
                .init(label: "การยืนยันตัวตน", value: c.verificationStatus.thai),
            ]
        case .missingAccount:
            [.init(label: "ผู้ยื่น", value: "ไม่พบบัญชีผู้ยื่นแล้ว")]
        case .open311:
            [
                .init(
                    label: "ช่องทาง",
                    value: p.channel.isAssisted ? "เจ้าหน้าที่ยื่นแทนผู้ไม่มีบัญชี (\(p.channel.thai))" : "ยื่นผ่านระบบอื่นทาง Open311 API")
            ] + OfficerPetitionPage.requesterRows(p.requesterJSON)
        }
    }
}
