import Domain
import Foundation
import Vapor

/// The audit log: platform admins see everything; Organization admins see their own tenants' events.
/// Times are stored in UTC and shown in Thai time (Buddhist era).
struct AuditController {
    struct Row: Encodable {
        var at: String
        var actor: String
        var tenant: String
        var action: String
        var detail: String
        var ip: String
    }

    struct Page: Encodable {
        var page: PageChrome
        var rows: [Row]
        var sections: [FormSection]
        var limit: Int
    }

    func index(_ req: Request) async throws -> View {
        let staff = try req.staff
        let tenants = req.application.tenants
        let allowed: [String]? = staff.isPlatformAdmin ? nil : staff.grants.filter { $0.value == .orgAdmin }.map(\.key).sorted()
        let chosenTenant = req.query[String.self, at: "tenant"].map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        var filter = AuditLog.Filter(tenants: allowed)
        if !chosenTenant.isEmpty {
            // Asking for a tenant outside one's rights shows nothing of it.
            guard allowed?.contains(chosenTenant) ?? (tenants.tenant(slug: chosenTenant) != nil) else { throw Abort(.forbidden) }
            filter.tenants = [chosenTenant]
        }
        let action = req.query[String.self, at: "action"].flatMap(AuditAction.init(rawValue:))
        filter.action = action
        let actor = (req.query[String.self, at: "actor"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        filter.actor = actor.isEmpty ? nil : actor
        let from = req.query[String.self, at: "from"] ?? "", to = req.query[String.self, at: "to"] ?? ""
        filter.from = StaffApplication.isoDate(from).map { $0 }
        filter.to = StaffApplication.isoDate(to).map { $0.addingTimeInterval(24 * 3600) }
        let entries = try await AuditLog.list(filter, on: req.db)
        let rows = entries.map { e in
            Row(
                at: ThaiDate.shortWithTime(e.at), actor: e.actorName,
                tenant: e.tenantID.flatMap { tenants.tenant(slug: $0)?.thaiName } ?? (e.tenantID ?? "ระบบกลาง"),
                action: e.action?.thai ?? e.actionRaw, detail: e.detail, ip: e.ip)
        }
        let tenantOptions = (allowed ?? tenants.all.map(\.slug)).compactMap { slug in
            tenants.tenant(slug: slug).map { FieldView.Option(value: slug, label: $0.thaiName, selected: slug == chosenTenant) }
        }
        let sections = [
            FormSection(
                title: nil,
                fields: [
                    FieldView(name: "tenant", label: "หน่วยงาน", kind: .select, options: tenantOptions),
                    FieldView(
                        name: "action", label: "เหตุการณ์", kind: .select,
                        options: AuditAction.allCases.map { .init(value: $0.rawValue, label: $0.thai, selected: $0 == action) }),
                    FieldView(name: "actor", label: "ชื่อผู้ใช้งาน", kind: .text, value: actor, maxlength: 64),
                    FieldView(name: "from", label: "ตั้งแต่วันที่", kind: .date, value: from),
                    FieldView(name: "to", label: "ถึงวันที่", kind: .date, value: to),
                ])
        ]
        return try await req.view.render(
            "backoffice/audit",
            Page(
                page: PageChrome(request: req, title: "บันทึกการใช้งาน"), rows: rows,
                sections: sections, limit: filter.limit))
    }
}
