import Domain
import Fluent
import FluentSQLiteDriver
import Foundation
import SQLKit
import Vapor

/// The database half of a backup: a consistent copy taken while the server runs, and what that copy names (its
/// files and its migrations), read from the copy itself so that the files saved next are exactly the ones it needs.
///
/// - SQLite: `VACUUM INTO` on one of the application's own connections (one read transaction: a snapshot; writers
///   go on), then the copy is opened on its own to read its file names.
/// - PostgreSQL: a `REPEATABLE READ` transaction exports its snapshot, `pg_dump --format=custom --snapshot=…` dumps
///   exactly that snapshot, and the file names are read in the same transaction.
enum DatabaseCopy {
    struct Snapshot: Sendable {
        var references: [FileReferences.Reference]
        var migrations: [String]
    }

    static func kind(_ settings: Settings) -> String { settings.databaseURL == nil ? "sqlite" : "postgresql" }
    static func fileName(kind: String) -> String { kind == "sqlite" ? "database.sqlite" : "database.pgdump" }

    /// Writes the copy to `file` (which must not exist) and reads what it names.
    static func take(_ app: Application, to file: URL) async throws -> Snapshot {
        if let url = app.settings.databaseURL {
            return try await postgresDump(app, url: url, to: file)
        }
        return try await sqliteCopy(app, to: file)
    }

    // MARK: SQLite

    private static func sqliteCopy(_ app: Application, to file: URL) async throws -> Snapshot {
        guard let sql = app.db as? any SQLDatabase else { throw CommandFailure(description: "backup: the database is not SQL", status: 1) }
        try await sql.raw("VACUUM INTO \(bind: file.path)").run()
        _ = chmod(file.path, 0o600)
        // The copy on its own pool (one connection), read only here; closed with the application.
        let id = DatabaseID(string: "backup-copy-\(UUID().uuidString.lowercased())")
        app.databases.use(.sqlite(.file(file.path), maxConnectionsPerEventLoop: 1), as: id, isDefault: false)
        guard let copy = app.databases.database(id, logger: app.logger, on: app.eventLoopGroup.any()) else {
            throw CommandFailure(description: "backup: cannot open the copy \(file.path)", status: 1)
        }
        return Snapshot(references: try await FileReferences.all(on: copy), migrations: try await migrations(on: copy))
    }

    /// Whether the SQLite database holds any table (a fresh deployment's file is empty or absent).
    static func sqliteHasTables(_ app: Application) async throws -> Bool {
        guard let sql = app.db as? any SQLDatabase else { return true }
        let n = try await sql.raw("SELECT count(*) AS n FROM sqlite_master WHERE type IN ('table', 'view', 'index', 'trigger')").first()?
            .decode(column: "n", as: Int.self)
        return (n ?? 0) > 0
    }

    /// Puts the copy in place of the (empty) database file: written beside it under a temporary name, synced,
    /// then renamed over it, so the file is either the empty one or the whole copy.
    static func placeSQLite(_ app: Application, from copy: URL) async throws {
        let target = app.settings.dataDirectory.appendingPathComponent("eservice.sqlite")
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".eservice.sqlite.restore-\(UUID().uuidString.lowercased())")
        try await app.threadPool.runIfActive {
            let fm = FileManager.default
            do {
                try fm.copyItem(at: copy, to: temporary)
                _ = chmod(temporary.path, 0o600)
                let handle = try FileHandle(forUpdating: temporary)
                try handle.synchronize()
                try handle.close()
                // An empty database has no journal; a stale one must not be applied to the copy.
                for suffix in ["-journal", "-wal", "-shm"] { try? fm.removeItem(atPath: target.path + suffix) }
                guard rename(temporary.path, target.path) == 0 else {
                    throw CommandFailure(description: "restore: cannot rename the copy to \(target.path)", status: 1)
                }
            } catch {
                try? fm.removeItem(at: temporary)
                throw error
            }
        }
    }

    // MARK: PostgreSQL

    private static func postgresDump(_ app: Application, url: String, to file: URL) async throws -> Snapshot {
        let connection = try PostgresConnectionEnvironment(url: url)
        let pgDump = try PostgresTools.find("pg_dump")
        return try await app.db.transaction { db in
            guard let sql = db as? any SQLDatabase else { throw CommandFailure(description: "backup: the database is not SQL", status: 1) }
            // The first statement of the transaction: its snapshot is then the one exported and dumped.
            try await sql.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").run()
            guard let snapshot = try await sql.raw("SELECT pg_export_snapshot() AS s").first()?.decode(column: "s", as: String.self) else {
                throw CommandFailure(description: "backup: PostgreSQL exported no snapshot", status: 1)
            }
            try await PostgresTools.run(
                pgDump,
                ["--format=custom", "--snapshot=\(snapshot)", "--file=\(file.path)", "--dbname=\(connection.database)"],
                environment: connection.variables, pool: app.threadPool, what: "pg_dump")
            _ = chmod(file.path, 0o600)
            return Snapshot(references: try await FileReferences.all(on: db), migrations: try await migrations(on: db))
        }
    }

    /// Whether the PostgreSQL database holds any table outside PostgreSQL's own schemas.
    static func postgresHasTables(_ app: Application) async throws -> Bool {
        guard let sql = app.db as? any SQLDatabase else { return true }
        let n = try await sql.raw(
            "SELECT count(*) AS n FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND s.nspname NOT IN ('pg_catalog', 'information_schema') AND s.nspname NOT LIKE 'pg\\_%'"
        ).first()?.decode(column: "n", as: Int.self)
        return (n ?? 0) > 0
    }

    /// `pg_restore --no-owner --no-privileges` of the dump into DATABASE_URL's (empty) database, in one transaction:
    /// a failure leaves the database as empty as it was.
    static func restorePostgres(_ app: Application, from dump: URL) async throws {
        guard let url = app.settings.databaseURL else { return }
        let connection = try PostgresConnectionEnvironment(url: url)
        let pgRestore = try PostgresTools.find("pg_restore")
        try await PostgresTools.run(
            pgRestore, ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", "--dbname=\(connection.database)", dump.path],
            environment: connection.variables, pool: app.threadPool, what: "pg_restore")
    }

    // MARK: both

    private static func migrations(on db: any Database) async throws -> [String] {
        try await MigrationLog.query(on: db).sort(\.$batch).sort(\.$createdAt).all().map(\.name)
    }
}

/// libpq's connection variables for DATABASE_URL: the password goes to the child through `PGPASSWORD`, never on
/// its command line (which every user of the machine can read) or in a log.
struct PostgresConnectionEnvironment: Sendable {
    var database: String
    var variables: [String: String]

    init(url: String) throws {
        guard let c = URLComponents(string: url), let host = c.host, !host.isEmpty else {
            throw CommandFailure(description: "DATABASE_URL is not a postgres:// address", status: 64)
        }
        let name = String(c.path.drop(while: { $0 == "/" })).removingPercentEncoding ?? ""
        database = name.isEmpty ? (c.user?.removingPercentEncoding ?? "postgres") : name
        var v = ["PGHOST": host, "PGPORT": String(c.port ?? 5432), "PGDATABASE": database, "PGCONNECT_TIMEOUT": "30"]
        if let user = c.percentEncodedUser?.removingPercentEncoding, !user.isEmpty { v["PGUSER"] = user }
        if let password = c.percentEncodedPassword?.removingPercentEncoding { v["PGPASSWORD"] = password }
        // PostgresKit's names for TLS (tlsmode, or sslmode) are libpq's sslmode values.
        if let mode = c.queryItems?.first(where: { $0.name == "tlsmode" || $0.name == "sslmode" })?.value, !mode.isEmpty {
            v["PGSSLMODE"] = mode
        }
        variables = v
    }
}

/// PostgreSQL's client programs: Debian's `/usr/lib/postgresql/<version>/bin` (the highest version: pg_dump must be
/// at least the server's), else `PATH`.
enum PostgresTools {
    static func find(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let fm = FileManager.default
        let versions = ((try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).compactMap { v -> (Int, String)? in
            guard let n = Int(v.split(separator: ".").first ?? "") else { return nil }
            return (n, v)
        }.sorted { $0.0 > $1.0 }
        for (_, v) in versions {
            let path = "/usr/lib/postgresql/\(v)/bin/\(name)"
            if fm.isExecutableFile(atPath: path) { return path }
        }
        for folder in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(folder)/\(name)"
            if fm.isExecutableFile(atPath: path) { return path }
        }
        throw CommandFailure(
            description:
                "\(name) not found (looked in /usr/lib/postgresql/*/bin and PATH): install Debian's postgresql-client of the server's version or newer",
            status: 69)
    }

    /// Runs the program with libpq's variables added to this process's environment, waiting on the thread pool;
    /// throws with its error output when it fails.
    static func run(_ path: String, _ arguments: [String], environment: [String: String], pool: NIOThreadPool, what: String) async throws {
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("eservice-\(what)-\(UUID().uuidString.lowercased()).err")
        defer { try? FileManager.default.removeItem(at: errors) }
        let status: Int32 = try await pool.runIfActive {
            guard FileManager.default.createFile(atPath: errors.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CommandFailure(description: "\(what): cannot create \(errors.path)", status: 1)
            }
            let errorHandle = try FileHandle(forWritingTo: errors)
            defer { try? errorHandle.close() }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errorHandle
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        guard status == 0 else {
            let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw CommandFailure(
                description: "\(what) failed (exit \(status)): \(text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(2000))", status: 1)
        }
    }
}
