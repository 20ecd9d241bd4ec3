import Foundation
import Logging
import NIOCore
import Testing
import Vapor
import VaporTesting

@testable import App

/// `req.clientAddress` behind a reverse proxy: what rate limits, lockouts, the audit log and the access log see.
@Suite("Client addresses: trusted proxies, X-Forwarded-For, Forwarded, IPv6 /64 limits")
struct ClientAddressTests {
    /// The contact form from `peer`, carrying `headers` (X-Forwarded-For, Forwarded): its status.
    static func contact(_ app: Application, _ form: FormSession, peer: String, headers extra: [(String, String)] = []) async throws -> HTTPStatus {
        var fields = form.fields.merging(ContactFlowTests.valid) { $1 }
        fields["email"] = "p\(UUID().uuidString.prefix(8))@example.com"
        fields["submission"] = RandomToken.make()
        var headers: HTTPHeaders = ["Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded"]
        for (name, value) in extra { headers.add(name: name, value: value) }
        return try await respond(app, .POST, "/t/bangkrathum/contact", peer: peer, headers: headers, body: formBody(fields)).status
    }

    static func contactForm(_ app: Application) async throws -> FormSession {
        var form = FormSession(cookie: "", csrf: "", fields: [:])
        try await app.testing().test(.GET, "/t/bangkrathum/contact") { form = try FormSession.from($0) }
        return form
    }

    /// A wrong password for an unknown username from `peer` with `headers`: the address its audit entry shows.
    static func auditedAddress(_ app: Application, peer: String, headers extra: [(String, String)] = []) async throws -> String? {
        var headers = HTTPHeaders()
        for (name, value) in extra { headers.add(name: name, value: value) }
        let page = try await respond(app, .GET, "/backoffice/login", peer: peer, headers: headers)
        let cookie = try #require(page.headers.first(name: .setCookie).map { String($0.split(separator: ";")[0]) })
        let csrf = try #require(page.text.firstMatch(of: #/name="_csrf" value="([^"]+)"/#)).1
        let user = "nobody-\(UUID().uuidString.prefix(8).lowercased())"
        headers.add(name: .cookie, value: cookie)
        headers.add(name: .contentType, value: "application/x-www-form-urlencoded")
        let answer = try await respond(
            app, .POST, "/backoffice/login", peer: peer, headers: headers, body: formBody(["_csrf": String(csrf), "username": user, "password": "wrong"]))
        #expect(answer.status == .unauthorized)
        let entries = try await AuditLog.list(.init(action: .signInFailed), on: app.db)
        return entries.first { $0.detail.contains("ไม่ถูกต้อง") && $0.at > Date().addingTimeInterval(-60) }.map(\.ip)
    }

    @Test("with no trusted proxy, forwarding headers change nothing: the limit still hits the peer and the audit shows it", arguments: TestDatabase.all)
    func spoofedHeadersIgnored(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let form = try await Self.contactForm(app)
            for i in 1...ContactController.perAddress.limit {
                let status = try await Self.contact(
                    app, form, peer: "203.0.113.7", headers: [("X-Forwarded-For", "198.51.100.\(i)"), ("Forwarded", "for=192.0.2.\(i)")])
                #expect(status == .seeOther, "message \(i)")
            }
            let refused = try await Self.contact(app, form, peer: "203.0.113.7", headers: [("X-Forwarded-For", "198.51.100.99")])
            #expect(refused == .tooManyRequests, "a new forwarded address does not buy a new limit")
            let ip = try await Self.auditedAddress(app, peer: "203.0.113.7", headers: [("X-Forwarded-For", "198.51.100.50")])
            #expect(ip == "203.0.113.7")
        }
    }

    @Test("through a trusted proxy, two clients get their own limits and the audit shows the forwarded address", arguments: TestDatabase.all)
    func trustedProxy(database: TestDatabase) async throws {
        try await withApp(database, settings: ["TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8"]) { app, _ in
            let form = try await Self.contactForm(app)
            for i in 1...ContactController.perAddress.limit {
                // The client's own left-most entry is not believed; the address nginx appended is.
                let status = try await Self.contact(app, form, peer: "127.0.0.1", headers: [("X-Forwarded-For", "6.6.6.\(i), 198.51.100.1")])
                #expect(status == .seeOther, "message \(i)")
            }
            #expect(try await Self.contact(app, form, peer: "127.0.0.1", headers: [("X-Forwarded-For", "198.51.100.1")]) == .tooManyRequests)
            #expect(
                try await Self.contact(app, form, peer: "127.0.0.1", headers: [("X-Forwarded-For", "198.51.100.2, 10.1.2.3")]) == .seeOther,
                "another client behind two proxies has its own limit")
            #expect(
                try await Self.contact(app, form, peer: "127.0.0.1", headers: [("Forwarded", #"for="198.51.100.3:4711";proto=https"#)]) == .seeOther)
            #expect(try await Self.contact(app, form, peer: "127.0.0.1") == .seeOther, "the proxy itself (no header) is one more client")
            // Only 127.0.0.1 and 10/8 are trusted: another peer's headers are still ignored.
            for _ in 1...ContactController.perAddress.limit {
                #expect(try await Self.contact(app, form, peer: "192.0.2.10", headers: [("X-Forwarded-For", "198.51.100.77")]) == .seeOther)
            }
            #expect(try await Self.contact(app, form, peer: "192.0.2.10", headers: [("X-Forwarded-For", "198.51.100.78")]) == .tooManyRequests)

            #expect(try await Self.auditedAddress(app, peer: "127.0.0.1", headers: [("X-Forwarded-For", "198.51.100.44")]) == "198.51.100.44")
            #expect(try await Self.auditedAddress(app, peer: "127.0.0.1", headers: [("X-Forwarded-For", "[2001:db8:1:2::abc]:5000")]) == "2001:db8:1:2::abc")
        }
    }

    @Test("IPv6 clients in one /64 share a limit, another /64 does not; the audit keeps the full address", arguments: TestDatabase.all)
    func ipv6Networks(database: TestDatabase) async throws {
        try await withApp(database, settings: ["TRUSTED_PROXIES": "::1"]) { app, _ in
            let form = try await Self.contactForm(app)
            for i in 1...ContactController.perAddress.limit {
                #expect(try await Self.contact(app, form, peer: "2001:db8:1:2::\(i)") == .seeOther, "message \(i)")
            }
            #expect(try await Self.contact(app, form, peer: "2001:db8:1:2:ffff:eeee:dddd:cccc") == .tooManyRequests, "same /64")
            #expect(
                try await Self.contact(app, form, peer: "::1", headers: [("X-Forwarded-For", "2001:db8:1:2::99")]) == .tooManyRequests,
                "the same /64 forwarded by a trusted proxy")
            #expect(try await Self.contact(app, form, peer: "2001:db8:1:3::1") == .seeOther, "the next /64")
            #expect(try await Self.auditedAddress(app, peer: "2001:db8:1:2::7") == "2001:db8:1:2::7")
        }
    }

    @Test("hostile forwarding headers from a trusted proxy never give a 5xx, and name the proxy as the client")
    func hostileHeaders() async throws {
        try await withApp(.sqlite, settings: ["TRUSTED_PROXIES": "127.0.0.1"]) { app, _ in
            let lines = LogLines()
            app.logger = Logger(label: "capture") { _ in CapturingHandler(lines: lines) }
            let values = [
                String(repeating: ",", count: 1_000), "garbage", "99999999999999999999999999999.1.1.1", "1.2.3.4:999999999999999999999", "[::1",
                "[::1]:", "1.2.3.4\u{0}", "\u{0}", "::ffff:999.1.1.1", String(repeating: "1.2.3.4,", count: 2_000) + "x", "unknown", "_hidden",
                #"for="[::1"#, "for=", ";;;,,,", String(repeating: "[", count: 500), "１.２.３.４", "1.2.3.4/8", "-1", "\u{202e}1.2.3.4",
            ]
            for value in values {
                for name in ["X-Forwarded-For", "Forwarded"] {
                    let res = try await respond(app, .GET, "/t/bangkrathum/contact", peer: "127.0.0.1", headers: [name: value])
                    #expect(res.status == .ok, "\(name): \(value.prefix(40))")
                }
            }
            let clients = lines.take().filter { $0.message.hasPrefix("GET /t/:tenant/contact") }.compactMap { $0.metadata["client"]?.description }
            #expect(clients.count == values.count * 2)
            #expect(Set(clients) == ["127.0.0.1"], "an unreadable hop stops at the proxy")
        }
    }

    @Test("the access log names the forwarded client, not the proxy")
    func accessLog() async throws {
        try await withApp(.sqlite, settings: ["TRUSTED_PROXIES": "127.0.0.1"]) { app, _ in
            let lines = LogLines()
            app.logger = Logger(label: "capture") { _ in CapturingHandler(lines: lines) }
            _ = try await respond(app, .GET, "/t/bangkrathum/contact", peer: "127.0.0.1", headers: ["X-Forwarded-For": "198.51.100.23"])
            _ = try await respond(app, .GET, "/t/bangkrathum/contact", peer: "203.0.113.4", headers: ["X-Forwarded-For": "198.51.100.24"])
            let access = lines.take().filter { $0.message.hasPrefix("GET /t/:tenant/contact 200") }
            #expect(access.map { $0.metadata["client"]?.description } == ["198.51.100.23", "203.0.113.4"])
        }
    }

    @Test("the development mailbox stays closed to anyone a trusted proxy forwards, even a forwarded 127.0.0.1")
    func mailboxBehindProxy() async throws {
        try await withApp(.sqlite, settings: ["TRUSTED_PROXIES": "127.0.0.1,::1"]) { app, _ in
            #expect(try await respond(app, .GET, "/dev/mailbox", peer: "127.0.0.1").status == .ok, "the machine itself")
            for (name, value) in [("X-Forwarded-For", "127.0.0.1"), ("X-Forwarded-For", "::1"), ("Forwarded", "for=127.0.0.1"), ("X-Real-IP", "127.0.0.1")] {
                for peer in ["127.0.0.1", "::1"] {
                    let res = try await respond(app, .GET, "/dev/mailbox", peer: peer, headers: [name: value])
                    #expect(res.status == .notFound, "\(peer) \(name): \(value)")
                }
            }
        }
    }

    @Test("TRUSTED_PROXIES and MIGRATE_ON_START are checked at start and named when bad")
    func settings() throws {
        let base = ["TENANTS_DIR": Repo.path("Tenants"), "APP_SECRET": String(repeating: "k", count: 40)]
        let good = try Settings.load(
            from: base.merging(["TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8, ::1, fd00::/8", "MIGRATE_ON_START": "off"]) { $1 },
            workingDirectory: Repo.root.path)
        #expect(good.trustedProxies.networks.count == 4 && !good.migrateOnStart)
        let defaults = try Settings.load(from: base, workingDirectory: Repo.root.path)
        #expect(defaults.trustedProxies.isEmpty && defaults.migrateOnStart)
        let error = try #require(throws: Settings.Problems.self) {
            try Settings.load(
                from: base.merging(["TRUSTED_PROXIES": "127.0.0.1,nginx,10.0.0.1/8,::/129", "MIGRATE_ON_START": "later"]) { $1 },
                workingDirectory: Repo.root.path)
        }
        for part in ["TRUSTED_PROXIES", "'nginx'", "did you mean 10.0.0.0/8", "'::/129'", "MIGRATE_ON_START"] {
            #expect(error.description.contains(part), "\(part) not named")
        }
    }
}

/// Log lines kept for a test to read.
final class LogLines: @unchecked Sendable {
    struct Line: Sendable {
        var message: String
        var metadata: Logger.Metadata
    }
    private let lock = NSLock()
    private var lines: [Line] = []
    func add(_ line: Line) { lock.withLock { lines.append(line) } }
    func take() -> [Line] { lock.withLock { lines } }
}

struct CapturingHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.add(.init(message: event.message.description, metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }
}
