import Domain
import Fluent
import Foundation
import Logging
import SQLKit
import Testing
import Vapor

@testable import App

/// The tenant-scoped query entry (`TenantOwned.query(on:tenant:)`, `TenantScope`), the test harness's guard
/// against queries without their tenant (`TenantGuard`), and the store functions that took the SQL out of
/// controllers and handlers.
@Suite("Tenant scoping: one query entry, a guard, and isolation")
struct TenantScopeTests {
    // MARK: The guard

    @Test("the guard reads statements: tenant conditions, aliases, joins, writes by key, inserts, allowances")
    func guardRules() {
        let problems = TenantGuard.problems(in:)
        #expect(problems(#"SELECT "petitions"."id" AS "petitions_id" FROM "petitions" WHERE "petitions"."number" = $1 LIMIT 1"#) == ["petitions"])
        #expect(problems(#"SELECT "petitions"."id" FROM "petitions" WHERE "petitions"."tenant_id" = ?1 AND "petitions"."number" = ?2"#).isEmpty)
        #expect(problems("SELECT n FROM line_webhook_rejections WHERE hour >= $1").count == 1)
        #expect(problems("SELECT p.number FROM petitions p WHERE p.tenant_id = $1").isEmpty)
        #expect(problems("SELECT p.number FROM petitions p JOIN citizens c ON c.id = p.citizen_id WHERE p.status = $1") == ["petitions", "citizens"])
        #expect(
            problems("SELECT p.number FROM petitions p JOIN citizens c ON c.id = p.citizen_id AND c.tenant_id = p.tenant_id WHERE p.tenant_id = $1").isEmpty)
        #expect(problems(#"SELECT "x" FROM "petitions" WHERE "petitions"."tenant_id" IN ($1, $2)"#).isEmpty)
        #expect(problems("SELECT petitions.tenant_id AS t FROM petitions").count == 1, "a tenant column read is no condition")
        // A loaded row written back by its key (Fluent's save and delete), and inserts, are fine; a wider write is not.
        #expect(problems(#"UPDATE "petitions" SET "status" = $1 WHERE "petitions"."id" = $2"#).isEmpty)
        #expect(problems(#"DELETE FROM "citizens" WHERE "citizens"."id" = ?1"#).isEmpty)
        #expect(problems(#"UPDATE "petitions" SET "status" = $1 WHERE "petitions"."status" = $2"#) == ["petitions"])
        #expect(problems(#"DELETE FROM "contact_messages" WHERE "contact_messages"."id" = $1 OR 1 = 1"#) == ["contact_messages"])
        #expect(problems("INSERT INTO petitions (id, tenant_id) VALUES ($1, $2)").isEmpty)
        // Tables that also hold platform rows are not the guard's.
        #expect(problems("UPDATE outbox_jobs SET status = 'running' WHERE id IN (SELECT id FROM outbox_jobs)").isEmpty)
        // An allowance names its table and its query only.
        #expect(problems(#"SELECT * FROM "staff_grants" WHERE "staff_grants"."staff_id" = $1"#).isEmpty)
        #expect(problems(#"SELECT * FROM "staff_grants" WHERE "staff_grants"."role" = $1"#) == ["staff_grants"])
    }

    @Test("an unscoped query in a test is reported; the same query through the tenant's entry is not", arguments: TestDatabase.all)
    func guardFires(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let guardian = try #require(app.tenantGuard)
            let sql = try #require(app.db as? any SQLDatabase)
            await guardian.checking { () async in
                _ = try? await PetitionRecord.query(on: app.db).filter(\.$number == "BKT-1").first()
                _ = try? await sql.raw("SELECT user_id FROM line_users WHERE user_id = \(bind: "U1")").all()
            }
            let found = guardian.take()
            #expect(Set(found.map(\.table)) == ["petitions", "line_users"], "\(found)")

            await guardian.checking { () async in
                _ = try? await PetitionRecord.query(on: app.db, tenant: "bangkrathum").filter(\.$number == "BKT-1").first()
                _ = try? await TenantScope("bangkrathum", app.db).query(CitizenAccount.self).count()
                _ = try? await LineStore.user(tenant: "bangkrathum", userID: "U1", on: app.db)
            }
            #expect(guardian.take().isEmpty)

            // A request's statements are checked without `checking` (its logger carries Vapor's request-id).
            var logger = app.logger
            logger[metadataKey: "request-id"] = "test"
            let requestDB = try #require(app.databases.database(logger: logger, on: app.eventLoopGroup.any()))
            _ = try await ContactMessageRecord.query(on: requestDB).count()
            #expect(guardian.take().map(\.table) == ["contact_messages"])
            // The test's own look across tenants, outside `checking`, is not.
            _ = try await ContactMessageRecord.query(on: app.db).count()
            #expect(guardian.take().isEmpty)
        }
    }

    @Test("the guard's list of tenant tables is every table with a required tenant_id", arguments: TestDatabase.all)
    func tenantTablesMatchSchema(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let sql = try #require(app.db as? any SQLDatabase)
            let query: SQLQueryString =
                sql.dialect.name == "sqlite"
                ? #"SELECT m.name AS t FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'tenant_id' AND c."notnull" = 1"#
                : "SELECT table_name AS t FROM information_schema.columns WHERE column_name = 'tenant_id' AND is_nullable = 'NO' AND table_schema = current_schema()"
            let tables = Set(try await sql.raw(query).all().map { try $0.decode(column: "t", as: String.self) })
            #expect(!tables.isEmpty)
            #expect(
                tables == TenantGuard.tenantTables,
                "missing: \(tables.subtracting(TenantGuard.tenantTables)), extra: \(TenantGuard.tenantTables.subtracting(tables))")
        }
    }

    // MARK: Isolation through the entry point

    @Test("two tenants: through the scoped entry one cannot read, change or delete the other's rows", arguments: TestDatabase.all)
    func isolation(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let a = try Tenant.named("bangkrathum", in: app), b = try Tenant.named("bangrak", in: app)
            let mine = try await PetitionFixtures.file(app, citizen: nil, tenant: a.id)
            let theirs = try await PetitionFixtures.file(app, citizen: nil, tenant: b.id, service: "general-complaint")
            try await app.tenantGuard!.checking { () async throws in
                let db = app.db
                // Read
                #expect(try await PetitionRecord.query(on: db, tenant: a).all().map(\.number) == [mine.number])
                #expect(try await TenantScope(b, db).query(PetitionRecord.self).all().map(\.number) == [theirs.number])
                #expect(try await PetitionRecord.query(on: db, tenant: a).filter(\.$id == (try theirs.requireID())).first() == nil)
                #expect(try await PetitionStore.byNumber(theirs.number, tenant: a, on: db) == nil)
                #expect(try await PetitionStore.byID(try theirs.requireID(), tenant: a, on: db) == nil)
                #expect(try await Open311Store.requests(.init(numbers: [theirs.number]), tenant: a, on: db).isEmpty)
                // Change: an update aimed at the other's row through A's scope touches nothing.
                try await PetitionRecord.query(on: db, tenant: a).filter(\.$id == (try theirs.requireID()))
                    .set(\.$statusRaw, to: PetitionStatus.cannotProceed.rawValue).update()
                #expect(try await PetitionStore.byID(try theirs.requireID(), tenant: b, on: db)?.status == .submitted)
                // Delete: likewise.
                try await PetitionEventRecord.query(on: db, tenant: a).filter(\.$petitionID == (try theirs.requireID())).delete()
                #expect(try await PetitionStore.timeline(theirs, on: db).count == 1)
                try await PetitionRecord.query(on: db, tenant: a).filter(\.$number == theirs.number).delete()
                #expect(try await PetitionStore.byNumber(theirs.number, tenant: b, on: db) != nil)
                // Their own rows, through their own scope, do change.
                try await PetitionRecord.query(on: db, tenant: b).filter(\.$id == (try theirs.requireID()))
                    .set(\.$statusRaw, to: PetitionStatus.cannotProceed.rawValue).update()
                #expect(try await PetitionStore.byID(try theirs.requireID(), tenant: b, on: db)?.status == .cannotProceed)
                #expect(try await PetitionStore.byID(try mine.requireID(), tenant: a, on: db)?.status == .submitted)
            }
        }
    }

    @Test("two tenants: Open311 keys, contact messages and identity images stay with their tenant", arguments: TestDatabase.all)
    func isolationOfOtherStores(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let a = try Tenant.named("bangkrathum", in: app), b = try Tenant.named("bangrak", in: app)
            let actor = AuditActor(id: nil, name: "admin")
            let (_, keyB) = try await Open311Keys.issue(tenant: b, label: "B", by: actor, ip: "127.0.0.1", on: app.db)
            let message = NewContactMessage(name: "สมศรี", email: "somsri@example.com", phone: nil, subject: "ถาม", body: "ข้อความ")
            _ = try await ContactStore.create(tenant: b, token: "token-b", reference: "BKR-C2569-AAAAAA", message: message, on: app.db)
            let citizen = try await PetitionFixtures.citizen(app, tenant: b.id).requireID()
            let image = IdentityImageRecord()
            image.tenantID = b.id
            image.citizenID = citizen
            image.slot = 1
            image.label = "บัตรประชาชน"
            image.fileName = "x.jpg"
            image.bytes = 1
            image.width = 1
            image.height = 1
            image.sha256 = "00"
            image.createdAt = Date()
            try await image.create(on: app.db)
            try await app.tenantGuard!.checking { () async throws in
                let db = app.db
                #expect(try await Open311Keys.authenticate(keyB, tenant: a, on: db) == nil)
                #expect(try await Open311Keys.authenticate(keyB, tenant: b, on: db) != nil)
                #expect(try await Open311Keys.list(tenant: a, on: db).isEmpty)
                #expect(try await ContactStore.find(tenant: a, token: "token-b", on: db) == nil)
                #expect(try await ContactStore.find(tenant: b, token: "token-b", on: db) != nil)
                #expect(try await ContactStore.list(tenant: a, on: db).isEmpty)
                #expect(try await IdentityImages.image(try image.requireID(), citizenID: citizen, tenant: a, on: db) == nil)
                #expect(try await IdentityImages.image(try image.requireID(), citizenID: citizen, tenant: b, on: db)?.fileName == "x.jpg")
                #expect(try await IdentityImages.image(try image.requireID(), citizenID: UUID(), tenant: b, on: db) == nil)
                #expect(try await IdentityImages.list(citizenID: citizen, tenant: a, on: db).isEmpty)
            }
        }
    }

    // MARK: The store functions that replaced SQL in controllers and handlers

    @Test("OutboxStore: a tenant's jobs of one kind, written, counted by status, failed ones newest first", arguments: TestDatabase.all)
    func outboxActivity(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let a = try Tenant.named("bangkrathum", in: app), b = try Tenant.named("bangrak", in: app)
            let db = app.db
            let hourAgo = Date().addingTimeInterval(-3600)
            let none = try await OutboxStore.written(tenant: a, kind: "push", since: hourAgo, on: db)
            #expect(none.last == nil && none.count == 0)
            for (i, t) in [a, a, a, b].enumerated() {
                try await OutboxStore.enqueue(tenant: t, kind: "push", payload: ["n": i], idempotencyKey: "push:\(i)", on: db)
            }
            try await OutboxStore.enqueue(tenant: a, kind: "other", payload: ["n": 9], idempotencyKey: "other:9", on: db)
            let written = try await OutboxStore.written(tenant: a, kind: "push", since: hourAgo, on: db)
            #expect(written.count == 3 && written.last != nil)
            #expect(try await OutboxStore.written(tenant: a, kind: "push", since: Date().addingTimeInterval(3600), on: db).count == 0)
            // Two of A's pushes fail for good (one later than the other); B's fails too.
            let now = Date()
            let claimed = try await OutboxStore.claim(worker: "w", limit: 10, now: now.addingTimeInterval(1), leaseUntil: now.addingTimeInterval(60), on: db)
            for job in claimed {
                switch job.idempotencyKey {
                case "push:0": try await OutboxStore.fail(job, worker: "w", error: "first", retryAt: nil, now: now, on: db)
                case "push:1": try await OutboxStore.fail(job, worker: "w", error: "second", retryAt: nil, now: now.addingTimeInterval(5), on: db)
                case "push:3": try await OutboxStore.fail(job, worker: "w", error: "theirs", retryAt: nil, now: now, on: db)
                case "other:9": try await OutboxStore.complete(job, worker: "w", now: now, on: db)
                default: break  // push:2 stays running
                }
            }
            #expect(try await OutboxStore.count(tenant: a, kind: "push", statuses: [.failed], on: db) == 2)
            #expect(try await OutboxStore.count(tenant: a, kind: "push", statuses: [.pending, .running], on: db) == 1)
            #expect(try await OutboxStore.count(tenant: a, kind: "push", statuses: [], on: db) == 0)
            #expect(try await OutboxStore.count(tenant: b, kind: "push", statuses: [.failed], on: db) == 1)
            let failed = try await OutboxStore.failed(tenant: a, kind: "push", limit: 20, on: db)
            #expect(failed.map(\.idempotencyKey) == ["push:1", "push:0"])
            #expect(failed.map(\.lastError) == ["second", "first"])
            #expect(try await OutboxStore.failed(tenant: a, kind: "push", limit: 1, on: db).count == 1)
        }
    }

    @Test("PetitionStore: a citizen's own petition by number, and a petition's attachment, for its tenant only", arguments: TestDatabase.all)
    func petitionLookups(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let a = try Tenant.named("bangkrathum", in: app)
            let somsri = try await PetitionFixtures.citizen(app)
            let mana = try await PetitionFixtures.citizen(app, first: "มานะ", last: "ขยัน")
            let p = try await PetitionFixtures.file(app, citizen: somsri)
            let other = try await PetitionFixtures.file(app, citizen: mana)
            let file = PetitionAttachmentRecord()
            file.tenantID = a.id
            file.petitionID = try p.requireID()
            file.fieldKey = "photo"
            file.fileName = "p.jpg"
            file.originalName = "รูป.jpg"
            file.mimeType = "image/jpeg"
            file.bytes = 1
            file.sha256 = "00"
            file.createdAt = Date()
            try await file.create(on: app.db)
            try await app.tenantGuard!.checking { () async throws in
                let db = app.db
                let row = try #require(try await PetitionStore.mine(number: p.number, citizenID: try somsri.requireID(), tenant: a, on: db))
                #expect(row.number == p.number && row.status == .submitted && row.serviceName == p.serviceName)
                #expect(try await PetitionStore.mine(number: other.number, citizenID: try somsri.requireID(), tenant: a, on: db) == nil, "another citizen's")
                #expect(
                    try await PetitionStore.mine(number: p.number, citizenID: try somsri.requireID(), tenant: try Tenant.named("bangrak", in: app), on: db)
                        == nil)
                #expect(try await PetitionStore.attachment(try file.requireID(), of: p, tenant: a, on: db)?.fileName == "p.jpg")
                #expect(try await PetitionStore.attachment(try file.requireID(), of: other, tenant: a, on: db) == nil, "another petition's")
                #expect(try await PetitionStore.attachment(try file.requireID(), of: p, tenant: try Tenant.named("bangrak", in: app), on: db) == nil)
            }
        }
    }

    @Test("FormVersions.numbers: the version in force of each saved form, for the tenant only", arguments: TestDatabase.all)
    func formNumbers(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let a = try Tenant.named("bangkrathum", in: app), b = try Tenant.named("bangrak", in: app)
            for (t, service, version) in [(a, "sign-tax", 3), (a, "waste-fee", 1), (b, "sign-tax", 7)] {
                let r = ServiceFormRecord()
                r.tenantID = t.id
                r.service = service
                r.version = version
                r.form = "{}"
                r.updatedAt = Date()
                try await r.create(on: app.db)
            }
            try await app.tenantGuard!.checking { () async throws in
                #expect(try await FormVersions.numbers(tenant: a, on: app.db) == ["sign-tax": 3, "waste-fee": 1])
                #expect(try await FormVersions.numbers(tenant: try Tenant.named("nakhonpathom", in: app), on: app.db).isEmpty)
            }
        }
    }
}
