import Domain
import Fluent
import Foundation
import Vapor

/// An officer's page of one petition: the summary and SLA, the citizen (or the Open311 requester), the answers
/// and attachments, the timeline, the status form, the documents issued (each card with its withdrawal form)
/// and the form to issue another. Built by `OfficerPetitionPageBuilder` from `OfficerPetitionPage.Records`.
struct OfficerPetitionPage: Encodable {
    struct Row: Encodable, Equatable {
        var label: String
        var value: String
    }

    /// An issued document: the card both petition pages share, and (while it stands) the form to withdraw it.
    struct Document: Encodable {
        var card: PetitionDocumentCard
        var withdraw: WithdrawForm?
    }

    struct WithdrawForm: Encodable, Equatable {
        var action: String
        /// The reason field's id ("withdraw-reason-<id>"), the anchor of its error.
        var field: String
        var value: String
        var error: String?
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
    var attachments: [PetitionAttachmentItem]
    var timeline: [PetitionTimelineEntry]
    var statusForm: PetitionStatusForm
    var csrf: String
    var conflict: String?
    /// The status form's errors and the withdrawal's (the page's error summary).
    var errors: [ErrorLink]
    var documents: [Document]
    var upload: PetitionUploadForm
    var reasonMaxLength: Int
    var notice: String?
    /// Who holds it, the assignment form and the internal-note form (`PetitionWorkPanel`).
    var work: PetitionWorkPanel?
    /// Waiting for the citizen's answer (the due date shown has moved by the days so far), and the request form.
    var waiting: Bool
    var infoRequest: PetitionInfoRequestPanel
    /// The citizen's rating ("4 จาก 5 (พอใจมาก)"), its comment and when; how often they reopened it (ยังไม่ได้รับการแก้ไข).
    var rating: String?
    var ratingComment: String?
    var ratedAt: String?
    var reopened: String?
    /// The answers' locations on a map (`MapView`), when they carry coordinates and tiles are set.
    var map: MapView?
    var mapTiles: Bool

    /// Who filed it, as far as the officer may know.
    enum Applicant {
        case citizen(CitizenAccount)
        /// A web petition whose account is gone.
        case missingAccount
        /// Filed by another system through Open311 (its requester details are in the petition).
        case open311
    }

    /// Everything the page shows, loaded through the stores.
    struct Records {
        var petition: PetitionRecord
        var applicant: Applicant
        var attachmentLabels: [String: String]
        var attachments: [PetitionAttachmentRecord]
        var events: [PetitionEventRecord]
        var documents: [PetitionDocumentRecord]

        static func load(_ p: PetitionRecord, tenant t: Tenant, on db: any Database) async throws -> Records {
            let applicant: Applicant
            if let citizenID = p.citizenID {
                applicant = try await CitizenStore.byID(citizenID, tenant: t, on: db).map(Applicant.citizen) ?? .missingAccount
            } else {
                applicant = .open311
            }
            let form = try await FormVersions.find(tenant: t, service: p.service, version: p.formVersion, on: db)
            return Records(
                petition: p, applicant: applicant,
                attachmentLabels: PetitionAttachmentItem.labels(form: form, service: t.anyService(p.service)?.service),
                attachments: try await PetitionStore.attachments(p, on: db), events: try await PetitionStore.timeline(p, on: db),
                documents: try await PetitionDocuments.list(p, on: db))
        }
    }

    /// Loads the petition's records, builds the page and renders it (the page itself and every re-rendered form).
    static func respond(_ req: Request, petition: PetitionRecord, state: OfficerPetitionPageState, status: HTTPStatus) async throws -> Response {
        let t = try req.backOffice.tenant
        let records = try await Records.load(petition, tenant: t, on: req.db)
        let builder = OfficerPetitionPageBuilder(
            tenant: t, geography: req.application.geography, now: Date(), csrf: req.csrfToken(),
            verifyURL: { PetitionDocuments.verifyURL(req, $0) }, maps: req.application.settings.map)
        var page = builder.build(
            records, state: state, chrome: PageChrome(request: req, title: "คำร้อง \(petition.number) – \(t.thaiName)"),
            notice: req.takeFlash())
        page.work = try await PetitionWorkPanel.load(req, petition: petition, state: state)
        return try await req.view.render("backoffice/petitions/petition", page).encodeResponse(status: status, for: req)
    }

    /// Contact details an Open311 client sent (private to officers), as `Open311Requester` keeps them.
    static func requesterRows(_ json: String?) -> [OfficerPetitionPage.Row] {
        guard let json, let r = try? StoredJSON.decode(Open311Requester.self, from: json) else { return [] }
        let rows: [(String, String?)] = [
            ("ระบบที่ยื่น", r.client), ("ชื่อผู้แจ้ง", r.fullName), ("อีเมล", r.email), ("โทรศัพท์", r.phone),
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
    /// The request for more's message as typed.
    var infoMessage = ""
    /// The assignment and internal-note forms.
    var work = PetitionWorkState()
}

/// The petition (and document) named in an officer's path, within the signed-in scope's tenant; 404 otherwise.
enum OfficerPetitionLookup {
    static func petition(_ req: Request) async throws -> PetitionRecord {
        let scope = try req.backOffice
        guard let number = req.parameters.get("number"), (1...40).contains(number.count),
            let petition = try await PetitionStore.byNumber(number, tenant: scope.tenant, on: req.db)
        else { throw Abort(.notFound) }
        return petition
    }

    static func document(_ req: Request, petition: PetitionRecord) async throws -> PetitionDocumentRecord {
        guard let raw = req.parameters.get("document"), let id = UUID(uuidString: raw),
            let document = try await PetitionDocuments.find(id, petition: petition, on: req.db)
        else { throw Abort(.notFound) }
        return document
    }
}
