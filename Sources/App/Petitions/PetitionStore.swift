import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Petitions of one tenant: filing (number, first timeline entry, attachments and the notice event in one
/// transaction, once per submission key), status changes that two officers cannot both make, and the
/// citizen's list.
enum PetitionStore {
    /// A file already written to the file store, to be recorded with the petition.
    struct StoredAttachment: Sendable {
        var fieldKey: String
        var fileName: String
        var originalName: String
        var mimeType: String
        var bytes: Int
        var sha256: String
    }

    struct Filing: Sendable {
        var tenant: Tenant
        /// The signed-in citizen; nil for a request filed through the Open311 API.
        var citizenID: UUID?
        /// Who filed it, for the timeline (the citizen's name, or the API client's name).
        var citizenName: String
        var channel: PetitionChannel = .web
        var apiKeyID: UUID? = nil
        /// Contact details an API client sent (JSON), kept private.
        var requesterJSON: String? = nil
        var menu: MenuKey
        var service: Service
        var formVersion: Int
        /// The cleaned answers, as JSON.
        var answersJSON: String
        var attachments: [StoredAttachment]
        /// One per rendering of the form: a second submit of the same page gives back the first petition.
        var submissionKey: String
        /// Who the timeline names as filing it, when not the filer itself (an officer filing at the counter).
        var actor: Actor? = nil
    }

    /// Who changed a petition.
    struct Actor: Sendable {
        enum Kind: String, Sendable { case citizen, staff, api }
        var kind: Kind
        var id: UUID?
        var name: String
    }

    /// "BKT-2569-000042": the tenant's code, the Buddhist-era year and the number within it.
    static func nextNumber(tenant: Tenant, now: Date, on db: any Database) async throws -> String {
        let year = ThaiYear.of(now)
        let value = try await Sequences.next(scope: "petition:\(tenant.id)", year: year, on: db)
        return Sequences.formatted(prefix: tenant.config.code, year: year, value: value)
    }

    /// Files the petition, or returns the one this submission key already filed (`created` false), with its
    /// `petition.filed` event in the same transaction (the notifier tells the citizen; links start at `linkBase`).
    /// `alsoWrite` runs in the new petition's transaction (a LINE chat marks itself filed there): if it throws,
    /// nothing is written.
    static func file(
        _ f: Filing, linkBase: String, now: Date = Date(), on db: any Database,
        alsoWrite: (@Sendable (PetitionRecord, any Database) async throws -> Void)? = nil
    ) async throws -> (petition: PetitionRecord, created: Bool) {
        do {
            return try await db.writeTransaction { db in
                if let existing = try await bySubmissionKey(f.submissionKey, tenant: f.tenant, on: db) { return (existing, false) }
                let p = PetitionRecord()
                p.tenantID = f.tenant.id
                p.number = try await nextNumber(tenant: f.tenant, now: now, on: db)
                p.citizenID = f.citizenID
                p.menu = f.menu.rawValue
                p.service = f.service.slug
                p.serviceName = f.service.name
                p.formVersion = f.formVersion
                p.answersJSON = f.answersJSON
                p.statusRaw = PetitionStatus.submitted.rawValue
                p.statusChangedAt = now
                p.dueAt = WorkingDays.due(filed: now, days: f.service.slaDays)
                p.submissionKey = f.submissionKey
                p.channelRaw = f.channel.rawValue
                p.apiKeyID = f.apiKeyID
                p.requesterJSON = f.requesterJSON
                p.division = f.service.division
                p.pausedDays = 0
                p.reopenedCount = 0
                p.version = 1
                p.createdAt = now
                p.updatedAt = now
                try await p.create(on: db)
                let id = try p.requireID()
                try await event(
                    tenant: f.tenant, petitionID: id, from: nil, to: .submitted, note: nil,
                    actor: f.actor ?? Actor(kind: [.web, .line].contains(f.channel) ? .citizen : .api, id: f.citizenID ?? f.apiKeyID, name: f.citizenName),
                    now: now, on: db)
                for a in f.attachments {
                    try await attach(a, tenant: f.tenant, petitionID: id, eventID: nil, now: now, on: db)
                }
                try await PetitionFiled(petition: try PetitionFacts(p), linkBase: linkBase, inLineChat: f.channel == .line ? true : nil).record(
                    tenant: f.tenant, on: db)
                // Last: the counts' rows are shared by every filing of the service and month, so they are held only until the commit.
                try await alsoWrite?(p, db)
                try await PetitionCounts.filed(p, on: db)
                return (p, true)
            }
        } catch {
            // The same submission filed by a concurrent request (the unique key refused ours): that one stands.
            guard (error as? any DatabaseError)?.isConstraintFailure == true,
                let existing = try await bySubmissionKey(f.submissionKey, tenant: f.tenant, on: db)
            else { throw error }
            return (existing, false)
        }
    }

    enum MoveOutcome: Sendable {
        case moved(PetitionRecord)
        /// Someone else changed the petition since `expectedVersion`.
        case conflict
    }

    /// Moves the petition to `status` if it is still at `expectedVersion`, with a timeline entry and the
    /// `petition.moved` event (with the note, for the notifier), in one transaction. The rule itself (forward
    /// only, a reason to close) is `PetitionStatus`'s.
    /// `files`: photos of the result, already in the file store, recorded with the move's timeline entry (the caller
    /// deletes them again when the move is not made).
    static func move(
        _ petition: PetitionRecord, to status: PetitionStatus, note: String?, expectedVersion: Int, actor: Actor,
        tenant: Tenant, linkBase: String, files: [StoredAttachment] = [], now: Date = Date(), on db: any Database
    ) async throws -> MoveOutcome {
        let transition = try PetitionStatus.transition(from: petition.status, to: status, note: note)
        let id = try petition.requireID()
        let cleanNote = transition.note.map { String($0.prefix(2000)) }
        // Closing stops the clock for good: the close is stamped for the dashboard and any wait for the citizen ends.
        let waited = petition.pausedDays + petition.sla.resumed(at: now).pausedDays
        let workDays = max(0, WorkingDays.between(petition.createdAt, now) - waited)
        let closing: SQLQueryString = status.isFinal ? ", closed_at = \(bind: now), work_days = \(bind: workDays), waiting_since = NULL" : ""
        return try await db.writeTransaction { db -> MoveOutcome in
            guard
                try await db.claim(
                    """
                    UPDATE petitions SET status = \(bind: status.rawValue), status_changed_at = \(bind: now), updated_at = \(bind: now),
                      version = version + 1\(closing)
                    WHERE id = \(bind: id) AND tenant_id = \(bind: tenant.id) AND version = \(bind: expectedVersion)
                      AND status = \(bind: petition.statusRaw) RETURNING id
                    """)
            else { return .conflict }
            let eventID = try await event(
                tenant: tenant, petitionID: id, from: petition.status, to: status, note: cleanNote, actor: actor, now: now, on: db)
            for file in files { try await attach(file, tenant: tenant, petitionID: id, eventID: eventID, now: now, on: db) }
            guard let updated = try await byID(id, tenant: tenant, on: db) else { return .conflict }
            try await PetitionMoved(
                petition: try PetitionFacts(updated), from: petition.status, to: status, at: updated.statusChangedAt,
                note: cleanNote, version: updated.version, linkBase: linkBase
            ).record(tenant: tenant, on: db)
            // Last: every move of the service changes these rows, so they are held only until the commit.
            try await PetitionCounts.moved(petition, to: updated, on: db)
            return .moved(updated)
        }
    }

    @discardableResult
    private static func event(
        tenant: Tenant, petitionID: UUID, from: PetitionStatus?, to: PetitionStatus, note: String?, actor: Actor,
        now: Date, on db: any Database
    ) async throws -> UUID {
        let id = UUID()
        try await PetitionEventRecord(
            id: id, tenantID: tenant.id, petitionID: petitionID, from: from?.rawValue, to: to.rawValue, note: note, actor: actor, at: now,
            kind: .status
        ).create(on: db)
        return id
    }

    /// Records a stored file with the petition (`eventID`: the timeline entry that brought it; nil for the filing's).
    static func attach(_ a: StoredAttachment, tenant: Tenant, petitionID: UUID, eventID: UUID?, now: Date, on db: any Database) async throws {
        let r = PetitionAttachmentRecord()
        r.tenantID = tenant.id
        r.petitionID = petitionID
        r.fieldKey = a.fieldKey
        r.fileName = a.fileName
        r.originalName = String(a.originalName.prefix(200))
        r.mimeType = a.mimeType
        r.bytes = a.bytes
        r.sha256 = a.sha256
        r.createdAt = now
        r.eventID = eventID
        try await r.create(on: db)
    }

    static func byID(_ id: UUID, tenant: Tenant, on db: any Database) async throws -> PetitionRecord? {
        try await PetitionRecord.query(on: db, tenant: tenant).filter(\.$id == id).first()
    }

    static func byNumber(_ number: String, tenant: Tenant, on db: any Database) async throws -> PetitionRecord? {
        try await PetitionRecord.query(on: db, tenant: tenant).filter(\.$number == number).first()
    }

    static func bySubmissionKey(_ key: String, tenant: Tenant, on db: any Database) async throws -> PetitionRecord? {
        try await PetitionRecord.query(on: db, tenant: tenant).filter(\.$submissionKey == key).first()
    }

    /// One line of "คำร้องของฉัน": the columns the list shows.
    struct MineRow: Decodable, Sendable {
        var number: String
        var serviceName: String
        var statusRaw: String
        var createdAt: Date
        var dueAt: Date

        var status: PetitionStatus { PetitionStatus(rawValue: statusRaw) ?? .submitted }

        enum CodingKeys: String, CodingKey {
            case number
            case serviceName = "service_name"
            case statusRaw = "status"
            case createdAt = "created_at"
            case dueAt = "due_at"
        }
    }

    /// A citizen's petitions, newest first, optionally only those in `statuses`. One query, read as plain rows:
    /// building whole Fluent models (answers and all, by reflection) was a fifth of the list page's CPU.
    static func mine(
        citizenID: UUID, tenant: Tenant, statuses: [PetitionStatus]? = nil, limit: Int = 50, offset: Int = 0,
        on db: any Database
    ) async throws -> [MineRow] {
        guard let sql = db as? any SQLDatabase else { throw Abort(.internalServerError, reason: "SQL database required") }
        let q = sql.select().columns("number", "service_name", "status", "created_at", "due_at").from("petitions")
            .where("tenant_id", .equal, tenant.id).where("citizen_id", .equal, citizenID)
        if let statuses { q.where("status", .in, statuses.map(\.rawValue)) }
        return try await q.orderBy("created_at", .descending).orderBy("number", .descending)
            .limit(max(0, limit)).offset(max(0, offset)).all(decoding: MineRow.self)
    }

    /// The timeline, oldest first.
    /// The citizen's petitions, newest first, at most `limit` (for "ดาวน์โหลดข้อมูลของฉัน").
    static func all(citizenID: UUID, tenant: Tenant, limit: Int, on db: any Database) async throws -> [PetitionRecord] {
        try await PetitionRecord.query(on: db, tenant: tenant).filter(\.$citizenID == citizenID).sort(\.$createdAt, .descending).limit(limit).all()
    }

    static func timeline(_ petition: PetitionRecord, on db: any Database) async throws -> [PetitionEventRecord] {
        try await PetitionEventRecord.query(on: db, tenant: petition.tenantID).filter(\.$petitionID == (try petition.requireID()))
            .sort(\.$createdAt, .ascending).all()
    }

    static func attachments(_ petition: PetitionRecord, on db: any Database) async throws -> [PetitionAttachmentRecord] {
        try await PetitionAttachmentRecord.query(on: db, tenant: petition.tenantID).filter(\.$petitionID == (try petition.requireID())).all()
    }

    /// One of the citizen's own petitions by its tracking number, as a line of "คำร้องของฉัน" (nil for another
    /// citizen's or another tenant's).
    static func mine(number: String, citizenID: UUID, tenant: Tenant, on db: any Database) async throws -> MineRow? {
        try await sqlDatabase(db).select().columns("number", "service_name", "status", "created_at", "due_at").from("petitions")
            .where("tenant_id", .equal, tenant.id).where("number", .equal, number).where("citizen_id", .equal, citizenID)
            .first(decoding: MineRow.self)
    }

    /// A file attached to this petition of the tenant (nil for another petition's or another tenant's).
    static func attachment(_ id: UUID, of petition: PetitionRecord, tenant: Tenant, on db: any Database) async throws -> PetitionAttachmentRecord? {
        try await PetitionAttachmentRecord.query(on: db, tenant: tenant).filter(\.$id == id)
            .filter(\.$petitionID == (try petition.requireID())).first()
    }
}
