import Domain
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

/// Settings stored in the database: survive restarts, reach other instances, and form versions never change.
@Suite("Tenant settings: storage, other instances, form versions")
struct TenantSettingsStoreTests {
    static func renamed(_ tenant: Tenant, to name: String) -> DisplayDetails {
        var d = DisplayDetails(tenant.config)
        d.name.th = name
        return d
    }

    static func setDisplay(_ app: Application, _ slug: String, name: String) async throws {
        let tenant = try Tenant.named(slug, in: app)
        let display = renamed(tenant, to: name)
        try await SettingsWrite.perform(app, tenant: tenant) { ctx in
            try await TenantSettingsStore.setDisplay(display, on: ctx.settings, db: ctx.db)
        }
    }

    static func saveForm(_ app: Application, _ slug: String, service: String, _ form: ServiceForm, basedOn: Int?) async throws -> FormVersion {
        let tenant = try Tenant.named(slug, in: app)
        return try await SettingsWrite.perform(app, tenant: tenant) { ctx in
            try await FormVersions.save(
                form, tenant: tenant, service: service, basedOn: basedOn,
                by: FormEditor(id: nil, username: "tester"), now: ctx.now, on: ctx.db
            ).saved
        }
    }

    static func homePage(_ app: Application, _ slug: String) async throws -> String {
        var html = ""
        try await app.testing().test(.GET, "/t/\(slug)/") { res in
            #expect(res.status == .ok)
            html = res.body.string
        }
        return html
    }

    @Test("a change shows at once on the instance that saved it (page cache emptied) and survives a restart", arguments: TestDatabase.all)
    func restart(database: TestDatabase) async throws {
        let env = try await TestEnvironment.make(database)
        try await withApp(database, environment: env) { app, _ in
            #expect(app.publicPageCache != nil, "testing mode caches public pages")
            #expect(try await Self.homePage(app, "bangkrathum").contains("เทศบาลตำบลบางกระทุ่ม"))
            try await Self.setDisplay(app, "bangkrathum", name: "เทศบาลตำบลบางกระทุ่มใหม่")
            #expect(app.tenants.tenant(slug: "bangkrathum")?.thaiName == "เทศบาลตำบลบางกระทุ่มใหม่")
            #expect(try await Self.homePage(app, "bangkrathum").contains("เทศบาลตำบลบางกระทุ่มใหม่"))
            #expect(app.tenants.tenant(slug: "bangrak")?.thaiName == app.tenantDirectory?.folder.tenant(slug: "bangrak")?.thaiName)
        }
        try await withApp(database, environment: env) { app, _ in
            try await app.asyncBoot()  // as `serve` does: settings are loaded before the first request
            #expect(app.tenants.tenant(slug: "bangkrathum")?.thaiName == "เทศบาลตำบลบางกระทุ่มใหม่")
            #expect(try await Self.homePage(app, "bangkrathum").contains("เทศบาลตำบลบางกระทุ่มใหม่"))
            #expect(app.tenantDirectory?.folder.tenant(slug: "bangkrathum")?.thaiName == "เทศบาลตำบลบางกระทุ่ม", "Tenants/ is untouched")
        }
        await env.cleanUp()
    }

    @Test("a second instance on the same database picks the change up on its next look", arguments: TestDatabase.all)
    func secondInstance(database: TestDatabase) async throws {
        let env = try await TestEnvironment.make(database)
        try await withApp(database, environment: env) { first, _ in
            try await withApp(database, environment: env) { second, _ in
                second.tenantSettingsSync?.interval = .seconds(3600)  // only the look this test asks for
                try await second.asyncBoot()
                let sync = try #require(second.tenantSettingsSync)
                let before = try await Self.homePage(second, "bangrak")
                try await Self.setDisplay(first, "bangrak", name: "ชื่อจากอีกเครื่องหนึ่ง")
                #expect(!before.contains("ชื่อจากอีกเครื่องหนึ่ง"))
                #expect(try await sync.refresh(second) == ["bangrak"])
                #expect(try await Self.homePage(second, "bangrak").contains("ชื่อจากอีกเครื่องหนึ่ง"), "its page cache was emptied too")
                #expect(try await sync.refresh(second).isEmpty, "nothing new: one single-row read, nothing applied")
            }
        }
        await env.cleanUp()
    }

    @Test("the background poll applies another instance's change within a few seconds", arguments: TestDatabase.all)
    func poll(database: TestDatabase) async throws {
        let env = try await TestEnvironment.make(database)
        try await withApp(database, environment: env) { first, _ in
            try await withApp(database, environment: env) { second, _ in
                second.tenantSettingsSync?.interval = .milliseconds(100)
                try await second.asyncBoot()
                try await Self.setDisplay(first, "nakhonpathom", name: "นครปฐมจากการสำรวจ")
                let deadline = ContinuousClock.now + .seconds(10)
                while second.tenants.tenant(slug: "nakhonpathom")?.thaiName != "นครปฐมจากการสำรวจ", ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(second.tenants.tenant(slug: "nakhonpathom")?.thaiName == "นครปฐมจากการสำรวจ")
            }
        }
        await env.cleanUp()
    }

    @Test("form versions: the folder's form is version 1, a change is version 2, old versions read back unchanged", arguments: TestDatabase.all)
    func versions(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let tenant = try Tenant.named("bangkrathum", in: app)
            let folderForm = ServiceForm(try #require(tenant.service("street-light")).service)
            let v1 = try #require(try await FormVersions.current(tenant: tenant, service: "street-light", on: app.db))
            #expect(v1.number == 1 && v1.form == folderForm && v1.createdAt == nil)
            #expect(try await FormVersions.history(tenant: tenant, service: "street-light", on: app.db).map(\.number) == [1])

            var changed = folderForm
            changed.fields.append(FormField(key: "home", type: .address, label: "ที่อยู่ผู้แจ้ง", required: true, help: nil, options: nil, maxLength: nil))
            let v2 = try await Self.saveForm(app, "bangkrathum", service: "street-light", changed, basedOn: 1)
            #expect(v2.number == 2)

            let served = try Tenant.named("bangkrathum", in: app)
            #expect(served.service("street-light")?.service.fields.last?.type == .address, "the public site serves version 2")
            let current = try #require(try await FormVersions.current(tenant: served, service: "street-light", on: app.db))
            #expect(current.number == 2 && current.form == changed)
            let old = try #require(try await FormVersions.find(tenant: served, service: "street-light", version: 1, on: app.db))
            #expect(old.form == folderForm && old.createdAt != nil, "version 1 was written down with the first change")
            #expect(try await FormVersions.find(tenant: served, service: "street-light", version: 3, on: app.db) == nil)
            #expect(try await FormVersions.history(tenant: served, service: "street-light", on: app.db).map(\.number) == [2, 1])
            let other = try Tenant.named("bangrak", in: app)
            #expect(
                try await FormVersions.find(tenant: other, service: "street-light", version: 2, on: app.db) == nil, "another tenant's versions are not visible")

            // A save based on an old version is refused with a Thai message; nothing is written.
            await #expect(throws: SettingsError.formChanged(current: 2)) {
                _ = try await Self.saveForm(app, "bangkrathum", service: "street-light", folderForm, basedOn: 1)
            }
            #expect(try await FormVersions.history(tenant: served, service: "street-light", on: app.db).count == 2)
        }
    }

    @Test("saves at the same moment get distinct version numbers; on one base only one wins", arguments: TestDatabase.all)
    func concurrentSaves(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let tenant = try Tenant.named("bangrak", in: app)
            let slug = try #require(tenant.config.menus.all.first?.service.slug)
            let base = ServiceForm(try #require(tenant.service(slug)).service)
            func variant(_ i: Int) -> ServiceForm {
                var f = base
                f.fields[0].label = "ฉบับทดสอบ \(i)"
                return f
            }
            let numbers = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<6 { group.addTask { try await Self.saveForm(app, "bangrak", service: slug, variant(i), basedOn: nil).number } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(numbers.sorted() == [2, 3, 4, 5, 6, 7])

            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<4 {
                    group.addTask { (try? await Self.saveForm(app, "bangrak", service: slug, variant(10 + i), basedOn: 7)) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1, "\(outcomes)")
            let history = try await FormVersions.history(tenant: tenant, service: slug, on: app.db).map(\.number)
            #expect(history == Array((1...8).reversed()))
        }
    }

    @Test("pinning for a petition writes the folder's form down as version 1 once", arguments: TestDatabase.all)
    func pin(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let tenant = try Tenant.named("nakhonpathom", in: app)
            let slug = try #require(tenant.config.menus.all.first?.service.slug)
            let pinned = try await withThrowingTaskGroup(of: FormVersion?.self) { group in
                for _ in 0..<4 { group.addTask { try await FormVersions.pin(tenant: tenant, service: slug, on: app.db) } }
                return try await group.reduce(into: [FormVersion?]()) { $0.append($1) }
            }
            #expect(pinned.allSatisfy { $0?.number == 1 && $0?.createdAt != nil })
            #expect(try await FormVersions.history(tenant: tenant, service: slug, on: app.db).count == 1)
            #expect(try await FormVersions.pin(tenant: tenant, service: "no-such-service", on: app.db) == nil)
        }
    }

    @Test("the catalogue: order, retirement and additions are kept; the folder stays the source for the rest", arguments: TestDatabase.all)
    func catalogue(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let tenant = try Tenant.named("bangkrathum", in: app)
            let folder = try #require(app.tenantDirectory?.folder.tenant(slug: "bangkrathum")).config.menus
            let online = folder.online.map(\.slug)
            try #require(online.count >= 2)
            try await SettingsWrite.perform(app, tenant: tenant) { ctx in
                #expect(try await CatalogueStore.move(online[1], .up, tenant: tenant, folder: folder, now: ctx.now, on: ctx.db))
                #expect(try await CatalogueStore.move(online[1], .up, tenant: tenant, folder: folder, now: ctx.now, on: ctx.db) == false)
                try await CatalogueStore.setRetired(online[0], true, tenant: tenant, folder: folder, now: ctx.now, on: ctx.db)
                let entry = CatalogueEntry(
                    slug: "tree-trimming", menu: .complaints, position: 0, name: "แจ้งตัดแต่งกิ่งไม้",
                    description: "กิ่งไม้บังทางหรือสายไฟ", slaDays: 10, verifiedIdentity: false, retired: false)
                try await CatalogueStore.add(entry, tenant: tenant, folder: folder, now: ctx.now, on: ctx.db)
                try await FormVersions.start(.starter, tenant: tenant, service: entry.slug, by: nil, now: ctx.now, on: ctx.db)
            }
            let served = try Tenant.named("bangkrathum", in: app)
            #expect(served.config.menus.online.first?.slug == online[1])
            #expect(served.service(online[0]) == nil && served.anyService(online[0])?.retired == true)
            #expect(served.config.menus.complaints.last?.slug == "tree-trimming")
            #expect(served.service("tree-trimming")?.service.fields == ServiceForm.starter.fields)
            #expect(served.config.menus.account == folder.account, "untouched menus are the folder's")
            let other = try Tenant.named("bangrak", in: app)
            #expect(other.config.menus == app.tenantDirectory?.folder.tenant(slug: "bangrak")?.config.menus, "other tenants unchanged")
        }
    }
}
