import Domain
import Fluent
import Foundation
import NIOCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// A request through the application's real responder (every middleware, every route) from a chosen peer
/// address, which the in-memory tester cannot set.
struct PeerAnswer: Sendable {
    var status: HTTPStatus
    var headers: HTTPHeaders
    var body: String
    var cookie: String? { headers.first(name: .setCookie).map { String($0.split(separator: ";")[0]) } }
}

func send(
    _ app: Application, _ method: HTTPMethod, _ path: String, from address: String, cookie: String? = nil,
    form: [String: String]? = nil
) async throws -> PeerAnswer {
    var headers = HTTPHeaders()
    if let cookie, !cookie.isEmpty { headers.add(name: .cookie, value: cookie) }
    let body = form.map { ByteBuffer(string: formBody($0)) }
    if body != nil { headers.add(name: .contentType, value: "application/x-www-form-urlencoded") }
    headers.replaceOrAdd(name: .contentLength, value: String(body?.readableBytes ?? 0))
    let req = Request(
        application: app, method: method, url: URI(string: path), headers: headers, collectedBody: body,
        remoteAddress: try SocketAddress(ipAddress: address, port: 40_000), logger: app.logger, on: app.eventLoopGroup.next())
    let res = try await app.responder.respond(to: req).get()
    let collected = try await res.body.collect(on: req.eventLoop).get()
    return PeerAnswer(status: res.status, headers: res.headers, body: collected.map { String(buffer: $0) } ?? "")
}

/// The password step from `address`: the session cookie and the next stage's CSRF token when it passed.
func passwordStep(_ app: Application, username: String, password: String = StaffFixtures.password, from address: String) async throws
    -> (answer: PeerAnswer, cookie: String, csrf: String)
{
    let page = try await send(app, .GET, "/backoffice/login", from: address)
    let cookie = try #require(page.cookie)
    let csrf = try #require(page.body.firstMatch(of: #/name="_csrf" value="([^"]+)"/#)).1
    let answer = try await send(
        app, .POST, "/backoffice/login", from: address, cookie: cookie,
        form: ["_csrf": String(csrf), "username": username, "password": password])
    let rotated = answer.cookie ?? cookie
    var next = ""
    if let location = answer.headers.first(name: .location), location.hasPrefix("/backoffice/login/") {
        let stage = try await send(app, .GET, location, from: address, cookie: rotated)
        next = String(try #require(stage.body.firstMatch(of: #/name="_csrf" value="([^"]+)"/#)).1)
    }
    return (answer, rotated, next)
}

@Suite("Back office: one-time codes and lockouts that an outsider cannot turn against the owner")
struct StaffLockoutTests {
    static let owner = "198.51.100.7"
    static let attacker = "203.0.113.9"

    @Test("50 wrong codes sent at once: at most the allowed number are compared, the rest are refused unchecked", arguments: TestDatabase.all)
    func parallelGuesses(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let (account, secret) = try await StaffFixtures.account(app, username: "guessed")
            let totp = Domain.TOTP(secret: secret, period: 30)
            let step = totp.step(at: Date())
            let valid = Set((step - 2...step + 2).map { totp.code(forStep: $0) })
            let guesses = (0..<200).map { String(format: "%06d", 100_000 + $0 * 7_919) }.filter { !valid.contains($0) }.prefix(50)
            let session = try await passwordStep(app, username: "guessed", from: Self.attacker)
            #expect(session.answer.headers.first(name: .location) == "/backoffice/login/otp")
            let answers = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for guess in guesses {
                    group.addTask {
                        try await send(
                            app, .POST, "/backoffice/login/otp", from: Self.attacker, cookie: session.cookie,
                            form: ["_csrf": session.csrf, "code": guess]
                        ).status
                    }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            let wrong = answers.filter { $0 == .unauthorized }.count
            let refused = answers.filter { $0 == .tooManyRequests }.count
            let compared = try await AuditLog.list(.init(), on: app.db).filter { $0.action == .otpFailed }.count
            #expect(wrong + refused == 50, "every answer is 'wrong' or 'too many': \(answers)")
            #expect(compared <= StaffOTP.maxFailures, "codes compared: \(compared) (wrong answers \(wrong), refused \(refused))")
            #expect(wrong < StaffOTP.maxFailures, "the last allowed wrong code locks instead of answering 'wrong'")
            let id = try account.requireID()
            #expect(try await StaffAccount.find(id, on: app.db)?.totpLastStep == nil, "no code was accepted")
            let row = try #require(
                try await (app.db as! any SQLDatabase).raw(
                    "SELECT locked_until FROM staff_sign_in_addresses WHERE staff_id = \(bind: id)"
                ).first())
            #expect(try row.decode(column: "locked_until", as: Date.self) > Date(), "the attacker's address is locked")
        }
    }

    @Test(
        "an attacker's address locks itself out, and many addresses meet the account's limit; the owner signs in from their usual address; the attacker stays refused",
        arguments: TestDatabase.all)
    func ownerStillSignsIn(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let (account, secret) = try await StaffFixtures.account(app, username: "owner")
            let id = try account.requireID()
            func code() async throws -> String { try await StaffFixtures.code(app, staffID: id, secret: secret) }
            // The owner has signed in from their office before.
            var s = try await passwordStep(app, username: "owner", from: Self.owner)
            #expect(
                try await send(
                    app, .POST, "/backoffice/login/otp", from: Self.owner, cookie: s.cookie,
                    form: ["_csrf": s.csrf, "code": try await code()]
                ).status == .seeOther)

            // An attacker guesses passwords: the fifth wrong one locks this address for this account…
            var statuses: [HTTPStatus] = []
            for _ in 0..<12 { statuses.append(try await passwordStep(app, username: "owner", password: "Guess#Pass99", from: Self.attacker).answer.status) }
            #expect(statuses.prefix(5).allSatisfy { $0 == .unauthorized }, "\(statuses)")
            #expect(statuses.dropFirst(5).allSatisfy { $0 == .tooManyRequests }, "\(statuses)")
            // …and stays locked even with the right password.
            #expect(try await passwordStep(app, username: "owner", from: Self.attacker).answer.status == .tooManyRequests)
            // Other addresses of the attacker add up: the account's limit closes it to every address it has not signed in from.
            for n in 1...2 {
                for _ in 0..<5 { _ = try await passwordStep(app, username: "owner", password: "Guess#Pass99", from: "203.0.113.\(20 + n)") }
            }
            let stranger = try await passwordStep(app, username: "owner", from: "192.0.2.55")
            #expect(stranger.answer.status == .tooManyRequests, "a new address is refused while the account is closed to unknown addresses")
            #expect(stranger.answer.body.contains("กรุณารอ 15 นาที"))

            // The owner, from the usual address, with the right password and code, still gets in.
            s = try await passwordStep(app, username: "owner", from: Self.owner)
            #expect(s.answer.status == .seeOther && s.answer.headers.first(name: .location) == "/backoffice/login/otp")
            let signedIn = try await send(
                app, .POST, "/backoffice/login/otp", from: Self.owner, cookie: s.cookie, form: ["_csrf": s.csrf, "code": try await code()])
            #expect(signedIn.status == .seeOther && signedIn.headers.first(name: .location) == "/backoffice/")
            #expect(try await send(app, .GET, "/backoffice/", from: Self.owner, cookie: s.cookie).status == .ok)

            // The attacker's address is still refused, right password or not.
            #expect(try await passwordStep(app, username: "owner", from: Self.attacker).answer.status == .tooManyRequests)
            let audit = try await AuditLog.list(.init(), on: app.db)
            let locks = audit.filter { $0.action == .signInThrottled && $0.detail.contains("ระงับ 15 นาที") }
            #expect(
                locks.contains { $0.ip == Self.attacker && $0.detail.contains(StaffSignInGuard.lockAuditText) }, "the address lock is audited with the address")
            #expect(audit.contains { $0.action == .signInThrottled && $0.ip == "192.0.2.55" }, "the account's limit is audited")
            #expect(!audit.contains { $0.detail.contains("Guess#Pass99") || $0.detail.contains(Self.attacker) }, "no password or address in the text")
            let stored = try await (app.db as! any SQLDatabase).raw("SELECT address_hash FROM staff_sign_in_addresses").all()
                .map { try $0.decode(column: "address_hash", as: String.self) }
            #expect(!stored.isEmpty && !stored.contains { $0.contains("203.0.113") || $0.contains("198.51.100") }, "addresses are stored as HMACs")
        }
    }

    @Test("a wrong code counts at the address it came from: someone with the password cannot lock the owner out with codes", arguments: TestDatabase.all)
    func codesLockTheirAddress(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let (account, secret) = try await StaffFixtures.account(app, username: "phished")
            let id = try account.requireID()
            var s = try await passwordStep(app, username: "phished", from: Self.owner)
            #expect(
                try await send(
                    app, .POST, "/backoffice/login/otp", from: Self.owner, cookie: s.cookie,
                    form: ["_csrf": s.csrf, "code": try await StaffFixtures.code(app, staffID: id, secret: secret)]
                ).status == .seeOther)
            s = try await passwordStep(app, username: "phished", from: Self.attacker)
            var last = HTTPStatus.ok
            for i in 0..<5 {
                last = try await send(
                    app, .POST, "/backoffice/login/otp", from: Self.attacker, cookie: s.cookie,
                    form: ["_csrf": s.csrf, "code": String(format: "%06d", 111_111 * (i + 1) % 1_000_000)]
                ).status
            }
            #expect(last == .tooManyRequests, "the fifth wrong code locks the attacker's address")
            #expect(try await passwordStep(app, username: "phished", from: Self.attacker).answer.status == .tooManyRequests)
            s = try await passwordStep(app, username: "phished", from: Self.owner)
            let ok = try await send(
                app, .POST, "/backoffice/login/otp", from: Self.owner, cookie: s.cookie,
                form: ["_csrf": s.csrf, "code": try await StaffFixtures.code(app, staffID: id, secret: secret)])
            #expect(ok.status == .seeOther)
        }
    }

    @Test("enrolment never replaces a confirmed authenticator, by the page or by a second session that confirms later", arguments: TestDatabase.all)
    func enrolmentOfConfirmedAccountRefused(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            try await StaffFixtures.account(app, username: "twice", otp: false)
            let address = "198.51.100.20"
            // Two sessions reach the enrolment stage and each is shown its own new secret.
            let first = try await passwordStep(app, username: "twice", from: address)
            let second = try await passwordStep(app, username: "twice", from: address)
            #expect(first.answer.headers.first(name: .location) == "/backoffice/login/enrol")
            func secret(_ cookie: String) async throws -> [UInt8] {
                let page = try await send(app, .GET, "/backoffice/login/enrol", from: address, cookie: cookie)
                let text = try #require(page.body.firstMatch(of: #/id="secret">([A-Z2-7 ]+)</#)).1
                return try #require(Base32.decode(text.replacingOccurrences(of: " ", with: "")))
            }
            let firstSecret = try await secret(first.cookie)
            let secondSecret = try await secret(second.cookie)
            let now = Date()
            let done = try await send(
                app, .POST, "/backoffice/login/enrol", from: address, cookie: first.cookie,
                form: ["_csrf": first.csrf, "code": Domain.TOTP(secret: firstSecret, period: 30).code(at: now)])
            #expect(done.status == .ok && done.body.contains("รหัสกู้คืน"))
            let sealed = try #require(try await StaffStore.find(username: "twice", on: app.db)?.totpSecret)

            let late = try await send(
                app, .POST, "/backoffice/login/enrol", from: address, cookie: second.cookie,
                form: ["_csrf": second.csrf, "code": Domain.TOTP(secret: secondSecret, period: 30).code(at: now)])
            #expect(late.status == .conflict)
            #expect(late.body.contains("ลงทะเบียนแอปยืนยันตัวตน (OTP) ไว้แล้ว"))
            let after = try #require(try await StaffStore.find(username: "twice", on: app.db))
            #expect(after.totpSecret == sealed, "the confirmed authenticator is kept")
            #expect(try await RecoveryCodes.remaining(staffID: after.requireID(), on: app.db) == 10, "its recovery codes too")
            #expect(try await send(app, .GET, "/backoffice/login/enrol", from: address, cookie: second.cookie).status != .ok)

            // The store refuses too, when the account it was given is out of date (a race past the page's check).
            let stale = after
            stale.totpSecret = nil
            await #expect(throws: StaffOTP.EnrolError.self) {
                _ = try await StaffOTP.enrol(stale, secret: secondSecret, period: 30, step: 1, app: app, now: now, on: app.db)
            }
            #expect(try await StaffStore.find(username: "twice", on: app.db)?.totpSecret == sealed)
        }
    }

    @Test("next= on the staff sign-in never sends anyone off-site or splits a header", arguments: TestDatabase.all)
    func staffNext(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let (account, secret) = try await StaffFixtures.account(app, username: "nexter")
            let id = try account.requireID()
            let address = "198.51.100.30"
            for hostile in [
                "//evil.example", "/\\evil.example", "https://evil.example/backoffice/", "/backoffice/x\r\nSet-Cookie:a=b",
                "/backoffice/x%0D%0ASet-Cookie:a=b", "/x%0D%0ASet-Cookie:a=b",
            ] {
                let query = hostile.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let page = try await send(app, .GET, "/backoffice/login?next=\(query)", from: address)
                #expect(page.status == .ok)
                #expect(!page.body.contains(#"name="next""#), "\(hostile.debugDescription) is not carried in the form")
                // Posted straight to the form (no page in between): the sign-in ends at home.
                let form = try await send(app, .GET, "/backoffice/login", from: address)
                let csrf = String(try #require(form.body.firstMatch(of: #/name="_csrf" value="([^"]+)"/#)).1)
                let step = try await send(
                    app, .POST, "/backoffice/login", from: address, cookie: form.cookie,
                    form: ["_csrf": csrf, "username": "nexter", "password": StaffFixtures.password, "next": hostile])
                let cookie = step.cookie ?? ""
                let otpPage = try await send(app, .GET, "/backoffice/login/otp", from: address, cookie: cookie)
                let otpCSRF = String(try #require(otpPage.body.firstMatch(of: #/name="_csrf" value="([^"]+)"/#)).1)
                let done = try await send(
                    app, .POST, "/backoffice/login/otp", from: address, cookie: cookie,
                    form: ["_csrf": otpCSRF, "code": try await StaffFixtures.code(app, staffID: id, secret: secret)])
                #expect(done.status == .seeOther)
                let location = try #require(done.headers.first(name: .location))
                #expect(location == "/backoffice/", "\(hostile.debugDescription) → \(location.debugDescription)")
                #expect(!done.headers.contains { $0.value.contains("\r") || $0.value.contains("\n") || $0.value.contains("a=b") })
            }
            // A path of the back office is still followed.
            let good = "/backoffice/audit?from=2026-01-01"
            let page = try await send(
                app, .GET, "/backoffice/login?next=\(good.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")", from: address)
            #expect(page.body.contains(#"name="next" value="/backoffice/audit?from=2026-01-01""#))
        }
    }

    @Test("next= on the citizen sign-in never sends anyone off-site or splits a header", arguments: TestDatabase.all)
    func citizenNext(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let client = try await CitizenFixtures.register(app)
            let address = "198.51.100.40"
            for hostile in [
                "//evil.example", "/\\evil.example", "https://evil.example/t/bangkrathum/account", "/t/bangkrathum/x\r\nSet-Cookie:a=b",
                "/t/bangkrathum/x%0D%0ASet-Cookie:a=b", "/x%0D%0ASet-Cookie:a=b", "javascript:alert(1)",
            ] {
                let query = hostile.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let page = try await send(app, .GET, "/t/bangkrathum/login?next=\(query)", from: address)
                #expect(page.status == .ok)
                #expect(!page.body.contains(#"name="next""#), "\(hostile.debugDescription) is not carried in the form")
                let csrf = String(try #require(page.body.firstMatch(of: #/name="_csrf" value="([^"]+)"/#)).1)
                let done = try await send(
                    app, .POST, "/t/bangkrathum/login", from: address, cookie: page.cookie,
                    form: ["_csrf": csrf, "nationalID": client.nationalID, "password": client.password, "next": hostile])
                #expect(done.status == .seeOther)
                let location = try #require(done.headers.first(name: .location))
                #expect(location == "/t/bangkrathum/account", "\(hostile.debugDescription) → \(location.debugDescription)")
                #expect(!done.headers.contains { $0.value.contains("\r") || $0.value.contains("\n") || $0.value.contains("a=b") })
            }
        }
    }
}
