import Domain
import Fluent
import FluentPostgresDriver
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// `/metrics`: who may read it, and that its series follow what the application does. (The Python test
/// `Tests/e2e/test_metrics.py` reads the same text with the Prometheus project's own parser.)
@Suite("Metrics: /metrics access, request counters, outbox gauges and counters")
struct MetricsTests {
    /// The value of one sample in Prometheus text, or nil when there is no such line.
    static func sample(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let series = line[..<space]
            let seriesName = series.firstIndex(of: "{").map { series[..<$0] } ?? series
            guard seriesName == name else { continue }
            var found: [String: String] = [:]
            for match in series.matches(of: #/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/#) {
                found[String(match.1)] = String(match.2)
            }
            if found == labels { return Double(line[line.index(after: space)...]) }
        }
        return nil
    }

    static func scrape(_ app: Application, peer: String = "127.0.0.1", headers: HTTPHeaders = [:]) async throws -> Response {
        try await respond(app, .GET, "/metrics", peer: peer, headers: headers)
    }

    @Test("served to loopback by default, 404 to anyone else and to anything forwarded, even by a trusted proxy; no cookie")
    func access() async throws {
        try await withApp(.sqlite, settings: ["TRUSTED_PROXIES": "127.0.0.1,::1"]) { app, _ in
            for peer in ["127.0.0.1", "127.8.9.10", "::1"] {
                let res = try await Self.scrape(app, peer: peer)
                #expect(res.status == .ok, "\(peer)")
                #expect(res.headers.first(name: .contentType)?.hasPrefix("text/plain; version=0.0.4") == true)
                #expect(res.headers[.setCookie].isEmpty, "no session, no cookie")
                #expect(res.text.contains("# TYPE eservice_start_time_seconds gauge"))
            }
            for peer in ["203.0.113.5", "10.0.0.1", "2001:db8::1"] {
                #expect(try await Self.scrape(app, peer: peer).status == .notFound, "\(peer)")
            }
            // nginx on 127.0.0.1 forwarding an outside client: the client is judged, not nginx.
            for forwarded in ["198.51.100.7", "127.0.0.1, 198.51.100.7", "[2001:db8::5]:443"] {
                let res = try await Self.scrape(app, headers: ["X-Forwarded-For": forwarded])
                #expect(res.status == .notFound, "forwarded \(forwarded)")
                #expect(!res.text.contains("eservice_"), "the refusal is the ordinary 404 page")
            }
            #expect(try await Self.scrape(app, headers: ["Forwarded": "for=198.51.100.8"]).status == .notFound)
            // A trusted proxy's forwarding header naming loopback is still not a scrape: Prometheus comes direct.
            #expect(try await Self.scrape(app, headers: ["X-Forwarded-For": "127.0.0.1"]).status == .notFound)
            #expect(try await Self.scrape(app, headers: ["X-Real-IP": "127.0.0.1"]).status == .notFound)
            // A forwarding header from a peer that is not a trusted proxy is ignored: still refused.
            #expect(try await Self.scrape(app, peer: "203.0.113.5", headers: ["X-Forwarded-For": "127.0.0.1"]).status == .notFound)
            // The in-memory test client has no address at all.
            try await app.testing().test(.GET, "/metrics") { res in #expect(res.status == .notFound) }
            // On a tenant's host name too.
            #expect(try await Self.scrape(app, headers: ["Host": "bangkrathum.localhost"]).status == .ok)
        }
    }

    @Test("METRICS_ALLOW names the monitoring network (the TCP peer); a forwarded request is refused whatever it names")
    func allowList() async throws {
        try await withApp(.sqlite, settings: ["METRICS_ALLOW": "10.20.0.0/16, 2001:db8:9::/48", "TRUSTED_PROXIES": "127.0.0.1"]) { app, _ in
            let cases: [(peer: String, forwarded: String?, expected: HTTPStatus, why: String)] = [
                ("10.20.3.4", nil, .ok, "in the listed IPv4 range"),
                ("2001:db8:9:1::2", nil, .ok, "in the listed IPv6 range"),
                ("10.21.0.1", nil, .notFound, "outside the range"),
                ("127.0.0.1", nil, .notFound, "loopback is no longer listed"),
                ("127.0.0.1", "10.20.0.9", .notFound, "forwarded, even naming the listed network"),
                ("10.20.3.4", "10.20.0.9", .notFound, "a listed peer forwarding"),
                ("127.0.0.1", "10.99.0.9", .notFound, "forwarded from elsewhere"),
            ]
            for c in cases {
                let headers: HTTPHeaders = c.forwarded.map { ["X-Forwarded-For": $0] } ?? [:]
                let status = try await Self.scrape(app, peer: c.peer, headers: headers).status
                #expect(status == c.expected, "\(c.why)")
            }
        }
    }

    @Test("eservice worker's listener answers /metrics (with its worker's counters) to METRICS_ALLOW and nothing else")
    func workerListener() async throws {
        try await withApp(.sqlite) { app, _ in
            let mail = OutgoingMail(from: "a@example.com", to: ["b@example.com"], subject: "s", text: "t", html: "<p>t</p>", messageID: "w@example.com")
            try await OutboxStore.enqueue(tenant: nil, kind: EmailOutbox.kind, payload: mail, idempotencyKey: "worker-mail", on: app.db)
            #expect(try await app.makeOutboxWorker().runOnce() == 1)
            let responder = MetricsOnlyResponder(app: app)
            func ask(_ path: String, peer: String) async throws -> Response {
                let request = Request(
                    application: app, method: .GET, url: URI(string: path), remoteAddress: try SocketAddress(ipAddress: peer, port: 40_000),
                    logger: app.logger, on: app.eventLoopGroup.next())
                return try await responder.respond(to: request).get()
            }
            let ok = try await ask("/metrics", peer: "127.0.0.1")
            #expect(ok.status == .ok)
            #expect(Self.sample(ok.body.string ?? "", "eservice_deliveries_total", ["channel": "email", "result": "sent"]) == 1)
            #expect(try await ask("/metrics", peer: "203.0.113.5").status == .notFound)
            #expect(try await ask("/t/bangkrathum/contact", peer: "127.0.0.1").status == .notFound, "no pages from a worker")
        }
    }

    @Test("a connection-pool timeout is counted; other errors are not")
    func poolTimeouts() {
        let metrics = AppMetrics()
        metrics.noteFailure(Abort(.internalServerError))
        #expect(Self.sample(metrics.exposition(), "eservice_db_pool_timeouts_total") == nil)
        metrics.noteFailure(ConnectionPoolTimeoutError.connectionRequestTimeout)
        metrics.noteFailure(ConnectionPoolTimeoutError.connectionRequestTimeout)
        #expect(Self.sample(metrics.exposition(), "eservice_db_pool_timeouts_total") == 2)
    }

    @Test("METRICS_ALLOW and LOG_FORMAT are checked at start and named when bad")
    func settings() throws {
        let base = ["TENANTS_DIR": Repo.path("Tenants"), "APP_SECRET": String(repeating: "k", count: 40)]
        let defaults = try Settings.load(from: base, workingDirectory: Repo.root.path)
        #expect(defaults.metricsAllow.map(\.description) == ["127.0.0.0/8", "::1/128"])
        #expect(defaults.logFormat == .text)
        let json = try Settings.load(from: base.merging(["LOG_FORMAT": "json", "METRICS_ALLOW": "192.0.2.0/24"]) { $1 }, workingDirectory: Repo.root.path)
        #expect(json.logFormat == .json && json.metricsAllow.map(\.description) == ["192.0.2.0/24"])
        let error = try #require(throws: Settings.Problems.self) {
            try Settings.load(from: base.merging(["LOG_FORMAT": "yaml", "METRICS_ALLOW": "prometheus,10.0.0.1/8"]) { $1 }, workingDirectory: Repo.root.path)
        }
        for part in ["LOG_FORMAT must be text or json (got 'yaml')", "METRICS_ALLOW", "'prometheus'", "did you mean 10.0.0.0/8"] {
            #expect(error.description.contains(part), "\(part) not named")
        }
        #expect(throws: Settings.Problems.self) { try Settings.load(from: base.merging(["METRICS_ALLOW": " , "]) { $1 }, workingDirectory: Repo.root.path) }
    }

    @Test("requests are counted by route pattern, method and status class, thrown errors with their real status", arguments: TestDatabase.all)
    func requestCounters(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            for _ in 0..<2 { #expect(try await respond(app, .GET, "/t/bangkrathum/contact", peer: "192.0.2.1").status == .ok) }
            // TenantResolver throws 404 for an unknown tenant; ErrorPageMiddleware renders it; it is counted as 4xx.
            #expect(try await respond(app, .GET, "/t/no-such-town/contact", peer: "192.0.2.1").status == .notFound)
            #expect(try await respond(app, .GET, "/no/such/page/secret-token-123", peer: "192.0.2.1").status == .notFound)
            #expect(try await respond(app, .GET, "/css/site.css", peer: "192.0.2.1").status == .ok)
            #expect(try await respond(app, .POST, "/t/bangkrathum/contact", peer: "192.0.2.1").status == .forbidden, "no CSRF token")

            let text = try await Self.scrape(app).text
            let contact = ["route": "/t/:tenant/contact", "method": "GET"]
            #expect(Self.sample(text, "eservice_http_requests_total", contact.merging(["status": "2xx"]) { $1 }) == 2)
            #expect(Self.sample(text, "eservice_http_requests_total", contact.merging(["status": "4xx"]) { $1 }) == 1)
            #expect(Self.sample(text, "eservice_http_requests_total", ["route": "/t/:tenant/contact", "method": "POST", "status": "4xx"]) == 1)
            #expect(Self.sample(text, "eservice_http_requests_total", ["route": "(no route)", "method": "GET", "status": "4xx"]) == 1)
            #expect(Self.sample(text, "eservice_http_requests_total", ["route": "(static)", "method": "GET", "status": "2xx"]) == 1)
            #expect(Self.sample(text, "eservice_http_request_duration_seconds_count", contact) == 3)
            // Every request is in the last bucket (a loaded test machine may take longer than any finite one).
            #expect(Self.sample(text, "eservice_http_request_duration_seconds_bucket", contact.merging(["le": "+Inf"]) { $1 }) == 3)
            #expect(!text.contains("secret-token") && !text.contains("no-such-town"), "never a raw path")
            #expect(Self.sample(text, "eservice_tenants_loaded") == Double(app.tenants.all.count))
            #expect((Self.sample(text, "eservice_start_time_seconds") ?? 0) > 1_700_000_000)
            #expect(Self.sample(text, "eservice_build_info", ["release": AppVersion.release, "revision": "-"]) == 1)
        }
    }

    @Test("outbox gauges come from the database (cached a few seconds) and the worker's counters move", arguments: TestDatabase.all)
    func outbox(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            app.registerOutboxHandler("metrics.refused") { _ in FailingHandler(permanent: true) }
            let later = Date().addingTimeInterval(3600)
            for i in 0..<3 {
                try await OutboxStore.enqueue(
                    tenant: nil, kind: "metrics.later", payload: Note(text: "\(i)"), idempotencyKey: "later-\(i)", runAt: later, on: app.db)
            }
            // One of them was written five minutes ago.
            try await (app.db as! any SQLDatabase).raw(
                "UPDATE outbox_jobs SET created_at = \(bind: Date().addingTimeInterval(-300)) WHERE idempotency_key = 'later-1'"
            ).run()
            try await OutboxStore.enqueue(tenant: nil, kind: "metrics.refused", payload: Note(text: "x"), idempotencyKey: "refused", on: app.db)
            let mail = OutgoingMail(from: "a@example.com", to: ["b@example.com"], subject: "s", text: "t", html: "<p>t</p>", messageID: "m@example.com")
            try await OutboxStore.enqueue(tenant: nil, kind: EmailOutbox.kind, payload: mail, idempotencyKey: "mail", on: app.db)
            #expect(try await app.makeOutboxWorker().runOnce() == 2)

            let text = try await Self.scrape(app).text
            #expect(Self.sample(text, "eservice_outbox_jobs", ["kind": "metrics.later", "status": "pending"]) == 3)
            #expect(Self.sample(text, "eservice_outbox_jobs", ["kind": "metrics.later", "status": "failed"]) == 0)
            #expect(Self.sample(text, "eservice_outbox_jobs", ["kind": "metrics.refused", "status": "failed"]) == 1)
            #expect(Self.sample(text, "eservice_outbox_jobs", ["kind": "email", "status": "pending"]) == 0, "registered kinds show 0")
            let oldest = try #require(Self.sample(text, "eservice_outbox_oldest_waiting_age_seconds", ["kind": "metrics.later"]))
            #expect((299...400).contains(oldest))
            #expect(Self.sample(text, "eservice_outbox_oldest_waiting_age_seconds", ["kind": "metrics.refused"]) == 0)
            #expect(Self.sample(text, "eservice_outbox_jobs_done_total", ["kind": "email"]) == 1)
            #expect(Self.sample(text, "eservice_outbox_jobs_failed_total", ["kind": "metrics.refused", "final": "true"]) == 1)
            #expect(Self.sample(text, "eservice_deliveries_total", ["channel": "email", "result": "sent"]) == 1)
            #expect(Self.sample(text, "eservice_db_pool_wait_seconds") != nil)

            // Within the cache's few seconds a new job does not show; once it has expired, it does.
            try await OutboxStore.enqueue(tenant: nil, kind: "metrics.later", payload: Note(text: "4"), idempotencyKey: "later-4", runAt: later, on: app.db)
            // The last read counts as just now whatever the machine's speed (a loaded one took over 5 s to get here).
            app.metrics.lastDatabaseRead.withLockedValue { $0 = .now + .seconds(60) }
            let cached = try await Self.scrape(app).text
            #expect(Self.sample(cached, "eservice_outbox_jobs", ["kind": "metrics.later", "status": "pending"]) == 3)
            app.metrics.lastDatabaseRead.withLockedValue { $0 = .now - AppMetrics.databaseGaugeTTL }
            let fresh = try await Self.scrape(app).text
            #expect(Self.sample(fresh, "eservice_outbox_jobs", ["kind": "metrics.later", "status": "pending"]) == 4)
        }
    }
}
