import Fluent
import SQLKit
import Vapor

/// Bringing the schema up to date, once, however many instances start together.
///
/// On PostgreSQL the migrations run under a session-level advisory lock taken on one connection that is held
/// for the whole run: a second instance (another `serve`, a `worker`, `eservice migrate`) waits for the lock,
/// then finds nothing left to do. The lock belongs to the connection's session, so an instance that dies
/// mid-migration (even `kill -9`) releases it when its connection closes. The migrations themselves run on the
/// pool's other connections, as Fluent's migrator does them; the lock only orders the processes.
///
/// On SQLite one process per database file is the supported shape; SQLite's write lock serialises writers anyway.
enum SchemaMigrations {
    /// `pg_advisory_lock`'s key: "eService" in ASCII. Fixed, so every version of the server agrees on it.
    static let lockKey: Int64 = 0x6553_6572_7669_6365

    /// Runs the migrations that have not run (Fluent's `autoMigrate`), under the lock on PostgreSQL.
    static func migrate(_ app: Application) async throws {
        try await withLock(app) { try await app.autoMigrate() }
    }

    /// Reverts the last batch of migrations, under the lock on PostgreSQL.
    static func revertLastBatch(_ app: Application) async throws {
        try await withLock(app) {
            try await app.migrator.setupIfNeeded().get()
            try await app.migrator.revertLastBatch().get()
        }
    }

    /// `MIGRATE_ON_START=off`: the schema must already be current, or the instance does not start (an old schema
    /// would answer requests with errors).
    static func requireCurrent(_ app: Application) async throws {
        guard let pending = try await self.pending(app) else { throw SchemaNotCurrent(pending: []) }
        guard pending.isEmpty else { throw SchemaNotCurrent(pending: pending) }
    }

    /// The names of the migrations that have not run; nil when none has ever run (no migration log). Writes nothing.
    static func pending(_ app: Application) async throws -> [String]? {
        guard try await hasMigrationLog(app.db) else { return nil }
        return try await app.migrator.previewPrepareBatch().get().map { $0.0.name }
    }

    /// Whether Fluent's `_fluent_migrations` table exists (read from the catalogue, so nothing is created).
    static func hasMigrationLog(_ db: any Database) async throws -> Bool {
        guard let sql = db as? any SQLDatabase else { return true }
        let query: SQLQueryString =
            isPostgres(sql)
            ? "SELECT count(*) AS n FROM pg_catalog.pg_tables WHERE tablename = \(bind: MigrationLog.schema) AND schemaname = ANY (current_schemas(false))"
            : "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = \(bind: MigrationLog.schema)"
        return (try await sql.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0) > 0
    }

    static func isPostgres(_ sql: any SQLDatabase) -> Bool { sql.dialect.name == "postgresql" }

    /// Runs `body` while this process holds the migration lock (PostgreSQL); elsewhere just runs it.
    static func withLock(_ app: Application, _ body: @escaping @Sendable () async throws -> Void) async throws {
        guard let pool = app.db as? any SQLDatabase, isPostgres(pool) else { return try await body() }
        let logger = app.logger
        try await app.db.withConnection { (connection: any Database) async throws -> Void in
            // `withConnection` hands over one connection for the whole closure: the lock is that session's.
            guard let sql = connection as? any SQLDatabase else { return try await body() }
            let taken = try await sql.raw("SELECT pg_try_advisory_lock(\(bind: lockKey)) AS taken").first()?.decode(column: "taken", as: Bool.self)
            if taken != true {
                logger.notice("another instance is migrating the database; waiting for it to finish")
                try await sql.raw("SELECT pg_advisory_lock(\(bind: lockKey))").run()
            }
            do {
                try await body()
            } catch {
                _ = try? await sql.raw("SELECT pg_advisory_unlock(\(bind: lockKey))").run()
                throw error
            }
            try await sql.raw("SELECT pg_advisory_unlock(\(bind: lockKey))").run()
        }
    }
}

/// `serve` or `worker` with `MIGRATE_ON_START=off` against a schema that is not current.
public struct SchemaNotCurrent: Error, CustomStringConvertible {
    /// The migrations that have not run; empty when none ever has (an empty database).
    public let pending: [String]

    public var description: String {
        let state =
            pending.isEmpty
            ? "the database has no schema yet (no migration has run)"
            : "the database schema is not up to date: \(pending.count) migration\(pending.count == 1 ? " has" : "s have") not run (the first: \(pending[0]))"
        return "The server cannot start: MIGRATE_ON_START=off and \(state). Run `eservice migrate` first (the deploy step), or start with MIGRATE_ON_START=on."
    }
}
