import Domain
import Fluent
import Foundation
import SQLKit

/// Officers' own work on a petition, which the citizen never sees: who holds it (taken, assigned, reassigned
/// with a reason) and internal notes. An assignment is a version-checked UPDATE, so of two heads assigning at
/// once one wins and the other is told; the timeline entry and the e-mail to the new assignee are written in
/// the same transaction.
enum PetitionWorkStore {
    static let noteMaxLength = 2000
    static let reasonMaxLength = 500

    /// The officer a petition is given to.
    struct Assignee: Sendable, Equatable {
        var id: UUID
        var name: String
    }

    enum AssignOutcome: Sendable {
        case assigned(PetitionRecord)
        /// Someone else changed the petition since `expectedVersion`.
        case conflict
    }

    /// Gives the petition to `assignee` if it is still at `expectedVersion`: the petition's assignee and version,
    /// a staff-only timeline entry (`assigned`, with the reason when it is a reassignment) and `mail` to the new
    /// assignee through the outbox, in one transaction.
    static func assign(
        _ petition: PetitionRecord, to assignee: Assignee, reason: String?, expectedVersion: Int, actor: PetitionStore.Actor,
        tenant: Tenant, mail: RenderedMail?, now: Date = Date(), on db: any Database
    ) async throws -> AssignOutcome {
        let id = try petition.requireID()
        let name = String(assignee.name.prefix(200))
        return try await db.writeTransaction { db -> AssignOutcome in
            guard
                try await db.claim(
                    """
                    UPDATE petitions SET assignee_id = \(bind: assignee.id), assignee_name = \(bind: name), updated_at = \(bind: now),
                      version = version + 1
                    WHERE id = \(bind: id) AND tenant_id = \(bind: tenant.id) AND version = \(bind: expectedVersion) RETURNING id
                    """)
            else { return .conflict }
            let taken = actor.id == assignee.id
            var note = taken ? "\(name) รับเรื่องนี้" : "มอบหมายให้ \(name)"
            if let previous = petition.assigneeName, petition.assigneeID != assignee.id { note += " (เดิม: \(previous))" }
            if let reason, !reason.isEmpty { note += " เหตุผล: \(String(reason.prefix(reasonMaxLength)))" }
            try await event(petition, kind: .assigned, note: note, actor: actor, tenant: tenant, now: now, on: db)
            if let mail { _ = try await EmailOutbox.enqueue(mail, tenant: tenant, on: db) }
            guard let updated = try await PetitionStore.byID(id, tenant: tenant, on: db) else { return .conflict }
            return .assigned(updated)
        }
    }

    /// The idempotency key of the e-mail telling the assignee: one per assignment (the version it makes).
    static func assignmentKey(_ petition: PetitionRecord, version: Int) -> String {
        "petition-assigned:\(petition.id?.uuidString.lowercased() ?? petition.number):\(version)"
    }

    /// A note only staff see. The petition itself (and its version) does not change.
    static func addNote(_ petition: PetitionRecord, text: String, actor: PetitionStore.Actor, tenant: Tenant, now: Date = Date(), on db: any Database)
        async throws
    {
        try await event(petition, kind: .internalNote, note: String(text.prefix(noteMaxLength)), actor: actor, tenant: tenant, now: now, on: db)
    }

    private static func event(
        _ petition: PetitionRecord, kind: PetitionEventKind, note: String, actor: PetitionStore.Actor, tenant: Tenant, now: Date,
        on db: any Database
    ) async throws {
        try await PetitionEventRecord(
            tenantID: tenant.id, petitionID: try petition.requireID(), from: nil, to: petition.status.rawValue, note: note, actor: actor,
            at: now, kind: kind
        ).create(on: db)
    }

    // MARK: Who may do what

    /// What the signed-in officer may do with a petition's assignment.
    struct Rights: Sendable, Equatable {
        /// Take it (unassigned, and the officer works in its division, or it has none).
        var take: Bool
        /// Assign or reassign it (the division's head, an Organization admin).
        var assign: Bool
    }

    /// The officers a petition may be given to: its division's members (head included), else the tenant's staff.
    struct Candidates: Sendable {
        var division: DivisionRecord?
        /// The division's members (its head included).
        var members: [UUID]
        var staff: [Assignee]
    }

    static func rights(_ petition: PetitionRecord, division: DivisionRecord?, members: [UUID], staff: StaffPrincipal, tenant: Tenant) -> Rights {
        let admin = staff.role(in: tenant.id) == .orgAdmin
        let head = division?.headStaffID == staff.id && division != nil
        let inDivision = division == nil || members.contains(staff.id) || head
        return Rights(take: petition.assigneeID == nil && petition.status.isOpen && inDivision, assign: petition.status.isOpen && (admin || head))
    }

    /// The petition's division (nil when it has none, or its code names no division now) and the people who
    /// may hold it: the division's members when it has any, else every active staff member granted in the tenant.
    static func candidates(_ petition: PetitionRecord, tenant: Tenant, on db: any Database) async throws -> Candidates {
        var division: DivisionRecord?
        if let code = petition.division { division = try await DivisionStore.byCode(code, tenant: tenant, on: db) }
        var members: [UUID] = []
        if let division { members = try await DivisionStore.members(of: division, on: db) }
        var staff = try await StaffStore.members(tenant: tenant, on: db).map(\.0).filter { $0.statusRaw == StaffAccountStatus.active.rawValue }
        if !members.isEmpty {
            // Only members who still hold a right in the tenant: someone whose right was removed is not offered.
            let inDivision = Set(members)
            staff = staff.filter { inDivision.contains($0.id ?? UUID()) }
        }
        var seen = Set<UUID>()
        let out = staff.compactMap { a -> Assignee? in
            guard let id = a.id, seen.insert(id).inserted else { return nil }
            return Assignee(id: id, name: a.fullNameTH)
        }
        return Candidates(division: division, members: members, staff: out.sorted { $0.name < $1.name })
    }
}
