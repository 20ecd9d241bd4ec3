import Domain
import Fluent
import Vapor

/// The settings overview: display details, identity policy, and the three menus with their services in order,
/// each with its edit, form, history, move and retire buttons; and the actions behind those buttons.
struct SettingsOverviewController {
    struct ServiceRow: Encodable {
        var slug: String
        var name: String
        var slaDays: Int
        var needsIdentity: Bool
        var formVersion: Int
        var fieldCount: Int
        var isFirst: Bool
        var isLast: Bool
        var editURL: String
        var formURL: String
        var versionsURL: String
        var moveURL: String
        var retireURL: String
        var restoreURL: String
        var publicURL: String
    }

    struct MenuSection: Encodable {
        var key: String
        var title: String
        var services: [ServiceRow]
    }

    struct Page: Encodable {
        var page: PageChrome
        var csrf: String
        var flash: String?
        var tenantName: String
        var nameEN: String
        var contact: TenantConfig.Contact
        var colors: TenantConfig.Colors
        var images: [String]
        var watermark: String
        var maxFileMB: Int
        var menus: [MenuSection]
        var retired: [ServiceRow]
        var displayURL: String
        var identityURL: String
        var newServiceURL: String
        var divisionsURL: String = ""
        var siteURL: String
    }

    func index(_ req: Request) async throws -> View {
        let (tenant, folder) = try await req.settingsTenant()
        let slug = tenant.slug
        let entries = try await CatalogueStore.entries(tenant: tenant, folder: folder, on: req.db)
        let versionOf = try await FormVersions.numbers(tenant: tenant, on: req.db)
        func row(_ e: CatalogueEntry, _ i: Int, _ count: Int) -> ServiceRow {
            let fields = tenant.anyService(e.slug)?.service.fields.count ?? 0
            return ServiceRow(
                slug: e.slug, name: e.name, slaDays: e.slaDays,
                needsIdentity: e.needsIdentity,
                formVersion: versionOf[e.slug] ?? 1, fieldCount: fields, isFirst: i == 0, isLast: i == count - 1,
                editURL: TenantSettingsURL.service(e.slug).path(slug), formURL: TenantSettingsURL.form(e.slug).path(slug),
                versionsURL: TenantSettingsURL.versions(e.slug).path(slug), moveURL: TenantSettingsURL.move(e.slug).path(slug),
                retireURL: TenantSettingsURL.retire(e.slug).path(slug), restoreURL: TenantSettingsURL.restore(e.slug).path(slug),
                publicURL: TenantURL.service(e.slug).path(base: TenantURL.base(slug: slug)))
        }
        let menus = MenuKey.allCases.map { menu in
            let active = entries.filter { $0.menu == menu && !$0.retired }
            return MenuSection(
                key: menu.rawValue, title: menu.thaiTitle,
                services: active.enumerated().map { row($1, $0, active.count) })
        }
        let retired = entries.filter(\.retired).map { row($0, 0, 1) }
        let config = tenant.config
        return try await req.view.render(
            "backoffice/settings/overview",
            Page(
                page: PageChrome(request: req, title: "ตั้งค่าหน่วยงาน – \(tenant.thaiName)"), csrf: req.csrfToken(),
                flash: req.takeFlash(), tenantName: config.name.th, nameEN: config.name.en, contact: config.contact,
                colors: config.colors, images: config.identity.images.map(\.label),
                watermark: config.identity.watermarkText(agencyName: config.name.th),
                maxFileMB: config.identity.maxFileMB ?? IdentityPolicy.defaultMaxFileMB, menus: menus, retired: retired,
                displayURL: TenantSettingsURL.display.path(slug), identityURL: TenantSettingsURL.identity.path(slug),
                newServiceURL: TenantSettingsURL.newService.path(slug), divisionsURL: TenantSettingsURL.divisions.path(slug),
                siteURL: TenantURL.home.path(base: TenantURL.base(slug: slug))))
    }

    struct MoveForm: Content {
        var direction: String?
    }

    func move(_ req: Request) async throws -> Response {
        let (tenant, folder) = try await req.settingsTenant()
        let (menu, service, _) = try req.settingsService(in: tenant)
        guard let direction = try req.content.decode(MoveForm.self).direction.flatMap(CatalogueStore.Move.init) else {
            throw Abort(.badRequest)
        }
        let moved = try await SettingsWrite.perform(req.application, tenant: tenant) { ctx in
            let moved = try await CatalogueStore.move(service.slug, direction, tenant: tenant, folder: folder, now: ctx.now, on: ctx.db)
            if moved {
                try await AuditLog.record(
                    .serviceChanged, on: req, tenant: tenant.id,
                    detail:
                        "เลื่อนบริการ \(service.slug) \(direction == .up ? "ขึ้น" : "ลง") ในเมนู\(menu.thaiTitle)", db: ctx.db)
            }
            return moved
        }
        let message =
            switch (moved, direction) {
            case (true, .up): "เลื่อน “\(service.name)” ขึ้นแล้ว"
            case (true, .down): "เลื่อน “\(service.name)” ลงแล้ว"
            case (false, .up): "“\(service.name)” อยู่บนสุดของเมนูแล้ว"
            case (false, .down): "“\(service.name)” อยู่ล่างสุดของเมนูแล้ว"
            }
        return req.settingsRedirect(to: TenantSettingsURL.overview.path(tenant.slug) + "#menu-\(menu.rawValue)", flash: message)
    }

    func retire(_ req: Request) async throws -> Response {
        try await setRetired(req, true)
    }

    func restore(_ req: Request) async throws -> Response {
        try await setRetired(req, false)
    }

    private func setRetired(_ req: Request, _ retired: Bool) async throws -> Response {
        let (tenant, folder) = try await req.settingsTenant()
        let (menu, service, wasRetired) = try req.settingsService(in: tenant)
        if wasRetired != retired {
            try await SettingsWrite.perform(req.application, tenant: tenant) { ctx in
                try await CatalogueStore.setRetired(service.slug, retired, tenant: tenant, folder: folder, now: ctx.now, on: ctx.db)
                try await AuditLog.record(
                    .serviceChanged, on: req, tenant: tenant.id,
                    detail: retired
                        ? "เลิกให้บริการ \(service.slug) ‘\(service.name)’ (เมนู\(menu.thaiTitle)) คำร้องเดิมยังเปิดดูได้"
                        : "นำบริการ \(service.slug) ‘\(service.name)’ กลับมาให้บริการในเมนู\(menu.thaiTitle)", db: ctx.db)
            }
        }
        let message =
            retired
            ? "เลิกให้บริการ “\(service.name)” แล้ว บริการนี้ไม่แสดงบนเว็บไซต์ แต่คำร้องที่ยื่นไว้ยังเปิดดูได้"
            : "นำ “\(service.name)” กลับมาให้บริการแล้ว"
        return req.settingsRedirect(to: TenantSettingsURL.overview.path(tenant.slug) + "#menu-\(menu.rawValue)", flash: message)
    }
}
