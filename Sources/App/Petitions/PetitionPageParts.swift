import Domain
import Foundation

// The parts both petition pages are built from: the officer's page in the back office and the citizen's own
// page. Each part is a typed, Encodable value made from records alone (no request, no database), so a page
// builder is a plain function and a test can check a part field by field.

/// Who a petition page is for: the same record is told differently to the tenant's officers and to the citizen
/// (officers see who did what by name; the citizen sees "เจ้าหน้าที่").
enum PetitionAudience: Sendable {
    case officer
    case citizen
}

/// Where the files a petition page links to live, for one audience (the back office's paths or the tenant's).
struct PetitionFileLinks {
    /// An issued document's file (`?download=1` is added for the download link).
    var document: (UUID) -> String
    var documentQR: (UUID) -> String
    /// A file the citizen attached.
    var attachment: (UUID) -> String
    /// The public verification page of a document (absolute: it is printed and scanned).
    var verify: (PetitionDocumentRecord) -> String
}

/// One issued document (receipt, licence) as a card: what it is, its code and QR, its validity, its file, and
/// whether it was withdrawn (and why).
struct PetitionDocumentCard: Encodable, Equatable {
    /// The lower-case id (element ids on the page).
    var id: String
    var kind: String
    var title: String
    /// The day it was issued ("1 มกราคม 2569") and the moment ("1 ม.ค. 2569 09:00").
    var issuedOn: String
    var issuedAt: String
    /// The officer who issued it; officers only.
    var issuedBy: String?
    /// The last valid day; nil when it does not expire.
    var validUntil: String?
    /// "ใช้ได้ถึง …", "หมดอายุแล้ว (ใช้ได้ถึง …)" or "ไม่มีวันหมดอายุ".
    var validity: String
    var expired: Bool
    var code: String
    var verifyURL: String
    var viewURL: String
    var downloadURL: String
    var qrURL: String
    var sha256: String
    var size: String
    var type: String
    var isWithdrawn: Bool
    /// "เพิกถอนแล้วเมื่อ …" once withdrawn.
    var withdrawn: String?
    /// Who withdrew it; officers only.
    var withdrawnBy: String?
    var withdrawnReason: String?

    init(_ d: PetitionDocumentRecord, id: UUID, audience: PetitionAudience, links: PetitionFileLinks, now: Date) {
        self.id = id.uuidString.lowercased()
        kind = d.kind.thai
        title = d.title
        issuedOn = ThaiDate.long(d.issuedAt)
        issuedAt = ThaiDate.shortWithTime(d.issuedAt)
        issuedBy = audience == .officer ? d.issuedByName : nil
        validUntil = d.validUntil.map(ThaiDate.long)
        expired = d.isExpired(at: now)
        if let until = d.validUntil {
            validity = expired ? "หมดอายุแล้ว (ใช้ได้ถึง \(ThaiDate.long(until)))" : "ใช้ได้ถึง \(ThaiDate.long(until))"
        } else {
            validity = "ไม่มีวันหมดอายุ"
        }
        code = PetitionDocuments.displayCode(d.verificationCode)
        verifyURL = links.verify(d)
        viewURL = links.document(id)
        downloadURL = viewURL + "?download=1"
        qrURL = links.documentQR(id)
        sha256 = d.sha256
        size = PetitionAttachments.sizeText(d.bytes)
        type = FileKind.from(mimeType: d.mimeType)?.displayName ?? d.mimeType
        isWithdrawn = d.isWithdrawn
        let withdrawal = PetitionDocuments.withdrawal(d)
        withdrawn = withdrawal?.when
        withdrawnBy = audience == .officer ? d.withdrawnByName : nil
        withdrawnReason = withdrawal?.reason
    }

    /// The cards of a petition's documents, in the order they were issued.
    static func cards(_ documents: [PetitionDocumentRecord], audience: PetitionAudience, links: PetitionFileLinks, now: Date) -> [PetitionDocumentCard] {
        documents.sorted { $0.issuedAt < $1.issuedAt }.compactMap { d in
            d.id.map { PetitionDocumentCard(d, id: $0, audience: audience, links: links, now: now) }
        }
    }
}

/// One step of a petition's timeline: the status reached, when, by whom, and the note the citizen sees.
struct PetitionTimelineEntry: Encodable, Equatable {
    var when: String
    var status: String
    var statusKey: String
    /// The status it left (nil for the filing).
    var from: String?
    /// Officers: "เจ้าหน้าที่ สมชาย ใจดี", "ระบบ … (Open311)", "ผู้ยื่น …"; the citizen: "เจ้าหน้าที่" or "ผู้ยื่นคำร้อง".
    var actor: String
    var note: String?
    /// The event's kind (`PetitionEventKind`), and whether only staff see it (officers' timeline marks it).
    var kind: String
    var staffOnly: Bool
    /// The files the citizen sent with an answer to a request for more (linked for this audience).
    var files: [PetitionAttachmentItem] = []

    init(_ e: PetitionEventRecord, audience: PetitionAudience) {
        when = ThaiDate.shortWithTime(e.createdAt)
        let to = PetitionStatus(rawValue: e.toStatus)
        status = to?.thai ?? e.toStatus
        statusKey = e.toStatus
        from = e.fromStatus.flatMap(PetitionStatus.init(rawValue:))?.thai
        kind = e.kind.rawValue
        staffOnly = !e.kind.citizenSees
        if staffOnly {
            // An internal note or an assignment: named by what it is, not by the status it left unchanged.
            status = e.kind.thai
            from = nil
        }
        if e.kind == .infoRequested || e.kind == .infoAnswered || e.kind == .rated {
            // A request for more, its answer, a rating: named by what they are (the status stays as it was).
            status = e.kind.thai
            from = nil
        }
        if e.kind == .reopened {
            // Back to กำลังดำเนินการ by the citizen: named by what happened; `from` says it left ดำเนินการสำเร็จ.
            status = "\(e.kind.thai) (กลับไปที่ “\(status)”)"
        }
        switch (audience, e.actorKind) {
        case (.officer, PetitionStore.Actor.Kind.staff.rawValue): actor = "เจ้าหน้าที่ \(e.actorName)"
        case (.officer, "api"): actor = "ระบบ \(e.actorName) (Open311)"
        case (.officer, _): actor = "ผู้ยื่น \(e.actorName)"
        case (.citizen, PetitionStore.Actor.Kind.staff.rawValue): actor = "เจ้าหน้าที่"
        case (.citizen, _): actor = "ผู้ยื่นคำร้อง"
        }
        note = e.note
    }

    /// The timeline oldest first (the filing at the top); moves made in the same instant keep their stored order.
    /// The citizen's timeline leaves out what only staff see (internal notes, assignments).
    /// `files`: the answer files of each event (by the event's id).
    /// `rating`: the petition's rating, which its `rated` entry names ("… 4 จาก 5 (พอใจมาก)").
    static func timeline(
        _ events: [PetitionEventRecord], audience: PetitionAudience, files: [UUID: [PetitionAttachmentItem]] = [:], rating: Int? = nil
    ) -> [PetitionTimelineEntry] {
        events.filter { audience == .officer || $0.kind.citizenSees }.enumerated().sorted {
            ($0.element.createdAt, $0.offset) < ($1.element.createdAt, $1.offset)
        }
        .map {
            var entry = PetitionTimelineEntry($0.element, audience: audience)
            if let id = $0.element.id { entry.files = files[id] ?? [] }
            if $0.element.kind == .rated, let rating {
                entry.status += " \(rating) จาก \(PetitionRating.stars.upperBound) (\(PetitionRating.thai(rating)))"
            }
            return entry
        }
    }
}

/// A file the citizen attached, with the label of the form field it answered.
struct PetitionAttachmentItem: Encodable, Equatable {
    var label: String
    var name: String
    var type: String
    var size: String
    var url: String

    /// `labels`: field key → label, as the petition's form version had them (`labels(form:service:)`).
    static func items(
        _ files: [PetitionAttachmentRecord], labels: [String: String], audience: PetitionAudience,
        links: PetitionFileLinks
    ) -> [PetitionAttachmentItem] {
        files.compactMap { a in
            a.id.map {
                PetitionAttachmentItem(
                    label: labels[a.fieldKey] ?? (audience == .officer ? a.fieldKey : "ไฟล์แนบ"), name: a.originalName,
                    type: FileKind.from(mimeType: a.mimeType)?.displayName ?? a.mimeType,
                    size: PetitionAttachments.sizeText(a.bytes), url: links.attachment($0))
            }
        }
    }

    /// The attachment labels of the form the petition answered, else of the service as it stands now.
    static func labels(form: FormVersion?, service: Service?) -> [String: String] {
        Dictionary((form?.attachments ?? service?.attachments ?? []).map { ($0.key, $0.label) }, uniquingKeysWith: { a, _ in a })
    }
}

/// "ก่อนและหลัง" on the citizen's page: the photos they filed beside the photos of the result an officer completed the
/// complaint with (shown once there is a result photo).
struct PetitionBeforeAfter: Encodable, Equatable {
    struct Photo: Encodable, Equatable {
        var url: String
        var alt: String
    }

    var before: [Photo]
    var after: [Photo]

    /// Kinds a browser shows in an `<img>` (a HEIC is linked in the file list instead).
    static let shown: Set<FileKind> = [.jpeg, .png, .webp]

    static func make(_ files: [PetitionAttachmentRecord], link: (UUID) -> String) -> PetitionBeforeAfter? {
        func photos(_ records: [PetitionAttachmentRecord], _ alt: String) -> [Photo] {
            records.filter { FileKind.from(mimeType: $0.mimeType).map(shown.contains) == true }.enumerated().compactMap { i, r in
                r.id.map { Photo(url: link($0), alt: "\(alt) \(i + 1): \(r.originalName)") }
            }
        }
        // An officer's result photos came with a timeline entry (a form's own `_result` field could not pass for them).
        let after = photos(files.filter { $0.fieldKey == PetitionCommandsController.resultRule.key && $0.eventID != nil }, "รูปผลการดำเนินการ")
        guard !after.isEmpty else { return nil }
        return PetitionBeforeAfter(before: photos(files.filter { $0.eventID == nil }, "รูปที่แจ้ง"), after: after)
    }
}

/// The officer's status form: the moves the petition's status allows (none once final), the note, errors.
struct PetitionStatusForm: Encodable, Equatable {
    struct Move: Encodable, Equatable {
        var value: String
        var label: String
        var checked: Bool
        var needsReason: Bool
    }

    var action: String
    /// The petition's version when the page was made: a move from a stale page is refused (409).
    var version: Int
    var isFinal: Bool
    var moves: [Move]
    var note: String
    var statusError: String?
    var noteError: String?
    /// A complaint's form is multipart and takes photos of the result with ดำเนินการสำเร็จ (nil for other petitions).
    var photos: Photos?

    struct Photos: Encodable, Equatable {
        var input = PetitionCommandsController.resultInput
        var maxFiles = PetitionCommandsController.resultRule.effectiveMaxCount
        var maxMB = PetitionCommandsController.resultRule.effectiveMaxMB
        var accept = PetitionCommandsController.resultRule.types.flatMap(\.mimeTypes).joined(separator: ",")
        var error: String?
    }

    /// `photosAction`: the multipart route of a complaint's form (nil: the plain form).
    init(
        status: PetitionStatus, version: Int, action: String, photosAction: String? = nil, chosen: String? = nil, note: String = "",
        errors: FormErrors = FormErrors()
    ) {
        self.action = photosAction ?? action
        photos = photosAction.map { _ in Photos(error: errors[PetitionCommandsController.resultInput]) }
        self.version = version
        isFinal = status.isFinal
        moves = status.allowedMoves.map {
            Move(value: $0.rawValue, label: $0.thai, checked: $0.rawValue == chosen, needsReason: $0 == .cannotProceed)
        }
        self.note = note
        statusError = errors["status"]
        noteError = errors["note"]
    }
}

/// The officer's form to issue a document: kinds, title, validity, the file, and the submission token that
/// makes a repeated form one document.
struct PetitionUploadForm: Encodable {
    var action: String
    var tokenField = PetitionDocuments.tokenField
    var submission: String
    var kinds: [FieldView.Option]
    var titleValue: String
    var validUntilValue: String
    var fileError: String?
    var kindError: String?
    var titleError: String?
    var validUntilError: String?
    var errors: [ErrorLink]
    var maxMB = PetitionDocuments.maxMB
    var maxBytes = PetitionDocuments.maxBytes
    var accept = PetitionDocuments.acceptAttribute
    var dateHint = BuddhistDateInput.hint

    init(action: String, submission: String, kind: String? = nil, title: String = "", validUntil: String = "", errors: FormErrors = FormErrors()) {
        self.action = action
        self.submission = submission
        kinds = PetitionDocumentKind.allCases.map { .init(value: $0.rawValue, label: $0.thai, selected: $0.rawValue == kind) }
        titleValue = title
        validUntilValue = validUntil
        fileError = errors["file"]
        kindError = errors["kind"]
        titleError = errors["title"]
        validUntilError = errors["valid_until"]
        self.errors = errors.items
    }
}
