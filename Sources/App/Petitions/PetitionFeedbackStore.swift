import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// The citizen's say on a finished petition (`PetitionRating`, `PetitionReopening`): the rating, given once, and
/// "ยังไม่ได้รับการแก้ไข", which takes a completed petition back to กำลังดำเนินการ. Each is one transaction with its
/// timeline entry and what it changes in the kept counts; a reopening also writes the staff e-mails to the outbox.
enum PetitionFeedbackStore {
    enum RateOutcome: Sendable {
        case rated(PetitionRecord)
        /// Rated already (a second submit, or another tab): nothing was written.
        case alreadyRated
        /// No longer finished (reopened meanwhile): nothing was written.
        case notFinished
    }

    /// Rates the petition once: the rating on the petition (its version and `updated_at` stay: an officer's form is not
    /// made stale by it, and Open311 clients are not told of a change), a `rated` entry with the comment, and the
    /// month's rating count.
    static func rate(
        _ petition: PetitionRecord, _ rating: PetitionRating, citizenName: String, tenant: Tenant, now: Date = Date(), on db: any Database
    ) async throws -> RateOutcome {
        let id = try petition.requireID()
        let final = PetitionStatus.allCases.filter(\.isFinal).map(\.rawValue)
        return try await db.writeTransaction { db -> RateOutcome in
            guard
                try await db.claim(
                    """
                    UPDATE petitions SET rating = \(bind: rating.stars), rating_comment = \(bind: rating.comment), rated_at = \(bind: now)
                    WHERE id = \(bind: id) AND tenant_id = \(bind: tenant.id) AND rating IS NULL AND citizen_id IS NOT NULL
                      AND status IN (\(binds: final)) RETURNING id
                    """)
            else {
                // Why not: rated meanwhile (another tab), or no longer finished (reopened meanwhile).
                let fresh = try await PetitionStore.byID(id, tenant: tenant, on: db)
                return fresh?.rating != nil || fresh?.status.isFinal == true ? .alreadyRated : .notFinished
            }
            try await PetitionWaitStore.addEvent(
                .rated, petition: petition, note: rating.comment, actor: .init(kind: .citizen, id: petition.citizenID, name: citizenName), now: now,
                on: db)
            guard let updated = try await PetitionStore.byID(id, tenant: tenant, on: db) else { return .alreadyRated }
            try await PetitionCounts.rated(updated, stars: rating.stars, at: now, on: db)
            return .rated(updated)
        }
    }

    enum ReopenOutcome: Sendable {
        case reopened(PetitionRecord)
        /// Changed since the page was made (reopened already, or the window closed meanwhile): nothing was written.
        case conflict
    }

    /// Takes the completed petition back to กำลังดำเนินการ if it is still as the citizen saw it (`expectedVersion`)
    /// and within the window (counted from `status_changed_at`, which for a completed petition is its completion): a
    /// `reopened` entry with the reason, the new due date `due` (the reminder and escalations may be sent again for
    /// it), the kept counts moved, and `staffMails` written to the outbox. The working days it took are kept until it is completed again, which counts them afresh.
    static func reopen(
        _ petition: PetitionRecord, transition: PetitionStatus.Transition, expectedVersion: Int, due: Date, citizenName: String,
        tenant: Tenant, staffMails: [RenderedMail], now: Date = Date(), on db: any Database
    ) async throws -> ReopenOutcome {
        let id = try petition.requireID()
        let windowStart = now.addingTimeInterval(-TimeInterval(PetitionReopening.windowDays) * 86_400)
        return try await db.writeTransaction { db -> ReopenOutcome in
            guard
                try await db.claim(
                    """
                    UPDATE petitions SET status = \(bind: transition.to.rawValue), status_changed_at = \(bind: now), updated_at = \(bind: now),
                      due_at = \(bind: due), reminded_at = NULL, escalated_head_at = NULL, escalated_admins_at = NULL, waiting_since = NULL,
                      closed_at = NULL, work_days = NULL,
                      reopened_count = reopened_count + 1, version = version + 1
                    WHERE id = \(bind: id) AND tenant_id = \(bind: tenant.id) AND version = \(bind: expectedVersion)
                      AND status = \(bind: transition.from.rawValue) AND status_changed_at >= \(bind: windowStart) AND citizen_id IS NOT NULL
                    RETURNING id
                    """)
            else { return .conflict }
            try await PetitionEventRecord(
                tenantID: tenant.id, petitionID: id, from: transition.from.rawValue, to: transition.to.rawValue, note: transition.note,
                actor: .init(kind: .citizen, id: petition.citizenID, name: citizenName), at: now, kind: .reopened
            ).create(on: db)
            guard let updated = try await PetitionStore.byID(id, tenant: tenant, on: db) else { return .conflict }
            if !staffMails.isEmpty { try await OutboxStore.enqueue(try staffMails.map { try $0.outboxJob() }, tenant: tenant, runAt: now, on: db) }
            // Last: every move of the service changes these rows, so they are held only until the commit.
            try await PetitionCounts.moved(petition, to: updated, on: db)
            return .reopened(updated)
        }
    }

    /// Why an officer is told of a reopening.
    enum Recipient: Sendable {
        case assignee, divisionHead, orgAdmin

        var thai: String {
            switch self {
            case .assignee: "ท่านได้รับแจ้งในฐานะผู้รับผิดชอบคำร้องนี้"
            case .divisionHead: "ท่านได้รับแจ้งในฐานะหัวหน้าส่วนงานที่รับผิดชอบ เนื่องจากคำร้องนี้ยังไม่มีผู้รับผิดชอบ"
            case .orgAdmin: "ท่านได้รับแจ้งในฐานะผู้ดูแลระบบของหน่วยงาน เนื่องจากคำร้องนี้ยังไม่มีผู้รับผิดชอบหรือหัวหน้าส่วนงานที่ติดต่อได้"
            }
        }
    }

    /// Whom a reopening is told to: the officer who holds the petition; with nobody (reachable) holding it, the head of
    /// its division; with no head either, the tenant's Organization admins. Active accounts with an address only.
    static func reopenRecipients(_ p: PetitionRecord, tenant: Tenant, on db: any Database) async throws -> [(StaffAccount, Recipient)] {
        if let id = p.assigneeID, let assignee = try await StaffStore.reachable([id], on: db).first { return [(assignee, .assignee)] }
        if let code = p.division, let head = try await DivisionStore.byCode(code, tenant: tenant, on: db)?.headStaffID,
            let staff = try await StaffStore.reachable([head], on: db).first
        {
            return [(staff, .divisionHead)]
        }
        return try await StaffStore.reachable(try await StaffStore.orgAdminIDs(tenant: tenant, on: db), on: db).map { ($0, .orgAdmin) }
    }
}
