import Domain
import Fluent
import Vapor

/// A tenant's divisions (กอง / สำนัก): the list, adding one, changing its code, name, head, place and members,
/// and deleting one that no service or petition names.
struct DivisionSettingsController {
    struct DivisionForm: Content {
        var code: String?
        var name: String?
        var head: String?
        var position: String?
        var members: [String]?

        init(_ d: DivisionRecord?, members: [UUID] = []) {
            code = d?.code
            name = d?.name
            head = d?.headStaffID?.uuidString
            position = d.map { String($0.position) } ?? "0"
            self.members = members.map(\.uuidString)
        }

        /// The members (a checkbox group: the name repeated) are read from `FormPairs`, not decoded.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            code = try c.decodeIfPresent(String.self, forKey: .code)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            head = try c.decodeIfPresent(String.self, forKey: .head)
            position = try c.decodeIfPresent(String.self, forKey: .position)
            members = nil
        }

        static func decode(_ req: Request) throws -> DivisionForm {
            var form = try req.content.decode(DivisionForm.self)
            form.members = FormPairs(req).all("members")
            return form
        }

        enum CodingKeys: String, CodingKey { case code, name, head, position, members }
    }

    struct ListPage: Encodable {
        struct Row: Encodable {
            var code: String
            var name: String
            var head: String
            var members: String
            var editURL: String
            var deleteURL: String
        }

        var page: PageChrome
        var tenantName: String
        var overviewURL: String
        var newURL: String
        var rows: [Row]
        var csrf: String
        var notice: String?
        var problem: String?
    }

    func list(_ req: Request) async throws -> Response {
        try await renderList(req, problem: nil, status: .ok)
    }

    func newPage(_ req: Request) async throws -> View {
        let (tenant, _) = try await req.settingsTenant()
        return try await render(req, tenant, DivisionForm(nil), code: nil, FormErrors())
    }

    func add(_ req: Request) async throws -> Response {
        let (tenant, _) = try await req.settingsTenant()
        let form = try DivisionForm.decode(req)
        let staff = try await Self.staff(tenant, on: req.db)
        let (draft, members, problems) = Self.check(form, staff: staff)
        guard problems.isEmpty, let draft else {
            return try await render(req, tenant, form, code: nil, problems).encodeResponse(status: .unprocessableEntity, for: req)
        }
        do {
            try await SettingsWrite.perform(req.application, tenant: tenant) { ctx in
                let d = try await DivisionStore.add(draft, tenant: tenant, now: ctx.now, on: ctx.db)
                try await DivisionStore.setMembers(d, members, now: ctx.now, on: ctx.db)
                try await AuditLog.record(
                    .divisionChanged, on: req, tenant: tenant.id, detail: "เพิ่มกอง/ฝ่าย \(draft.name) (\(draft.code)) สมาชิก \(members.count) คน", db: ctx.db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            var errors = FormErrors()
            errors.add("code", "รหัสกอง/ฝ่าย \(draft.code) มีอยู่แล้ว กรุณาใช้รหัสอื่น")
            return try await render(req, tenant, form, code: nil, errors).encodeResponse(status: .unprocessableEntity, for: req)
        }
        return req.settingsRedirect(to: TenantSettingsURL.divisions.path(tenant.slug), flash: "เพิ่มกอง/ฝ่าย “\(draft.name)” แล้ว")
    }

    func editPage(_ req: Request) async throws -> View {
        let (tenant, _) = try await req.settingsTenant()
        let d = try await Self.division(req, tenant)
        let members = try await DivisionStore.memberIDs(tenant: tenant, on: req.db)[try d.requireID()] ?? []
        return try await render(req, tenant, DivisionForm(d, members: members), code: d.code, FormErrors())
    }

    func save(_ req: Request) async throws -> Response {
        let (tenant, _) = try await req.settingsTenant()
        let d = try await Self.division(req, tenant)
        let form = try DivisionForm.decode(req)
        let staff = try await Self.staff(tenant, on: req.db)
        let (draft, chosen, checked) = Self.check(form, staff: staff)
        var problems = checked
        let members = chosen
        if let draft, draft.code != d.code {
            let usage = try await DivisionStore.usage(d.code, tenant: tenant, on: req.db)
            if !usage.services.isEmpty || usage.petitions > 0 {
                problems.add("code", "เปลี่ยนรหัส \(d.code) ไม่ได้ เพราะ" + Self.usageText(usage) + "ใช้รหัสนี้อยู่ (เปลี่ยนชื่อกอง/ฝ่ายได้)")
            }
        }
        guard problems.isEmpty, let draft else {
            return try await render(req, tenant, form, code: d.code, problems).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let old = "\(d.name) (\(d.code))"
        do {
            try await SettingsWrite.perform(req.application, tenant: tenant) { ctx in
                try await DivisionStore.update(d, draft, now: ctx.now, on: ctx.db)
                try await DivisionStore.setMembers(d, members, now: ctx.now, on: ctx.db)
                try await AuditLog.record(
                    .divisionChanged, on: req, tenant: tenant.id,
                    detail: "แก้ไขกอง/ฝ่าย \(old) → \(draft.name) (\(draft.code)) สมาชิก \(members.count) คน", db: ctx.db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            var errors = FormErrors()
            errors.add("code", "รหัสกอง/ฝ่าย \(draft.code) มีอยู่แล้ว กรุณาใช้รหัสอื่น")
            return try await render(req, tenant, form, code: d.code, errors).encodeResponse(status: .unprocessableEntity, for: req)
        }
        return req.settingsRedirect(to: TenantSettingsURL.divisions.path(tenant.slug), flash: "บันทึกกอง/ฝ่าย “\(draft.name)” แล้ว")
    }

    func delete(_ req: Request) async throws -> Response {
        let (tenant, _) = try await req.settingsTenant()
        let d = try await Self.division(req, tenant)
        let usage = try await DivisionStore.usage(d.code, tenant: tenant, on: req.db)
        guard usage.services.isEmpty, usage.petitions == 0 else {
            return try await renderList(
                req, problem: "ลบ “\(d.name)” ไม่ได้ เพราะ" + Self.usageText(usage) + "ระบุกอง/ฝ่ายนี้อยู่ ให้ย้ายบริการไปกอง/ฝ่ายอื่นก่อน (เปลี่ยนชื่อได้)",
                status: .conflict)
        }
        let name = "\(d.name) (\(d.code))"
        try await SettingsWrite.perform(req.application, tenant: tenant) { ctx in
            try await DivisionStore.delete(d, on: ctx.db)
            try await AuditLog.record(.divisionChanged, on: req, tenant: tenant.id, detail: "ลบกอง/ฝ่าย \(name)", db: ctx.db)
        }
        return req.settingsRedirect(to: TenantSettingsURL.divisions.path(tenant.slug), flash: "ลบกอง/ฝ่าย “\(d.name)” แล้ว")
    }

    // MARK: Parts

    static func usageText(_ usage: (services: [String], petitions: Int)) -> String {
        var parts: [String] = []
        if !usage.services.isEmpty { parts.append("บริการ " + usage.services.prefix(5).map { "“\($0)”" }.joined(separator: " ")) }
        if usage.petitions > 0 { parts.append("คำร้อง \(usage.petitions.formatted()) รายการ") }
        return parts.joined(separator: " และ ")
    }

    static func division(_ req: Request, _ tenant: Tenant) async throws -> DivisionRecord {
        guard let code = req.parameters.get("division"), DivisionStore.isCode(code),
            let d = try await DivisionStore.byCode(code, tenant: tenant, on: req.db)
        else { throw Abort(.notFound) }
        return d
    }

    /// The tenant's active staff (any role), by name: heads and members are chosen from them.
    static func staff(_ tenant: Tenant, on db: any Database) async throws -> [(id: UUID, name: String)] {
        var seen = Set<UUID>()
        return try await StaffStore.members(tenant: tenant, on: db).compactMap { account, _ in
            guard let id = account.id, account.statusRaw == StaffAccountStatus.active.rawValue, seen.insert(id).inserted else { return nil }
            return (id, "\(account.fullNameTH) (\(account.position))")
        }.sorted { $0.name < $1.name }
    }

    static func check(_ f: DivisionForm, staff: [(id: UUID, name: String)]) -> (DivisionStore.Draft?, [UUID], FormErrors) {
        var errors = FormErrors()
        let code = (f.code ?? "").trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        let name = (f.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if !DivisionStore.isCode(code) { errors.add("code", "รหัสกอง/ฝ่ายต้องเป็นอักษรภาษาอังกฤษตัวใหญ่หรือตัวเลข 2–10 ตัว เช่น ENG") }
        if name.isEmpty {
            errors.add("name", "กรุณากรอกชื่อกอง/ฝ่าย")
        } else if name.count > 200 {
            errors.add("name", "ชื่อกอง/ฝ่ายยาวได้ไม่เกิน 200 ตัวอักษร")
        }
        let known = Set(staff.map(\.id))
        var head: UUID?
        if let raw = f.head, !raw.isEmpty {
            if let id = UUID(uuidString: raw), known.contains(id) { head = id } else { errors.add("head", "กรุณาเลือกหัวหน้าจากรายชื่อเจ้าหน้าที่ของหน่วยงาน") }
        }
        let position = BoundedNumber.int(f.position, in: 0...999)
        if position == nil, !(f.position ?? "").isEmpty { errors.add("position", "ลำดับต้องเป็นตัวเลข 0–999") }
        var members: [UUID] = []
        for raw in f.members ?? [] {
            guard let id = UUID(uuidString: raw), known.contains(id) else {
                errors.add("members", "สมาชิกที่เลือกต้องเป็นเจ้าหน้าที่ของหน่วยงาน")
                break
            }
            if !members.contains(id) { members.append(id) }
        }
        guard errors.isEmpty else { return (nil, [], errors) }
        return (DivisionStore.Draft(code: code, name: name, headStaffID: head, position: position ?? 0), members, errors)
    }

    private func renderList(_ req: Request, problem: String?, status: HTTPStatus) async throws -> Response {
        let (tenant, _) = try await req.settingsTenant()
        let divisions = try await DivisionStore.all(tenant: tenant, on: req.db)
        let members = try await DivisionStore.memberIDs(tenant: tenant, on: req.db)
        let names = Dictionary(try await Self.staff(tenant, on: req.db).map { ($0.id, $0.name) }) { a, _ in a }
        let rows = divisions.map { d in
            let ids = members[d.id ?? UUID()] ?? []
            return ListPage.Row(
                code: d.code, name: d.name, head: d.headStaffID.flatMap { names[$0] } ?? "ยังไม่กำหนด",
                members: ids.isEmpty ? "ยังไม่มีสมาชิก" : ids.compactMap { names[$0] }.joined(separator: ", "),
                editURL: TenantSettingsURL.division(d.code).path(tenant.slug), deleteURL: TenantSettingsURL.deleteDivision(d.code).path(tenant.slug))
        }
        return try await req.view.render(
            "backoffice/settings/divisions",
            ListPage(
                page: PageChrome(request: req, title: (problem == nil ? "" : "ข้อผิดพลาด: ") + "กอง/ฝ่าย – \(tenant.thaiName)"), tenantName: tenant.thaiName,
                overviewURL: TenantSettingsURL.overview.path(tenant.slug), newURL: TenantSettingsURL.newDivision.path(tenant.slug), rows: rows,
                csrf: req.csrfToken(), notice: req.takeFlash(), problem: problem)
        ).encodeResponse(status: status, for: req)
    }

    private func render(_ req: Request, _ tenant: Tenant, _ f: DivisionForm, code: String?, _ errors: FormErrors) async throws -> View {
        let staff = try await Self.staff(tenant, on: req.db)
        let chosen = Set(f.members ?? [])
        let fields = [
            FieldView(
                name: "code", label: "รหัสกอง/ฝ่าย", kind: .text, value: f.code ?? "",
                hint: "อักษรภาษาอังกฤษตัวใหญ่หรือตัวเลข 2–10 ตัว เช่น ENG บริการใช้รหัสนี้ระบุกอง/ฝ่ายที่รับผิดชอบ", autocomplete: "off", maxlength: 10),
            FieldView(name: "name", label: "ชื่อกอง/ฝ่าย", kind: .text, value: f.name ?? "", hint: "เช่น กองช่าง", maxlength: 200),
            FieldView(
                name: "head", label: "หัวหน้ากอง/ฝ่าย (ไม่บังคับ)", kind: .select,
                hint: "หัวหน้ามอบหมายคำร้องของกอง/ฝ่ายให้เจ้าหน้าที่ และได้รับแจ้งเมื่อคำร้องเกินกำหนด",
                options: staff.map { .init(value: $0.id.uuidString, label: $0.name, selected: $0.id.uuidString == f.head) }),
            FieldView(name: "position", label: "ลำดับในรายการ", kind: .number, value: f.position ?? "0", hint: "0–999 น้อยแสดงก่อน", inputmode: "numeric"),
            FieldView(
                name: "members", label: "เจ้าหน้าที่ในกอง/ฝ่าย", kind: .checkboxes,
                hint: staff.isEmpty ? "หน่วยงานยังไม่มีเจ้าหน้าที่ที่ได้รับสิทธิ์" : "เลือกได้หลายคน เจ้าหน้าที่หนึ่งคนอยู่ได้หลายกอง/ฝ่าย",
                options: staff.map { .init(value: $0.id.uuidString, label: $0.name, selected: chosen.contains($0.id.uuidString)) }),
        ]
        let heading = code == nil ? "เพิ่มกอง/ฝ่าย" : "แก้ไขกอง/ฝ่าย"
        return try await req.view.render(
            "backoffice/settings/edit",
            SettingsEditPage(
                page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "\(heading) – \(tenant.thaiName)"),
                heading: code.map { "\(heading): \($0)" } ?? heading,
                lead: "คำร้องของบริการที่ระบุกอง/ฝ่ายนี้จะเข้าคิวของกอง/ฝ่ายนี้",
                csrf: req.csrfToken(),
                action: code.map { TenantSettingsURL.division($0).path(tenant.slug) } ?? TenantSettingsURL.newDivision.path(tenant.slug),
                cancelURL: TenantSettingsURL.divisions.path(tenant.slug), submitTitle: code == nil ? "เพิ่มกอง/ฝ่าย" : "บันทึกกอง/ฝ่าย",
                errors: errors.items, sections: errors.apply(to: [FormSection(title: nil, fields: fields)]), preview: nil))
    }
}
