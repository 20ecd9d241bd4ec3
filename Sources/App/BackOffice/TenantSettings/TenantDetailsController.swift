import Domain
import Vapor

/// "รายละเอียดหน่วยงาน" (names, contact details, colours) and "การยืนยันตัวตน" (the identity image policy).
struct TenantDetailsController {
    struct DisplayForm: Content {
        var name_th: String?
        var name_en: String?
        var contact_address: String?
        var contact_phone: String?
        var contact_email: String?
        var contact_website: String?
        var contact_hours: String?
        var colors_primary: String?
        var colors_accent: String?

        init(_ d: DisplayDetails) {
            name_th = d.name.th
            name_en = d.name.en
            contact_address = d.contact.address
            contact_phone = d.contact.phone
            contact_email = d.contact.email
            contact_website = d.contact.website
            contact_hours = d.contact.hours
            colors_primary = d.colors.primary
            colors_accent = d.colors.accent
        }

        var details: DisplayDetails {
            DisplayDetails(
                name: .init(th: name_th.clean, en: name_en.clean),
                contact: .init(
                    address: contact_address.clean, phone: contact_phone.clean, email: contact_email.clean.nilIfEmpty,
                    website: contact_website.clean.nilIfEmpty, hours: contact_hours.clean.nilIfEmpty),
                colors: .init(primary: colors_primary.clean.lowercased(), accent: colors_accent.clean.lowercased()))
        }
    }

    struct IdentityForm: Content {
        var image_0: String?
        var image_1: String?
        var image_2: String?
        var image_3: String?
        var image_4: String?
        var watermark: String?
        var max_file_mb: String?

        init(_ p: IdentityPolicy) {
            let labels = p.images.map(\.label) + Array(repeating: "", count: 5)
            (image_0, image_1, image_2, image_3, image_4) = (labels[0], labels[1], labels[2], labels[3], labels[4])
            watermark = p.watermark ?? IdentityPolicy.defaultWatermark
            max_file_mb = String(p.maxFileMB ?? IdentityPolicy.defaultMaxFileMB)
        }

        var labels: [String] { [image_0, image_1, image_2, image_3, image_4].map(\.clean) }

        /// Blank label boxes are images not asked for.
        var policy: IdentityPolicy {
            IdentityPolicy(
                watermark: watermark.clean, maxFileMB: BoundedNumber.int(max_file_mb, in: 0...1_000) ?? 0,
                images: labels.filter { !$0.isEmpty }.map { IdentityPolicy.Image(label: $0) })
        }
    }

    // MARK: display details

    func displayPage(_ req: Request) async throws -> View {
        let (tenant, _) = try await req.settingsTenant()
        return try await renderDisplay(req, tenant, DisplayForm(DisplayDetails(tenant.config)), FormErrors())
    }

    func saveDisplay(_ req: Request) async throws -> Response {
        let (tenant, _) = try await req.settingsTenant()
        let form = try req.content.decode(DisplayForm.self)
        let new = form.details
        let problems = TenantRules.displayProblems(new)
        guard problems.isEmpty else {
            return try await renderDisplay(req, tenant, form, FormErrors(problems)).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let old = DisplayDetails(tenant.config)
        if old != new {
            try await SettingsWrite.perform(req.application, tenant: tenant) { ctx in
                try await TenantSettingsStore.setDisplay(new, on: ctx.settings, db: ctx.db)
                try await AuditLog.record(.settingsChanged, on: req, tenant: tenant.id, detail: SettingsChanges.display(from: old, to: new), db: ctx.db)
            }
        }
        return req.settingsRedirect(
            to: TenantSettingsURL.overview.path(tenant.slug),
            flash: old == new ? "ไม่มีข้อมูลที่เปลี่ยนแปลง" : "บันทึกรายละเอียดหน่วยงานแล้ว เว็บไซต์ของหน่วยงานแสดงข้อมูลใหม่แล้ว")
    }

    private func renderDisplay(_ req: Request, _ tenant: Tenant, _ f: DisplayForm, _ errors: FormErrors) async throws -> View {
        let sections = [
            FormSection(
                title: "ชื่อหน่วยงาน",
                fields: [
                    FieldView(name: "name_th", label: "ชื่อภาษาไทย", kind: .text, value: f.name_th ?? "", maxlength: 200),
                    FieldView(name: "name_en", label: "ชื่อภาษาอังกฤษ", kind: .text, value: f.name_en ?? "", maxlength: 200),
                ]),
            FormSection(
                title: "การติดต่อ",
                fields: [
                    FieldView(name: "contact_address", label: "ที่อยู่สำนักงาน", kind: .textarea, value: f.contact_address ?? "", maxlength: 500),
                    FieldView(
                        name: "contact_phone", label: "หมายเลขโทรศัพท์", kind: .tel, value: f.contact_phone ?? "", hint: "เช่น 0 5539 1234",
                        inputmode: "tel", maxlength: 100),
                    FieldView(
                        name: "contact_email", label: "อีเมลของหน่วยงาน (ไม่บังคับ)", kind: .email, value: f.contact_email ?? "",
                        hint: "ข้อความจากหน้า “ติดต่อหน่วยงาน” ส่งมาที่อีเมลนี้", inputmode: "email", maxlength: 254),
                    FieldView(
                        name: "contact_website", label: "เว็บไซต์ (ไม่บังคับ)", kind: .text, value: f.contact_website ?? "",
                        hint: "เช่น https://www.bangkrathum.go.th", inputmode: "url", maxlength: 300),
                    FieldView(
                        name: "contact_hours", label: "เวลาทำการ (ไม่บังคับ)", kind: .text, value: f.contact_hours ?? "",
                        hint: "เช่น จันทร์–ศุกร์ 08:30–16:30 น.", maxlength: 200),
                ]),
            FormSection(
                title: "สีของเว็บไซต์",
                fields: [
                    FieldView(
                        name: "colors_primary", label: "สีหลัก (แถบหัวเว็บไซต์)", kind: .text, value: f.colors_primary ?? "",
                        hint: "รหัสสีแบบ #RRGGBB ต้องเข้มพอให้อ่านตัวอักษรสีขาวได้ (ความต่างของสีอย่างน้อย 4.5:1)", maxlength: 7),
                    FieldView(
                        name: "colors_accent", label: "สีรอง (ปุ่มและแถบเน้น)", kind: .text, value: f.colors_accent ?? "",
                        hint: "รหัสสีแบบ #RRGGBB", maxlength: 7),
                ]),
        ]
        return try await req.view.render(
            "backoffice/settings/edit",
            SettingsEditPage(
                page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "รายละเอียดหน่วยงาน – \(tenant.thaiName)"),
                heading: "รายละเอียดหน่วยงาน", lead: "ชื่อ ที่อยู่ และช่องทางติดต่อที่แสดงบนทุกหน้าของเว็บไซต์บริการประชาชนของหน่วยงาน",
                csrf: req.csrfToken(), action: TenantSettingsURL.display.path(tenant.slug),
                cancelURL: TenantSettingsURL.overview.path(tenant.slug), submitTitle: "บันทึกรายละเอียดหน่วยงาน",
                errors: errors.items, sections: errors.apply(to: sections), preview: nil))
    }

    // MARK: identity policy

    func identityPage(_ req: Request) async throws -> View {
        let (tenant, _) = try await req.settingsTenant()
        return try await renderIdentity(req, tenant, IdentityForm(tenant.config.identity), FormErrors())
    }

    func saveIdentity(_ req: Request) async throws -> Response {
        let (tenant, _) = try await req.settingsTenant()
        let form = try req.content.decode(IdentityForm.self)
        let new = form.policy
        var problems = TenantRules.identityProblems(new)
        if BoundedNumber.int(form.max_file_mb, in: 0...1_000) == nil, !problems.contains(where: { $0.field == "max_file_mb" }) {
            problems.append(.init(field: "max_file_mb", message: "ขนาดไฟล์สูงสุดต้องเป็นตัวเลข 1–50 (MB)"))
        }
        guard problems.isEmpty else {
            return try await renderIdentity(req, tenant, form, FormErrors(problems)).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let old = tenant.config.identity
        let changed =
            old.images != new.images || (old.watermark ?? IdentityPolicy.defaultWatermark) != new.watermark
            || (old.maxFileMB ?? IdentityPolicy.defaultMaxFileMB) != new.maxFileMB
        if changed {
            try await SettingsWrite.perform(req.application, tenant: tenant) { ctx in
                try await TenantSettingsStore.setIdentity(new, on: ctx.settings, db: ctx.db)
                try await AuditLog.record(.settingsChanged, on: req, tenant: tenant.id, detail: SettingsChanges.identity(from: old, to: new), db: ctx.db)
            }
        }
        return req.settingsRedirect(
            to: TenantSettingsURL.overview.path(tenant.slug) + "#identity",
            flash: changed ? "บันทึกนโยบายภาพยืนยันตัวตนแล้ว มีผลกับการยืนยันตัวตนครั้งต่อไป" : "ไม่มีข้อมูลที่เปลี่ยนแปลง")
    }

    private func renderIdentity(_ req: Request, _ tenant: Tenant, _ f: IdentityForm, _ errors: FormErrors) async throws -> View {
        let labels = [f.image_0, f.image_1, f.image_2, f.image_3, f.image_4]
        let images = labels.enumerated().map { i, label in
            FieldView(
                name: "image_\(i)", label: "ภาพที่ \(i + 1)\(i == 0 ? "" : " (ไม่บังคับ)")", kind: .text, value: label ?? "",
                hint: i == 0 ? "ชื่อภาพที่ประชาชนต้องถ่ายแนบ เช่น ภาพถ่ายหน้าบัตรประจำตัวประชาชน เว้นว่างช่องที่ไม่ใช้ (ได้ 1–5 ภาพ)" : nil,
                maxlength: 200)
        }
        let sections = [
            FormSection(title: "ภาพที่ต้องแนบเพื่อยืนยันตัวตน", fields: images),
            FormSection(
                title: "ลายน้ำและขนาดไฟล์",
                fields: [
                    FieldView(
                        name: "watermark", label: "ข้อความลายน้ำบนภาพ", kind: .text, value: f.watermark ?? "",
                        hint: "ระบบพิมพ์ข้อความนี้คาดทับภาพโดยอัตโนมัติ {ชื่อหน่วยงาน} จะถูกแทนด้วยชื่อหน่วยงาน", maxlength: 200),
                    FieldView(
                        name: "max_file_mb", label: "ขนาดไฟล์สูงสุดต่อภาพ (MB)", kind: .number, value: f.max_file_mb ?? "",
                        hint: "1–50", inputmode: "numeric"),
                ]),
        ]
        let preview = f.watermark.map { $0.replacingOccurrences(of: "{ชื่อหน่วยงาน}", with: tenant.thaiName) }
        return try await req.view.render(
            "backoffice/settings/edit",
            SettingsEditPage(
                page: PageChrome(request: req, title: (errors.isEmpty ? "" : "ข้อผิดพลาด: ") + "การยืนยันตัวตน – \(tenant.thaiName)"),
                heading: "นโยบายภาพยืนยันตัวตน",
                lead: "จำนวนและชื่อภาพบัตรที่ประชาชนต้องแนบเมื่อสมัครใช้งาน ข้อความลายน้ำที่คาดทับภาพ และขนาดไฟล์ที่รับ",
                csrf: req.csrfToken(), action: TenantSettingsURL.identity.path(tenant.slug),
                cancelURL: TenantSettingsURL.overview.path(tenant.slug) + "#identity", submitTitle: "บันทึกนโยบายภาพยืนยันตัวตน",
                errors: errors.items, sections: errors.apply(to: sections), preview: preview.map { "ตัวอย่างลายน้ำ: \($0)" }))
    }
}

extension FormErrors {
    /// The Domain rules' problems, each under its input's id.
    init(_ problems: [TenantFieldProblem]) {
        self.init()
        for p in problems { add(p.inputID, p.message) }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
