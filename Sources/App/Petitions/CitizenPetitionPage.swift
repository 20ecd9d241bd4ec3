import Domain
import Fluent
import Foundation
import Vapor

/// The citizen's page of one of their petitions: status, expected completion, the documents issued (the same
/// cards the officer sees, without the officers' names), the timeline, the answers and attached files.
struct CitizenPetitionPage: Encodable {
    struct Item: Encodable, Equatable {
        var label: String
        var value: String
    }

    var page: PageChrome
    var number: String
    var serviceName: String
    var status: String
    var statusKey: String
    var isOpen: Bool
    var filed: String
    var due: String
    var overdue: Bool
    /// Waiting for the citizen's answer to a request for more (the clock is stopped), and the form to answer it.
    var waiting: Bool
    var answer: PetitionAnswerPanel?
    /// Once finished: the rating (form or what was given) and "ยังไม่ได้รับการแก้ไข" while it may be said.
    var feedback: PetitionFeedbackPanel?
    var answers: [Item]
    var files: [PetitionAttachmentItem]
    /// The citizen's photos beside the photos of the result, once an officer completed it with some.
    var beforeAfter: PetitionBeforeAfter?
    var events: [PetitionTimelineEntry]
    var documents: [PetitionDocumentCard]
    var receiptURL: String
    var petitionsURL: String
    var notice: String?

    /// Everything the page shows, loaded through the stores.
    struct Records {
        var petition: PetitionRecord
        var attachmentLabels: [String: String]
        var attachments: [PetitionAttachmentRecord]
        var events: [PetitionEventRecord]
        var documents: [PetitionDocumentRecord]

        static func load(_ p: PetitionRecord, tenant t: Tenant, on db: any Database) async throws -> Records {
            // Labels as the form the petition answered had them.
            let form = try await FormVersions.find(tenant: t, service: p.service, version: p.formVersion, on: db)
            return Records(
                petition: p, attachmentLabels: PetitionAttachmentItem.labels(form: form, service: t.anyService(p.service)?.service),
                attachments: try await PetitionStore.attachments(p, on: db), events: try await PetitionStore.timeline(p, on: db),
                documents: try await PetitionDocuments.list(p, on: db))
        }
    }
}

extension CitizenPetitionPage {
    /// The page again with a form's errors (the answer to a request for more, the rating, the reopening).
    static func respond(
        _ req: Request, _ t: ResolvedTenant, _ petition: PetitionRecord, answer: PetitionAnswerState = .init(),
        feedback: PetitionFeedbackState = .init(), status: HTTPStatus
    ) async throws -> Response {
        let records = try await Records.load(petition, tenant: t.tenant, on: req.db)
        let builder = CitizenPetitionPageBuilder(
            tenant: t, geography: req.application.geography, now: Date(), verifyURL: { PetitionDocuments.verifyURL(req, $0) }, csrf: req.csrfToken())
        let page = builder.build(
            records, chrome: PageChrome(request: req, title: "คำร้อง \(petition.number) – \(t.tenant.thaiName)"), answer: answer, feedback: feedback)
        return try await req.view.render("tenant/petition", page).encodeResponse(status: status, for: req)
    }
}

/// Builds the citizen's petition page from its records (no request, no database).
struct CitizenPetitionPageBuilder {
    var tenant: ResolvedTenant
    var geography: ThaiGeography
    var now: Date
    /// The public verification page of a document (absolute, from the request's base address).
    var verifyURL: (PetitionDocumentRecord) -> String
    /// The answer form's CSRF token.
    var csrf = ""

    func build(
        _ r: CitizenPetitionPage.Records, chrome: PageChrome, notice: String? = nil, answer: PetitionAnswerState = .init(),
        feedback: PetitionFeedbackState = .init()
    ) -> CitizenPetitionPage {
        let p = r.petition
        let t = tenant
        let number = p.number
        let links = PetitionFileLinks(
            document: { t.url(.petitionDocument(number, $0)) }, documentQR: { t.url(.petitionDocumentQR(number, $0)) },
            attachment: { t.url(.petitionFile(number, $0)) }, verify: verifyURL)
        let answers = (try? StoredJSON.decode(PetitionAnswers.self, from: p.answersJSON))?.answers ?? []
        return CitizenPetitionPage(
            page: chrome, number: number, serviceName: p.serviceName, status: p.status.thai, statusKey: p.status.rawValue,
            isOpen: p.status.isOpen, filed: ThaiDate.shortWithTime(p.createdAt), due: ThaiDate.long(p.sla.due(at: now)),
            overdue: p.sla.isOverdue(at: now), waiting: p.waitingSince != nil && p.status.isOpen,
            answer: PetitionAnswerPanel.make(p, events: r.events, action: t.url(.petitionAnswer(number)), csrf: csrf, state: answer),
            feedback: PetitionFeedbackPanel.make(
                p, rateAction: t.url(.petitionRate(number)), reopenAction: t.url(.petitionReopen(number)), csrf: csrf, now: now, state: feedback),
            answers: answers.map { .init(label: $0.label, value: $0.display(in: geography)) },
            files: PetitionAttachmentItem.items(
                r.attachments.filter { $0.eventID == nil }, labels: r.attachmentLabels, audience: .citizen, links: links),
            beforeAfter: PetitionBeforeAfter.make(r.attachments) { t.url(.petitionFile(number, $0)) },
            events: PetitionTimelineEntry.timeline(
                r.events, audience: .citizen, files: PetitionAttachmentItem.answerFiles(r.attachments, audience: .citizen, links: links),
                rating: p.rating),
            documents: PetitionDocumentCard.cards(r.documents, audience: .citizen, links: links, now: now),
            receiptURL: t.url(.petitionReceipt(number)), petitionsURL: t.url(.petitions), notice: notice)
    }
}
