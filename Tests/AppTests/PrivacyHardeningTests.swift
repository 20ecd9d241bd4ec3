import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Personal data kept where it belongs: the SQLite file and its folder readable by the server's user alone,
/// personal pages out of caches, and session rows that expire and are swept.
@Suite("Privacy hardening: SQLite file modes, no-store on personal pages, expiring sessions")
struct PrivacyHardeningTests {
    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber).intValue & 0o777
    }

    @Test("an app started on SQLite in a fresh folder makes the folder 0700 and the database file 0600")
    func sqliteFileModes() async throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("eservice-modes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: parent) }
        let data = parent.appendingPathComponent("deep/data")
        try await withApp(.sqlite, settings: ["DATA_DIR": data.path]) { app, _ in
            // Something written, so SQLite has used its journal too.
            try await app.testing().test(.GET, "/t/bangkrathum/contact") { res in #expect(res.headers.first(name: .setCookie) != nil) }
        }
        #expect(try Self.mode(data.path) == 0o700, "DATA_DIR")
        let files = try FileManager.default.contentsOfDirectory(atPath: data.path).filter { $0.hasPrefix("eservice.sqlite") }
        #expect(files.contains("eservice.sqlite"))
        for file in files {
            #expect(try Self.mode(data.appendingPathComponent(file).path) == 0o600, "\(file)")
        }
        #expect(try Self.mode(data.appendingPathComponent("secret.key").path) == 0o600)

        // A folder the operator made keeps its mode; the database file is still created 0600.
        let own = parent.appendingPathComponent("operator")
        try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        try await withApp(.sqlite, settings: ["DATA_DIR": own.path]) { _, _ in }
        #expect(try Self.mode(own.path) == 0o750)
        #expect(try Self.mode(own.appendingPathComponent("eservice.sqlite").path) == 0o600)
    }

    @Test(
        "pages of signed-in citizens and staff, form pages and files are sent with no-store; public pages keep their caching",
        arguments: TestDatabase.all)
    func noStore(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            var setsCookie = false
            func cacheControl(_ path: String, cookie: String? = nil) async throws -> (HTTPStatus, String) {
                var out: (HTTPStatus, String) = (.ok, "")
                try await app.testing().test(.GET, path, headers: cookie.map { ["Cookie": $0] } ?? [:]) { res in
                    out = (res.status, res.headers[.cacheControl].joined(separator: ", "))
                    setsCookie = res.headers.first(name: .setCookie) != nil
                }
                return out
            }
            // Public pages for visitors without a session: cached as before, and no session started for them.
            for path in ["/", "/t/bangkrathum/", "/t/bangkrathum/services/street-light", "/t/bangkrathum/", "/t/bangkrathum/services/street-light"] {
                let (status, cc) = try await cacheControl(path)
                #expect(status == .ok && !cc.contains("no-store"), "\(path): \(status) \(cc)")
                #expect(!setsCookie, "\(path) starts no session")
            }
            // A form page with a CSRF token.
            let (_, contact) = try await cacheControl("/t/bangkrathum/contact")
            #expect(contact == "no-store")

            // A signed-in citizen's pages and their petition's file.
            let client = try await CitizenFixtures.register(app)
            let account = try #require(try await CitizenAccount.query(on: app.db).filter(\.$email == client.email).first())
            let stored = try await app.fileStore.save(samplePDF, folder: "petitions/bangkrathum", ext: "pdf")
            let p = try await PetitionFixtures.file(
                app, citizen: account,
                attachments: [
                    .init(
                        fieldKey: "photos", fileName: stored, originalName: "a.pdf", mimeType: "application/pdf", bytes: samplePDF.count,
                        sha256: Hex.sha256(samplePDF))
                ])
            let fileID = try #require(try await PetitionStore.attachments(p, on: app.db).first?.id).uuidString.lowercased()
            for path in [
                "/t/bangkrathum/account/petitions", "/t/bangkrathum/account/petitions/\(p.number)",
                "/t/bangkrathum/account/petitions/\(p.number)/files/\(fileID)", "/t/bangkrathum/account/profile",
                "/t/bangkrathum/", "/t/bangkrathum/no-such-page",
            ] {
                let (status, cc) = try await cacheControl(path, cookie: client.cookie)
                #expect(status != .internalServerError && cc.contains("no-store"), "\(path): \(status) \(cc)")
            }
            // A staff member's pages, an error page among them, and an attachment.
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            for path in [
                "/backoffice/", "/backoffice/t/bangkrathum/petitions", "/backoffice/t/bangkrathum/petitions/\(p.number)",
                "/backoffice/t/bangkrathum/petitions/\(p.number)/attachments/\(fileID)", "/backoffice/no-such-page",
            ] {
                let (status, cc) = try await cacheControl(path, cookie: officer.cookie)
                #expect(status != .internalServerError && cc.contains("no-store"), "\(path): \(status) \(cc)")
            }
            // Static files and the tenant's public assets stay cacheable for everyone.
            for path in ["/css/site.css", "/t/bangkrathum/theme.css"] {
                let (status, cc) = try await cacheControl(path, cookie: officer.cookie)
                #expect(status == .ok && !cc.contains("no-store"), "\(path): \(cc)")
            }
        }
    }

    static func sessionRow(_ app: Application, cookie: String) async throws -> SessionRow? {
        let id = String(cookie.split(separator: "=", maxSplits: 1)[1])
        return try await SessionRow.query(on: app.db).filter(\.$key == SessionID(string: id)).first()
    }

    static func expire(_ app: Application, cookie: String) async throws {
        let row = try #require(try await sessionRow(app, cookie: cookie))
        row.expiresAt = Date().addingTimeInterval(-1)
        try await row.save(on: app.db)
    }

    @Test(
        "session rows carry their expiry; an expired one is not honoured and the worker's sweep deletes it; live ones stay",
        arguments: TestDatabase.all)
    func sessionsExpire(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            // Each expiry is checked against the time around the request that wrote it: a sign-in on a loaded machine
            // (bcrypt, the one-time code) can take over a minute.
            func expires(_ row: SessionRow, in lifetime: TimeInterval, between start: Date, and end: Date) -> Bool {
                row.expiresAt >= start.addingTimeInterval(lifetime - 1) && row.expiresAt <= end.addingTimeInterval(lifetime + 1)
            }
            var anonymous = FormSession(cookie: "", csrf: "", fields: [:]), live = anonymous
            var start = Date()
            try await app.testing().test(.GET, "/t/bangkrathum/contact") { anonymous = try FormSession.from($0) }
            try await app.testing().test(.GET, "/t/bangrak/contact") { live = try FormSession.from($0) }
            let anonymousRow = try #require(try await Self.sessionRow(app, cookie: anonymous.cookie))
            #expect(expires(anonymousRow, in: SessionStore.anonymousLifetime, between: start, and: Date()), "anonymous: 2 hours")

            // Signed in: the row lasts as long as the sign-in may (citizen 60 minutes idle, staff 30).
            start = Date()
            let citizen = try await CitizenFixtures.register(app)
            let citizenRow = try #require(try await Self.sessionRow(app, cookie: citizen.cookie))
            #expect(expires(citizenRow, in: SignInPolicy.citizenSession.idle, between: start, and: Date()))
            start = Date()
            let staff = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let staffRow = try #require(try await Self.sessionRow(app, cookie: staff.cookie))
            #expect(expires(staffRow, in: SignInPolicy.staffSession.idle, between: start, and: Date()))

            // Expired rows are not honoured: the form's token is gone, the citizen and the officer are signed out.
            for cookie in [anonymous.cookie, citizen.cookie, staff.cookie] { try await Self.expire(app, cookie: cookie) }
            let post = { (form: FormSession, tenant: String) async throws -> HTTPStatus in
                var fields = form.fields.merging(ContactFlowTests.valid) { $1 }
                fields["submission"] = RandomToken.make()
                var status = HTTPStatus.ok
                try await app.testing().test(
                    .POST, "/t/\(tenant)/contact", headers: ["Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: formBody(fields))
                ) { status = $0.status }
                return status
            }
            #expect(try await post(anonymous, "bangkrathum") == .forbidden, "an expired session's CSRF token is not honoured")
            #expect(try await post(live, "bangrak") == .seeOther, "a live session is")
            try await app.testing().test(.GET, "/t/bangkrathum/account/profile", headers: citizen.headers) { res in
                #expect(res.status == .seeOther && res.headers.first(name: .location)?.contains("/login") == true, "citizen: \(res.status)")
            }
            try await get(app, "/backoffice/", staff) { res in
                #expect(res.status == .seeOther && res.headers.first(name: .location)?.contains("/backoffice/login") == true, "staff: \(res.status)")
            }

            // The worker's periodic sweep removes the expired rows, and only them.
            let worker = app.makeOutboxWorker()
            #expect(worker.options.sweeps.contains { $0.name == SessionStore.periodicSweep.name }, "every outbox worker sweeps sessions")
            let before = try await SessionRow.query(on: app.db).count()
            let removed = await worker.runSweeps()
            #expect(removed[SessionStore.periodicSweep.name] == 3)
            #expect(try await SessionRow.query(on: app.db).count() == before - 3)
            for cookie in [anonymous.cookie, citizen.cookie, staff.cookie] { #expect(try await Self.sessionRow(app, cookie: cookie) == nil) }
            #expect(try await Self.sessionRow(app, cookie: live.cookie) != nil, "the live session stays")
            #expect(try await SessionRow.query(on: app.db).filter(\.$expiresAt <= Date()).count() == 0)
        }
    }

    @Test("the sweep deletes in bounded batches, oldest expiry first", arguments: TestDatabase.all)
    func sweepBatches(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let now = Date()
            let expired = SessionStore.sweepBatch + 20
            for i in 0..<expired {
                try await SessionRow(key: SessionStore.newID(), data: SessionData(), expiresAt: now.addingTimeInterval(Double(-i - 1))).create(on: app.db)
            }
            try await SessionRow(key: SessionStore.newID(), data: SessionData(), expiresAt: now.addingTimeInterval(3600)).create(on: app.db)
            #expect(try await SessionStore.sweep(on: app.db, now: now) == expired)
            #expect(try await SessionRow.query(on: app.db).count() == 1)
        }
    }
}
