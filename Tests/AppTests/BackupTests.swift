import Domain
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

/// `eservice backup` and `eservice restore` on each database: a round trip into a new, empty deployment, and every
/// refusal (a target that is not empty, another APP_SECRET, a manifest this binary does not read, a damaged copy).
/// The whole journey under load, with S3 and a server on the restored deployment, is Tests/backup/test_backup.py.
@Suite("Backup and restore: the commands, and what restore refuses")
struct BackupTests {
    static let secret = "backup-test-secret-" + String(repeating: "k", count: 32)

    /// Runs a command as `eservice` would, with its printed text and the failure it stated.
    static func run(_ command: some AsyncCommand, _ app: Application, _ arguments: [String]) async throws -> (text: String, failure: CommandFailure?) {
        let console = CapturingConsole()
        var context = CommandContext(console: console, input: CommandInput(arguments: ["eservice \(arguments.first ?? "")"] + arguments.dropFirst()))
        context.application = app
        do {
            try await command.run(using: &context)
            return (console.text, nil)
        } catch let failure as CommandFailure {
            return (console.text, failure)
        }
    }

    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("eservice-backup-\(UUID().uuidString.lowercased())")
    }

    /// A deployment with a citizen and two identity images, backed up to a new folder. Returns the folder and what
    /// the source held: the citizens' IDs and each image's file name and SHA-256.
    static func backedUp(_ database: TestDatabase, settings: [String: String] = [:]) async throws -> (
        folder: URL, citizens: [UUID], files: [String: String]
    ) {
        let folder = folder()
        var result: (URL, [UUID], [String: String]) = (folder, [], [:])
        try await withApp(database, settings: settings.merging(["APP_SECRET": secret]) { $1 }) { app, _ in
            let owner = try await CitizenFixtures.register(app)
            let photo = try TestImages.fixture("id-photo.jpg")
            let (h, b) = CitizenFixtures.identityUpload(owner, files: [("image_0", "a.jpg", photo), ("image_1", "b.jpg", photo)])
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { res in #expect(res.status == .seeOther) }
            let (text, failure) = try await run(BackupCommand(), app, ["backup", "--to", folder.path])
            #expect(failure == nil, "\(failure?.description ?? "")")
            #expect(text.contains("2 files"), "\(text)")
            result.1 = try await CitizenAccount.crossTenantQuery(on: app.db, because: "test").all().map { try $0.requireID() }
            for image in try await IdentityImageRecord.crossTenantQuery(on: app.db, because: "test").all() { result.2[image.fileName] = image.sha256 }
        }
        return result
    }

    /// An application on a new, empty deployment (not migrated), as `eservice restore` has it.
    static func withEmptyTarget(
        _ database: TestDatabase, secret: String = BackupTests.secret, settings: [String: String] = [:],
        _ body: (Application, TestEnvironment) async throws -> Void
    ) async throws {
        let env = try await TestEnvironment.make(database)
        let app = try await MigrationLockTests.unmigratedApp(env, settings.merging(["APP_SECRET": secret]) { $1 })
        do {
            try await body(app, env)
        } catch {
            try? await app.asyncShutdown()
            await env.cleanUp()
            throw error
        }
        try await app.asyncShutdown()
        await env.cleanUp()
    }

    @Test("backup, then restore into an empty deployment: the same rows, and the same files with equal SHA-256", arguments: TestDatabase.all)
    func roundTrip(database: TestDatabase) async throws {
        let (folder, citizens, files) = try await Self.backedUp(database)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(citizens.count == 1 && files.count == 2)
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        let manifest = try BackupManifest.decode(try Data(contentsOf: folder.appendingPathComponent("manifest.json")))
        if case .sqlite = database { #expect(manifest.database.kind == "sqlite") } else { #expect(manifest.database.kind == "postgresql") }
        #expect(manifest.storage.filesCopied && manifest.storage.count == 2)

        let env = try await TestEnvironment.make(database)
        defer { Task { await env.cleanUp() } }
        let app = try await MigrationLockTests.unmigratedApp(env, ["APP_SECRET": Self.secret])
        let (text, failure) = try await Self.run(RestoreCommand(), app, ["restore", "--from", folder.path])
        try await app.asyncShutdown()
        #expect(failure == nil, "\(failure?.description ?? "")")
        #expect(text.contains("Restored"), "\(text)")

        try await withApp(database, settings: ["APP_SECRET": Self.secret], environment: env) { app, _ in
            let restored = try await CitizenAccount.crossTenantQuery(on: app.db, because: "test").all()
            #expect(try restored.map { try $0.requireID() } == citizens)
            // The national ID opens with the same APP_SECRET.
            let citizen = try #require(restored.first)
            #expect(try app.nationalIDs.open(sealed: citizen.nationalIDSealed).count == 13)
            let images = try await IdentityImageRecord.crossTenantQuery(on: app.db, because: "test").all()
            #expect(Dictionary(uniqueKeysWithValues: images.map { ($0.fileName, $0.sha256) }) == files)
            for (name, sha) in files { #expect(try await app.fileStore.sha256(name) == sha, "\(name) restored whole") }
        }
    }

    @Test("restore refuses a target that is not empty, another APP_SECRET, and a bad or damaged backup; nothing is written", arguments: TestDatabase.all)
    func refusals(database: TestDatabase) async throws {
        let (folder, _, files) = try await Self.backedUp(database)
        defer { try? FileManager.default.removeItem(at: folder) }

        // A deployment already in use (migrated): refused, exit status 1.
        try await withApp(database, settings: ["APP_SECRET": Self.secret]) { app, _ in
            let (_, failure) = try await Self.run(RestoreCommand(), app, ["restore", "--from", folder.path])
            #expect(failure?.status == 1 && failure?.description.contains("is not empty") == true, "\(failure?.description ?? "restored")")
        }
        // Another APP_SECRET: refused before anything is written.
        try await Self.withEmptyTarget(database, secret: "another-secret-" + String(repeating: "z", count: 32)) { app, _ in
            let (_, failure) = try await Self.run(RestoreCommand(), app, ["restore", "--from", folder.path])
            #expect(failure?.status == 1 && failure?.description.contains("APP_SECRET is not the one") == true, "\(failure?.description ?? "restored")")
            #expect(try await !Self.hasTables(app))
            #expect(try await Self.storedNames(app).isEmpty)
        }
        // A file store holding a file that is not in the backup: refused.
        try await Self.withEmptyTarget(database) { app, _ in
            try await app.fileStore.put(Data("someone else's".utf8), name: "identity/stray.jpg")
            let (_, failure) = try await Self.run(RestoreCommand(), app, ["restore", "--from", folder.path])
            #expect(failure?.status == 1 && failure?.description.contains("already holds 1 files") == true, "\(failure?.description ?? "restored")")
            #expect(try await !Self.hasTables(app))
        }
        // Backups this binary must not trust: another manifest version, no manifest, a damaged database copy, a
        // damaged file. Each on a copy of the folder.
        let manifestURL = folder.appendingPathComponent("manifest.json")
        let original = try Data(contentsOf: manifestURL)
        let databaseName = try BackupManifest.decode(original).database.file
        let cases: [(String, (URL) throws -> Void, String, Int32)] = [
            (
                "version 99",
                { dir in
                    var json = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
                    json["version"] = 99
                    try JSONSerialization.data(withJSONObject: json).write(to: dir.appendingPathComponent("manifest.json"))
                }, "manifest version 99 is unknown", 65
            ),
            ("no manifest", { dir in try FileManager.default.removeItem(at: dir.appendingPathComponent("manifest.json")) }, "has no manifest.json", 65),
            ("not JSON", { dir in try Data("{".utf8).write(to: dir.appendingPathComponent("manifest.json")) }, "is not an eservice backup manifest", 65),
            (
                "damaged database",
                { dir in
                    let h = try FileHandle(forUpdating: dir.appendingPathComponent(databaseName))
                    try h.seek(toOffset: 200)
                    try h.write(contentsOf: Data("damage".utf8))
                    try h.close()
                }, "does not match the manifest's SHA-256", 65
            ),
            (
                "damaged file",
                { dir in
                    let name = try #require(files.keys.sorted().first)
                    try Data("not the image".utf8).write(to: dir.appendingPathComponent("files").appendingPathComponent(name))
                }, "mismatches: 1", 1
            ),
        ]
        for (label, damage, message, status) in cases {
            let copy = Self.folder()
            try FileManager.default.copyItem(at: folder, to: copy)
            defer { try? FileManager.default.removeItem(at: copy) }
            try damage(copy)
            try await Self.withEmptyTarget(database) { app, _ in
                let (_, failure) = try await Self.run(RestoreCommand(), app, ["restore", "--from", copy.path])
                #expect(failure?.status == status && failure?.description.contains(message) == true, "\(label): \(failure?.description ?? "restored")")
                #expect(try await !Self.hasTables(app), "\(label): the database stays empty")
            }
        }
    }

    @Test("backup refuses a folder that is not empty, and leaves it as it was", arguments: TestDatabase.all)
    func backupFolderRefused(database: TestDatabase) async throws {
        try await withApp(database, settings: ["APP_SECRET": Self.secret]) { app, _ in
            let folder = Self.folder()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try Data("keep me".utf8).write(to: folder.appendingPathComponent("notes.txt"))
            let (_, failure) = try await Self.run(BackupCommand(), app, ["backup", "--to", folder.path])
            #expect(failure?.status == 64 && failure?.description.contains("is not empty") == true, "\(failure?.description ?? "written")")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["notes.txt"])
            let (_, missing) = try await Self.run(BackupCommand(), app, ["backup"])
            #expect(missing?.status == 64)
        }
    }

    @Test("on S3 the backup only lists the files; restore checks each listed object in the bucket and names a missing one", arguments: TestDatabase.all)
    func s3ListOnly(database: TestDatabase) async throws {
        guard TestS3.check() else { return }
        let bucket = TestS3.settings()
        let (folder, _, files) = try await Self.backedUp(database, settings: bucket)
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = try BackupManifest.decode(try Data(contentsOf: folder.appendingPathComponent("manifest.json")))
        #expect(manifest.storage.kind == "s3" && !manifest.storage.filesCopied && manifest.storage.count == 2)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("files").path), "no copies of the bucket's files")
        #expect(!manifest.storage.location.contains(bucket["S3_ACCESS_KEY_ID"] ?? "-"), "no key in the manifest")

        // Against the same bucket: restored, and the files are the ones listed.
        try await Self.withEmptyTarget(database, settings: bucket) { app, _ in
            let (_, failure) = try await Self.run(RestoreCommand(), app, ["restore", "--from", folder.path])
            #expect(failure == nil, "\(failure?.description ?? "")")
            #expect(try await Self.hasTables(app))
            for (name, sha) in files { #expect(try await app.fileStore.sha256(name) == sha) }
            // One object gone from the bucket: a restore elsewhere is refused, naming it, its database left empty.
            let gone = try #require(files.keys.sorted().first)
            try await app.fileStore.remove(gone)
            try await Self.withEmptyTarget(database, settings: bucket) { other, _ in
                let (_, failure) = try await Self.run(RestoreCommand(), other, ["restore", "--from", folder.path])
                #expect(failure?.status == 1 && failure?.description.contains("missing: \(gone)") == true, "\(failure?.description ?? "restored")")
                #expect(try await !Self.hasTables(other))
            }
        }
    }

    static func hasTables(_ app: Application) async throws -> Bool {
        app.settings.databaseURL == nil ? try await DatabaseCopy.sqliteHasTables(app) : try await DatabaseCopy.postgresHasTables(app)
    }

    static func storedNames(_ app: Application) async throws -> [String] {
        var names: [String] = []
        try await app.fileStore.list(prefix: "") { names += $0.map(\.name) }
        return names
    }
}
