import Domain
import Fluent
import Foundation

/// A change a citizen may be told about, written by the store to the outbox in the change's own transaction
/// (`record(tenant:on:)`), so a rolled-back change leaves no event and a committed one is never lost. The
/// notifier (`NoticeHandler`) reads it later and decides who hears what. Each carries the ids and what the
/// notice needs that may not be readable later (the officer's note, the statuses, the version, the link base).
///
/// The job's idempotency key is `event:` + `key`; the e-mail and LINE jobs it causes are keyed by `key` itself
/// (and `line:` + `key`), as they were before the events, so one change is one e-mail and one push.
protocol NoticeEvent: Codable, Sendable {
    static var kind: String { get }
    var key: String { get }
}

extension NoticeEvent {
    static var eventKeyPrefix: String { "event:" }

    /// Writes the event; call it with the transaction's `db` that makes the change.
    func record(tenant: Tenant, on db: any Database) async throws {
        try await OutboxStore.enqueue(tenant: tenant, kind: Self.kind, payload: self, idempotencyKey: Self.eventKeyPrefix + key, on: db)
    }
}

/// Every notice event kind, for the notifier's registration.
enum NoticeEvents {
    static let all: [any NoticeEvent.Type] = [
        PetitionFiled.self, PetitionMoved.self, DocumentIssued.self, DocumentWithdrawn.self, IdentityDecided.self,
        PetitionInfoRequested.self,
    ]
    static var kinds: [String] { all.map { $0.kind } }
}

/// The facts of a petition a notice shows, as they were when the change was made.
struct PetitionFacts: Codable, Sendable, Equatable {
    var petitionID: UUID
    /// Nil for a petition filed through Open311: nobody to tell.
    var citizenID: UUID?
    var number: String
    var serviceName: String
    var filedAt: Date
    var dueAt: Date

    init(petitionID: UUID, citizenID: UUID?, number: String, serviceName: String, filedAt: Date, dueAt: Date) {
        self.petitionID = petitionID
        self.citizenID = citizenID
        self.number = number
        self.serviceName = serviceName
        self.filedAt = filedAt
        self.dueAt = dueAt
    }

    init(_ p: PetitionRecord) throws {
        petitionID = try p.requireID()
        citizenID = p.citizenID
        number = p.number
        serviceName = p.serviceName
        filedAt = p.createdAt
        dueAt = p.dueAt
    }
}

/// `petition.filed`: a citizen's petition was received.
struct PetitionFiled: NoticeEvent {
    static let kind = "petition.filed"
    var petition: PetitionFacts
    /// Where the tenant's pages are for the citizen ("http://host/t/slug" or "https://tenant-host").
    var linkBase: String
    /// Filed in a LINE chat: the chat's own answer told the tracking number, so no LINE push repeats it.
    var inLineChat: Bool? = nil

    var key: String { "petition-filed:\(petition.petitionID.uuidString.lowercased())" }
}

/// `petition.moved`: an officer moved the petition to a new status.
struct PetitionMoved: NoticeEvent {
    static let kind = "petition.moved"
    var petition: PetitionFacts
    var from: PetitionStatus
    var to: PetitionStatus
    var at: Date
    var note: String?
    /// The petition's version after the move: one notice per move.
    var version: Int
    var linkBase: String

    var key: String { "petition-status:\(petition.petitionID.uuidString.lowercased()):\(version)" }
}

/// The facts of an issued document a notice shows.
struct DocumentFacts: Codable, Sendable, Equatable {
    var documentID: UUID
    var kind: PetitionDocumentKind
    var title: String
    /// As people read it ("7KQ2-M9XD-4HTR").
    var code: String

    init(documentID: UUID, kind: PetitionDocumentKind, title: String, code: String) {
        self.documentID = documentID
        self.kind = kind
        self.title = title
        self.code = code
    }

    init(_ d: PetitionDocumentRecord) throws {
        documentID = try d.requireID()
        kind = d.kind
        title = d.title
        code = PetitionDocuments.displayCode(d.verificationCode)
    }
}

/// `document.issued`: an officer issued a document (receipt, licence) for the petition.
struct DocumentIssued: NoticeEvent {
    static let kind = "document.issued"
    var petition: PetitionFacts
    var document: DocumentFacts
    var issuedAt: Date
    var linkBase: String

    var key: String { "petition-document-issued:\(document.documentID.uuidString.lowercased())" }
}

/// `document.withdrawn`: an officer withdrew a document issued by mistake, with a reason.
struct DocumentWithdrawn: NoticeEvent {
    static let kind = "document.withdrawn"
    var petition: PetitionFacts
    var document: DocumentFacts
    var withdrawnAt: Date
    var reason: String?
    var linkBase: String

    var key: String { "petition-document-withdrawn:\(document.documentID.uuidString.lowercased())" }
}

/// `identity.decided`: an officer approved or rejected the citizen's identity images.
struct IdentityDecided: NoticeEvent {
    static let kind = "identity.decided"
    var citizenID: UUID
    var approved: Bool
    var reason: String?
    /// The set of images decided on: one notice per decision.
    var identityVersion: Int
    var linkBase: String

    var key: String { "identity-decision:\(citizenID.uuidString):\(identityVersion)" }
}

/// `petition.info_requested`: an officer asked the citizen for more information or a missing document; the
/// petition waits (the SLA clock stops) until the citizen answers on the petition page.
struct PetitionInfoRequested: NoticeEvent {
    static let kind = "petition.info_requested"
    var petition: PetitionFacts
    /// The timeline entry of the request: one notice per request.
    var eventID: UUID
    /// The officer's message, for the citizen.
    var message: String
    var at: Date
    var linkBase: String

    var key: String { "petition-info-requested:\(eventID.uuidString.lowercased())" }
}
