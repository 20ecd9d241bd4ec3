import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// The back-office page where a tenant's org admins issue Open311 API keys: POST/redirect/GET (a refresh
/// issues nothing), the new key shown once from the session and then gone, and the limit of active keys
/// held also when two requests arrive at once.
@Suite("Open311 keys page")
struct Open311KeysPageTests {
    static let page = "/backoffice/t/bangkrathum/open311"
    static let keyPattern = #"o311_[A-Za-z0-9_-]{43}"#

    static func keys(_ html: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: keyPattern) else { return [] }
        return regex.matches(in: html, range: NSRange(html.startIndex..., in: html)).compactMap { Range($0.range, in: html).map { String(html[$0]) } }
    }

    /// Fills the tenant up to `count` active keys, straight through the store.
    static func fill(_ app: Application, tenant: String = "bangkrathum", to count: Int) async throws {
        let t = try Tenant.named(tenant, in: app)
        for i in 0..<count {
            _ = try await Open311Keys.issue(tenant: t, label: "ระบบที่ \(i)", by: AuditActor(id: nil, name: "admin"), ip: "127.0.0.1", on: app.db)
        }
    }

    /// Every text value of every row of `table`.
    static func texts(_ app: Application, table: String) async throws -> [String] {
        let sql = try #require(app.db as? any SQLDatabase)
        var out: [String] = []
        for row in try await sql.raw("SELECT * FROM \(unsafeRaw: table)").all() {
            for column in row.allColumns { if let v = (try? row.decode(column: column, as: String?.self)) ?? nil { out.append(v) } }
        }
        return out
    }

    @Test("issuing redirects; the next page shows the key once; a refresh shows nothing and issues nothing", arguments: TestDatabase.all)
    func issueOnce(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            try await post(app, Self.page, admin, ["label": "ตู้บริการหน้าสำนักงาน"]) { res in
                #expect(res.status == .seeOther, "\(res.status) \(res.body.string.prefix(300))")
                #expect(res.headers.first(name: .location) == "\(Self.page)#issued")
                #expect(Self.keys(res.body.string).isEmpty, "the POST's answer carries no key")
            }
            let record = try #require(try await Open311KeyRecord.query(on: app.db).first())
            #expect(try await Open311KeyRecord.query(on: app.db).count() == 1)

            // Waiting in the session: sealed, never in clear in any table.
            for table in ["_fluent_sessions", "open311_keys", "audit_events"] {
                #expect(try await Self.texts(app, table: table).allSatisfy { Self.keys($0).isEmpty }, "\(table) holds no key in clear")
            }

            // The page after the redirect shows it, once, and is not cached.
            var key = ""
            try await get(app, Self.page, admin) { res in
                #expect(res.status == .ok)
                #expect(res.headers.first(name: .cacheControl) == "no-store")
                let html = res.body.string
                let shown = Self.keys(html)
                #expect(shown.count == 1)
                key = shown.first ?? ""
                #expect(html.contains("id=\"issued\"") && html.contains("คัดลอกคีย์นี้เก็บไว้ตอนนี้") && html.contains("ตู้บริการหน้าสำนักงาน"))
            }
            #expect(record.keyHash == RandomToken.hash(key) && record.prefix == String(key.prefix(Open311Keys.prefixLength)))
            let t = try Tenant.named("bangkrathum", in: app)
            #expect(try await Open311Keys.authenticate(key, tenant: t, on: app.db)?.id == record.id, "the key shown is the key issued")

            // Refresh: no key, no new key; the session no longer holds it at all.
            try await get(app, Self.page, admin) { res in
                #expect(res.status == .ok && Self.keys(res.body.string).isEmpty && !res.body.string.contains("id=\"issued\""))
                #expect(res.body.string.contains(record.prefix), "the list still names it by its prefix")
            }
            #expect(try await Open311KeyRecord.query(on: app.db).count() == 1)
            #expect(try await Self.texts(app, table: "_fluent_sessions").allSatisfy { !$0.contains(Open311KeysController.sessionKey) })
            let audit = try await AuditLog.list(.init(tenants: ["bangkrathum"]), on: app.db).compactMap(\.action)
            #expect(audit.filter { $0 == .open311KeyIssued }.count == 1)
        }
    }

    @Test("a key waiting for one tenant's page is never shown on another tenant's page", arguments: TestDatabase.all)
    func otherTenant(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let (_, secret) = try await StaffFixtures.account(app, username: "admin2t", grants: [("bangkrathum", .orgAdmin), ("bangrak", .orgAdmin)])
            let admin = try await signIn(app, username: "admin2t", secret: secret)
            try await post(app, Self.page, admin, ["label": "แชตบอต LINE"]) { #expect($0.status == .seeOther) }
            try await get(app, "/backoffice/t/bangrak/open311", admin) { res in
                #expect(res.status == .ok && Self.keys(res.body.string).isEmpty)
            }
            // Read on any keys page, it is dropped: it does not linger in the session.
            try await get(app, Self.page, admin) { #expect(Self.keys($0.body.string).isEmpty) }
            // Followed as the redirect says, it is shown.
            try await post(app, Self.page, admin, ["label": "แดชบอร์ดจังหวัด"]) { #expect($0.status == .seeOther) }
            try await get(app, Self.page, admin) { #expect(Self.keys($0.body.string).count == 1) }
        }
    }

    @Test("a label is required and limited in length (422, message beside the field); officers and other tenants' admins get 403", arguments: TestDatabase.all)
    func validationAndRoles(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            try await post(app, Self.page, admin, ["label": "  "]) { res in
                #expect(res.status == .unprocessableEntity && res.body.string.contains("กรุณากรอกชื่อระบบ") && res.body.string.contains("href=\"#label\""))
            }
            try await post(app, Self.page, admin, ["label": String(repeating: "ก", count: Open311Keys.labelMaxLength + 1)]) { res in
                #expect(res.status == .unprocessableEntity && res.body.string.contains("ชื่อระบบต้องไม่เกิน"))
            }
            for client in [
                try await signedInStaff(app, tenant: "bangkrathum", role: .officer), try await signedInStaff(app, tenant: "bangrak", role: .orgAdmin),
            ] {
                try await post(app, Self.page, client, ["label": "ตู้บริการ"]) { #expect($0.status == .forbidden) }
            }
            try await app.testing().test(
                .POST, Self.page, headers: ["Cookie": admin.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "label=x")
            ) { #expect($0.status == .forbidden, "no CSRF token") }
            #expect(try await Open311KeyRecord.query(on: app.db).count() == 0)
        }
    }

    @Test("the limit of active keys: the one past it gets 409; revoking one makes room", arguments: TestDatabase.all)
    func limit(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            try await Self.fill(app, to: Open311Keys.maxActive - 1)
            try await Self.fill(app, tenant: "bangrak", to: 3)
            try await post(app, Self.page, admin, ["label": "ระบบสุดท้าย"]) { #expect($0.status == .seeOther) }
            try await post(app, Self.page, admin, ["label": "เกินจำนวน"]) { res in
                #expect(res.status == .conflict)
                #expect(res.body.string.contains("ครบ \(Open311Keys.maxActive) คีย์แล้ว") && res.body.string.contains("value=\"เกินจำนวน\""))
            }
            let t = try Tenant.named("bangkrathum", in: app)
            #expect(try await Open311Keys.activeCount(tenant: t, on: app.db) == Open311Keys.maxActive)
            let first = try #require(try await Open311KeyRecord.query(on: app.db).filter(\.$tenantID == "bangkrathum").first())
            #expect(try await Open311Keys.revoke(try first.requireID(), tenant: t, by: AuditActor(id: nil, name: "admin"), ip: "127.0.0.1", on: app.db))
            try await post(app, Self.page, admin, ["label": "แทนคีย์ที่เพิกถอน"]) { #expect($0.status == .seeOther) }
            #expect(try await Open311Keys.activeCount(tenant: t, on: app.db) == Open311Keys.maxActive)
        }
    }

    @Test("requests at once cannot go past the limit: through the page and through the store", arguments: TestDatabase.all)
    func limitRace(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let t = try Tenant.named("bangkrathum", in: app)
            try await Self.fill(app, to: Open311Keys.maxActive - 1)

            // Two posts at once with one place left: one key, one 409.
            func issue(_ label: String) async throws -> HTTPStatus {
                var status = HTTPStatus.ok
                try await post(app, Self.page, admin, ["label": label]) { status = $0.status }
                return status
            }
            async let a = issue("ตู้ที่หนึ่ง")
            async let b = issue("ตู้ที่สอง")
            let statuses = try await [a, b]
            #expect(statuses.sorted { $0.code < $1.code } == [.seeOther, .conflict], "\(statuses)")
            #expect(try await Open311Keys.activeCount(tenant: t, on: app.db) == Open311Keys.maxActive)

            // Straight through the store: with half as many places left as requests at once, half of them get a key.
            let racers = database.racers(6)
            let room = try await Open311KeyRecord.query(on: app.db).filter(\.$tenantID == "bangkrathum").limit(racers / 2).all()
            for k in room {
                _ = try await Open311Keys.revoke(try k.requireID(), tenant: t, by: AuditActor(id: nil, name: "admin"), ip: "127.0.0.1", on: app.db)
            }
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<racers {
                    group.addTask {
                        do {
                            _ = try await Open311Keys.issue(
                                tenant: t, label: "พร้อมกัน \(i)", by: AuditActor(id: nil, name: "admin"), ip: "127.0.0.1", on: app.db)
                            return true
                        } catch is Open311Keys.LimitReached {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == racers / 2 && outcomes.count == racers)
            #expect(try await Open311Keys.activeCount(tenant: t, on: app.db) == Open311Keys.maxActive)
        }
    }
}

extension TestDatabase {
    /// How many writers a race test sends at once. SQLite takes one writer at a time anyway, and with its
    /// rollback journal a writer that waits spins on a thread of the small shared pool (SQLiteNIO's busy
    /// handler never gives up), so several at once can stall every SQLite test in the process.
    func racers(_ many: Int) -> Int {
        if case .sqlite = self { return 2 }
        return many
    }
}
