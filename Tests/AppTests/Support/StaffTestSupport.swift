import Domain
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

/// A staff member signed in through the real pages (password, then a TOTP code): the session cookie and
/// the session's CSRF token for posting forms.
struct StaffClient: Sendable {
    var cookie: String
    var csrf: String
    var id: UUID
    var username: String
    var password: String
    var secret: [UInt8]

    var headers: HTTPHeaders { ["Cookie": cookie] }

    func form(_ fields: [String: String]) -> (HTTPHeaders, String) {
        var h: HTTPHeaders = ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"]
        h.add(name: .accept, value: "text/html")
        return (h, formBody(fields.merging(["_csrf": csrf]) { a, _ in a }))
    }
}

enum StaffFixtures {
    static let password = "Staff#Pass2569"
    nonisolated(unsafe) static var counter = 0
    static let lock = NSLock()

    /// A valid national ID (checksum computed) that no other test used in this run.
    static func nationalID() -> String {
        lock.lock(); counter += 1; let n = counter; lock.unlock()
        let base = String(format: "1%011d", 10_000_000 + n * 7919 + Int.random(in: 0..<7919))
        let digits = base.compactMap { $0.wholeNumberValue }
        let sum = digits.enumerated().reduce(0) { $0 + $1.element * (13 - $1.offset) }
        return base + String((11 - sum % 11) % 10)
    }

    /// Writes an account straight to the database (active, OTP enrolled unless `otp` is false).
    @discardableResult
    static func account(
        _ app: Application, username: String, password: String = StaffFixtures.password, platformAdmin: Bool = false,
        status: StaffAccountStatus = .active, grants: [(String, StaffRole)] = [], otp: Bool = true,
        mustChangePassword: Bool = false, email: String? = nil, birthDate: String? = "1990-05-17",
        nationalID: String? = nil
    ) async throws -> (StaffAccount, [UInt8]) {
        let now = Date()
        var a = StaffApplication()
        a.username = username
        a.nationalID = nationalID ?? Self.nationalID()
        a.titleTH = "นาย"; a.firstNameTH = "ทดสอบ"; a.lastNameTH = "ระบบงาน"
        a.titleEN = "Mr."; a.firstNameEN = "Test"; a.lastNameEN = "Staff"
        a.email = email ?? "\(username)@example.go.th"
        a.mobile = "0812345678"
        a.position = "เจ้าหน้าที่ทดสอบ"
        a.birthDate = birthDate ?? ""
        let hash = try await Passwords.hash(password, app: app)
        let number = try await StaffStore.nextNumber(prefix: "SR", now: now, on: app.db)
        let account = try StaffAccount(application: a, number: number, passwordHash: hash, now: now, nationalIDs: try app.staffNationalIDs)
        account.status = status
        account.isPlatformAdmin = platformAdmin
        account.mustChangePassword = mustChangePassword
        let secret = Domain.TOTP.generateSecret()
        if otp {
            account.totpSecret = try StaffOTP.box(app).seal(secret)
            account.totpPeriod = 30
        }
        try await account.create(on: app.db)
        for (tenant, role) in grants {
            try await StaffStore.grant(staffID: try account.requireID(), tenantID: tenant, role: role, by: nil, requestID: nil, now: now, on: app.db)
        }
        return (account, secret)
    }

    /// A code for the next unused step within the drift window, so the same account can sign in again at once.
    /// Tests that sign one account in more than twice in 30 seconds (session tests) start the step
    /// count afresh; the single-use rule itself is tested with real codes in `StaffSignInTests`.
    static func code(_ app: Application, staffID: UUID, secret: [UInt8], period: Int = 30) async throws -> String {
        let totp = Domain.TOTP(secret: secret, period: period)
        let now = totp.step(at: Date())
        var last = try await StaffAccount.find(staffID, on: app.db)?.totpLastStep ?? Int64.min
        if last >= now + 1 {
            try await StaffAccount.query(on: app.db).filter(\.$id == staffID).set(\.$totpLastStep, to: nil).update()
            last = Int64.min
        }
        // The current step, not the previous one: under load the sign-in may reach the server in the next
        // step, and a code two steps old would be refused (drift is one step).
        return totp.code(forStep: max(now, last + 1))
    }
}

/// Signs in through GET/POST /backoffice/login and POST /backoffice/login/otp.
func signIn(_ app: Application, username: String, password: String = StaffFixtures.password, secret: [UInt8]) async throws -> StaffClient {
    var cookie = ""
    try await app.testing().test(.GET, "/backoffice/login") { res in
        let form = try FormSession.from(res)
        cookie = form.cookie
        let body = formBody(["_csrf": form.csrf, "username": username, "password": password])
        try await app.testing().test(
            .POST, "/backoffice/login", headers: ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: body)
        ) { res in
            #expect(res.status == .seeOther, "password step: \(res.status)")
            #expect(res.headers.first(name: .location) == "/backoffice/login/otp")
            let rotated = try #require(res.headers.first(name: .setCookie))
            cookie = String(rotated.split(separator: ";")[0])
        }
    }
    let account = try #require(try await StaffStore.find(username: username, on: app.db))
    var csrf = ""
    try await app.testing().test(.GET, "/backoffice/login/otp", headers: ["Cookie": cookie]) { res in
        #expect(res.status == .ok)
        csrf = try FormSession.from(res).csrf
    }
    let code = try await StaffFixtures.code(app, staffID: try account.requireID(), secret: secret)
    try await app.testing().test(
        .POST, "/backoffice/login/otp", headers: ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"],
        body: ByteBuffer(string: formBody(["_csrf": csrf, "code": code]))
    ) { res in
        #expect(res.status == .seeOther, "OTP step: \(res.status) \(res.body.string.prefix(300))")
    }
    return StaffClient(cookie: cookie, csrf: csrf, id: try account.requireID(), username: username, password: password, secret: secret)
}

/// A new staff member with `role` in `tenant` (or a platform admin), signed in.
func signedInStaff(
    _ app: Application, tenant: String?, role: StaffRole?, platformAdmin: Bool = false,
    username: String? = nil
) async throws -> StaffClient {
    let name = username ?? "staff\(Int.random(in: 100_000...999_999))"
    var grants: [(String, StaffRole)] = []
    if let tenant, let role { grants.append((tenant, role)) }
    let (_, secret) = try await StaffFixtures.account(app, username: name, platformAdmin: platformAdmin, grants: grants)
    return try await signIn(app, username: name, secret: secret)
}
