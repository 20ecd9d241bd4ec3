import Domain
import Fluent
import FluentKit
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Codes from independent RFC 6238 implementations: `oathtool` (Debian's oathtool, any period) and pyotp
/// (PyPI, which refuses periods above 120 seconds, so it checks the 30-second codes).
func referenceTOTP(_ secret: [UInt8], period: Int, at time: Int) throws -> String {
    let oath = try runTool("/usr/bin/oathtool", "--totp", "-b", "-s", "\(period)s", "-N", "@\(time)", Base32.encode(secret))
    if period <= 120 {
        let py = try runPython(
            "-c", "import pyotp,sys; print(pyotp.TOTP(sys.argv[1], interval=int(sys.argv[2])).at(int(sys.argv[3])))",
            Base32.encode(secret), String(period), String(time)
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(py == oath, "pyotp and oathtool agree")
    }
    return oath
}

func runTool(_ path: String, _ args: String...) throws -> String {
    guard FileManager.default.isExecutableFile(atPath: path) else { throw TestFailure("\(path) is missing: run scripts/install-deps.sh test") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = args
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TestFailure("\(path) exited \(process.terminationStatus)") }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Posts a code on the OTP page for a session that has passed the password step.
func passwordStep(_ app: Application, username: String, password: String = StaffFixtures.password) async throws -> (
    cookie: String, csrf: String, location: String?
) {
    var cookie = "", location: String?
    try await app.testing().test(.GET, "/backoffice/login") { res in
        let form = try FormSession.from(res)
        try await app.testing().test(
            .POST, "/backoffice/login", headers: ["Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: formBody(["_csrf": form.csrf, "username": username, "password": password]))
        ) { res in
            location = res.headers.first(name: .location)
            cookie = res.headers.first(name: .setCookie).map { String($0.split(separator: ";")[0]) } ?? form.cookie
        }
    }
    var csrf = ""
    if let location, location.hasPrefix("/backoffice/login/") {
        try await app.testing().test(.GET, location, headers: ["Cookie": cookie]) { res in csrf = try FormSession.from(res).csrf }
    }
    return (cookie, csrf, location)
}

func postCode(_ app: Application, _ path: String = "/backoffice/login/otp", cookie: String, csrf: String, code: String) async throws -> TestingHTTPResponse {
    var out: TestingHTTPResponse?
    try await app.testing().test(
        .POST, path, headers: ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"],
        body: ByteBuffer(string: formBody(["_csrf": csrf, "code": code]))
    ) { out = $0 }
    return try #require(out)
}

@Suite("Back office: sign-in with one-time codes")
struct StaffSignInTests {
    @Test("TOTP codes agree with pyotp for the 30- and 180-second periods", arguments: [30, 180])
    func agreesWithPyotp(period: Int) throws {
        let secret = Domain.TOTP.generateSecret()
        let totp = Domain.TOTP(secret: secret, period: period)
        for time in [59, 1_111_111_109, 1_700_000_000, 1_800_000_123, Int(Date().timeIntervalSince1970)] {
            #expect(totp.code(at: Date(timeIntervalSince1970: TimeInterval(time))) == (try referenceTOTP(secret, period: period, at: time)), "t=\(time)")
        }
    }

    @Test(
        "enrolment with the 180-second period: the page shows the secret and otpauth URI; a pyotp code enrols; recovery codes are shown once",
        arguments: TestDatabase.all)
    func enrol180(database: TestDatabase) async throws {
        try await withApp(database, settings: ["STAFF_OTP_PERIOD": "180"]) { app, _ in
            try await StaffFixtures.account(app, username: "newbie", otp: false)
            let step = try await passwordStep(app, username: "newbie")
            #expect(step.location == "/backoffice/login/enrol")
            var secret = ""
            try await app.testing().test(.GET, "/backoffice/login/enrol", headers: ["Cookie": step.cookie]) { res in
                let html = res.body.string
                #expect(html.contains("period=180"))
                #expect(html.contains("otpauth://totp/"))
                #expect(html.contains("<svg"))
                let match = try #require(html.range(of: #"id="secret">([A-Z2-7 ]+)<"#, options: .regularExpression))
                secret = String(html[match]).replacingOccurrences(of: "id=\"secret\">", with: "").replacingOccurrences(of: "<", with: "")
                    .replacingOccurrences(of: " ", with: "")
            }
            let bytes = try #require(Base32.decode(secret))
            let wrong = try await postCode(app, "/backoffice/login/enrol", cookie: step.cookie, csrf: step.csrf, code: "000000")
            #expect(wrong.status == .unprocessableEntity)
            let code = try referenceTOTP(bytes, period: 180, at: Int(Date().timeIntervalSince1970))
            let ok = try await postCode(app, "/backoffice/login/enrol", cookie: step.cookie, csrf: step.csrf, code: code)
            #expect(ok.status == .ok)
            #expect(ok.body.string.contains("รหัสกู้คืน"))
            let account = try #require(try await StaffStore.find(username: "newbie", on: app.db))
            #expect(account.totpPeriod == 180)
            #expect(account.totpSecret != nil && !account.totpSecret!.contains(secret), "the secret is stored sealed")
            #expect(try await RecoveryCodes.remaining(staffID: account.requireID(), on: app.db) == 10)
            try await app.testing().test(.GET, "/backoffice/", headers: ["Cookie": step.cookie]) { #expect($0.status == .ok) }
        }
    }

    @Test(
        "a code works once; a code outside the drift window fails; five wrong codes lock the account at this address and are audited",
        arguments: TestDatabase.all)
    func codeRules(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let (account, secret) = try await StaffFixtures.account(app, username: "otpuser")
            let now = Int(Date().timeIntervalSince1970)
            // Outside the window: 3 steps ago.
            var s = try await passwordStep(app, username: "otpuser")
            var r = try await postCode(app, cookie: s.cookie, csrf: s.csrf, code: try referenceTOTP(secret, period: 30, at: now - 90))
            #expect(r.status == .unauthorized)
            // The current code works… (taken now: a loaded machine can take a minute over the password step)
            let code = try referenceTOTP(secret, period: 30, at: Int(Date().timeIntervalSince1970))
            r = try await postCode(app, cookie: s.cookie, csrf: s.csrf, code: code)
            #expect(r.status == .seeOther)
            // …once.
            s = try await passwordStep(app, username: "otpuser")
            r = try await postCode(app, cookie: s.cookie, csrf: s.csrf, code: code)
            #expect(r.status == .unauthorized)
            #expect(r.body.string.contains("ถูกใช้ไปแล้ว"))
            // Guessing stops after five wrong codes; then even a right code is refused.
            for _ in 0..<3 { _ = try await postCode(app, cookie: s.cookie, csrf: s.csrf, code: "123456") }
            r = try await postCode(app, cookie: s.cookie, csrf: s.csrf, code: "654321")
            #expect(r.status == .tooManyRequests)
            // The lock is on this account from this address (see StaffLockoutTests for the owner's other addresses).
            let lock = try #require(
                try await (app.db as! any SQLDatabase).raw(
                    "SELECT locked_until FROM staff_sign_in_addresses WHERE staff_id = \(bind: try account.requireID())"
                ).first())
            #expect(try lock.decode(column: "locked_until", as: Date.self) > Date())
            s = try await passwordStep(app, username: "otpuser")
            #expect(s.location == nil, "the password step is refused while locked")
            let actions = try await AuditLog.list(.init(), on: app.db).map(\.actionRaw)
            #expect(actions.contains(AuditAction.otpThrottled.rawValue))
            #expect(actions.filter { $0 == AuditAction.otpFailed.rawValue }.count >= 4)
        }
    }

    @Test("a recovery code signs in once", arguments: TestDatabase.all)
    func recoveryCode(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let (account, _) = try await StaffFixtures.account(app, username: "lostphone")
            let codes = try await RecoveryCodes.issue(staffID: account.requireID(), key: app.settings.appSecret, now: Date(), on: app.db)
            var s = try await passwordStep(app, username: "lostphone")
            #expect(try await postCode(app, cookie: s.cookie, csrf: s.csrf, code: codes[3].uppercased()).status == .seeOther)
            s = try await passwordStep(app, username: "lostphone")
            #expect(try await postCode(app, cookie: s.cookie, csrf: s.csrf, code: codes[3]).status == .unauthorized)
            #expect(try await RecoveryCodes.remaining(staffID: account.requireID(), on: app.db) == 9)
        }
    }

    @Test("sign-in gives a new session id; wrong passwords answer the same for unknown users; sign-in is rate limited", arguments: TestDatabase.all)
    func passwordStepRules(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            try await StaffFixtures.account(app, username: "rotator")
            var before = ""
            try await app.testing().test(.GET, "/backoffice/login") { before = try FormSession.from($0).cookie }
            let s = try await passwordStep(app, username: "rotator")
            #expect(s.cookie != before && !s.cookie.isEmpty, "the session id changes at sign-in")
            var bodies: [String] = []
            for name in ["rotator", "nobody.here"] {
                try await app.testing().test(.GET, "/backoffice/login") { res in
                    let form = try FormSession.from(res)
                    try await app.testing().test(
                        .POST, "/backoffice/login", headers: ["Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                        body: ByteBuffer(string: formBody(["_csrf": form.csrf, "username": name, "password": "Wrong#Pass99"]))
                    ) { res in
                        #expect(res.status == .unauthorized)
                        bodies.append(res.body.string.contains("ชื่อผู้ใช้งานหรือรหัสผ่านไม่ถูกต้อง") ? "same" : res.body.string)
                    }
                }
            }
            #expect(bodies == ["same", "same"])
            // Too many tries on one account: 429 before the password is even checked.
            var last = HTTPStatus.ok
            for _ in 0..<12 {
                try await app.testing().test(.GET, "/backoffice/login") { res in
                    let form = try FormSession.from(res)
                    try await app.testing().test(
                        .POST, "/backoffice/login", headers: ["Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                        body: ByteBuffer(string: formBody(["_csrf": form.csrf, "username": "target", "password": "Wrong#Pass99"]))
                    ) { last = $0.status }
                }
            }
            #expect(last == .tooManyRequests)
            let logged = try await AuditLog.list(.init(), on: app.db)
            #expect(!logged.contains { $0.detail.contains("Wrong#Pass99") || $0.actorName.contains("Wrong") }, "no password reaches the audit log")
        }
    }
}
