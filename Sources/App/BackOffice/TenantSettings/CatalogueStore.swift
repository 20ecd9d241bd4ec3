import Domain
import Fluent
import Foundation

/// A tenant's service catalogue in the back office. The first change writes down the whole catalogue as the
/// folder has it (so order and retirement have somewhere to live); from then on the rows are the catalogue,
/// and a service added to the folder later joins the end of its menu.
enum CatalogueStore {
    enum Move: String, Sendable { case up, down }

    /// Every service of the tenant, retired ones included, in menu order (the folder's when never changed).
    static func entries(tenant: Tenant, folder: Menus, on db: any Database) async throws -> [CatalogueEntry] {
        let rows = try await records(tenant: tenant, on: db)
        guard !rows.isEmpty else { return TenantConfig.entries(active: folder) }
        let entries = rows.compactMap(entry)
        let effective = TenantConfig.catalogue(folder: folder, entries: entries, forms: [:])
        return TenantConfig.entries(active: effective.active, retired: effective.retired)
    }

    static func add(_ entry: CatalogueEntry, tenant: Tenant, folder: Menus, now: Date, on db: any Database) async throws {
        let rows = try await materialize(tenant: tenant, folder: folder, now: now, on: db)
        let record = TenantServiceRecord()
        record.tenantID = tenant.id
        record.origin = TenantServiceRecord.Origin.backoffice.rawValue
        record.createdAt = now
        var e = entry
        e.position = (rows.filter { $0.menu == entry.menu.rawValue }.map(\.position).max() ?? -1) + 1
        e.retired = false
        try await write(e, to: record, now: now, on: db)
    }

    /// Changes a service's name, details or menu (moving to another menu puts it at that menu's end).
    static func update(_ entry: CatalogueEntry, tenant: Tenant, folder: Menus, now: Date, on db: any Database) async throws {
        let rows = try await materialize(tenant: tenant, folder: folder, now: now, on: db)
        guard let record = rows.first(where: { $0.slug == entry.slug }) else { throw SettingsError.noSuchService }
        var e = entry
        e.retired = record.retired
        if record.menu != entry.menu.rawValue {
            e.position = (rows.filter { $0.menu == entry.menu.rawValue }.map(\.position).max() ?? -1) + 1
        } else {
            e.position = record.position
        }
        try await write(e, to: record, now: now, on: db)
    }

    /// Swaps a service with the offered service above or below it in its menu. False when it is already at that end.
    static func move(_ slug: String, _ direction: Move, tenant: Tenant, folder: Menus, now: Date, on db: any Database) async throws -> Bool {
        let rows = try await materialize(tenant: tenant, folder: folder, now: now, on: db)
        guard let record = rows.first(where: { $0.slug == slug }), !record.retired else { throw SettingsError.noSuchService }
        var menu = rows.filter { $0.menu == record.menu }.sorted { ($0.position, $0.slug) < ($1.position, $1.slug) }
        guard let from = menu.firstIndex(where: { $0.slug == slug }) else { throw SettingsError.noSuchService }
        let candidates = direction == .up ? Array(menu[..<from].indices.reversed()) : Array(menu.indices.dropFirst(from + 1))
        guard let to = candidates.first(where: { !menu[$0].retired }) else { return false }
        menu.swapAt(from, to)
        for (i, row) in menu.enumerated() where row.position != i {
            row.position = i
            row.updatedAt = now
            try await row.save(on: db)
        }
        return true
    }

    static func setRetired(_ slug: String, _ retired: Bool, tenant: Tenant, folder: Menus, now: Date, on db: any Database) async throws {
        let rows = try await materialize(tenant: tenant, folder: folder, now: now, on: db)
        guard let record = rows.first(where: { $0.slug == slug }) else { throw SettingsError.noSuchService }
        record.retired = retired
        record.updatedAt = now
        try await record.save(on: db)
    }

    // MARK: rows

    static func records(tenant: Tenant, on db: any Database) async throws -> [TenantServiceRecord] {
        try await TenantServiceRecord.query(on: db, tenant: tenant).all()
    }

    /// The tenant's rows, written from the folder's catalogue first if there are none yet; a folder service
    /// added since the catalogue was written down is added at the end of its menu.
    static func materialize(tenant: Tenant, folder: Menus, now: Date, on db: any Database) async throws -> [TenantServiceRecord] {
        var rows = try await records(tenant: tenant, on: db)
        let known = Set(rows.map(\.slug))
        var next: [String: Int] = [:]
        for row in rows { next[row.menu] = max(next[row.menu] ?? 0, row.position + 1) }
        for (menu, service) in folder.all where !known.contains(service.slug) {
            let position = next[menu.rawValue] ?? 0
            next[menu.rawValue] = position + 1
            let record = TenantServiceRecord()
            record.tenantID = tenant.id
            record.origin = TenantServiceRecord.Origin.folder.rawValue
            record.createdAt = now
            try await write(CatalogueEntry(service, menu: menu, position: position), to: record, now: now, on: db)
            rows.append(record)
        }
        return rows
    }

    private static func write(_ e: CatalogueEntry, to record: TenantServiceRecord, now: Date, on db: any Database) async throws {
        record.slug = e.slug
        record.menu = e.menu.rawValue
        record.position = e.position
        record.name = e.name
        record.description = e.description
        record.slaDays = e.slaDays
        record.verifiedIdentity = e.verifiedIdentity
        record.retired = e.retired
        record.division = e.division
        record.updatedAt = now
        try await record.save(on: db)
    }

    static func entry(_ r: TenantServiceRecord) -> CatalogueEntry? {
        guard let menu = MenuKey(rawValue: r.menu) else { return nil }
        return CatalogueEntry(
            slug: r.slug, menu: menu, position: r.position, name: r.name, description: r.description,
            slaDays: r.slaDays, verifiedIdentity: r.verifiedIdentity, retired: r.retired, division: r.division)
    }
}

/// Why a settings change could not be made; each has the Thai sentence to show.
enum SettingsError: Error, Sendable, Equatable {
    case noSuchService
    /// Someone saved the form after this person opened it.
    case formChanged(current: Int)

    var thai: String {
        switch self {
        case .noSuchService: "ไม่พบบริการนี้"
        case .formChanged(let current):
            "มีผู้อื่นแก้ไขแบบฟอร์มนี้ไปแล้ว (ขณะนี้เป็นฉบับที่ \(current)) การแก้ไขของท่านยังไม่ถูกบันทึก กรุณาโหลดหน้าใหม่แล้วแก้ไขอีกครั้ง"
        }
    }
}
