import Domain
import Fluent
import Foundation
import Vapor

/// The tenant's LINE channel in the back office, for its organisation admins: whether it works (secrets found,
/// the last webhook from LINE, requests refused for their signature, failed pushes with LINE's reasons), how
/// many citizens linked their LINE, the two environment variables the channel reads (the tenant's own,
/// `LINE_<SLUG>_…`: named by the server, never by the admin) and whether each is set, and the channel ID.
/// The secrets themselves are never typed or shown here.
struct LineChannelController {
    struct FailedPush: Encodable {
        var at: String
        var what: String
        var error: String
    }

    struct Variable: Encodable {
        var name: String
        var isSet: Bool
    }

    struct Page: Encodable {
        var page: PageChrome
        var csrf: String
        var action: String
        var tenantName: String
        var flash: String?
        var errors: [ErrorLink]
        var sections: [FormSection]
        var variables: [Variable]
        var state: String
        var working: Bool
        var webhookURL: String
        var lastWebhook: String
        var eventsToday: Int
        var refused: Int
        var refusedLast: String?
        var linked: Int
        var following: Int
        var pending: Int
        var failed: [FailedPush]
        var failedCount: Int
    }

    /// The channel ID only: the variables' names are not the admin's to choose (anything else posted is ignored).
    struct SettingsForm: Content {
        var channel_id: String?
    }

    func page(_ req: Request) async throws -> Response {
        let (tenant, _) = try await req.settingsTenant()
        let line = tenant.config.line
        let form = SettingsForm(channel_id: line?.channelID)
        return try await render(req, tenant, form, FormErrors()).encodeResponse(for: req)
    }

    func save(_ req: Request) async throws -> Response {
        let (tenant, _) = try await req.settingsTenant()
        let form = try req.content.decode(SettingsForm.self)
        let old = tenant.config.line
        let new = old?.withChannelID(form.channel_id.clean) ?? LineChannelSettings(channelID: form.channel_id.clean)
        var errors = FormErrors()
        if let problem = new.channelIDProblem { errors.add("channel_id", problem) }
        guard errors.isEmpty else {
            return try await render(req, tenant, form, errors).encodeResponse(status: .unprocessableEntity, for: req)
        }
        if old != new {
            let scope = try req.backOffice
            try await SettingsWrite.perform(req.application, tenant: tenant) { ctx in
                try await TenantSettingsStore.setLine(new, on: ctx.settings, db: ctx.db)
                try await AuditLog.record(
                    .lineSettingsChanged, actor: AuditActor(scope.staff), tenant: tenant.id,
                    detail: "Channel ID \(old?.channelID ?? "-") → \(new.channelID)",
                    ip: req.clientAddress, on: ctx.db)
            }
        }
        req.flash(old == new ? "ไม่มีข้อมูลที่เปลี่ยนแปลง" : "บันทึกการตั้งค่าช่องทาง LINE แล้ว")
        return req.redirect(to: BackOfficeURL.tenantLine(tenant.slug).path, redirectType: .normal)
    }

    private func render(_ req: Request, _ tenant: Tenant, _ f: SettingsForm, _ errors: FormErrors) async throws -> View {
        let db = req.db
        let now = Date()
        let dayAgo = now.addingTimeInterval(-86_400)
        let state: String, working: Bool
        switch LineChannel.resolve(tenant, settings: req.application.settings) {
        case .success:
            state = "พร้อมใช้งาน: พบ channel secret และ access token ในตัวแปรสภาพแวดล้อมของเซิร์ฟเวอร์"
            working = true
        case .failure(let problem):
            state = problem.thai
            working = false
        }
        let events = try await OutboxStore.written(tenant: tenant, kind: LineEventHandler.kind, since: dayAgo, on: db)
        let refused = try await LineStore.rejections(tenant: tenant.id, since: dayAgo, on: db)
        let users = try await LineStore.linkedCount(tenant: tenant.id, on: db)
        let pending = try await OutboxStore.count(tenant: tenant, kind: LinePushMessage.kind, statuses: [.pending, .running], on: db)
        let failedCount = try await OutboxStore.count(tenant: tenant, kind: LinePushMessage.kind, statuses: [.failed], on: db)
        let failed = try await OutboxStore.failed(tenant: tenant, kind: LinePushMessage.kind, limit: 20, on: db).map { job in
            FailedPush(at: job.finishedAt.map(ThaiDate.shortWithTime) ?? "-", what: Self.describe(key: job.idempotencyKey), error: job.lastError ?? "-")
        }
        let fields = [
            FieldView(
                name: "channel_id", label: "Channel ID", kind: .text, value: f.channel_id ?? "",
                hint: "ตัวเลขจากหน้า Basic settings ของ Messaging API channel ใน LINE Developers Console", inputmode: "numeric", maxlength: 20)
        ]
        let variables = LineChannel.variables(tenant, settings: req.application.settings).map { Variable(name: $0.name, isSet: $0.isSet) }
        let context = Page(
            page: PageChrome(request: req, title: "ช่องทาง LINE – \(tenant.thaiName)"), csrf: req.csrfToken(),
            action: BackOfficeURL.tenantLine(tenant.slug).path, tenantName: tenant.thaiName, flash: req.takeFlash(), errors: errors.items,
            sections: errors.apply(to: [FormSection(title: nil, fields: fields)]), variables: variables, state: state, working: working,
            webhookURL: StaffMail.absolute(req, TenantURL.base(slug: tenant.slug) + "/line/webhook"),
            lastWebhook: events.last.map(ThaiDate.shortWithTime) ?? "ยังไม่เคยได้รับ", eventsToday: events.count,
            refused: refused.count, refusedLast: refused.lastAt.map { ThaiDate.shortWithTime($0) + " (" + (refused.lastReason ?? "") + ")" },
            linked: users.linked, following: users.following, pending: pending, failed: failed, failedCount: failedCount)
        return try await req.view.render("backoffice/line/channel", context)
    }

    /// What a failed push was about, from its key ("line:petition-status:<id>:<version>"), without personal data.
    static func describe(key: String) -> String {
        let parts = key.split(separator: ":").map(String.init)
        guard parts.count >= 2 else { return key }
        switch parts[1] {
        case "petition-filed": return "ยืนยันการยื่นคำร้อง"
        case "petition-status": return "แจ้งเปลี่ยนสถานะคำร้อง"
        case "identity-decision": return "แจ้งผลการยืนยันตัวตน"
        case "petition-document-withdrawn": return "แจ้งเพิกถอนเอกสาร"
        default: return parts[1]
        }
    }
}
