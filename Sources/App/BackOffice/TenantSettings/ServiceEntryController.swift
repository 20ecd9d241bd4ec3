import Domain
import Fluent
import Vapor

/// Adding a service to a menu, and changing a service's menu, name, description, time limit and identity rule.
struct ServiceEntryController {
    struct EntryForm: Content {
        var menu: String?
        var slug: String?
        var name: String?
        var description: String?
        var sla_days: String?
        var verified_identity: String?
        /// A division code, or empty: ไม่ระบุ.
        var division: String?

        init(_ e: CatalogueEntry?) {
            menu = e?.menu.rawValue ?? MenuKey.online.rawValue
            slug = e?.slug
            name = e?.name
            description = e?.description
            sla_days = e.map { String($0.slaDays) } ?? "15"
            verified_identity = (e?.needsIdentity ?? true) ? "1" : nil
            division = e?.division
        }

        func entry(slug fixed: String?) -> CatalogueEntry {
            CatalogueEntry(
                slug: fixed ?? slug.clean.lowercased(), menu: MenuKey(rawValue: menu.clean) ?? .online, position: 0,
                name: name.clean, description: description.clean, slaDays: BoundedNumber.int(sla_days, in: 0...100_000) ?? 0,
                verifiedIdentity: verified_identity == "1", retired: false, division: division.clean.isEmpty ? nil : division.clean)
        }
    }

    func newPage(_ req: Request) async throws -> View {
        let (tenant, _) = try await req.settingsTenant()
        return try await render(req, tenant, EntryForm(nil), slug: nil, FormErrors())
    }

    func add(_ req: Request) async throws -> Response {
        let (tenant, folder) = try await req.settingsTenant()
        let form = try req.content.decode(EntryForm.self)
        let entry = form.entry(slug: nil)
        let taken = Set(try await CatalogueStore.entries(tenant: tenant, folder: folder, on: req.db).map(\.slug))
        let divisions = try await DivisionStore.all(tenant: tenant, on: req.db)
        let problems = check(form, entry, newSlug: true, taken: taken, divisions: divisions)
        guard problems.isEmpty else {
            return try await render(req, tenant, form, slug: nil, FormErrors(problems)).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let editor = try req.formEditor
        do {
            try await SettingsWrite.perform(req.application, tenant: tenant) { ctx in
                try await CatalogueStore.add(entry, tenant: tenant, folder: folder, now: ctx.now, on: ctx.db)
                try await FormVersions.start(.starter, tenant: tenant, service: entry.slug, by: editor, now: ctx.now, on: ctx.db)
                try await AuditLog.record(.serviceChanged, on: req, tenant: tenant.id, detail: SettingsChanges.added(entry), db: ctx.db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // Another admin added the same code a moment ago.
            var errors = FormErrors()
            errors.add("slug", "รหัสบริการ \(entry.slug) มีอยู่แล้ว (รวมบริการที่เลิกให้บริการ) กรุณาใช้รหัสอื่น")
            return try await render(req, tenant, form, slug: nil, errors).encodeResponse(status: .unprocessableEntity, for: req)
        }
        return req.settingsRedirect(
            to: TenantSettingsURL.form(entry.slug).path(tenant.slug),
            flash: "เพิ่มบริการ “\(entry.name)” แล้ว กรุณากำหนดช่องข้อมูลของแบบฟอร์ม แล้วกดบันทึก")
    }

    func editPage(_ req: Request) async throws -> View {
        let (tenant, folder) = try await req.settingsTenant()
        let (_, service, _) = try req.settingsService(in: tenant)
        let entry = try await CatalogueStore.entries(tenant: tenant, folder: folder, on: req.db).first { $0.slug == service.slug }
        return try await render(req, tenant, EntryForm(entry), slug: service.slug, FormErrors())
    }

    func save(_ req: Request) async throws -> Response {
        let (tenant, folder) = try await req.settingsTenant()
        let (_, service, _) = try req.settingsService(in: tenant)
        guard let old = try await CatalogueStore.entries(tenant: tenant, folder: folder, on: req.db).first(where: { $0.slug == service.slug }) else {
            throw Abort(.notFound)
        }
        let form = try req.content.decode(EntryForm.self)
        var entry = form.entry(slug: service.slug)
        entry.position = old.position
        entry.retired = old.retired
        let divisions = try await DivisionStore.all(tenant: tenant, on: req.db)
        let problems = check(form, entry, newSlug: false, taken: [], divisions: divisions)
        guard problems.isEmpty else {
            return try await render(req, tenant, form, slug: service.slug, FormErrors(problems)).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let changed = !entry.sameOffer(as: old) || entry.division != old.division
        if changed {
            let entry = entry
            try await SettingsWrite.perform(req.application, tenant: tenant) { ctx in
                try await CatalogueStore.update(entry, tenant: tenant, folder: folder, now: ctx.now, on: ctx.db)
                try await AuditLog.record(.serviceChanged, on: req, tenant: tenant.id, detail: SettingsChanges.entry(from: old, to: entry), db: ctx.db)
            }
        }
        return req.settingsRedirect(
            to: TenantSettingsURL.overview.path(tenant.slug) + "#menu-\(entry.menu.rawValue)",
            flash: changed ? "บันทึกบริการ “\(entry.name)” แล้ว" : "ไม่มีข้อมูลที่เปลี่ยนแปลง")
    }

    private func check(
        _ form: EntryForm, _ entry: CatalogueEntry, newSlug: Bool, taken: Set<String>, divisions: [DivisionRecord]
    ) -> [TenantFieldProblem] {
        var problems = TenantRules.entryProblems(entry, newSlug: newSlug, taken: taken)
        if let code = entry.division, !divisions.contains(where: { $0.code == code }) {
            problems.append(.init(field: "division", message: "กรุณาเลือกกอง/ฝ่ายจากรายการ"))
        }
        if MenuKey(rawValue: form.menu.clean) == nil { problems.insert(.init(field: "menu", message: "กรุณาเลือกเมนูของบริการ"), at: 0) }
        return problems
    }

    private func render(_ req: Request, _ tenant: Tenant, _ f: EntryForm, slug: String?, _ errors: FormErrors) async throws -> View {
        var fields = [
            FieldView(
                name: "menu", label: "เมนู", kind: .select,
                hint: "บริการจะแสดงในเมนูนี้บนเว็บไซต์ของหน่วยงาน",
                options: MenuKey.allCases.map { .init(value: $0.rawValue, label: $0.thaiTitle, selected: f.menu == $0.rawValue) })
        ]
        if slug == nil {
            fields.append(
                FieldView(
                    name: "slug", label: "รหัสบริการ (ใช้ในที่อยู่เว็บ)", kind: .text, value: f.slug ?? "",
                    hint: "ภาษาอังกฤษตัวเล็ก ตัวเลข และขีด (-) เช่น road-repair เปลี่ยนภายหลังไม่ได้",
                    autocomplete: "off", maxlength: 63))
        }
        fields += [
            FieldView(name: "name", label: "ชื่อบริการ", kind: .text, value: f.name ?? "", maxlength: 200),
            FieldView(
                name: "description", label: "คำอธิบายบริการ", kind: .textarea, value: f.description ?? "",
                hint: "ใครใช้บริการนี้ได้ ต้องเตรียมอะไร และหน่วยงานจะดำเนินการอย่างไร", maxlength: 2000),
            FieldView(
                name: "sla_days", label: "ระยะเวลาดำเนินการ (วันทำการ)", kind: .number, value: f.sla_days ?? "",
                hint: "1–365 วัน", inputmode: "numeric"),
            FieldView(
                name: "verified_identity", label: "ต้องยืนยันตัวตนด้วยภาพบัตรประจำตัวประชาชนก่อนยื่นคำร้อง", kind: .checkbox,
                checked: f.verified_identity == "1"),
        ]
        let divisions = try await DivisionStore.all(tenant: tenant, on: req.db)
        fields.append(
            FieldView(
                name: "division", label: "กอง/ฝ่ายที่รับผิดชอบ", kind: .select,
                hint: divisions.isEmpty
                    ? "หน่วยงานยังไม่มีกอง/ฝ่าย เพิ่มได้ที่ “จัดการกอง/ฝ่าย” ในหน้าตั้งค่า"
                    : "คำร้องใหม่ของบริการนี้เข้าคิวของกอง/ฝ่ายที่เลือก เลือก “— เลือก —” หากไม่ระบุ",
                options: divisions.map { .init(value: $0.code, label: "\($0.name) (\($0.code))", selected: $0.code == f.division) }))
        let heading = slug == nil ? "เพิ่มบริการ" : "แก้ไขบริการ"
        return try await req.view.render(
            "backoffice/settings/edit",
            SettingsEditPage(
                page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "\(heading) – \(tenant.thaiName)"),
                heading: slug.map { _ in "\(heading): \(f.name ?? "")" } ?? heading,
                lead: slug == nil
                    ? "บริการใหม่เริ่มด้วยแบบฟอร์มที่มีช่อง “รายละเอียดคำร้อง” หนึ่งช่อง แก้ไขแบบฟอร์มได้ในขั้นถัดไป"
                    : "รหัสบริการ \(slug ?? "") · การแก้ไขมีผลกับคำร้องใหม่ คำร้องที่ยื่นแล้วไม่เปลี่ยน",
                csrf: req.csrfToken(), action: slug.map { TenantSettingsURL.service($0).path(tenant.slug) } ?? TenantSettingsURL.newService.path(tenant.slug),
                cancelURL: TenantSettingsURL.overview.path(tenant.slug), submitTitle: slug == nil ? "เพิ่มบริการ" : "บันทึกบริการ",
                errors: errors.items, sections: errors.apply(to: [FormSection(title: nil, fields: fields)]), preview: nil))
    }
}
