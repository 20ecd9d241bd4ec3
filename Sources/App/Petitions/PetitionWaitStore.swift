import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// A petition waiting for its citizen (ขอข้อมูล/เอกสารเพิ่มเติม): an officer's request stops the SLA clock
/// (`waiting_since`), the citizen's answer (text and files) starts it again with the due date moved by the working
/// days waited (`SLAClock.resumed`). Each is one transaction, checked against the petition's version, with its
/// timeline entry and what it sends (the citizen's notice event; the assignee's e-mail).
enum PetitionWaitStore {
    /// The officer's message and the citizen's answer may be this long.
    static let messageMaxLength = 2000

    /// Why a request for more cannot be made.
    enum Refusal: Error, Equatable {
        /// Completed or closed.
        case closed
        /// Already waiting for the citizen's answer to an earlier request.
        case alreadyWaiting
        /// Nobody to ask through the system: filed through Open311 or for a person without an account.
        case noAccount

        var thai: String {
            switch self {
            case .closed: "คำร้องนี้ดำเนินการเสร็จสิ้นหรือปิดแล้ว จึงขอข้อมูลเพิ่มเติมไม่ได้"
            case .alreadyWaiting: "คำร้องนี้กำลังรอข้อมูลเพิ่มเติมจากผู้ยื่นอยู่แล้ว กรุณารอให้ผู้ยื่นตอบก่อน"
            case .noAccount:
                "ผู้ยื่นคำร้องนี้ไม่มีบัญชีในระบบ (ยื่นผ่านระบบอื่นหรือยื่นแทนที่เคาน์เตอร์) ระบบจึงแจ้งขอข้อมูลเพิ่มเติมไม่ได้ กรุณาติดต่อผู้ยื่นโดยตรงทางโทรศัพท์หรืออีเมลที่ให้ไว้"
            }
        }
    }

    /// Whether an officer may ask this petition's citizen for more now (nil: yes).
    static func refusal(_ p: PetitionRecord) -> Refusal? {
        if !p.status.isOpen { return .closed }
        if p.waitingSince != nil { return .alreadyWaiting }
        if p.citizenID == nil { return .noAccount }
        return nil
    }

    enum Outcome: Sendable {
        case done(PetitionRecord)
        /// Someone changed the petition since the page was made (or it stopped waiting meanwhile).
        case conflict
    }

    /// The officer asks for more: `waiting_since = now`, an `info_requested` entry with the message, the audit entry and
    /// the `petition.info_requested` event, in one transaction, if the petition is still at `expectedVersion`.
    static func requestInfo(
        _ petition: PetitionRecord, message: String, expectedVersion: Int, staff: StaffPrincipal, tenant: Tenant,
        linkBase: String, ip: String, now: Date = Date(), on db: any Database
    ) async throws -> Outcome {
        if let refusal = refusal(petition) { throw refusal }
        let id = try petition.requireID()
        let open = PetitionStatus.allCases.filter(\.isOpen).map(\.rawValue)
        let text = String(message.prefix(messageMaxLength))
        return try await db.writeTransaction { db -> Outcome in
            guard
                try await db.claim(
                    """
                    UPDATE petitions SET waiting_since = \(bind: now), updated_at = \(bind: now), version = version + 1
                    WHERE id = \(bind: id) AND tenant_id = \(bind: tenant.id) AND version = \(bind: expectedVersion)
                      AND waiting_since IS NULL AND citizen_id IS NOT NULL AND status IN (\(binds: open)) RETURNING id
                    """)
            else { return .conflict }
            let eventID = try await addEvent(
                .infoRequested, petition: petition, note: text, actor: .init(kind: .staff, id: staff.id, name: staff.displayName), now: now, on: db)
            try await AuditLog.record(
                .petitionInfoRequested, actor: AuditActor(staff), tenant: tenant.slug, detail: "คำร้อง \(petition.number): \(text.prefix(300))",
                ip: ip, at: now, on: db)
            guard let updated = try await PetitionStore.byID(id, tenant: tenant, on: db) else { return .conflict }
            try await PetitionInfoRequested(petition: try PetitionFacts(updated), eventID: eventID, message: text, at: now, linkBase: linkBase)
                .record(tenant: tenant, on: db)
            return .done(updated)
        }
    }

    /// How a citizen's answer ended.
    enum AnswerOutcome: Sendable {
        case answered(PetitionRecord)
        /// The request this form answered was answered already (a repeated submit): nothing was written.
        case alreadyAnswered
    }

    /// The latest request for more of the petition (nil when none was made).
    static func latestRequest(_ petition: PetitionRecord, on db: any Database) async throws -> PetitionEventRecord? {
        try await PetitionEventRecord.query(on: db, tenant: petition.tenantID).filter(\.$petitionID == (try petition.requireID()))
            .filter(\.$kindRaw == PetitionEventKind.infoRequested.rawValue).sort(\.$createdAt, .descending).first()
    }

    /// The citizen answers the request `requestID` (the form's token): an `info_answered` entry with the text, the files
    /// (`event_id` = the answer), `waiting_since` cleared, the due date moved by the working days waited and
    /// `paused_days` raised, and `assigneeMail` (to the officer who holds it) written to the outbox, in one
    /// transaction. A second submit of the same form, or one after the petition stopped waiting, writes nothing.
    static func answer(
        _ petition: PetitionRecord, requestID: UUID, text: String, files: [PetitionStore.StoredAttachment], answerID: UUID = UUID(),
        citizenName: String, tenant: Tenant, assigneeMail: RenderedMail?, now: Date = Date(), on db: any Database
    ) async throws -> AnswerOutcome {
        let id = try petition.requireID()
        return try await db.writeTransaction { db -> AnswerOutcome in
            // Read again inside the transaction. The claim needs the wait still on and the petition open, not the
            // same version: an officer assigning it meanwhile must not lose the citizen's answer. The due date moved
            // here is a new one, so the reminder and escalations may be sent again for it.
            guard let fresh = try await PetitionStore.byID(id, tenant: tenant, on: db), fresh.waitingSince != nil, fresh.status.isOpen,
                try await latestRequest(fresh, on: db)?.id == requestID
            else { return .alreadyAnswered }
            let resumed = fresh.sla.resumed(at: now)
            guard
                try await db.claim(
                    """
                    UPDATE petitions SET waiting_since = NULL, due_at = \(bind: resumed.dueAt), paused_days = paused_days + \(bind: resumed.pausedDays),
                      reminded_at = NULL, escalated_head_at = NULL, escalated_admins_at = NULL,
                      updated_at = \(bind: now), version = version + 1
                    WHERE id = \(bind: id) AND tenant_id = \(bind: tenant.id) AND waiting_since IS NOT NULL
                      AND status IN (\(binds: PetitionStatus.allCases.filter(\.isOpen).map(\.rawValue))) RETURNING id
                    """)
            else { return .alreadyAnswered }
            let eventID = try await addEvent(
                .infoAnswered, petition: fresh, note: text.isEmpty ? nil : String(text.prefix(messageMaxLength)),
                actor: .init(kind: .citizen, id: fresh.citizenID, name: citizenName), id: answerID, now: now, on: db)
            for a in files {
                var a = a
                a.fieldKey = answerFieldKey
                try await PetitionStore.attach(a, tenant: tenant, petitionID: id, eventID: eventID, now: now, on: db)
            }
            if let assigneeMail { try await assigneeMail.enqueue(tenant: tenant, on: db) }
            guard let updated = try await PetitionStore.byID(id, tenant: tenant, on: db) else { return .alreadyAnswered }
            return .answered(updated)
        }
    }

    /// The field key the answer's files are stored under (they belong to no field of the form).
    static let answerFieldKey = "_answer"

    /// A timeline entry of `kind` (the status stays as it is); returns its id.
    @discardableResult
    static func addEvent(
        _ kind: PetitionEventKind, petition: PetitionRecord, note: String?, actor: PetitionStore.Actor, id: UUID = UUID(), now: Date,
        on db: any Database
    ) async throws -> UUID {
        try await PetitionEventRecord(
            id: id, tenantID: petition.tenantID, petitionID: try petition.requireID(), from: petition.statusRaw, to: petition.statusRaw,
            note: note, actor: actor, at: now, kind: kind
        ).create(on: db)
        return id
    }
}
