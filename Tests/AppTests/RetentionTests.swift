import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// Rows written straight to the tables, at times the test chooses, for the retention sweeps to find.
enum RetentionRows {
    static func sql(_ app: Application) throws -> any SQLDatabase { try #require(app.db as? any SQLDatabase) }

    static func outbox(_ app: Application, key: String, status: String, finishedAt: Date?, createdAt: Date) async throws {
        try await sql(app).raw(
            """
            INSERT INTO outbox_jobs (id, tenant_id, kind, payload, idempotency_key, status, attempts, max_attempts, run_at,
                                     created_at, updated_at, finished_at)
            VALUES (\(bind: UUID()), 'bangkrathum', 'test.note', '{"name":"สมศรี"}', \(bind: key), \(bind: status), 1, 8,
                    \(bind: createdAt), \(bind: createdAt), \(bind: finishedAt ?? createdAt), \(bind: finishedAt))
            """
        ).run()
    }

    static func outboxKeys(_ app: Application) async throws -> Set<String> {
        Set(try await sql(app).raw("SELECT idempotency_key FROM outbox_jobs").all().map { try $0.decode(column: "idempotency_key", as: String.self) })
    }

    @discardableResult
    static func token(_ app: Application, expiresAt: Date, citizen: CitizenAccount? = nil) async throws -> String {
        let hash = RandomToken.hash(RandomToken.make())
        try await sql(app).raw(
            """
            INSERT INTO single_use_tokens (id, kind, staff_id, citizen_id, tenant_id, token_hash, expires_at, used_at, created_at)
            VALUES (\(bind: UUID()), \(bind: citizen == nil ? "staff.setup" : "citizen.reset"), NULL, \(bind: citizen?.id),
                    \(bind: citizen?.tenantID), \(bind: hash), \(bind: expiresAt), NULL, \(bind: expiresAt.addingTimeInterval(-600)))
            """
        ).run()
        return hash
    }

    static func nonce(_ app: Application, citizen: CitizenAccount, expiresAt: Date) async throws -> String {
        let hash = RandomToken.hash(RandomToken.make())
        try await sql(app).raw(
            """
            INSERT INTO line_link_nonces (id, tenant_id, nonce_hash, citizen_id, created_at, expires_at)
            VALUES (\(bind: UUID()), \(bind: citizen.tenantID), \(bind: hash), \(bind: citizen.id), \(bind: expiresAt.addingTimeInterval(-600)),
                    \(bind: expiresAt))
            """
        ).run()
        return hash
    }

    static func counter(_ app: Application, key: String, windowStart: Date) async throws {
        try await sql(app).raw(
            "INSERT INTO rate_counters (key, window_start, hits) VALUES (\(bind: key), \(bind: Int64(windowStart.timeIntervalSince1970)), 3)"
        ).run()
    }

    static func contact(_ app: Application, reference: String, at: Date) async throws {
        try await sql(app).raw(
            """
            INSERT INTO contact_messages (id, tenant_id, reference, token_hash, name, email, phone, subject, body, created_at)
            VALUES (\(bind: UUID()), 'bangkrathum', \(bind: reference), \(bind: RandomToken.hash(RandomToken.make())), 'สมศรี ใจดี',
                    'somsri@example.com', NULL, 'ถนนชำรุด', 'หน้าบ้านเลขที่ 9', \(bind: at))
            """
        ).run()
    }

    static func rejection(_ app: Application, tenant: String, hour: Date) async throws {
        try await sql(app).raw(
            """
            INSERT INTO line_webhook_rejections (tenant_id, hour, n, last_at, last_reason)
            VALUES (\(bind: tenant), \(bind: hour), 2, \(bind: hour), 'bad signature')
            """
        ).run()
    }

    static func signInAddress(_ app: Application, staffID: UUID, hash: String, updatedAt: Date, knownUntil: Date?) async throws {
        try await sql(app).raw(
            """
            INSERT INTO staff_sign_in_addresses (staff_id, address_hash, failures, locked_until, known_until, updated_at)
            VALUES (\(bind: staffID), \(bind: hash), 1, NULL, \(bind: knownUntil), \(bind: updatedAt))
            """
        ).run()
    }

    static func count(_ app: Application, _ table: String) async throws -> Int {
        try await sql(app).raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int.self) ?? -1
    }

    static func column(_ app: Application, _ column: String, from table: String) async throws -> Set<String> {
        Set(try await sql(app).raw("SELECT \(unsafeRaw: column) AS v FROM \(unsafeRaw: table)").all().map { try $0.decode(column: "v", as: String.self) })
    }
}

@Suite("Retention: the workers' sweeps delete what is no longer needed, in bounded batches, and keep the records")
struct RetentionTests {
    static let day: TimeInterval = 24 * 3600
    static let minute: TimeInterval = 60

    /// Runs every sweep of `worker` once with the app's tenant guard checking every statement: the sweeps that span
    /// tenants must be on its list of allowed queries.
    static func sweep(_ app: Application, _ worker: OutboxWorker) async -> [String: Int] {
        await (app.tenantGuard ?? TenantGuard()).checking { await worker.runSweeps() }
    }

    /// A worker of the app whose clock is the test's.
    static func worker(_ app: Application, _ clock: TestClock, sweeps: [PeriodicSweep] = []) -> OutboxWorker {
        var options = OutboxWorker.Options()
        options.now = { clock.now() }
        options.sweeps = sweeps
        return app.makeOutboxWorker(options: options)
    }

    @Test("the settings: defaults, a value read, and every bad value named at start-up")
    func settings() async throws {
        let env = try await TestEnvironment.make(.sqlite)
        defer { Task { await env.cleanUp() } }
        let defaults = try Settings.load(from: env.variables(), workingDirectory: Repo.root.path).retention
        #expect(defaults == RetentionSettings())
        let days: [Int] = [
            defaults.outboxKeepDays, defaults.outboxFailedKeepDays, defaults.lineEventKeepDays, defaults.abandonedRegistrationDays,
            defaults.contactKeepDays, defaults.rejectedStaffKeepDays,
        ]
        #expect(days == [7, 30, 30, 30, 90, 90])
        let set = try Settings.load(from: env.variables(["OUTBOX_KEEP_DAYS": "14", "CONTACT_KEEP_DAYS": "365"]), workingDirectory: Repo.root.path)
        #expect(set.retention.outboxKeepDays == 14 && set.retention.contactKeepDays == 365)
        let bad = [
            "OUTBOX_KEEP_DAYS": "0", "OUTBOX_FAILED_KEEP_DAYS": "99999999999999999999", "LINE_EVENT_KEEP_DAYS": "1",
            "ABANDONED_REGISTRATION_DAYS": "-3", "CONTACT_KEEP_DAYS": "a month", "REJECTED_STAFF_KEEP_DAYS": "3651",
        ]
        do {
            _ = try Settings.load(from: env.variables(bad), workingDirectory: Repo.root.path)
            Issue.record("bad retention settings were accepted")
        } catch let problems as Settings.Problems {
            for name in bad.keys { #expect(problems.items.contains { $0.hasPrefix(name) }, "\(name) is named") }
        }
    }

    @Test("every worker runs every retention sweep, sessions' included", arguments: TestDatabase.all)
    func registered(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let names = Set(app.makeOutboxWorker().options.sweeps.map(\.name))
            #expect(
                names == [
                    "expired sessions", "rate counters", "outbox jobs", "single-use links", "LINE link nonces", "LINE conversations", "LINE webhook rejections",
                    "staff sign-in addresses", "contact messages", "abandoned registrations", "refused staff registrations",
                    "SLA reminders and escalations", "dashboard month counts",
                ])
            #expect(app.makeOutboxWorker().options.sweeps.first { $0.name == "expired sessions" }?.interval == 60, "sessions keep their minute")
        }
    }

    @Test(
        "outbox: done and discarded jobs go after OUTBOX_KEEP_DAYS, failed ones after OUTBOX_FAILED_KEEP_DAYS, LINE event keys after LINE_EVENT_KEEP_DAYS; waiting jobs stay",
        arguments: TestDatabase.all)
    func outbox(database: TestDatabase) async throws {
        try await withApp(database, settings: ["OUTBOX_KEEP_DAYS": "7", "OUTBOX_FAILED_KEEP_DAYS": "30", "LINE_EVENT_KEEP_DAYS": "20"]) { app, _ in
            let clock = TestClock()
            let now = clock.now()
            let old = now.addingTimeInterval(-400 * Self.day)
            func ago(_ days: Double, _ minutes: Double) -> Date { now.addingTimeInterval(-days * Self.day - minutes * Self.minute) }
            let rows: [(key: String, status: String, finished: Date?, goes: Bool)] = [
                ("done-inside", "done", ago(7, -1), false),
                ("done-past", "done", ago(7, 1), true),
                ("discarded-past", "discarded", ago(7, 1), true),
                ("failed-7-days", "failed", ago(7, 1), false),
                ("failed-inside", "failed", ago(30, -1), false),
                ("failed-past", "failed", ago(30, 1), true),
                ("line-event:bangkrathum:past-outbox-days", "done", ago(7, 1), false),
                ("line-event:bangkrathum:inside", "done", ago(20, -1), false),
                ("line-event:bangkrathum:past", "done", ago(20, 1), true),
                ("line-event:bangkrathum:failed-inside", "failed", ago(29, 0), false),
                ("line-event:bangkrathum:failed-past", "failed", ago(30, 1), true),
                ("pending-old", "pending", nil, false),
                ("running-old", "running", nil, false),
            ]
            for r in rows { try await RetentionRows.outbox(app, key: r.key, status: r.status, finishedAt: r.finished, createdAt: old) }

            let removed = await Self.sweep(app, Self.worker(app, clock))

            #expect(removed["outbox jobs"] == rows.filter(\.goes).count)
            #expect(try await RetentionRows.outboxKeys(app) == Set(rows.filter { !$0.goes }.map(\.key)))
            // A redelivered LINE event whose key is kept is still recognised; a swept key could be written again.
            #expect(
                try await OutboxStore.enqueue(
                    tenant: nil, kind: "test.note", payload: Note(text: "x"), idempotencyKey: "line-event:bangkrathum:inside", on: app.db) == false)
            #expect(try await OutboxStore.enqueue(tenant: nil, kind: "test.note", payload: Note(text: "x"), idempotencyKey: "done-past", on: app.db) == true)
        }
    }

    @Test(
        "expired links, LINE nonces, counters past every window, old rejection counts, forgotten sign-in addresses and old contact messages go; live ones stay",
        arguments: TestDatabase.all)
    func expiring(database: TestDatabase) async throws {
        try await withApp(database, settings: ["CONTACT_KEEP_DAYS": "90"]) { app, _ in
            let clock = TestClock()
            let now = clock.now()
            let citizen = try await PetitionFixtures.citizen(app)
            let expiredToken = try await RetentionRows.token(app, expiresAt: now.addingTimeInterval(-Self.minute), citizen: citizen)
            let liveToken = try await RetentionRows.token(app, expiresAt: now.addingTimeInterval(Self.minute), citizen: citizen)
            let expiredSetup = try await RetentionRows.token(app, expiresAt: now.addingTimeInterval(-Self.minute))
            let expiredNonce = try await RetentionRows.nonce(app, citizen: citizen, expiresAt: now.addingTimeInterval(-Self.minute))
            let liveNonce = try await RetentionRows.nonce(app, citizen: citizen, expiresAt: now.addingTimeInterval(Self.minute))
            try await RetentionRows.counter(app, key: "contact-to:old", windowStart: now.addingTimeInterval(-Self.day - Self.minute))
            try await RetentionRows.counter(app, key: "contact-to:inside", windowStart: now.addingTimeInterval(-Self.day + Self.minute))
            try await RetentionRows.counter(app, key: "citizen-login-ip:recent", windowStart: now.addingTimeInterval(-Self.minute))
            let month = LineStore.rejectionsKeptFor
            try await RetentionRows.rejection(app, tenant: "bangkrathum", hour: now.addingTimeInterval(-month - 3600))
            try await RetentionRows.rejection(app, tenant: "bangrak", hour: now.addingTimeInterval(-month - 3600))
            try await RetentionRows.rejection(app, tenant: "bangkrathum", hour: now.addingTimeInterval(-month + 3600))
            try await RetentionRows.contact(app, reference: "BKT-C2569-PAST01", at: now.addingTimeInterval(-90 * Self.day - Self.minute))
            try await RetentionRows.contact(app, reference: "BKT-C2569-KEEP01", at: now.addingTimeInterval(-90 * Self.day + Self.minute))
            let (staff, _) = try await StaffFixtures.account(app, username: "retention.staff")
            let staffID = try staff.requireID()
            let keep = SignInPolicy.staffKeepFailures
            try await RetentionRows.signInAddress(
                app, staffID: staffID, hash: "failed-long-ago", updatedAt: now.addingTimeInterval(-keep - Self.minute), knownUntil: nil)
            try await RetentionRows.signInAddress(
                app, staffID: staffID, hash: "failed-recently", updatedAt: now.addingTimeInterval(-keep + Self.minute), knownUntil: nil)
            try await RetentionRows.signInAddress(
                app, staffID: staffID, hash: "known", updatedAt: now.addingTimeInterval(-keep - Self.minute), knownUntil: now.addingTimeInterval(Self.day))

            let removed = await Self.sweep(app, Self.worker(app, clock))

            #expect(removed["single-use links"] == 2)
            let tokens = try await RetentionRows.column(app, "token_hash", from: "single_use_tokens")
            #expect(tokens.contains(liveToken) && !tokens.contains(expiredToken) && !tokens.contains(expiredSetup))
            #expect(removed["LINE link nonces"] == 1)
            #expect(try await RetentionRows.column(app, "nonce_hash", from: "line_link_nonces") == [liveNonce])
            #expect(!(try await RetentionRows.column(app, "nonce_hash", from: "line_link_nonces")).contains(expiredNonce))
            #expect(removed["rate counters"] == 1)
            let counters = try await RetentionRows.column(app, "key", from: "rate_counters")
            #expect(!counters.contains("contact-to:old") && counters.isSuperset(of: ["contact-to:inside", "citizen-login-ip:recent"]))
            #expect(removed["LINE webhook rejections"] == 2)
            #expect(try await RetentionRows.count(app, "line_webhook_rejections") == 1)
            #expect(removed["contact messages"] == 1)
            #expect(try await RetentionRows.column(app, "reference", from: "contact_messages") == ["BKT-C2569-KEEP01"])
            #expect(removed["staff sign-in addresses"] == 1)
            #expect(try await RetentionRows.column(app, "address_hash", from: "staff_sign_in_addresses") == ["failed-recently", "known"])
            #expect(try await StaffAccount.find(staffID, on: app.db) != nil, "the staff account stays")
        }
    }

    @Test(
        "abandoned registrations: an account that never sent its images goes after ABANDONED_REGISTRATION_DAYS with its rows and files; accounts with petitions, images sent, verified or rejected, younger, changed or signed in since, stay, and so do petitions, documents and the audit log",
        arguments: TestDatabase.all)
    func abandoned(database: TestDatabase) async throws {
        try await withApp(database, settings: ["ABANDONED_REGISTRATION_DAYS": "30"]) { app, env in
            let clock = TestClock()
            let now = clock.now()
            let past = now.addingTimeInterval(-30 * Self.day - Self.minute)
            let inside = now.addingTimeInterval(-30 * Self.day + Self.minute)
            let longAgo = now.addingTimeInterval(-400 * Self.day)
            let sql = try RetentionRows.sql(app)
            // An account registered (and so signed in) at `createdAt`, untouched since.
            func account(status: String, createdAt: Date) async throws -> CitizenAccount {
                let c = try await PetitionFixtures.citizen(app)
                let submitted: Date? = status == "awaiting_images" ? nil : createdAt
                try await sql.raw(
                    """
                    UPDATE citizens SET verification_status = \(bind: status), images_submitted_at = \(bind: submitted), created_at = \(bind: createdAt),
                      updated_at = \(bind: createdAt), signed_in_at = \(bind: createdAt)
                    WHERE id = \(bind: c.id)
                    """
                ).run()
                return c
            }
            let abandoned = try await account(status: "awaiting_images", createdAt: past)
            let filed = try await account(status: "awaiting_images", createdAt: past)
            let pending = try await account(status: "pending", createdAt: past)
            let verified = try await account(status: "verified", createdAt: past)
            let rejected = try await account(status: "rejected", createdAt: past)
            let young = try await account(status: "awaiting_images", createdAt: inside)
            // Made long ago but changed lately (a profile photo, a password): in use.
            let changed = try await account(status: "awaiting_images", createdAt: past)
            try await sql.raw("UPDATE citizens SET updated_at = \(bind: inside) WHERE id = \(bind: changed.id)").run()
            // Made long ago and signed in just now on the real page: it may be filing a petition (services that need no
            // verified identity take an account still awaiting its images), so it must stay.
            let returning = try await CitizenFixtures.register(app)
            try await sql.raw(
                """
                UPDATE citizens SET created_at = \(bind: past), updated_at = \(bind: past), signed_in_at = \(bind: past)
                WHERE national_id_tail = \(bind: String(returning.nationalID.suffix(3))) AND email = \(bind: returning.email)
                """
            ).run()
            #expect(try await CitizenFixtures.signIn(app, nationalID: returning.nationalID) != nil)
            let signedIn = try #require(try await CitizenAccount.query(on: app.db).filter(\.$email == returning.email).first())
            #expect(try #require(signedIn.signedInAt) > inside, "the sign-in is noted on the account")
            let abandonedID = try abandoned.requireID()

            // The abandoned account's profile photo (a row and a stored file), a link, a LINE nonce and a linked LINE user.
            let photo = try await app.fileStore.save(Data("not really a jpeg".utf8), folder: "identity/bangkrathum", ext: "jpg")
            try await sql.raw(
                """
                INSERT INTO identity_images (id, tenant_id, citizen_id, slot, label, file_name, bytes, width, height, sha256, created_at)
                VALUES (\(bind: UUID()), 'bangkrathum', \(bind: abandonedID), -1, 'รูปโปรไฟล์', \(bind: photo), 17, 1, 1, 'x', \(bind: past))
                """
            ).run()
            try await RetentionRows.token(app, expiresAt: now.addingTimeInterval(Self.day), citizen: abandoned)
            _ = try await RetentionRows.nonce(app, citizen: abandoned, expiresAt: now.addingTimeInterval(Self.day))
            try await sql.raw(
                """
                INSERT INTO line_users (id, tenant_id, user_id, following, citizen_id, linked_at, followed_at, created_at, updated_at)
                VALUES (\(bind: UUID()), 'bangkrathum', 'U-abandoned', \(bind: true), \(bind: abandonedID), \(bind: past), \(bind: past),
                        \(bind: past), \(bind: past))
                """
            ).run()
            // Records that must be kept: a petition long ago (by the account that never verified), a document of it, the audit log.
            let petition = try await PetitionFixtures.file(app, citizen: filed, service: "street-light", at: longAgo)
            try await sql.raw(
                """
                INSERT INTO petition_documents (id, tenant_id, petition_id, kind, title, file_name, original_name, mime_type, bytes, sha256,
                    verification_code, issued_at, issued_by, issued_by_name, created_at, submission_key)
                VALUES (\(bind: UUID()), 'bangkrathum', \(bind: petition.id), 'receipt', 'ใบเสร็จ', 'documents/x.pdf', 'x.pdf', 'application/pdf',
                    1, 'x', 'RTNT-KEEP-0001', \(bind: longAgo), \(bind: UUID()), 'เจ้าหน้าที่', \(bind: longAgo), \(bind: UUID().uuidString))
                """
            ).run()
            try await AuditLog.record(
                .signIn, actor: AuditActor(id: nil, name: "ผู้ทดสอบ"), tenant: "bangkrathum", detail: "retention", ip: "127.0.0.1", at: longAgo, on: app.db)
            let kept = ["petitions", "petition_events", "petition_documents", "audit_events"]
            var before: [String: Int] = [:]
            for table in kept { before[table] = try await RetentionRows.count(app, table) }

            let removed = await Self.sweep(app, Self.worker(app, clock))

            #expect(removed["abandoned registrations"] == 1)
            let left = Set(try await CitizenAccount.query(on: app.db).all().compactMap(\.id))
            #expect(!left.contains(abandonedID))
            for c in [filed, pending, verified, rejected, young, changed, signedIn] {
                #expect(left.contains(try c.requireID()), "\(c.verificationStatusRaw) stays")
            }
            #expect(try await RetentionRows.count(app, "identity_images") == 0)
            #expect(try await app.fileStore.info(photo) == nil, "the profile photo's file is deleted from the store")
            #expect(TestImages.storedFiles(env).isEmpty)
            #expect(try await SingleUseTokenRecord.query(on: app.db).filter(\.$citizenID == abandonedID).count() == 0)
            #expect(try await RetentionRows.count(app, "line_link_nonces") == 0)
            let lineUser = try await LineStore.user(tenant: "bangkrathum", userID: "U-abandoned", on: app.db)
            #expect(lineUser != nil && lineUser?.citizenID == nil, "the LINE user stays, unlinked")
            for table in kept { #expect(try await RetentionRows.count(app, table) == before[table], "\(table) untouched") }
            #expect(before["petitions"] == 1 && before["petition_documents"] == 1 && (before["audit_events"] ?? 0) >= 1)
        }
    }

    @Test(
        "refused staff registrations go REJECTED_STAFF_KEEP_DAYS after the decision, with their uploaded document; other accounts and the audit log stay",
        arguments: TestDatabase.all)
    func refusedStaff(database: TestDatabase) async throws {
        try await withApp(database, settings: ["REJECTED_STAFF_KEEP_DAYS": "90"]) { app, _ in
            let clock = TestClock()
            let now = clock.now()
            func account(_ name: String, _ status: StaffAccountStatus, decided: Date?, document: String? = nil) async throws -> UUID {
                let (a, _) = try await StaffFixtures.account(app, username: name, status: status, otp: false)
                a.decidedAt = decided
                a.documentFile = document
                try await a.save(on: app.db)
                return try a.requireID()
            }
            let document = try await app.fileStore.save(Data("%PDF-1.4 บัตรเจ้าหน้าที่".utf8), folder: "staff-documents", ext: "pdf")
            let past = now.addingTimeInterval(-90 * Self.day - Self.minute)
            let inside = now.addingTimeInterval(-90 * Self.day + Self.minute)
            let refused = try await account("refused.long.ago", .rejected, decided: past, document: document)
            let kept = [
                try await account("refused.lately", .rejected, decided: inside),
                try await account("approved.long.ago", .active, decided: past),
                try await account("disabled.long.ago", .disabled, decided: past),
                try await account("still.waiting", .pending, decided: nil),
            ]
            try await AuditLog.record(
                .staffRejected, actor: AuditActor(id: nil, name: "ผู้ดูแลระบบ"), tenant: nil, detail: "SR-2569-000001 refused.long.ago",
                ip: "127.0.0.1", at: past, on: app.db)
            let audit = try await RetentionRows.count(app, "audit_events")

            let removed = await Self.sweep(app, Self.worker(app, clock))

            #expect(removed["refused staff registrations"] == 1)
            #expect(try await StaffAccount.find(refused, on: app.db) == nil)
            #expect(try await app.fileStore.info(document) == nil, "the uploaded document is deleted from the store")
            for id in kept { #expect(try await StaffAccount.find(id, on: app.db) != nil) }
            #expect(try await RetentionRows.count(app, "audit_events") == audit, "the decision stays in the audit log")
        }
    }

    @Test("a run deletes at most its bound; the rest goes at the next run", arguments: TestDatabase.all)
    func bounded(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let clock = TestClock()
            let now = clock.now()
            let bound = SweepBound(batch: 2, batches: 3)
            let sweeps = Retention.sweeps(app.settings.retention, fileStore: app.fileStore, bound: bound, accountsBound: SweepBound(batch: 1, batches: 2))
            let worker = Self.worker(app, clock, sweeps: sweeps)
            for i in 0..<8 {
                try await RetentionRows.token(app, expiresAt: now.addingTimeInterval(Double(-i - 1) * Self.minute))
                try await RetentionRows.outbox(app, key: "done-\(i)", status: "done", finishedAt: now.addingTimeInterval(-10 * Self.day), createdAt: now)
                try await RetentionRows.counter(app, key: "k\(i)", windowStart: now.addingTimeInterval(-2 * Self.day))
            }
            for _ in 0..<3 {
                let c = try await PetitionFixtures.citizen(app)
                let longAgo = now.addingTimeInterval(-60 * Self.day)
                try await RetentionRows.sql(app).raw(
                    "UPDATE citizens SET created_at = \(bind: longAgo), updated_at = \(bind: longAgo), signed_in_at = \(bind: longAgo) WHERE id = \(bind: c.id)"
                ).run()
            }

            let first = await Self.sweep(app, worker)
            #expect(first["single-use links"] == 6 && first["outbox jobs"] == 6 && first["rate counters"] == 6)
            #expect(first["abandoned registrations"] == 2)
            #expect(try await RetentionRows.count(app, "single_use_tokens") == 2)
            let second = await Self.sweep(app, worker)
            #expect(second["single-use links"] == 2 && second["outbox jobs"] == 2 && second["rate counters"] == 2)
            #expect(second["abandoned registrations"] == 1)
            #expect(try await RetentionRows.count(app, "single_use_tokens") == 0)
            #expect(try await RetentionRows.count(app, "citizens") == 0)
        }
    }

    @Test("two workers sweeping the same rows at once delete each row once, without errors", arguments: TestDatabase.all)
    func concurrent(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let clock = TestClock()
            let now = clock.now()
            let rows = 1_200
            var values: [SQLQueryString] = []
            for i in 0..<rows {
                values.append(
                    "(\(bind: UUID()), 'staff.setup', \(bind: RandomToken.hash("t\(i)")), \(bind: now.addingTimeInterval(Double(-i - 1))), \(bind: now))")
            }
            try await RetentionRows.sql(app).raw(
                "INSERT INTO single_use_tokens (id, kind, token_hash, expires_at, created_at) VALUES \(values.joined(separator: ", "))"
            ).run()
            let a = Self.worker(app, clock), b = Self.worker(app, clock)
            async let ra = a.runSweeps()
            async let rb = b.runSweeps()
            let (x, y) = await (ra, rb)
            let swept = try #require(x["single-use links"]) + (try #require(y["single-use links"], "the second worker's sweep did not fail"))
            #expect(swept == rows)
            #expect(try await RetentionRows.count(app, "single_use_tokens") == 0)
        }
    }

    static var postgres: [TestDatabase] { TestDatabase.all.filter { if case .postgres = $0 { true } else { false } } }

    /// Runs `change` in a transaction that stays open until `sweep` (on another connection) is seen waiting for a row
    /// lock, then commits it; returns what the sweep deleted once it went on. PostgreSQL only (it reads
    /// `pg_stat_activity`); SQLite runs one writer at a time, so a sweep there never meets a row changing under it.
    static func sweepWaiting(
        _ app: Application, change: @escaping @Sendable (any Database) async throws -> Void, sweep: @escaping @Sendable () async throws -> Int
    ) async throws -> Int {
        let running: Task<Int, any Error> = try await app.db.transaction { db in
            try await change(db)
            let task = Task { try await sweep() }
            var waiting = false
            for _ in 0..<400 where !waiting {
                let n =
                    try await RetentionRows.sql(app).raw(
                        """
                        SELECT COUNT(*) AS n FROM pg_stat_activity
                         WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM %'
                        """
                    ).first()?.decode(column: "n", as: Int.self) ?? 0
                waiting = n > 0
                if !waiting { try await Task.sleep(for: .milliseconds(25)) }
            }
            #expect(waiting, "the sweep waited for the row being changed")
            return task
        }
        return try await running.value
    }

    @Test(
        "a row that changes while a sweep waits for it is kept: a failed job retried, a counter hit again, an address signed in from (PostgreSQL only)",
        arguments: RetentionTests.postgres)
    func changedMeanwhile(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let now = TestClock().now()
            let sql = try RetentionRows.sql(app)

            // A job that failed 31 days ago is retried (pending again) while the sweep waits; one beside it goes.
            let finished = now.addingTimeInterval(-31 * Self.day)
            try await RetentionRows.outbox(app, key: "failed-retried", status: "failed", finishedAt: finished, createdAt: finished)
            try await RetentionRows.outbox(
                app, key: "failed-left", status: "failed", finishedAt: finished.addingTimeInterval(-Self.minute), createdAt: finished)
            let retried = try #require(
                try await sql.raw("SELECT id FROM outbox_jobs WHERE idempotency_key = 'failed-retried'").first()?.decode(column: "id", as: UUID.self))
            let jobs = try await Self.sweepWaiting(app) { db in
                let job = try await OutboxStore.retryFailed(retried, now: now, on: db)
                #expect(job != nil)
            } sweep: {
                try await OutboxStore.sweep(doneBefore: now - 7 * Self.day, failedBefore: now - 30 * Self.day, lineEventsBefore: now, limit: 500, on: app.db)
            }
            #expect(jobs == 1)
            #expect(try await OutboxStore.allJobs(on: app.db).map { "\($0.idempotencyKey) \($0.status.rawValue)" } == ["failed-retried pending"])

            // A counter past every window is hit (its window starts again) while the sweep waits; one beside it goes.
            try await RetentionRows.counter(app, key: "citizen-login-ip:hit-again", windowStart: now.addingTimeInterval(-2 * Self.day))
            try await RetentionRows.counter(app, key: "citizen-login-ip:left", windowStart: now.addingTimeInterval(-3 * Self.day))
            let counters = try await Self.sweepWaiting(app) { db in
                let hits = try await RateLimiter.count("citizen-login-ip:hit-again", SignInPolicy.passwordsPerAddress, now: now, on: db)
                #expect(hits == 1)
            } sweep: {
                try await RateLimiter.sweep(now: now, limit: 500, on: app.db)
            }
            #expect(counters == 1)
            #expect(try await RetentionRows.column(app, "key", from: "rate_counters") == ["citizen-login-ip:hit-again"])

            // An address forgotten long ago that the staff member signs in from again while the sweep waits (the
            // sign-in's own sweep, in its transaction, takes the other one).
            let (staff, _) = try await StaffFixtures.account(app, username: "retention.race")
            let staffID = try staff.requireID()
            let old = now.addingTimeInterval(-SignInPolicy.staffKeepFailures - Self.day)
            try await RetentionRows.signInAddress(app, staffID: staffID, hash: "signed-in-again", updatedAt: old, knownUntil: nil)
            try await RetentionRows.signInAddress(app, staffID: staffID, hash: "left", updatedAt: old.addingTimeInterval(-Self.minute), knownUntil: nil)
            let addresses = try await Self.sweepWaiting(app) { db in
                try await StaffSignInGuard.succeeded(.init(staffID: staffID, addressHash: "signed-in-again", known: false), now: now, on: db)
            } sweep: {
                try await StaffSignInGuard.sweep(now: now, limit: 500, on: app.db)
            }
            #expect(addresses == 0)
            #expect(try await RetentionRows.column(app, "address_hash", from: "staff_sign_in_addresses") == ["signed-in-again"])
        }
    }
}
