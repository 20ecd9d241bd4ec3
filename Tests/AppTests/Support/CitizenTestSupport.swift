import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// A citizen signed in to one tenant's site through the real pages.
struct CitizenClient: Sendable {
    var tenant: String
    var cookie: String
    var csrf: String
    var nationalID: String
    var password: String
    var email: String

    var base: String { "/t/\(tenant)" }
    var headers: HTTPHeaders { ["Cookie": cookie] }

    func form(_ fields: [String: String]) -> (HTTPHeaders, ByteBuffer) {
        (
            ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"],
            ByteBuffer(string: formBody(fields.merging(["_csrf": csrf]) { a, _ in a }))
        )
    }
}

enum CitizenFixtures {
    static let password = "Citizen#Pass2569"

    /// The registration form's fields for a valid person in Bang Krathum, Phitsanulok.
    static func details(nationalID: String, email: String, password: String = CitizenFixtures.password) -> [String: String] {
        [
            "title": "นางสาว", "firstName": "สมศรี", "lastName": "ใจดี", "nationalID": nationalID,
            "birthDay": "17", "birthMonth": "5", "birthYear": "2533", "mobile": "081-234-5678", "email": email,
            "address_house": "99/1", "address_moo": "3", "address_village": "", "address_soi": "", "address_road": "สายบางกระทุ่ม",
            "address_province": "65", "address_district": "6505", "address_subdistrict": "650501", "address_postcode": "",
            "password": password, "passwordConfirm": password,
        ]
    }

    /// Terms → details → signed in on the identity step, then (`confirmEmail`, as most tests want a citizen who gets
    /// e-mails) the confirmation link the registration sent, followed as the citizen would. Returns the client with
    /// the rotated cookie.
    static func register(
        _ app: Application, tenant: String = "bangkrathum", nationalID: String? = nil,
        email: String? = nil, confirmEmail: Bool = true
    ) async throws -> CitizenClient {
        let id = nationalID ?? StaffFixtures.nationalID()
        let mail = email ?? "citizen\(Int.random(in: 100_000...999_999))@example.com"
        let base = "/t/\(tenant)"
        var session = FormSession(cookie: "", csrf: "", fields: [:])
        try await app.testing().test(.GET, "\(base)/register") { res in
            #expect(res.status == .ok)
            session = try FormSession.from(res)
        }
        try await app.testing().test(
            .POST, "\(base)/register", headers: ["Cookie": session.cookie, "Content-Type": "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: formBody(["_csrf": session.csrf, "accept": "1"]))
        ) { res in
            #expect(res.status == .seeOther)
            #expect(res.headers.first(name: .location) == "\(base)/register/details")
        }
        var cookie = session.cookie
        try await app.testing().test(
            .POST, "\(base)/register/details", headers: ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: formBody(details(nationalID: id, email: mail).merging(["_csrf": session.csrf]) { $1 }))
        ) { res in
            #expect(res.status == .seeOther, "details: \(res.status) \(res.body.string.prefix(2000))")
            #expect(res.headers.first(name: .location) == "\(base)/account/identity")
            let rotated = try #require(res.headers.first(name: .setCookie), "the session id changes at sign-in")
            cookie = String(rotated.split(separator: ";")[0])
        }
        var csrf = ""
        try await app.testing().test(.GET, "\(base)/account/identity", headers: ["Cookie": cookie]) { res in
            #expect(res.status == .ok)
            csrf = try #require(FormSession.hidden(res.body.string)["_csrf"])
        }
        let client = CitizenClient(tenant: tenant, cookie: cookie, csrf: csrf, nationalID: id, password: password, email: mail)
        if confirmEmail { try await confirm(app, client, forget: true) }
        return client
    }

    /// The token of the newest confirmation link sent to `address`.
    static func confirmationToken(_ app: Application, to address: String) async throws -> String? {
        let jobs = try await OutboxStore.allJobs(on: app.db).filter { $0.idempotencyKey.hasPrefix(OutboxStore.secretKeyPrefix + "citizen-email-confirm:") }
        for job in jobs {  // newest first
            let payload = try await PetitionInfoRequestTests.payload(app, key: job.idempotencyKey)
            guard payload.contains(address.lowercased()) else { continue }
            if let m = payload.firstMatch(of: /confirm-email\\?\/([A-Za-z0-9_-]{20,})/) { return String(m.output.1) }
        }
        return nil
    }

    /// Follows the newest confirmation link sent to the client's address: the page, then its button. With `forget`
    /// (a fixture's registration), the confirmation mail's job and the used link are then deleted, so a test that
    /// counts mails or tokens starts from those its own steps make.
    static func confirm(_ app: Application, _ client: CitizenClient, forget: Bool = false) async throws {
        let token = try #require(try await confirmationToken(app, to: client.email), "a confirmation link was sent to \(client.email)")
        let (h, b) = client.form([:])
        try await app.testing().test(.POST, "\(client.base)/confirm-email/\(token)", headers: h, body: b) { res in
            #expect(res.status == .seeOther, "confirm: \(res.status)")
        }
        guard forget else { return }
        let sql = try #require(app.db as? any SQLDatabase)
        for job in try await OutboxStore.allJobs(on: app.db)
        where job.idempotencyKey.hasPrefix(OutboxStore.secretKeyPrefix + "citizen-email-confirm:") {
            let payload = try await PetitionInfoRequestTests.payload(app, key: job.idempotencyKey)
            if payload.contains(client.email.lowercased()) { try await sql.raw("DELETE FROM outbox_jobs WHERE id = \(bind: job.id)").run() }
        }
        let account = try #require(
            try await CitizenAccount.query(on: app.db).filter(\.$tenantID == client.tenant).filter(\.$email == client.email.lowercased()).first())
        try await sql.raw(
            """
            DELETE FROM single_use_tokens WHERE kind = \(bind: SingleUseToken.Kind.citizenEmail.rawValue)
            AND citizen_id = \(bind: try account.requireID()) AND tenant_id = \(bind: client.tenant)
            """
        ).run()
    }

    /// Signs in with the national ID and password on the real page.
    static func signIn(
        _ app: Application, tenant: String = "bangkrathum", nationalID: String, password: String = CitizenFixtures.password,
        email: String = ""
    ) async throws -> CitizenClient? {
        let base = "/t/\(tenant)"
        var session = FormSession(cookie: "", csrf: "", fields: [:])
        try await app.testing().test(.GET, "\(base)/login") { res in session = try FormSession.from(res) }
        var cookie: String?
        try await app.testing().test(
            .POST, "\(base)/login", headers: ["Cookie": session.cookie, "Content-Type": "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: formBody(["_csrf": session.csrf, "nationalID": nationalID, "password": password]))
        ) { res in
            if res.status == .seeOther { cookie = res.headers.first(name: .setCookie).map { String($0.split(separator: ";")[0]) } }
        }
        guard let cookie else { return nil }
        var csrf = ""
        try await app.testing().test(.GET, "\(base)/account/profile", headers: ["Cookie": cookie]) { res in
            csrf = FormSession.hidden(res.body.string)["_csrf"] ?? ""
        }
        return CitizenClient(tenant: tenant, cookie: cookie, csrf: csrf, nationalID: nationalID, password: password, email: email)
    }

    /// The identity form as multipart, the CSRF token first (as the page's form sends it).
    static func identityUpload(
        _ client: CitizenClient, files: [(field: String, filename: String, data: Data)],
        csrf: String? = nil
    ) -> (HTTPHeaders, ByteBuffer) {
        var m = Multipart()
        if let token = csrf ?? Optional(client.csrf), !token.isEmpty { m.field("_csrf", token) }
        for f in files { m.file(f.field, filename: f.filename, type: "image/jpeg", data: f.data) }
        var (headers, body) = m.finished()
        headers.add(name: "Cookie", value: client.cookie)
        return (headers, body)
    }
}

extension FormSession {
    /// Hidden inputs of a page.
    static func hidden(_ html: String) -> [String: String] {
        var fields: [String: String] = [:]
        guard let regex = try? NSRegularExpression(pattern: #"<input type="hidden" name="([^"]+)" value="([^"]*)">"#) else { return [:] }
        for match in regex.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            fields[String(html[Range(match.range(at: 1), in: html)!])] = String(html[Range(match.range(at: 2), in: html)!])
        }
        return fields
    }
}

/// Real image files for upload tests: `Tests/AppTests/Fixtures/id-photo.jpg` is a 1000 × 750 phone-like JPEG
/// with EXIF and GPS tags.
enum TestImages {
    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: Repo.root.appendingPathComponent("Tests/AppTests/Fixtures/\(name)"))
    }

    /// Files under the data directory's store of identity images.
    static func storedFiles(_ env: TestEnvironment) -> [URL] {
        let dir = env.dataDirectory.appendingPathComponent("files/identity")
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { !$0.hasDirectoryPath && $0.pathExtension == "jpg" }
    }
}
