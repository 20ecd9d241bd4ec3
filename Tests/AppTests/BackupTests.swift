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
    static func backedUp(_ database: TestDatabase, settings: [String: String] = [:], arguments: [String] = []) async throws -> (
        folder: URL, citizens: [UUID], files: [String: String]
    ) {
        let folder = folder()
        var result: (URL, [UUID], [String: String]) = (folder, [], [:])
        try await withApp(database, settings: settings.merging(["APP_SECRET": secret]) { $1 }) { app, _ in
            let owner = try await CitizenFixtures.register(app)
            let photo = try TestImages.fixture("id-photo.jpg")
            let (h, b) = CitizenFixtures.identityUpload(owner, files: [("image_0", "a.jpg", photo), ("image_1", "b.jpg", photo)])
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { res in #expect(res.status == .seeOther) }
            let (text, failure) = try await run(BackupCommand(), app, ["backup", "--to", folder.path] + arguments)
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

    @Test(
        "on S3 the backup only lists the files; restore checks each listed object, refuses naming a missing one, and with --allow-missing restores without it",
        arguments: TestDatabase.all)
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
        try await Self.withEmptyTarget(database, settings: bucket) { app, env in
            let (_, failure) = try await Self.run(RestoreCommand(), app, ["restore", "--from", folder.path])
            #expect(failure == nil, "\(failure?.description ?? "")")
            #expect(try await Self.citizenCount(database, env, bucket) == 1)
            for (name, sha) in files { #expect(try await app.fileStore.sha256(name) == sha) }
            // One object gone from the bucket (an image replaced, a registration swept): a restore elsewhere is
            // refused, naming it and the ways out, its database left empty.
            let gone = try #require(files.keys.sorted().first)
            try await app.fileStore.remove(gone)
            try await Self.withEmptyTarget(database, settings: bucket) { other, _ in
                let (_, failure) = try await Self.run(RestoreCommand(), other, ["restore", "--from", folder.path])
                let message = failure?.description ?? "restored"
                #expect(failure?.status == 1 && message.contains("missing: \(gone)"), "\(message)")
                #expect(message.contains("--allow-missing") && message.contains("aws s3api list-object-versions"), "\(message)")
                #expect(try await !Self.hasTables(other))
            }
            // With --allow-missing: restored, the missing file printed; its row is there, its file is not.
            try await Self.withEmptyTarget(database, settings: bucket) { other, otherEnv in
                let (text, failure) = try await Self.run(RestoreCommand(), other, ["restore", "--from", folder.path, "--allow-missing"])
                #expect(failure == nil, "\(failure?.description ?? "")")
                #expect(text.contains("missing: \(gone)") && text.contains("1 files the database names are not in the store"), "\(text)")
                #expect(try await Self.citizenCount(database, otherEnv, bucket) == 1)
                #expect(try await other.fileStore.info(gone) == nil)
            }
        }
    }

    @Test(
        "on S3, backup --with-files copies the bucket's files into the folder; restored into an empty bucket, each has its SHA-256", arguments: TestDatabase.all
    )
    func s3WithFiles(database: TestDatabase) async throws {
        guard TestS3.check() else { return }
        let (folder, citizens, files) = try await Self.backedUp(database, settings: TestS3.settings(), arguments: ["--with-files"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let manifest = try BackupManifest.decode(try Data(contentsOf: folder.appendingPathComponent("manifest.json")))
        #expect(manifest.storage.kind == "s3" && manifest.storage.filesCopied && manifest.storage.count == 2)
        for (name, sha) in files {
            let copy = folder.appendingPathComponent("files").appendingPathComponent(name)
            #expect(try FileDigest.sha256(path: copy.path).1 == sha, "\(name) copied whole")
        }
        // Another prefix of the bucket, empty: every file comes from the folder.
        let empty = TestS3.settings()
        try await Self.withEmptyTarget(database, settings: empty) { app, env in
            #expect(try await Self.storedNames(app).isEmpty)
            let (_, failure) = try await Self.run(RestoreCommand(), app, ["restore", "--from", folder.path])
            #expect(failure == nil, "\(failure?.description ?? "")")
            #expect(try await Self.citizenCount(database, env, empty) == 1)
            #expect(try await Set(Self.storedNames(app)) == Set(files.keys))
            for (name, sha) in files { #expect(try await app.fileStore.sha256(name) == sha) }
        }
        #expect(citizens.count == 1)
    }

    @Test(
        "a file deleted with its row after the snapshot is recorded and the backup goes on; one whose row the live database still has fails it",
        arguments: TestDatabase.all)
    func fileDeletedDuringBackup(database: TestDatabase) async throws {
        let kept = Self.folder()
        let failed = Self.folder()
        defer {
            try? FileManager.default.removeItem(at: kept)
            try? FileManager.default.removeItem(at: failed)
        }
        var names: [String] = []
        try await withApp(database, settings: ["APP_SECRET": Self.secret]) { app, _ in
            let owner = try await CitizenFixtures.register(app)
            let photo = try TestImages.fixture("id-photo.jpg")
            let (h, b) = CitizenFixtures.identityUpload(owner, files: [("image_0", "a.jpg", photo), ("image_1", "b.jpg", photo)])
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { res in #expect(res.status == .seeOther) }
            names = try await IdentityImageRecord.crossTenantQuery(on: app.db, because: "test").all().map(\.fileName).sorted()
            try #require(names.count == 2)
            let (swept, lost) = (names[0], names[1])

            // The row and its file go between the snapshot and the copy (as an image replacement does): recorded.
            _ = try BackupWriter.prepare(kept)
            var lines: [String] = []
            let manifest = try await BackupWriter(
                app: app, directory: kept,
                afterSnapshot: {
                    try await IdentityImageRecord.crossTenantQuery(on: app.db, because: "test").filter(\.$fileName == swept).delete()
                    try await app.fileStore.remove(swept)
                }, say: { lines.append($0) }
            ).run()
            #expect(manifest.storage.deletedAfterSnapshot == [swept] && manifest.storage.count == 1)
            #expect(lines.contains("  deleted after the snapshot: \(swept)"), "\(lines)")
            let list = try BackupManifest.decoder.decode([BackupFileEntry].self, from: Data(contentsOf: kept.appendingPathComponent("files.json")))
            #expect(list.map(\.name) == [lost])

            // Only the file goes; the live database still names it: lost, and the backup fails naming it.
            _ = try BackupWriter.prepare(failed)
            await #expect {
                _ = try await BackupWriter(
                    app: app, directory: failed, afterSnapshot: { try await app.fileStore.remove(lost) }, say: { _ in }
                ).run()
            } throws: { error in
                (error as? CommandFailure)?.description.contains("missing: \(lost)") == true
            }
        }
        // Restored: the swept file is named; its row (in the copy) stays without it.
        try await Self.withEmptyTarget(database) { app, env in
            let (text, failure) = try await Self.run(RestoreCommand(), app, ["restore", "--from", kept.path])
            #expect(failure == nil, "\(failure?.description ?? "")")
            #expect(text.contains("deleted after the snapshot: \(names[0])"), "\(text)")
            #expect(try await Self.storedNames(app) == [names[1]])
        }
    }

    @Test("an S3 endpoint with a user name or password is refused at start, unechoed; the endpoint is described as scheme://host:port only")
    func endpointCredentials() throws {
        let base = [
            "TENANTS_DIR": Repo.path("Tenants"), "APP_SECRET": String(repeating: "k", count: 40),
            "S3_ACCESS_KEY_ID": "AKIDTEST", "S3_SECRET_ACCESS_KEY": "very-secret-key-123",
        ]
        for url in [
            "s3://eservice-files?endpoint=https://admin:hunter2pass@s3.example.go.th", "s3://eservice-files?endpoint=https://hunter2pass@s3.example.go.th",
            "s3://admin:hunter2pass@eservice-files?endpoint=https://s3.example.go.th",
        ] {
            let error = try #require(throws: Settings.Problems.self) {
                try Settings.load(from: base.merging(["STORAGE_URL": url]) { $1 }, workingDirectory: Repo.root.path)
            }
            #expect(error.description.contains("STORAGE_URL") && error.description.contains("user name or password"), "\(url): \(error)")
            #expect(!error.description.contains("hunter2pass"), "\(url): the secret is echoed")
        }
        let good = try Settings.load(
            from: base.merging(["STORAGE_URL": "s3://eservice-files/p?endpoint=https://s3.example.go.th:9443"]) { $1 }, workingDirectory: Repo.root.path)
        #expect(good.fileStorage.description == "s3://eservice-files/p/ at https://s3.example.go.th:9443 (us-east-1)")
        // Whatever else a location could hold, only scheme, host and port are described.
        let odd = S3Location(
            endpoint: try #require(URL(string: "https://admin:hunter2pass@[::1]:9000/x?y=z")), bucket: "b-1", prefix: "", region: "us-east-1",
            accessKeyID: "AKIDTEST", secretAccessKey: "very-secret-key-123")
        #expect(odd.description == "s3://b-1/ at https://[::1]:9000 (us-east-1)")
    }

    /// The citizens of a restored deployment, read by a new application on it (a SQLite file renamed into place is
    /// not what the restoring application's open connections read).
    static func citizenCount(_ database: TestDatabase, _ env: TestEnvironment, _ settings: [String: String]) async throws -> Int {
        var count = 0
        try await withApp(database, settings: settings.merging(["APP_SECRET": secret]) { $1 }, environment: env) { app, _ in
            count = try await CitizenAccount.crossTenantQuery(on: app.db, because: "test").count()
        }
        return count
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
