import Domain
import Fluent
import Foundation
import Vapor

/// Platform admins: approve or reject staff registrations (many at once), look at the supporting document,
/// create accounts (initial password = birth date DDMMYYYY in the Buddhist era, good for 72 hours, changed at
/// first sign-in) and issue that first password again, disable accounts and remove rights.
struct StaffAdminController {
    struct StatusForm: Content { var action: String? }
    struct RevokeForm: Content {
        var tenant: String?
        var role: String?
    }

    struct AccountRow: Encodable {
        var id: String
        var url: String
        var number: String
        var username: String
        var name: String
        var nameEN: String
        var orgUnit: String
        var position: String
        var email: String
        var mobile: String
        var nationalID: String
        var status: String
        var statusClass: String
        var createdAt: String
        var isPlatformAdmin: Bool
    }

    struct RegistrationsPage: Encodable {
        var page: PageChrome
        var csrf: String
        var action: String
        var flash: String?
        var problem: String?
        var rows: [AccountRow]
    }

    struct RegistrationPage: Encodable {
        var page: PageChrome
        var row: AccountRow
        var documentURL: String?
        var documentType: String?
        var documentSHA256: String?
        var decisionReason: String?
        var backURL = BackOfficeURL.adminRegistrations.path
    }

    struct StaffListPage: Encodable {
        var page: PageChrome
        var rows: [AccountRow]
        var newURL = BackOfficeURL.adminStaffNew.path
        var flash: String?
    }

    struct GrantRow: Encodable {
        var tenant: String
        var tenantSlug: String
        var role: String
        var roleRaw: String
        var grantedAt: String
    }

    struct MemberPage: Encodable {
        var page: PageChrome
        var csrf: String
        var flash: String?
        var row: AccountRow
        var grants: [GrantRow]
        var statusAction: String
        var revokeAction: String
        var isActive: Bool
        var isSelf: Bool
        /// Where the first password stands ("ใช้ได้ถึง …" / "หมดอายุแล้ว …"), nil when the person chose their own.
        var initialPassword: String?
        var initialPasswordExpired: Bool
        /// Issuing a first password again needs a birth date and an active account that is not one's own.
        var reissueAction: String?
    }

    struct NewStaffPage: Encodable {
        var page: PageChrome
        var csrf: String
        var action: String
        var errors: [ErrorLink]
        var sections: [FormSection]
    }

    // MARK: Registrations

    func registrations(_ req: Request) async throws -> View {
        try await renderRegistrations(req, problem: nil)
    }

    func decideRegistrations(_ req: Request) async throws -> Response {
        let admin = try req.staff
        let form = try req.content.decode(BulkDecision.self)
        if let problem = form.problem {
            return try await renderRegistrations(req, problem: problem).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let ids = form.chosen, approve = form.approve, reason = form.cleanReason
        let accounts = try await StaffStore.pendingRegistrations(ids, on: req.db)
        let now = Date()
        var mails: [RenderedMail] = []
        for a in accounts {
            mails.append(
                try await StaffMail.render(
                    req, to: a.email,
                    StaffMessages.RegistrationDecided(
                        frame: .init(name: a.fullNameTH, link: approve ? StaffMail.absolute(req, BackOfficeURL.login.path) : nil), number: a.requestNumber,
                        approved: approve, decidedAt: ThaiDate.shortWithTime(now), username: a.username, reason: approve ? nil : reason),
                    key: "staff-decision:\(a.requestNumber)"))
        }
        let toSend = mails
        try await req.db.writeTransaction { db in
            for a in accounts {
                a.status = approve ? .active : .rejected
                a.decidedAt = now
                a.decidedBy = admin.id
                a.decisionReason = approve ? nil : reason
                a.updatedAt = now
                try await a.save(on: db)
                try await AuditLog.record(
                    approve ? .staffApproved : .staffRejected, actor: AuditActor(admin), tenant: nil,
                    detail: "\(a.requestNumber) \(a.username)" + (approve ? "" : " เหตุผล: \(reason)"), ip: req.clientAddress, on: db)
            }
            for m in toSend { try await EmailOutbox.enqueue(m, tenant: nil, on: db) }
        }
        req.application.outboxWakeUp.poke()
        req.flash("\(approve ? "อนุมัติ" : "ไม่อนุมัติ") \(accounts.count) รายการแล้ว และแจ้งผู้ลงทะเบียนทางอีเมล")
        return req.redirect(to: BackOfficeURL.adminRegistrations.path, redirectType: .normal)
    }

    func registration(_ req: Request) async throws -> View {
        let a = try await account(req)
        // The whole number here only, to check against the document; lists show it masked.
        var row = row(a, req)
        row.nationalID = (try? req.application.staffNationalIDs.open(a.nationalIDSealed).formatted) ?? a.maskedNationalID
        return try await req.view.render(
            "backoffice/registration",
            RegistrationPage(
                page: PageChrome(request: req, title: "คำขอลงทะเบียน \(a.requestNumber)"), row: row,
                documentURL: a.documentFile == nil ? nil : BackOfficeURL.adminRegistrationDocument(try a.requireID()).path,
                documentType: a.documentType.flatMap(FileKind.init(rawValue:))?.displayName, documentSHA256: a.documentSHA256,
                decisionReason: a.decisionReason))
    }

    /// The supporting document, to platform admins only; never cached, shown inline by type, never sniffed.
    func document(_ req: Request) async throws -> Response {
        let a = try await account(req)
        guard let file = a.documentFile, let kind = a.documentType.flatMap(FileKind.init(rawValue:)) else { throw Abort(.notFound) }
        let store = req.application.fileStore
        // Registrations keep the document's SHA-256 (`documentSHA256`); one without it is sent unchecked.
        let body: Response.Body
        if let sha = a.documentSHA256 {
            body = try await store.verifiedBody(file, sha256: sha, logger: req.logger)
        } else {
            body = .init(data: try await store.read(file, sha256: nil))
        }
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType.fileExtension(kind == .jpeg ? "jpg" : kind.rawValue) ?? .binary
        headers.replaceOrAdd(name: .contentDisposition, value: "inline; filename=\"\(a.requestNumber).\(kind.rawValue)\"")
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return Response(status: .ok, headers: headers, body: body)
    }

    // MARK: Accounts

    func staff(_ req: Request) async throws -> View {
        let rows = try await StaffStore.all(on: req.db).map { row($0, req) }
        let flash = req.takeFlash()
        return try await req.view.render("backoffice/staff-list", StaffListPage(page: PageChrome(request: req, title: "บัญชีเจ้าหน้าที่"), rows: rows, flash: flash))
    }

    func member(_ req: Request) async throws -> View {
        let a = try await account(req)
        let tenants = req.application.tenants
        let grants = try await StaffStore.grants(staffID: try a.requireID(), on: req.db).map { g in
            GrantRow(
                tenant: tenants.tenant(slug: g.tenantID)?.thaiName ?? g.tenantID, tenantSlug: g.tenantID, role: g.role?.thai ?? g.roleRaw,
                roleRaw: g.roleRaw, grantedAt: ThaiDate.shortWithTime(g.grantedAt))
        }
        let flash = req.takeFlash()
        let id = try a.requireID()
        let isSelf = id == (try req.staff.id)
        let now = Date()
        var initial: String?
        if a.mustChangePassword, let issued = a.initialPasswordIssuedAt {
            let until = issued.addingTimeInterval(StaffInitialPassword.lifetime)
            initial =
                a.initialPasswordExpired(at: now)
                ? "หมดอายุแล้วเมื่อ \(ThaiDate.shortWithTime(until)) (ยังไม่ได้เข้าสู่ระบบครั้งแรก)"
                : "ยังไม่ได้เข้าสู่ระบบครั้งแรก รหัสผ่านเริ่มต้นใช้ได้ถึง \(ThaiDate.shortWithTime(until))"
        }
        let canReissue = !isSelf && a.status == .active && a.birthDate.flatMap(Passwords.initialPassword(birthDate:)) != nil
        return try await req.view.render(
            "backoffice/staff-member",
            MemberPage(
                page: PageChrome(request: req, title: "บัญชี \(a.username)"), csrf: req.csrfToken(), flash: flash, row: row(a, req), grants: grants,
                statusAction: BackOfficeURL.adminStaffStatus(id).path, revokeAction: BackOfficeURL.adminStaffRevoke(id).path,
                isActive: a.status == .active, isSelf: isSelf, initialPassword: initial, initialPasswordExpired: a.initialPasswordExpired(at: now),
                reissueAction: canReissue ? BackOfficeURL.adminStaffInitialPassword(id).path : nil))
    }

    /// Issues the first password (the birth date) again, for 72 hours from now: every session of the account
    /// ends, the person must choose a new password at sign-in, and is e-mailed; audited.
    func reissueInitialPassword(_ req: Request) async throws -> Response {
        let admin = try req.staff
        let a = try await account(req)
        let id = try a.requireID()
        guard id != admin.id else { throw Abort(.forbidden) }  // one's own password is changed on the profile page
        guard a.status == .active, let initial = a.birthDate.flatMap(Passwords.initialPassword(birthDate:)) else {
            req.flash("ออกรหัสผ่านเริ่มต้นใหม่ไม่ได้ บัญชีนี้ไม่มีวันเกิดในระบบหรือไม่ได้เปิดใช้งาน")
            return req.redirect(to: BackOfficeURL.adminStaffMember(id).path, redirectType: .normal)
        }
        let hash = try await Passwords.hash(initial, on: req)
        let now = Date()
        let until = ThaiDate.shortWithTime(now.addingTimeInterval(StaffInitialPassword.lifetime))
        a.passwordHash = hash
        a.mustChangePassword = true
        a.initialPasswordIssuedAt = now
        a.sessionEpoch += 1  // whoever is signed in with the old password is signed out
        a.loginFailures = 0
        a.lockedUntil = nil
        a.updatedAt = now
        let mail = try await StaffMail.render(
            req, to: a.email,
            StaffMessages.InitialPassword(
                frame: .init(name: a.fullNameTH, link: StaffMail.absolute(req, BackOfficeURL.login.path)), newAccount: false, username: a.username,
                validUntil: until),
            key: "staff-initial-password:\(id.uuidString):\(Int(now.timeIntervalSince1970))")
        try await req.db.writeTransaction { db in
            try await a.save(on: db)
            try await EmailOutbox.enqueue(mail, tenant: nil, on: db)
            try await AuditLog.record(
                .initialPasswordIssued, actor: AuditActor(admin), tenant: nil,
                detail: "\(a.username) ใช้ได้ถึง \(until)", ip: req.clientAddress, on: db)
        }
        req.application.outboxWakeUp.poke()
        req.flash("ออกรหัสผ่านเริ่มต้นใหม่ให้ \(a.username) แล้ว ใช้ได้ถึง \(until) และแจ้งทางอีเมล")
        return req.redirect(to: BackOfficeURL.adminStaffMember(id).path, redirectType: .normal)
    }

    func setStatus(_ req: Request) async throws -> Response {
        let admin = try req.staff
        let a = try await account(req)
        let form = try req.content.decode(StatusForm.self)
        let id = try a.requireID()
        guard id != admin.id else { throw Abort(.forbidden) }  // no locking oneself out
        switch form.action {
        case "disable" where a.status == .active:
            a.status = .disabled
            a.sessionEpoch += 1  // every session of this account ends
        case "enable" where a.status == .disabled:
            a.status = .active
        default:
            throw Abort(.badRequest)
        }
        a.updatedAt = Date()
        try await req.db.writeTransaction { db in
            try await a.save(on: db)
            try await AuditLog.record(
                a.status == .disabled ? .accountDisabled : .accountEnabled, actor: AuditActor(admin), tenant: nil,
                detail: a.username, ip: req.clientAddress, on: db)
        }
        req.flash(a.status == .disabled ? "ระงับบัญชีแล้ว การเข้าสู่ระบบทั้งหมดของบัญชีนี้สิ้นสุดทันที" : "เปิดใช้บัญชีแล้ว")
        return req.redirect(to: BackOfficeURL.adminStaffMember(id).path, redirectType: .normal)
    }

    func revoke(_ req: Request) async throws -> Response {
        let a = try await account(req)
        let form = try req.content.decode(RevokeForm.self)
        guard let role = StaffRole(rawValue: form.role.clean), !form.tenant.clean.isEmpty else { throw Abort(.badRequest) }
        let removed = try await StaffStore.removeRight(
            staffID: try a.requireID(), tenantID: form.tenant.clean, role: role,
            by: AuditActor(try req.staff), ip: req.clientAddress, on: req.db)
        req.flash(removed ? "ถอนสิทธิ์แล้ว" : "ไม่พบสิทธิ์นี้")
        return req.redirect(to: BackOfficeURL.adminStaffMember(try a.requireID()).path, redirectType: .normal)
    }

    func newStaffForm(_ req: Request) async throws -> View {
        try await renderNew(req, StaffApplication(), errors: FormErrors())
    }

    func createStaff(_ req: Request) async throws -> Response {
        let admin = try req.staff
        let form = try req.content.decode(StaffApplicationForm.self)
        let a = form.application
        var errors = FormErrors()
        a.validate(tenants: Set(req.application.tenants.all.map(\.slug)), units: req.application.orgUnits, errors: &errors)
        if errors.isEmpty {
            if let id = try? ThaiNationalID(a.nationalID),
                try await StaffStore.find(nationalID: id, vault: try req.application.staffNationalIDs, on: req.db) != nil
            {
                errors.add("nationalID", "เลขประจำตัวประชาชนนี้มีบัญชีอยู่แล้ว (หนึ่งคนมีได้หนึ่งบัญชี)")
            }
            if try await StaffStore.find(username: a.username, on: req.db) != nil { errors.add("username", "ชื่อผู้ใช้งานนี้มีผู้ใช้แล้ว") }
        }
        guard errors.isEmpty, let initial = Passwords.initialPassword(birthDate: a.birthDate) else {
            return try await renderNew(req, a, errors: errors).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let hash = try await Passwords.hash(initial, on: req)
        let now = Date()
        let number = try await StaffStore.nextNumber(prefix: "SR", now: now, on: req.db)
        let account = try StaffAccount(application: a, number: number, passwordHash: hash, now: now, nationalIDs: try req.application.staffNationalIDs)
        account.status = .active
        account.mustChangePassword = true
        account.initialPasswordIssuedAt = now
        account.decidedAt = now
        account.decidedBy = admin.id
        let mail = try await StaffMail.render(
            req, to: a.email,
            StaffMessages.InitialPassword(
                frame: .init(name: "\(a.titleTH)\(a.firstNameTH) \(a.lastNameTH)", link: StaffMail.absolute(req, BackOfficeURL.login.path)), newAccount: true,
                username: a.username, validUntil: ThaiDate.shortWithTime(now.addingTimeInterval(StaffInitialPassword.lifetime))), key: "staff-created:\(number)"
        )
        try await req.db.writeTransaction { db in
            try await account.create(on: db)
            try await EmailOutbox.enqueue(mail, tenant: nil, on: db)
            try await AuditLog.record(
                .staffCreated, actor: AuditActor(admin), tenant: a.tenant,
                detail: "\(number) \(a.username) รหัสผ่านเริ่มต้นใช้ได้ถึง \(ThaiDate.shortWithTime(now.addingTimeInterval(StaffInitialPassword.lifetime)))",
                ip: req.clientAddress, on: db)
        }
        req.application.outboxWakeUp.poke()
        req.flash("สร้างบัญชี \(a.username) แล้ว และแจ้งทางอีเมล")
        return req.redirect(to: BackOfficeURL.adminStaff.path, redirectType: .normal)
    }

    // MARK: Helpers

    private func account(_ req: Request) async throws -> StaffAccount {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)), let a = try await StaffStore.find(id, on: req.db) else {
            throw Abort(.notFound)
        }
        return a
    }

    private func row(_ a: StaffAccount, _ req: Request) -> AccountRow {
        let parts = a.orgUnit.split(separator: "/", maxSplits: 1).map(String.init)
        let tenantName = parts.first.flatMap { req.application.tenants.tenant(slug: $0)?.thaiName }
        let units = parts.count > 1 ? req.application.orgUnits.names(path: parts[1]) ?? [] : []
        let id = a.id ?? UUID()
        return AccountRow(
            id: id.uuidString, url: a.status == .pending ? BackOfficeURL.adminRegistration(id).path : BackOfficeURL.adminStaffMember(id).path,
            number: a.requestNumber, username: a.username, name: a.fullNameTH, nameEN: a.fullNameEN,
            orgUnit: ([tenantName].compactMap { $0 } + units).joined(separator: " › "), position: a.position, email: a.email,
            mobile: a.mobile, nationalID: a.maskedNationalID,
            status: a.status.thai, statusClass: "status-\(a.status.rawValue)", createdAt: ThaiDate.shortWithTime(a.createdAt),
            isPlatformAdmin: a.isPlatformAdmin)
    }

    private func renderRegistrations(_ req: Request, problem: String?) async throws -> View {
        let rows = try await StaffStore.pendingRegistrations(on: req.db).map { row($0, req) }
        let flash = req.takeFlash()
        return try await req.view.render(
            "backoffice/registrations",
            RegistrationsPage(
                page: PageChrome(request: req, title: (problem == nil ? "" : "ข้อผิดพลาด: ") + "อนุมัติบัญชีเจ้าหน้าที่"), csrf: req.csrfToken(),
                action: BackOfficeURL.adminRegistrations.path, flash: flash, problem: problem, rows: rows))
    }

    private func renderNew(_ req: Request, _ a: StaffApplication, errors: FormErrors) async throws -> View {
        var errors = errors
        if errors.isEmpty, !a.birthDate.isEmpty, Passwords.initialPassword(birthDate: a.birthDate) == nil { errors.add("birthDay", "วันเกิดไม่ถูกต้อง") }
        let sections = StaffApplicationForm.sections(
            a, tenants: req.application.tenants.all, units: req.application.orgUnits, withPassword: false, withDocument: false)
        return try await req.view.render(
            "backoffice/staff-new",
            NewStaffPage(
                page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "สร้างบัญชีเจ้าหน้าที่"), csrf: req.csrfToken(),
                action: BackOfficeURL.adminStaffNew.path, errors: errors.items, sections: errors.apply(to: sections)))
    }
}
