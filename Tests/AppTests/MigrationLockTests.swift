import Fluent
import Foundation
import Migrations
import SQLKit
import Testing
import Vapor

@testable import App

/// Migrations once, however many instances start together (PostgreSQL's advisory lock), and
/// `MIGRATE_ON_START=off` refusing a schema that is not current.
@Suite("Schema migrations: once across instances, or checked when the deploy runs them")
struct MigrationLockTests {
    static var postgres: [TestDatabase] { TestDatabase.all.filter { if case .postgres = $0 { true } else { false } } }

    /// An application set up as `eservice serve` sets one up, on `env`'s database, without migrating it.
    static func unmigratedApp(_ env: TestEnvironment, _ extra: [String: String] = [:]) async throws -> Application {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        do {
            try await configure(app, settings: try Settings.load(from: env.variables(extra), workingDirectory: Repo.root.path))
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        return app
    }

    /// Every row of `_fluent_migrations` and how many distinct names.
    static func log(_ app: Application) async throws -> (rows: Int, names: Int) {
        let sql = try #require(app.db as? any SQLDatabase)
        let row = try #require(try await sql.raw("SELECT count(*) AS n, count(DISTINCT name) AS d FROM _fluent_migrations").first())
        return (try row.decode(column: "n", as: Int.self), try row.decode(column: "d", as: Int.self))
    }

    static func withApps(_ database: TestDatabase, count: Int, _ body: ([Application]) async throws -> Void) async throws {
        let env = try await TestEnvironment.make(database)
        var apps: [Application] = []
        do {
            for _ in 0..<count { apps.append(try await unmigratedApp(env)) }
            try await body(apps)
        } catch {
            for app in apps { try? await app.asyncShutdown() }
            await env.cleanUp()
            throw error
        }
        for app in apps { try await app.asyncShutdown() }
        await env.cleanUp()
    }

    @Test("three instances migrating one empty database at the same moment: all succeed, each migration recorded once", arguments: MigrationLockTests.postgres)
    func concurrentStarts(database: TestDatabase) async throws {
        try await Self.withApps(database, count: 3) { apps in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for app in apps { group.addTask { try await prepareToServe(app, command: "worker") } }
                try await group.waitForAll()
            }
            let log = try await Self.log(apps[0])
            let all = AllMigrations.list(staffNationalIDs: try apps[0].staffNationalIDs).count
            #expect(log.rows == all && log.names == all, "each migration recorded exactly once")
            for app in apps { #expect(try await SchemaMigrations.pending(app) == []) }
            // A later start finds nothing to do.
            try await SchemaMigrations.migrate(apps[1])
            #expect(try await Self.log(apps[0]).rows == log.rows)
        }
    }

    @Test("without the lock, two instances migrating one empty database at once fail (what the lock prevents)", arguments: MigrationLockTests.postgres)
    func raceWithoutLock(database: TestDatabase) async throws {
        try await Self.withApps(database, count: 2) { apps in
            let results = await withTaskGroup(of: Bool.self) { group in
                for app in apps {
                    group.addTask {
                        do {
                            try await app.autoMigrate()
                            return true
                        } catch {
                            return false
                        }
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.contains(false), "Fluent's migrator alone lets both run the same migrations")
        }
    }

    @Test("a second instance waits for the lock, and an instance that dies holding it releases it", arguments: MigrationLockTests.postgres)
    func waitsForHolder(database: TestDatabase) async throws {
        let env = try await TestEnvironment.make(database)
        let holder = try await Self.unmigratedApp(env)
        let waiter = try await Self.unmigratedApp(env)
        do {
            // The holder takes the lock on one connection and never releases it: as an instance killed mid-migration.
            try await holder.db.withConnection { db in
                let sql = try #require(db as? any SQLDatabase)
                try await sql.raw("SELECT pg_advisory_lock(\(bind: SchemaMigrations.lockKey))").run()
            }
            let migrating = Task { try await SchemaMigrations.migrate(waiter) }
            try await Task.sleep(for: .seconds(1.5))
            #expect(try await SchemaMigrations.hasMigrationLog(waiter.db) == false, "the waiter has not started migrating")
            // The holder's connections close (as when its process dies): the session's lock goes with them.
            try await holder.asyncShutdown()
            try await migrating.value
            #expect(try await SchemaMigrations.pending(waiter) == [])
        } catch {
            try? await holder.asyncShutdown()
            try? await waiter.asyncShutdown()
            await env.cleanUp()
            throw error
        }
        try await waiter.asyncShutdown()
        await env.cleanUp()
    }

    @Test("`eservice worker` with MIGRATE_ON_START=off on an empty database exits 78 with the message and creates nothing")
    func binaryRefuses() async throws {
        let binary = Repo.path(".build/debug/eservice")
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the eservice product first")
        let env = try await TestEnvironment.make(.sqlite)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["worker"]
        process.environment = ProcessInfo.processInfo.environment.merging(env.variables(["MIGRATE_ON_START": "off", "LOG_LEVEL": "warning"])) { $1 }
        process.currentDirectoryURL = Repo.root
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 78)
        #expect(text.contains("MIGRATE_ON_START=off") && text.contains("eservice migrate"), "\(text)")
        let app = try await Self.unmigratedApp(env)
        let created = try await SchemaMigrations.hasMigrationLog(app.db)
        try await app.asyncShutdown()
        await env.cleanUp()
        #expect(!created)
    }

    @Test("MIGRATE_ON_START=off: an empty or older schema stops the start with a message naming `eservice migrate`", arguments: TestDatabase.all)
    func refusesStaleSchema(database: TestDatabase) async throws {
        let env = try await TestEnvironment.make(database)
        let app = try await Self.unmigratedApp(env, ["MIGRATE_ON_START": "off"])
        do {
            let empty = try await #require(throws: SchemaNotCurrent.self) { try await prepareToServe(app, command: "worker") }
            #expect(empty.description.contains("eservice migrate") && empty.description.contains("no schema yet"))
            #expect(try await SchemaMigrations.hasMigrationLog(app.db) == false, "checking writes nothing")

            // The deploy step.
            try await SchemaMigrations.migrate(app)
            try await prepareToServe(app, command: "worker")

            // A release with a migration the database has not had yet.
            let sql = try #require(app.db as? any SQLDatabase)
            let last = try #require(try await sql.raw("SELECT name FROM _fluent_migrations ORDER BY batch DESC, created_at DESC, name DESC").first())
            let name = try last.decode(column: "name", as: String.self)
            try await sql.raw("DELETE FROM _fluent_migrations WHERE name = \(bind: name)").run()
            let older = try await #require(throws: SchemaNotCurrent.self) { try await prepareToServe(app, command: "worker") }
            #expect(older.pending == [name])
            #expect(older.description.contains("1 migration has not run") && older.description.contains("eservice migrate"))
        } catch {
            try? await app.asyncShutdown()
            await env.cleanUp()
            throw error
        }
        try await app.asyncShutdown()
        await env.cleanUp()
    }
}
