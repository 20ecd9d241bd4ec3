import Domain
import Fluent
import Foundation
import Vapor

/// "เปลี่ยนแปลงสิทธิ์การใช้งาน": requesting rights and the request history; the approval table with
/// checkboxes; and a tenant's staff list where its Organization admins remove rights.
struct RightsController {
    struct RequestForm: Content {
        var tenant: String?
        var role: String?
        var note: String?
    }

    struct RevokeForm: Content {
        var staff: String?
        var role: String?
    }

    struct RequestRow: Encodable {
        var id: String
        var number: String
        var requester: String
        var position: String
        var tenant: String
        var role: String
        var status: String
        var statusClass: String
        var requestedAt: String
        var decidedAt: String?
        var decidedBy: String?
        var reason: String?
        var note: String?
    }

    struct GrantRow: Encodable {
        var tenant: String
        var code: String
        var role: String
        var grantedAt: String
    }

    struct HistoryPage: Encodable {
        var page: PageChrome
        var csrf: String
        var action: String
        var flash: String?
        var errors: [ErrorLink]
        var sections: [FormSection]
        var grants: [GrantRow]
        var requests: [RequestRow]
    }

    struct ApprovalsPage: Encodable {
        var page: PageChrome
        var csrf: String
        var action: String
        var flash: String?
        var problem: String?
        var pending: [RequestRow]
        var recent: [RequestRow]
    }

    struct MemberRow: Encodable {
        var staffID: String
        var username: String
        var name: String
        var position: String
        var role: String
        var roleRaw: String
        var grantedAt: String
        var canRevoke: Bool
    }

    struct StaffPage: Encodable {
        var page: PageChrome
        var csrf: String
        var action: String
        var flash: String?
        var tenantName: String
        var members: [MemberRow]
    }

    // MARK: My requests

    func history(_ req: Request) async throws -> View {
        try await renderHistory(req, form: RequestForm(), errors: FormErrors())
    }

    func request(_ req: Request) async throws -> Response {
        let staff = try req.staff
        let form = try req.content.decode(RequestForm.self)
        var errors = FormErrors()
        let tenant = req.application.tenants.tenant(slug: form.tenant.clean)
        if tenant == nil { errors.add("tenant", "กรุณาเลือกหน่วยงาน") }
        let role = StaffRole(rawValue: form.role.clean)
        if role == nil { errors.add("role", "กรุณาเลือกสิทธิ์ที่ต้องการ") }
        let note = form.note.clean
        if note.count > 500 { errors.add("note", "เหตุผลยาวเกิน 500 ตัวอักษร") }
        guard errors.isEmpty, let tenant, let role else {
            return try await renderHistory(req, form: form, errors: errors).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let now = Date()
        do {
            let record = try await req.db.writeTransaction { db in
                let r = try await AccessRequests.create(staff: staff, tenant: tenant, role: role, note: note.isEmpty ? nil : note, now: now, on: db)
                try await AuditLog.record(
                    .accessRequested, actor: AuditActor(staff), tenant: tenant.id,
                    detail: "คำขอ \(r.number): \(role.thai)", ip: req.clientAddress, on: db)
                return r
            }
            req.flash("ส่งคำขอสิทธิ์เลขที่ \(record.number) แล้ว สถานะ: รอตรวจสอบ")
        } catch let problem as AccessRequests.Problem {
            errors.add("tenant", problem.thai)
            return try await renderHistory(req, form: form, errors: errors).encodeResponse(status: .conflict, for: req)
        }
        return req.redirect(to: BackOfficeURL.requests.path, redirectType: .normal)
    }

    // MARK: Approvals

    func approvals(_ req: Request) async throws -> View {
        try await renderApprovals(req, problem: nil)
    }

    func decide(_ req: Request) async throws -> Response {
        let approver = try req.staff
        let form = try req.content.decode(BulkDecision.self)
        if let problem = form.problem {
            return try await renderApprovals(req, problem: problem).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let ids = form.chosen, approve = form.approve, reason = form.cleanReason
        let records = try await AccessRequests.chosen(ids, on: req.db)
        // Every chosen request must be one this approver may decide; otherwise nothing is changed.
        guard records.count == ids.count, records.allSatisfy({ AccessRequests.mayDecide(approver, $0) }) else { throw Abort(.forbidden) }
        let open = records.filter { $0.status == .pending }
        let now = Date()
        var mails: [RenderedMail] = []
        let tenants = req.application.tenants
        let requesters = try await StaffStore.byID(open.map(\.staffID), on: req.db)
        for r in open {
            guard let account = requesters[r.staffID] else { continue }
            let tenantName = tenants.tenant(slug: r.tenantID)?.thaiName ?? r.tenantID
            mails.append(
                try await StaffMail.render(
                    req, to: account.email,
                    StaffMessages.AccessDecided(
                        frame: .init(name: account.fullNameTH, link: StaffMail.absolute(req, BackOfficeURL.home.path)), number: r.number, role: r.role.thai,
                        tenantName: tenantName, approved: approve, decidedAt: ThaiDate.shortWithTime(now), reason: approve ? nil : reason),
                    key: "access-decision:\(r.number)"))
        }
        let toSend = mails
        try await req.db.writeTransaction { db in
            for r in open {
                try await AccessRequests.decide(r, approve: approve, reason: approve ? nil : reason, by: approver, now: now, on: db)
                try await AuditLog.record(
                    approve ? .accessApproved : .accessRejected, actor: AuditActor(approver), tenant: r.tenantID,
                    detail: "คำขอ \(r.number): \(r.role.thai)" + (approve ? "" : " เหตุผล: \(reason)"), ip: req.clientAddress, on: db)
            }
            for m in toSend { try await EmailOutbox.enqueue(m, tenant: nil, on: db) }
        }
        req.application.outboxWakeUp.poke()
        req.flash("\(approve ? "อนุมัติ" : "ไม่อนุมัติ") \(open.count) รายการแล้ว")
        return req.redirect(to: BackOfficeURL.approvals.path, redirectType: .normal)
    }

    // MARK: A tenant's staff

    func tenantStaff(_ req: Request) async throws -> View {
        let scope = try req.backOffice
        let members = try await StaffStore.members(tenant: scope.tenant, on: req.db).map { account, grant in
            MemberRow(
                staffID: account.id?.uuidString ?? "", username: account.username, name: account.fullNameTH, position: account.position,
                role: grant.role?.thai ?? grant.roleRaw, roleRaw: grant.roleRaw, grantedAt: ThaiDate.shortWithTime(grant.grantedAt),
                canRevoke: grant.role == .officer || scope.staff.isPlatformAdmin)
        }
        let flash = req.takeFlash()
        return try await req.view.render(
            "backoffice/tenant-staff",
            StaffPage(
                page: PageChrome(request: req, title: "เจ้าหน้าที่และสิทธิ์ – \(scope.tenant.thaiName)"), csrf: req.csrfToken(),
                action: BackOfficeURL.tenantStaffRevoke(scope.tenant.slug).path, flash: flash, tenantName: scope.tenant.thaiName, members: members))
    }

    func tenantRevoke(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let form = try req.content.decode(RevokeForm.self)
        guard let staffID = form.staff.flatMap(UUID.init(uuidString:)), let role = StaffRole(rawValue: form.role.clean) else { throw Abort(.badRequest) }
        // Organization admins remove Officer rights; removing an Organization admin is for platform admins.
        guard role == .officer || scope.staff.isPlatformAdmin else { throw Abort(.forbidden) }
        let removed = try await StaffStore.removeRight(
            staffID: staffID, tenantID: scope.tenant.id, role: role,
            by: AuditActor(scope.staff), ip: req.clientAddress, on: req.db)
        req.flash(removed ? "ถอนสิทธิ์แล้ว มีผลทันทีในการใช้งานครั้งถัดไป" : "ไม่พบสิทธิ์นี้ (อาจถูกถอนไปแล้ว)")
        return req.redirect(to: BackOfficeURL.tenantStaff(scope.tenant.slug).path, redirectType: .normal)
    }

    // MARK: Rendering

    static func rows(_ records: [AccessRequestRecord], req: Request) async throws -> [RequestRow] {
        let byID = try await StaffStore.byID(records.map(\.staffID), on: req.db)
        let tenants = req.application.tenants
        return records.map { r in
            let a = byID[r.staffID]
            return RequestRow(
                id: r.id?.uuidString ?? "", number: r.number, requester: a.map { "\($0.fullNameTH) (\($0.username))" } ?? "-",
                position: a?.position ?? "", tenant: tenants.tenant(slug: r.tenantID)?.thaiName ?? r.tenantID, role: r.role.thai,
                status: r.status.thai, statusClass: "status-\(r.status.rawValue)", requestedAt: ThaiDate.shortWithTime(r.requestedAt),
                decidedAt: r.decidedAt.map(ThaiDate.shortWithTime), decidedBy: r.decidedByName, reason: r.reason, note: r.note)
        }
    }

    private func renderHistory(_ req: Request, form: RequestForm, errors: FormErrors) async throws -> View {
        let staff = try req.staff
        let tenants = req.application.tenants
        let sections = [
            FormSection(
                title: nil,
                fields: [
                    FieldView(
                        name: "tenant", label: "หน่วยงาน (ระบบ)", kind: .select,
                        options: tenants.all.map { .init(value: $0.slug, label: "\($0.config.code) – \($0.thaiName)", selected: $0.slug == form.tenant.clean) }),
                    FieldView(
                        name: "role", label: "สิทธิ์ที่ต้องการ", kind: .select,
                        options: StaffRole.allCases.map { .init(value: $0.rawValue, label: $0.thai, selected: $0.rawValue == form.role.clean) }),
                    FieldView(name: "note", label: "เหตุผลหรือหน้าที่ที่ต้องใช้ระบบ (ไม่บังคับ)", kind: .textarea, value: form.note.clean, maxlength: 500),
                ])
        ]
        let grants = try await StaffStore.grants(staffID: staff.id, on: req.db).map { g in
            GrantRow(
                tenant: tenants.tenant(slug: g.tenantID)?.thaiName ?? g.tenantID, code: tenants.tenant(slug: g.tenantID)?.config.code ?? "",
                role: g.role?.thai ?? g.roleRaw, grantedAt: ThaiDate.shortWithTime(g.grantedAt))
        }
        let requests = try await Self.rows(AccessRequests.history(staffID: staff.id, on: req.db), req: req)
        let flash = req.takeFlash()
        return try await req.view.render(
            "backoffice/requests",
            HistoryPage(
                page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "เปลี่ยนแปลงสิทธิ์การใช้งาน"), csrf: req.csrfToken(),
                action: BackOfficeURL.requests.path, flash: flash, errors: errors.items, sections: errors.apply(to: sections),
                grants: grants, requests: requests))
    }

    private func renderApprovals(_ req: Request, problem: String?) async throws -> View {
        let approver = try req.staff
        let pending = try await Self.rows(AccessRequests.pending(for: approver, on: req.db), req: req)
        let recent = try await Self.rows(AccessRequests.recentDecisions(for: approver, on: req.db), req: req)
        let flash = req.takeFlash()
        return try await req.view.render(
            "backoffice/approvals",
            ApprovalsPage(
                page: PageChrome(request: req, title: (problem == nil ? "" : "ข้อผิดพลาด: ") + "อนุมัติสิทธิ์การใช้งาน"), csrf: req.csrfToken(),
                action: BackOfficeURL.approvals.path, flash: flash, problem: problem, pending: pending, recent: recent))
    }
}
