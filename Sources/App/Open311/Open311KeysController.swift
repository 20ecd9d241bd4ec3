import Domain
import Foundation
import Vapor

/// The tenant's Open311 API keys, for its organisation admins: the list, a form to issue a key, and revoking
/// one after a confirmation page. Issuing answers with a redirect (POST/redirect/GET), so refreshing the page
/// cannot issue another key: the new key waits in the session, sealed with the app key, until the keys page
/// shows it once, and is dropped as it is shown.
struct Open311KeysController {
    struct KeyRow: Encodable {
        var label: String
        var prefix: String
        var createdAt: String
        var createdBy: String
        var lastUsed: String
        var revoked: String?
        var revokeURL: String?
    }

    struct IssuedKey: Encodable {
        var label: String
        var key: String
    }

    struct KeysPage: Encodable {
        var page: PageChrome
        var csrf: String
        var action: String
        var tenantName: String
        var flash: String?
        var errors: [ErrorLink]
        var sections: [FormSection]
        var issued: IssuedKey?
        var keys: [KeyRow]
        var activeCount: Int
        var maxActive: Int
        var apiURL: String
        var servicesURL: String
        var openAPIURL: String
        var slug: String
    }

    struct RevokePage: Encodable {
        var page: PageChrome
        var csrf: String
        var action: String
        var cancelURL: String
        var label: String
        var prefix: String
        var createdAt: String
        var lastUsed: String
    }

    struct IssueForm: Content {
        var label: String?
    }

    func page(_ req: Request) async throws -> Response {
        let issued = try Self.takeIssued(req)
        let response = try await render(req, label: "", errors: FormErrors(), issued: issued).encodeResponse(for: req)
        // The key is on this page only, once: no cache, no copy anywhere else.
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    func issue(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let label = (try? req.content.decode(IssueForm.self))?.label.clean.replacingOccurrences(of: "\n", with: " ") ?? ""
        var errors = FormErrors()
        if label.isEmpty {
            errors.add("label", "กรุณากรอกชื่อระบบที่จะใช้คีย์ เช่น ตู้บริการหน้าสำนักงาน หรือแชตบอต LINE")
        } else if label.count > Open311Keys.labelMaxLength {
            errors.add("label", "ชื่อระบบต้องไม่เกิน \(Open311Keys.labelMaxLength) ตัวอักษร (ตอนนี้ \(label.count) ตัวอักษร)")
        }
        guard errors.isEmpty else {
            return try await render(req, label: label, errors: errors, issued: nil).encodeResponse(status: .unprocessableEntity, for: req)
        }
        let issued: (record: Open311KeyRecord, key: String)
        do {
            issued = try await Open311Keys.issue(tenant: scope.tenant, label: label, by: AuditActor(scope.staff), ip: req.clientAddress, on: req.db)
        } catch is Open311Keys.LimitReached {
            errors.add("label", "หน่วยงานมีคีย์ที่ใช้งานอยู่ครบ \(Open311Keys.maxActive) คีย์แล้ว กรุณาเพิกถอนคีย์ที่ไม่ใช้ก่อนออกคีย์ใหม่")
            return try await render(req, label: label, errors: errors, issued: nil).encodeResponse(status: .conflict, for: req)
        }
        try Self.keepIssued(req, tenant: scope.tenant, IssuedKey(label: issued.record.label, key: issued.key))
        return req.redirect(to: BackOfficeURL.tenantOpen311(scope.tenant.slug).path + "#issued", redirectType: .normal)
    }

    // MARK: The new key, once

    /// What waits in the session between issuing and the page that shows it.
    struct PendingKey: Codable {
        var tenant: String
        var label: String
        var key: String
    }

    static let sessionKey = "open311_issued_key"

    static func box(_ app: Application) -> SecretBox { SecretBox(appSecret: app.settings.appSecret, purpose: "open311-key-once") }

    /// Keeps the new key for the next keys page, sealed (the session store never holds it in clear).
    static func keepIssued(_ req: Request, tenant: Tenant, _ issued: IssuedKey) throws {
        let pending = PendingKey(tenant: tenant.id, label: issued.label, key: issued.key)
        req.session.data[sessionKey] = try box(req.application).seal(Array(try JSONEncoder().encode(pending)))
    }

    /// The waiting key for this tenant's page, removed from the session as it is read (whatever the tenant, so it
    /// never lingers); nil when there is none or it was issued for another tenant.
    static func takeIssued(_ req: Request) throws -> IssuedKey? {
        let scope = try req.backOffice
        guard let sealed = req.session.data[sessionKey] else { return nil }
        req.session.data[sessionKey] = nil
        guard let plain = try? box(req.application).open(sealed),
            let pending = try? JSONDecoder().decode(PendingKey.self, from: Data(plain)),
            pending.tenant == scope.tenant.id
        else { return nil }
        return IssuedKey(label: pending.label, key: pending.key)
    }

    func confirmRevoke(_ req: Request) async throws -> View {
        let scope = try req.backOffice
        let key = try await Self.key(req, scope)
        return try await req.view.render(
            "backoffice/open311/revoke",
            RevokePage(
                page: PageChrome(request: req, title: "เพิกถอนคีย์ Open311 – \(scope.tenant.thaiName)"), csrf: req.csrfToken(),
                action: BackOfficeURL.tenantOpen311Revoke(scope.tenant.slug, try key.requireID()).path,
                cancelURL: BackOfficeURL.tenantOpen311(scope.tenant.slug).path, label: key.label, prefix: key.prefix,
                createdAt: ThaiDate.shortWithTime(key.createdAt), lastUsed: key.lastUsedAt.map(ThaiDate.shortWithTime) ?? "ยังไม่เคยใช้"))
    }

    func revoke(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let key = try await Self.key(req, scope)
        let done = try await Open311Keys.revoke(try key.requireID(), tenant: scope.tenant, by: AuditActor(scope.staff), ip: req.clientAddress, on: req.db)
        req.flash(done ? "เพิกถอนคีย์ “\(key.label)” แล้ว ระบบที่ใช้คีย์นี้จะส่งคำร้องไม่ได้อีกตั้งแต่บัดนี้" : "คีย์ “\(key.label)” ถูกเพิกถอนไปก่อนแล้ว")
        return req.redirect(to: BackOfficeURL.tenantOpen311(scope.tenant.slug).path, redirectType: .normal)
    }

    /// The key named in the path, in this tenant (another tenant's key is not found).
    static func key(_ req: Request, _ scope: BackOfficeScope) async throws -> Open311KeyRecord {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let key = try await Open311Keys.find(id, tenant: scope.tenant, on: req.db)
        else { throw Abort(.notFound) }
        return key
    }

    private func render(_ req: Request, label: String, errors: FormErrors, issued: IssuedKey?) async throws -> View {
        let scope = try req.backOffice
        let t = scope.tenant
        let keys = try await Open311Keys.list(tenant: t, on: req.db)
        let rows = try keys.map { k in
            KeyRow(
                label: k.label, prefix: k.prefix + "…", createdAt: ThaiDate.shortWithTime(k.createdAt), createdBy: k.createdBy,
                lastUsed: k.lastUsedAt.map(ThaiDate.shortWithTime) ?? "ยังไม่เคยใช้",
                revoked: k.revokedAt.map { "เพิกถอนแล้ว \(ThaiDate.shortWithTime($0))" + (k.revokedBy.map { " โดย \($0)" } ?? "") },
                revokeURL: k.isRevoked ? nil : BackOfficeURL.tenantOpen311Revoke(t.slug, try k.requireID()).path)
        }
        let sections = errors.apply(to: [
            FormSection(
                title: nil,
                fields: [
                    FieldView(
                        name: "label", label: "ชื่อระบบที่จะใช้คีย์", kind: .text, value: label,
                        hint: "เพื่อให้รู้ว่าคำร้องมาจากระบบใด เช่น ตู้บริการหน้าสำนักงาน แชตบอต LINE หรือแดชบอร์ดของจังหวัด",
                        maxlength: Open311Keys.labelMaxLength)
                ])
        ])
        let base = TenantURL.base(slug: t.slug)
        return try await req.view.render(
            "backoffice/open311/keys",
            KeysPage(
                page: PageChrome(request: req, title: "คีย์ Open311 API – \(t.thaiName)"), csrf: req.csrfToken(),
                action: BackOfficeURL.tenantOpen311(t.slug).path, tenantName: t.thaiName, flash: req.takeFlash(), errors: errors.items,
                sections: sections, issued: issued, keys: rows, activeCount: keys.filter { !$0.isRevoked }.count, maxActive: Open311Keys.maxActive,
                apiURL: Open311URL.root(base: base), servicesURL: Open311URL.services(base: base), openAPIURL: Open311URL.openAPI(base: base),
                slug: t.slug))
    }
}
