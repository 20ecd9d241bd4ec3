import Domain
import Fluent
import Foundation
import Vapor

/// Who holds a petition (take it, assign, reassign with a reason) and internal notes, from the officer's page.
struct PetitionAssignmentController {
    struct AssignForm: Content {
        /// "take" or "assign".
        var action: String?
        var version: Int?
        var assignee: String?
        var reason: String?
    }

    struct NoteForm: Content {
        var note: String?
    }

    static let conflictMessage =
        "ยังไม่ได้บันทึก: มีเจ้าหน้าที่ท่านอื่นมอบหมายหรือแก้ไขคำร้องนี้ระหว่างที่ท่านเปิดหน้านี้อยู่ ด้านล่างคือข้อมูลล่าสุด กรุณาตรวจสอบผู้รับผิดชอบแล้วดำเนินการอีกครั้งหากยังจำเป็น"

    func assign(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let petition = try await OfficerPetitionLookup.petition(req)
        let form = try req.content.decode(AssignForm.self)
        var state = OfficerPetitionPageState()
        state.work.reason = (form.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        state.work.assignee = form.assignee
        guard let version = form.version, let action = form.action, ["take", "assign"].contains(action) else { throw Abort(.badRequest) }
        guard version == petition.version else {
            state.conflict = Self.conflictMessage
            return try await OfficerPetitionPage.respond(req, petition: petition, state: state, status: .conflict)
        }
        let candidates = try await PetitionWorkStore.candidates(petition, tenant: t, on: req.db)
        let rights = PetitionWorkStore.rights(
            petition, division: candidates.division, members: candidates.members, staff: scope.staff, tenant: t)
        let assignee: PetitionWorkStore.Assignee
        var reason: String?
        if action == "take" {
            guard rights.take else {
                throw Abort(
                    .forbidden,
                    reason: petition.assigneeID == nil
                        ? "รับเรื่องนี้ได้เฉพาะเจ้าหน้าที่ของกอง/ฝ่ายที่รับผิดชอบคำร้องนี้" : "คำร้องนี้มีผู้รับผิดชอบแล้ว")
            }
            assignee = .init(id: scope.staff.id, name: scope.staff.displayName)
        } else {
            guard rights.assign else { throw Abort(.forbidden, reason: "มอบหมายคำร้องได้เฉพาะหัวหน้ากอง/ฝ่ายหรือผู้ดูแลหน่วยงาน") }
            guard let raw = form.assignee, let id = UUID(uuidString: raw), let chosen = candidates.staff.first(where: { $0.id == id }) else {
                state.errors.add("assignee", "กรุณาเลือกเจ้าหน้าที่ผู้รับผิดชอบจากรายการ")
                return try await OfficerPetitionPage.respond(req, petition: petition, state: state, status: .unprocessableEntity)
            }
            if petition.assigneeID == chosen.id {
                state.errors.add("assignee", "คำร้องนี้อยู่กับ \(chosen.name) อยู่แล้ว กรุณาเลือกเจ้าหน้าที่ท่านอื่น")
            } else if petition.assigneeID != nil, state.work.reason.isEmpty {
                state.errors.add("reason", "กรุณาระบุเหตุผลที่มอบหมายใหม่ (เฉพาะเจ้าหน้าที่เห็น)")
            } else if state.work.reason.count > PetitionWorkStore.reasonMaxLength {
                state.errors.add(
                    "reason",
                    "เหตุผลยาวได้ไม่เกิน \(PetitionWorkStore.reasonMaxLength.formatted()) ตัวอักษร (ตอนนี้ \(state.work.reason.count.formatted()) ตัวอักษร)")
            }
            guard state.errors.isEmpty else {
                return try await OfficerPetitionPage.respond(req, petition: petition, state: state, status: .unprocessableEntity)
            }
            assignee = chosen
            reason = state.work.reason.isEmpty ? nil : state.work.reason
        }
        let mail = try await Self.mail(req, petition: petition, to: assignee, by: scope.staff, reason: reason, version: version + 1, tenant: t)
        let why = reason
        let staff = scope.staff
        let ip = req.clientAddress
        let outcome = try await req.db.writeTransaction { db in
            let outcome = try await PetitionWorkStore.assign(
                petition, to: assignee, reason: why, expectedVersion: version,
                actor: .init(kind: .staff, id: staff.id, name: staff.displayName), tenant: t, mail: mail, on: db)
            if case .assigned = outcome {
                try await AuditLog.record(
                    .petitionAssigned, actor: AuditActor(staff), tenant: t.slug,
                    detail: "คำร้อง \(petition.number): " + (action == "take" ? "รับเรื่องเอง" : "มอบหมายให้ \(assignee.name)")
                        + (petition.assigneeName.map { " (เดิม: \($0))" } ?? "") + (why.map { " เหตุผล: \($0)" } ?? ""),
                    ip: ip, on: db)
            }
            return outcome
        }
        switch outcome {
        case .conflict:
            state.conflict = Self.conflictMessage
            let fresh = try await PetitionStore.byID(try petition.requireID(), tenant: t, on: req.db) ?? petition
            return try await OfficerPetitionPage.respond(req, petition: fresh, state: state, status: .conflict)
        case .assigned(let p):
            if mail != nil { req.application.outboxWakeUp.poke() }
            req.flash(action == "take" ? "ท่านรับผิดชอบคำร้อง \(p.number) แล้ว" : "มอบหมายคำร้อง \(p.number) ให้ \(assignee.name) แล้ว แจ้งทางอีเมลแล้ว")
            return req.redirect(to: BackOfficeURL.petition(t.slug, p.number).path + "#work")
        }
    }

    /// The e-mail to the new assignee (none when they took it themselves, or have no address).
    static func mail(
        _ req: Request, petition: PetitionRecord, to assignee: PetitionWorkStore.Assignee, by staff: StaffPrincipal, reason: String?,
        version: Int, tenant: Tenant
    ) async throws -> RenderedMail? {
        guard assignee.id != staff.id, let account = try await StaffStore.find(assignee.id, on: req.db), !account.email.isEmpty else { return nil }
        return try await StaffMail.render(
            req, to: account.email,
            StaffMessages.PetitionAssigned(
                frame: .init(name: account.fullNameTH, link: StaffMail.absolute(req, BackOfficeURL.petition(tenant.slug, petition.number).path)),
                number: petition.number, serviceName: petition.serviceName, tenantName: tenant.thaiName, assignedBy: staff.displayName,
                assignedAt: ThaiDate.shortWithTime(Date()), due: ThaiDate.long(petition.dueAt), reason: reason),
            key: PetitionWorkStore.assignmentKey(petition, version: version))
    }

    func note(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let petition = try await OfficerPetitionLookup.petition(req)
        let text = ((try? req.content.decode(NoteForm.self))?.note ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var state = OfficerPetitionPageState()
        state.work.note = text
        if text.isEmpty {
            state.errors.add("internal-note", "กรุณาพิมพ์บันทึกภายใน")
        } else if text.count > PetitionWorkStore.noteMaxLength {
            state.errors.add(
                "internal-note",
                "บันทึกภายในยาวได้ไม่เกิน \(PetitionWorkStore.noteMaxLength.formatted()) ตัวอักษร (ตอนนี้ \(text.count.formatted()) ตัวอักษร)")
        }
        guard state.errors.isEmpty else {
            return try await OfficerPetitionPage.respond(req, petition: petition, state: state, status: .unprocessableEntity)
        }
        let staff = scope.staff
        let ip = req.clientAddress
        try await req.db.writeTransaction { db in
            try await PetitionWorkStore.addNote(
                petition, text: text, actor: .init(kind: .staff, id: staff.id, name: staff.displayName), tenant: t, on: db)
            // The note itself stays on the petition's timeline; the audit says only that one was written.
            try await AuditLog.record(
                .petitionNoteAdded, actor: AuditActor(staff), tenant: t.slug, detail: "คำร้อง \(petition.number): เพิ่มบันทึกภายใน", ip: ip, on: db)
        }
        req.flash("บันทึกภายในแล้ว (เฉพาะเจ้าหน้าที่เห็น)")
        return req.redirect(to: BackOfficeURL.petition(t.slug, petition.number).path + "#timeline")
    }
}

/// What a re-rendered page keeps of the assignment and note forms.
struct PetitionWorkState {
    var assignee: String?
    var reason = ""
    var note = ""
}

/// The officer page's "ผู้รับผิดชอบ" section and internal-note form (`backoffice/petitions/_work.leaf`).
struct PetitionWorkPanel: Encodable {
    struct Option: Encodable {
        var value: String
        var label: String
        var selected: Bool
    }

    var holder: String
    var assigned: Bool
    var division: String
    var action: String
    var version: Int
    var canTake: Bool
    var canAssign: Bool
    var options: [Option]
    var reason: String
    var reasonMaxLength: Int
    var assigneeError: String?
    var reasonError: String?
    var noteAction: String
    var note: String
    var noteError: String?
    var noteMaxLength: Int

    static func load(_ req: Request, petition p: PetitionRecord, state: OfficerPetitionPageState) async throws -> PetitionWorkPanel {
        let scope = try req.backOffice
        let t = scope.tenant
        let candidates = try await PetitionWorkStore.candidates(p, tenant: t, on: req.db)
        let rights = PetitionWorkStore.rights(p, division: candidates.division, members: candidates.members, staff: scope.staff, tenant: t)
        return build(p, tenant: t, candidates: candidates, rights: rights, state: state)
    }

    static func build(
        _ p: PetitionRecord, tenant t: Tenant, candidates: PetitionWorkStore.Candidates, rights: PetitionWorkStore.Rights,
        state: OfficerPetitionPageState
    ) -> PetitionWorkPanel {
        let division: String
        if let d = candidates.division {
            division = "\(d.name) (\(d.code))"
        } else if let code = p.division {
            division = "\(code) (ไม่พบกอง/ฝ่ายนี้ในการตั้งค่าแล้ว)"
        } else {
            division = "ไม่ระบุ"
        }
        let chosen = state.work.assignee ?? p.assigneeID?.uuidString
        return PetitionWorkPanel(
            holder: p.assigneeName ?? "ยังไม่มีผู้รับผิดชอบ", assigned: p.assigneeID != nil, division: division,
            action: BackOfficeURL.petitionAssign(t.slug, p.number).path, version: p.version, canTake: rights.take, canAssign: rights.assign,
            options: candidates.staff.map { .init(value: $0.id.uuidString, label: $0.name, selected: $0.id.uuidString == chosen) },
            reason: state.work.reason, reasonMaxLength: PetitionWorkStore.reasonMaxLength,
            assigneeError: state.errors["assignee"], reasonError: state.errors["reason"],
            noteAction: BackOfficeURL.petitionNotes(t.slug, p.number).path, note: state.work.note, noteError: state.errors["internal-note"],
            noteMaxLength: PetitionWorkStore.noteMaxLength)
    }
}

extension StaffMessages {
    /// `emails/staff-petition-assigned`: a petition was given to this officer (by someone else).
    struct PetitionAssigned: StaffMessage {
        static let template = "staff-petition-assigned"
        var frame: Frame
        var number: String
        var serviceName: String
        var tenantName: String
        var assignedBy: String
        var assignedAt: String
        var due: String
        var reason: String?
        var subject: String { "มอบหมายคำร้อง \(number) ให้ท่านรับผิดชอบ" }
    }
}
