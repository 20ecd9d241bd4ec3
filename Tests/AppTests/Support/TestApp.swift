import Fluent
import FluentPostgresDriver
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Where the repository is, so tests use the real Tenants/, Views/ and Public/.
enum Repo {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// The databases every database test runs on: SQLite always; PostgreSQL when `make test` has started one
/// (`TEST_POSTGRES_URL`). Under `make test` (`REQUIRE_POSTGRES=1`) a missing PostgreSQL fails the run.
enum TestDatabase: CustomStringConvertible, Sendable {
    case sqlite
    case postgres(String)

    static var all: [TestDatabase] {
        var list: [TestDatabase] = [.sqlite]
        if let url = ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"], !url.isEmpty { list.append(.postgres(url)) }
        return list
    }

    var description: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }
}

/// A fresh data directory (and, on PostgreSQL, a fresh database) per test, removed afterwards.
struct TestEnvironment: Sendable {
    let database: TestDatabase
    let dataDirectory: URL
    let postgresURL: String?
    let postgresName: String?

    static func make(_ database: TestDatabase) async throws -> TestEnvironment {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("eservice-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        switch database {
        case .sqlite:
            return TestEnvironment(database: database, dataDirectory: dir, postgresURL: nil, postgresName: nil)
        case .postgres(let base):
            let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
            try await PostgresAdmin.run(base, "CREATE DATABASE \(name)")
            let url = base.replacingOccurrences(of: #"/[^/?]+(\?|$)"#, with: "/\(name)$1", options: .regularExpression)
            return TestEnvironment(database: database, dataDirectory: dir, postgresURL: url, postgresName: String(name))
        }
    }

    func variables(_ extra: [String: String] = [:]) -> [String: String] {
        var env = [
            "APP_ENV": "testing",
            "DATA_DIR": dataDirectory.path,
            "TENANTS_DIR": Repo.path("Tenants"),
            "VIEWS_DIR": Repo.path("Views"),
            "PUBLIC_DIR": Repo.path("Public"),
            "OUTBOX_WORKER": "off",
            "PASSWORD_HASH_COST": "4",
        ]
        if let postgresURL { env["DATABASE_URL"] = postgresURL }
        return env.merging(extra) { $1 }
    }

    func cleanUp() async {
        try? FileManager.default.removeItem(at: dataDirectory)
        if case .postgres(let base) = database, let postgresName {
            try? await PostgresAdmin.run(base, "DROP DATABASE IF EXISTS \(postgresName) WITH (FORCE)")
        }
    }
}

/// Runs admin statements (CREATE/DROP DATABASE) on the test server.
enum PostgresAdmin {
    static func run(_ url: String, _ statement: String) async throws {
        let app = try await Application.make(.testing)
        do {
            app.databases.use(try .postgres(url: url), as: .psql)
            let sql = app.db as! any SQLDatabase
            try await sql.raw(SQLQueryString(statement)).run()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}

/// Builds an application exactly as `eservice serve` does (minus listening), migrated, and shuts it down after.
func withApp(
    _ database: TestDatabase,
    settings extra: [String: String] = [:],
    environment existing: TestEnvironment? = nil,
    _ body: (Application, TestEnvironment) async throws -> Void
) async throws {
    let env: TestEnvironment
    if let existing { env = existing } else { env = try await TestEnvironment.make(database) }
    let app = try await Application.make(.testing)
    app.logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG"] == nil ? .warning : .debug
    // Every statement of the test is checked for its tenant (TenantGuard): one without fails the test.
    let tenantGuard = TenantGuard()
    app.logger = tenantGuard.watching(app.logger, level: app.logger.logLevel)
    app.tenantGuard = tenantGuard
    do {
        let settings = try Settings.load(from: env.variables(extra), workingDirectory: Repo.root.path)
        try await configure(app, settings: settings)
        try await app.autoMigrate()
        try await body(app, env)
        for sql in Set(tenantGuard.take().map(\.description)).sorted() { Issue.record("TenantGuard: \(sql)") }
    } catch {
        try? await app.asyncShutdown()
        if existing == nil { await env.cleanUp() }
        throw error
    }
    try await app.asyncShutdown()
    if existing == nil { await env.cleanUp() }
}

extension Tenant {
    static func named(_ slug: String, in app: Application) throws -> Tenant {
        try #require(app.tenants.tenant(slug: slug))
    }
}

/// A free TCP port on 127.0.0.1 (bound, read, released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard bound else { throw TestFailure("could not find a free port") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Cookie and CSRF token from a page with a form, for posting back.
struct FormSession {
    var cookie: String
    var csrf: String
    var fields: [String: String]

    static func from(_ response: TestingHTTPResponse) throws -> FormSession {
        let setCookie = try #require(response.headers.first(name: .setCookie))
        let cookie = String(setCookie.split(separator: ";")[0])
        let html = response.body.string
        var fields: [String: String] = [:]
        let pattern = #"<input type="hidden" name="([^"]+)" value="([^"]*)">"#
        let regex = try NSRegularExpression(pattern: pattern)
        for match in regex.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let name = String(html[Range(match.range(at: 1), in: html)!])
            let value = String(html[Range(match.range(at: 2), in: html)!])
            fields[name] = value
        }
        return FormSession(cookie: cookie, csrf: try #require(fields["_csrf"]), fields: fields)
    }
}

func formBody(_ fields: [String: String]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
}
