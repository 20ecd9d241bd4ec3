import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite("Citizens: sign-in, throttling and forgot password")
struct CitizenSignInTests {
    @Test("a wrong password and an unknown number get the same answer; the account and the address are throttled", arguments: TestDatabase.all)
    func signIn(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let client = try await CitizenFixtures.register(app)
            var s = FormSession(cookie: "", csrf: "", fields: [:])
            try await app.testing().test(.GET, "/t/bangkrathum/login") { res in
                #expect(res.body.string.contains(#"<label for="nationalID">"#), "labelled input")
                s = try FormSession.from(res)
            }
            func attempt(_ id: String, _ password: String) async throws -> (HTTPStatus, String) {
                var out: (HTTPStatus, String) = (.ok, "")
                try await app.testing().test(
                    .POST, "/t/bangkrathum/login", headers: ["Cookie": s.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: formBody(["_csrf": s.csrf, "nationalID": id, "password": password]))
                ) { res in
                    out = (res.status, res.body.string)
                }
                return out
            }
            let wrong = try await attempt(client.nationalID, "Wrong#Pass1")
            let unknown = try await attempt(StaffFixtures.nationalID(), "Wrong#Pass1")
            #expect(wrong.0 == .unauthorized && unknown.0 == .unauthorized)
            #expect(wrong.1.contains(CitizenSignInController.badCredentials) && unknown.1.contains(CitizenSignInController.badCredentials))
            // The same national ID at another tenant is another account.
            #expect(try await CitizenFixtures.signIn(app, tenant: "bangrak", nationalID: client.nationalID) == nil)
            for _ in 0..<9 { _ = try await attempt(client.nationalID, "Wrong#Pass1") }
            let blocked = try await attempt(client.nationalID, CitizenFixtures.password)
            #expect(blocked.0 == .tooManyRequests, "the 11th try in 15 minutes is refused, even with the right password")
            #expect(blocked.1.contains("กรุณารอ 15 นาที"))
        }
    }

    @Test("forgot password: same answer for any e-mail; the mail reaches a real SMTP server; the link works once", arguments: TestDatabase.all)
    func forgotPassword(database: TestDatabase) async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        try await withApp(database, settings: ["SMTP_URL": "smtp://127.0.0.1:\(sink.port)?starttls=off"]) { app, _ in
            let client = try await CitizenFixtures.register(app)
            let other = try await CitizenFixtures.register(app, tenant: "bangrak")
            var s = FormSession(cookie: "", csrf: "", fields: [:])
            try await app.testing().test(.GET, "/t/bangkrathum/forgot-password") { res in s = try FormSession.from(res) }
            var answers: [String] = []
            for email in [client.email, "nobody@example.com"] {
                try await app.testing().test(
                    .POST, "/t/bangkrathum/forgot-password", headers: ["Cookie": s.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: formBody(["_csrf": s.csrf, "email": email]))
                ) { res in
                    #expect(res.status == .ok)
                    answers.append(res.body.string.replacingOccurrences(of: email, with: ""))
                }
            }
            #expect(answers[0].contains(CitizenPasswordResetController.sameAnswer) && answers[1].contains(CitizenPasswordResetController.sameAnswer))
            // Both requests wrote one job each (the same work, registered or not); their handler writes the mail.
            let worker = app.makeOutboxWorker()
            #expect(try await worker.runOnce() == 2)
            #expect(try await worker.runOnce() == 1, "one mail, for the registered address only")
            #expect(try await worker.runOnce() == 0)
            let sql = try #require(app.db as? any SQLDatabase)
            let payloads = try await sql.raw("SELECT payload FROM outbox_jobs WHERE kind = \(bind: EmailOutbox.kind) AND status = 'done'").all()
                .map { try $0.decode(column: "payload", as: String.self) }
            #expect(payloads == ["{}"], "a delivered reset mail keeps no copy of its link")
            let files = sink.messages()
            #expect(files.count == 1)
            let mail = try ParsedMail.parse(try #require(files.first))
            let text = mail.parts.first { $0.type == "text/plain" }?.body ?? ""
            #expect(mail.to.contains(client.email))
            #expect(mail.subject.contains("แจ้งเปลี่ยนรหัสผ่าน"))
            #expect(
                text.contains("ภายใน 10 นาที ลิงก์ใช้ได้ครั้งเดียว") && text.contains("เรียน ") && !text.contains("#("),
                "the wording from emails/citizen-password-reset, with the link's lifetime")
            let linkRange = try #require(text.range(of: #"http://[^\s]+/t/bangkrathum/reset-password/[A-Za-z0-9_-]+"#, options: .regularExpression))
            let link = String(text[linkRange])
            let path = String(link[try #require(link.range(of: "/t/bangkrathum/")).lowerBound...])
            let token = String(path.split(separator: "/").last ?? "")
            #expect(token.count >= 43, "at least 256 bits, base64url")
            #expect(
                !(try await SingleUseTokenRecord.query(on: app.db).filter(\.$kindRaw == SingleUseToken.Kind.citizenReset.rawValue).all().contains {
                    $0.tokenHash == token
                }), "stored hashed")

            // The link of one tenant does nothing at another.
            try await app.testing().test(.GET, "/t/bangrak/reset-password/\(token)") { res in #expect(res.status == .gone) }

            var r = FormSession(cookie: "", csrf: "", fields: [:])
            try await app.testing().test(.GET, path) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("กรุณากำหนดรหัสผ่านภายในเวลา"))
                let left = try #require(res.body.string.range(of: #"(\d+) นาที (\d+) วินาที"#, options: .regularExpression), "minutes and seconds left")
                let minutes = Int(res.body.string[left].split(separator: " ")[0]) ?? 99
                #expect((0...10).contains(minutes), "at most 10 minutes: \(res.body.string[left])")
                #expect(res.headers.first(name: .cacheControl) == "no-store")
                r = try FormSession.from(res)
            }
            try await app.testing().test(
                .POST, path, headers: ["Cookie": r.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(["_csrf": r.csrf, "password": "short", "passwordConfirm": "short"]))
            ) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("อย่างน้อย 8 ตัวอักษร"))
            }
            let newPassword = "Another#Pass2570"
            try await app.testing().test(
                .POST, path, headers: ["Cookie": r.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(["_csrf": r.csrf, "password": newPassword, "passwordConfirm": newPassword]))
            ) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == "/t/bangkrathum/login")
            }
            // Used once; the other session of the account has ended; the new password works, the old one not.
            try await app.testing().test(.GET, path) { res in #expect(res.status == .gone) }
            try await app.testing().test(.GET, "/t/bangkrathum/account", headers: client.headers) { res in
                #expect(res.status == .seeOther, "the session from registration ended")
            }
            #expect(try await CitizenFixtures.signIn(app, nationalID: client.nationalID) == nil)
            #expect(try await CitizenFixtures.signIn(app, nationalID: client.nationalID, password: newPassword) != nil)

            // An expired link, and another account's link, fail.
            let account = try #require(try await CitizenAccount.query(on: app.db).filter(\.$tenantID == "bangkrathum").first())
            let old = try await SingleUseTokens.issue(
                .citizenReset, for: .citizen(tenantID: account.tenantID, citizenID: try account.requireID()),
                now: Date().addingTimeInterval(-11 * 60), on: app.db)
            try await app.testing().test(.GET, "/t/bangkrathum/reset-password/\(old)") { res in #expect(res.status == .gone) }
            let otherAccount = try #require(try await CitizenAccount.query(on: app.db).filter(\.$tenantID == "bangrak").first())
            let foreign = try await SingleUseTokens.issue(
                .citizenReset, for: .citizen(tenantID: otherAccount.tenantID, citizenID: try otherAccount.requireID()), on: app.db)
            try await app.testing().test(.GET, "/t/bangkrathum/reset-password/\(foreign)") { res in #expect(res.status == .gone) }
            // A citizen's link is found only with its tenant: a look-up that forgets the tenant finds nothing.
            #expect(try await SingleUseTokens.find(.citizenReset, token: foreign, tenantID: "bangrak", on: app.db) != nil)
            #expect(try await SingleUseTokens.find(.citizenReset, token: foreign, on: app.db) == nil)
            _ = other
        }
    }
}

@Suite("Citizens: the reset request job")
struct CitizenResetJobTests {
    @Test("a reset request job run twice (a retry) sends one mail with one live link", arguments: TestDatabase.all)
    func retry(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let client = try await CitizenFixtures.register(app)
            let payload = CitizenPasswordReset.Payload(tenant: "bangkrathum", email: client.email, linkBase: "http://x/t/bangkrathum", requestedAt: Date())
            let job = ClaimedJob(
                id: UUID(), tenantID: "bangkrathum", kind: CitizenPasswordReset.kind,
                payload: String(decoding: try JSONEncoder.outbox.encode(payload), as: UTF8.self),
                idempotencyKey: "citizen-reset-request:test", attempts: 1, maxAttempts: 5, createdAt: Date())
            let handler = CitizenResetRequestHandler(app: app)
            try await handler.handle(job)
            try await handler.handle(job)
            let mails = try await queuedMails(app).filter { $0.to == [client.email] }
            #expect(mails.count == 1)
            #expect(mails.first?.text.contains("http://x/t/bangkrathum/reset-password/") == true)
            #expect(
                try await SingleUseTokenRecord.query(on: app.db).filter(\.$kindRaw == SingleUseToken.Kind.citizenReset.rawValue).count() == 1,
                "the second try's link was rolled back")
        }
    }
}

@Suite("Rate-limit keys")
struct RateLimitKeyTests {
    @Test("keys for typed values are keyed hashes: not the value, not its plain hash, different under another secret")
    func keyed() {
        let a = RateLimiter.key("reset-mail", "Somchai@Example.com", secret: Array(repeating: 1, count: 32))
        #expect(a == RateLimiter.key("reset-mail", "somchai@example.com", secret: Array(repeating: 1, count: 32)))
        #expect(a != RateLimiter.key("reset-mail", "somchai@example.com", secret: Array(repeating: 2, count: 32)))
        #expect(!a.contains("somchai") && !a.contains(RandomToken.hash("somchai@example.com").prefix(32)))
    }
}

@Suite("Citizens: where sign-in may send people")
struct SafeNextTests {
    @Test("next= stays on the tenant's site", arguments: ["", "/t/bangkrathum"])
    func safeNext(base: String) throws {
        let t = ResolvedTenant(
            tenant: try #require(TenantLoader.loadAll(from: URL(fileURLWithPath: Repo.path("Tenants"))).tenant(slug: "bangkrathum")), base: base)
        #expect(CitizenSignInController.safeNext(base + "/account/identity", tenant: t) == base + "/account/identity")
        for bad in [
            "//evil.example", "/\t/evil.example", "/\n/evil.example", "https://evil.example/", "/\\evil.example",
            "javascript:alert(1)", "/t/bangrak/account",
        ] where !(base.isEmpty && bad == "/t/bangrak/account") {
            #expect(CitizenSignInController.safeNext(bad, tenant: t) == nil, "\(bad)")
        }
    }
}

@Suite("Citizens: personal data at rest")
struct NationalIDVaultTests {
    @Test("sealed national IDs open again; the lookup hash is keyed and stable")
    func vault() throws {
        let id = try ThaiNationalID(StaffFixtures.nationalID())
        let a = NationalIDVault(appSecret: Array(repeating: 7, count: 32))
        let b = NationalIDVault(appSecret: Array(repeating: 8, count: 32))
        let sealed = try a.seal(id)
        #expect(!sealed.contains(id.digits))
        #expect(try a.open(sealed) == id)
        #expect(throws: (any Error).self) { try b.open(sealed) }
        #expect(a.lookupHash(id) == a.lookupHash(id))
        #expect(a.lookupHash(id) != b.lookupHash(id), "another key, another hash")
        #expect(a.lookupHash(id) != RandomToken.hash(id.digits), "not a plain hash of the number")
        #expect(try a.seal(id) != sealed, "a fresh nonce each time")
    }
}
