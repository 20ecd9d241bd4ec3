import Domain
import Vapor

/// The form editor of one service, its version history, and each old version as it was.
struct FormEditorController {
    struct Option: Encodable {
        var value: String
        var label: String
        var selected: Bool
    }

    struct FieldRow: Encodable {
        var index: Int
        var number: Int
        var key: String
        var label: String
        var typeOptions: [Option]
        var help: String
        var required: Bool
        var options: String
        var maxLength: String
        var isFirst: Bool
        var isLast: Bool
        var isNew: Bool
        var error: [String: String]
    }

    struct AttachmentRow: Encodable {
        var index: Int
        var number: Int
        var key: String
        var label: String
        var kinds: [Option]
        var required: Bool
        var maxMB: String
        var maxCount: String
        var isFirst: Bool
        var isLast: Bool
        var isNew: Bool
        var error: [String: String]
    }

    struct EditorPage: Encodable {
        var page: PageChrome
        var csrf: String
        var flash: String?
        var unsaved: Bool
        var conflict: String?
        var serviceName: String
        var retired: Bool
        var baseVersion: Int
        var action: String
        var overviewURL: String
        var versionsURL: String
        var errors: [ErrorLink]
        var addFieldError: String?
        var addAttachmentError: String?
        var fields: [FieldRow]
        var attachments: [AttachmentRow]
    }

    func page(_ req: Request) async throws -> View {
        let (tenant, _) = try await req.settingsTenant()
        let found = try req.settingsService(in: tenant)
        guard let current = try await FormVersions.current(tenant: tenant, service: found.service.slug, on: req.db) else { throw Abort(.notFound) }
        return try await render(
            req, tenant, found, FormDraft(current.form, version: current.number), problems: [],
            flash: req.takeFlash())
    }

    func submit(_ req: Request) async throws -> Response {
        let (tenant, _) = try await req.settingsTenant()
        let found = try req.settingsService(in: tenant)
        let pairs = FormPairs(req)
        var draft = FormDraft(pairs)
        let action = FormDraft.Action(pairs["action"])
        guard action == .save else {
            let added = action == .addField ? ("fields", draft.fields.count) : action == .addAttachment ? ("attachments", draft.attachments.count) : nil
            draft.apply(action)
            return try await render(req, tenant, found, draft, problems: [], unsaved: true, focus: added).encodeResponse(for: req)
        }
        let (form, problems) = draft.form()
        guard problems.isEmpty else {
            return try await render(req, tenant, found, draft, problems: problems, unsaved: true)
                .encodeResponse(status: .unprocessableEntity, for: req)
        }
        let slug = found.service.slug
        let editor = try req.formEditor
        let basedOn = draft.baseVersion
        if let current = try await FormVersions.current(tenant: tenant, service: slug, on: req.db), current.number == basedOn,
            current.form.normalized == form.normalized
        {
            return req.settingsRedirect(
                to: TenantSettingsURL.form(slug).path(tenant.slug),
                flash: "ไม่มีการเปลี่ยนแปลง แบบฟอร์มยังเป็นฉบับที่ \(current.number)")
        }
        do {
            let saved = try await SettingsWrite.perform(req.application, tenant: tenant) { ctx in
                let (previous, saved) = try await FormVersions.save(
                    form, tenant: tenant, service: slug, basedOn: basedOn, by: editor,
                    now: ctx.now, on: ctx.db)
                try await AuditLog.record(
                    .formChanged, on: req, tenant: tenant.id,
                    detail: SettingsChanges.form(service: slug, version: saved.number, from: previous.form, to: form), db: ctx.db)
                return saved.number
            }
            return req.settingsRedirect(
                to: TenantSettingsURL.form(slug).path(tenant.slug),
                flash: "บันทึกแบบฟอร์มฉบับที่ \(saved) แล้ว คำร้องใหม่ใช้ฉบับนี้ คำร้องที่ยื่นแล้วยังใช้ฉบับเดิม")
        } catch let error as SettingsError {
            return try await render(req, tenant, found, draft, problems: [], unsaved: true, conflict: error.thai)
                .encodeResponse(status: .conflict, for: req)
        }
    }

    private func render(
        _ req: Request, _ tenant: Tenant, _ found: (menu: MenuKey, service: Service, retired: Bool), _ draft: FormDraft,
        problems: [TenantFieldProblem], flash: String? = nil, unsaved: Bool = false, conflict: String? = nil,
        focus: (String, Int)? = nil
    ) async throws -> View {
        let errors = FormErrors(problems)
        var error: [String: String] = [:]
        for item in errors.items { error[item.field] = item.message }
        func rowErrors(_ prefix: String) -> [String: String] {
            var out: [String: String] = [:]
            for (k, v) in error where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = v }
            return out
        }
        let fields = draft.fields.enumerated().map { i, f in
            FieldRow(
                index: i, number: i + 1, key: f.key, label: f.label,
                typeOptions: FieldType.editorOrder.map { Option(value: $0.rawValue, label: $0.editorTitle, selected: $0.rawValue == f.type) },
                help: f.help, required: f.required, options: f.options, maxLength: f.maxLength,
                isFirst: i == 0, isLast: i == draft.fields.count - 1,
                isNew: focus.map { $0.0 == "fields" && $0.1 == i } ?? false, error: rowErrors("fields-\(i)-"))
        }
        let attachments = draft.attachments.enumerated().map { j, a in
            AttachmentRow(
                index: j, number: j + 1, key: a.key, label: a.label,
                kinds: FileKind.allCases.map { Option(value: $0.rawValue, label: $0.displayName, selected: a.types.contains($0.rawValue)) },
                required: a.required, maxMB: a.maxMB, maxCount: a.maxCount,
                isFirst: j == 0, isLast: j == draft.attachments.count - 1,
                isNew: focus.map { $0.0 == "attachments" && $0.1 == j } ?? false, error: rowErrors("attachments-\(j)-"))
        }
        let slug = found.service.slug
        let failed = !problems.isEmpty || conflict != nil
        return try await req.view.render(
            "backoffice/settings/form-editor",
            EditorPage(
                page: PageChrome(request: req, title: (failed ? "ข้อผิดพลาด: " : "") + "แบบฟอร์ม \(found.service.name) – \(tenant.thaiName)"),
                csrf: req.csrfToken(), flash: flash, unsaved: unsaved && !failed, conflict: conflict, serviceName: found.service.name,
                retired: found.retired, baseVersion: draft.baseVersion ?? 1, action: TenantSettingsURL.form(slug).path(tenant.slug),
                overviewURL: TenantSettingsURL.overview.path(tenant.slug), versionsURL: TenantSettingsURL.versions(slug).path(tenant.slug),
                errors: errors.items, addFieldError: error["add-field"], addAttachmentError: error["add-attachment"],
                fields: fields, attachments: attachments))
    }

    // MARK: history

    struct VersionRow: Encodable {
        var number: Int
        var savedAt: String
        var savedBy: String
        var fieldCount: Int
        var attachmentCount: Int
        var isCurrent: Bool
        var url: String
    }

    struct HistoryPage: Encodable {
        var page: PageChrome
        var serviceName: String
        var versions: [VersionRow]
        var formURL: String
        var overviewURL: String
    }

    func history(_ req: Request) async throws -> View {
        let (tenant, _) = try await req.settingsTenant()
        let found = try req.settingsService(in: tenant)
        let slug = found.service.slug
        let versions = try await FormVersions.history(tenant: tenant, service: slug, on: req.db)
        let latest = versions.map(\.number).max()
        return try await req.view.render(
            "backoffice/settings/versions",
            HistoryPage(
                page: PageChrome(request: req, title: "ประวัติแบบฟอร์ม \(found.service.name) – \(tenant.thaiName)"),
                serviceName: found.service.name,
                versions: versions.map { v in
                    VersionRow(
                        number: v.number, savedAt: v.createdAt.map(ThaiDate.shortWithTime) ?? "—",
                        savedBy: v.createdBy ?? "ไฟล์ตั้งค่าของหน่วยงาน (Tenants/)", fieldCount: v.fields.count,
                        attachmentCount: v.attachments.count, isCurrent: v.number == latest,
                        url: TenantSettingsURL.version(slug, v.number).path(tenant.slug))
                },
                formURL: TenantSettingsURL.form(slug).path(tenant.slug), overviewURL: TenantSettingsURL.overview.path(tenant.slug)))
    }

    struct VersionPage: Encodable {
        struct Field: Encodable {
            var key: String
            var label: String
            var kind: String
            var required: Bool
            var help: String?
            var options: [String]
            var maxLength: Int?
        }

        struct Attachment: Encodable {
            var key: String
            var label: String
            var required: Bool
            var types: String
            var maxMB: Int
            var maxCount: Int
        }

        var page: PageChrome
        var serviceName: String
        var number: Int
        var savedAt: String
        var savedBy: String
        var fields: [Field]
        var attachments: [Attachment]
        var versionsURL: String
    }

    func version(_ req: Request) async throws -> View {
        let (tenant, _) = try await req.settingsTenant()
        let found = try req.settingsService(in: tenant)
        guard let number = req.parameters.get("version", as: Int.self),
            let v = try await FormVersions.find(tenant: tenant, service: found.service.slug, version: number, on: req.db)
        else {
            throw Abort(.notFound)
        }
        return try await req.view.render(
            "backoffice/settings/version",
            VersionPage(
                page: PageChrome(request: req, title: "แบบฟอร์ม \(found.service.name) ฉบับที่ \(v.number) – \(tenant.thaiName)"),
                serviceName: found.service.name, number: v.number, savedAt: v.createdAt.map(ThaiDate.shortWithTime) ?? "—",
                savedBy: v.createdBy ?? "ไฟล์ตั้งค่าของหน่วยงาน (Tenants/)",
                fields: v.fields.map {
                    .init(
                        key: $0.key, label: $0.label, kind: $0.type.editorTitle, required: $0.isRequired, help: $0.help,
                        options: $0.options ?? [], maxLength: $0.maxLength)
                },
                attachments: v.attachments.map {
                    .init(
                        key: $0.key, label: $0.label, required: $0.isRequired,
                        types: $0.types.map(\.displayName).joined(separator: ", "),
                        maxMB: $0.effectiveMaxMB, maxCount: $0.effectiveMaxCount)
                },
                versionsURL: TenantSettingsURL.versions(found.service.slug).path(tenant.slug)))
    }
}
