import Domain
import Foundation
import Migrations
import Vapor

/// `eservice backup --to DIR`: the database copy first (`DatabaseCopy`), then the files that copy names. Files are
/// written to the store before their rows commit, so every file a row of the copy names was already in the store
/// when the copy was taken; files stored after it are not needed (an extra file is harmless, a missing one is not).
///
/// The folder: `database.sqlite` or `database.pgdump`, `files/` (a local store's files, or an S3 store's with
/// `withFiles`, each hash-checked) or nothing (S3: the bucket keeps the files; each listed object is checked to
/// exist), `files.json` (every file the copy names, with its size and SHA-256) and, written last, `manifest.json`.
///
/// A file the copy names may be deleted before it is copied (identity images replaced, a registration swept): when
/// the live database no longer names it either, it is recorded in the manifest as deleted after the snapshot and
/// the backup goes on; when the live database still names it, the file is lost and the backup fails.
struct BackupWriter {
    let app: Application
    let directory: URL
    /// Copy an S3 store's files into the folder too (a local store's always are).
    let withFiles: Bool
    /// Runs after the database copy is taken and before its files are copied or checked (tests delete a file there).
    let afterSnapshot: @Sendable () async throws -> Void
    let say: (String) -> Void

    init(
        app: Application, directory: URL, withFiles: Bool = false, afterSnapshot: @escaping @Sendable () async throws -> Void = {},
        say: @escaping (String) -> Void
    ) {
        self.app = app
        self.directory = directory
        self.withFiles = withFiles
        self.afterSnapshot = afterSnapshot
        self.say = say
    }

    static let listName = "files.json"
    static let filesFolder = "files"

    /// Makes `directory` ready: created (0700; its parent must exist), or an existing empty folder. Returns whether
    /// it was created here.
    static func prepare(_ directory: URL) throws -> Bool {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CommandFailure(description: "backup: \(directory.path) exists and is not a folder", status: 64) }
            let entries = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? ["?"]
            guard entries.isEmpty else {
                throw CommandFailure(description: "backup: \(directory.path) is not empty; give a new or empty folder", status: 64)
            }
            guard chmod(directory.path, 0o700) == 0 else { throw CommandFailure(description: "backup: cannot use \(directory.path)", status: 64) }
            return false
        }
        guard fm.fileExists(atPath: directory.deletingLastPathComponent().path) else {
            throw CommandFailure(description: "backup: the folder \(directory.deletingLastPathComponent().path) does not exist", status: 64)
        }
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CommandFailure(description: "backup: cannot create \(directory.path): \(error.localizedDescription)", status: 64)
        }
        return true
    }

    /// Removes what a failed backup wrote (the folder itself when it was made here).
    static func discard(_ directory: URL, created: Bool) {
        let fm = FileManager.default
        if created {
            try? fm.removeItem(at: directory)
        } else {
            for name in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] { try? fm.removeItem(at: directory.appendingPathComponent(name)) }
        }
    }

    func run() async throws -> BackupManifest {
        let settings = app.settings
        let kind = DatabaseCopy.kind(settings)
        guard try await SchemaMigrations.hasMigrationLog(app.db) else {
            throw CommandFailure(description: "backup: the database has no schema yet (no migration has run): nothing to back up", status: 1)
        }
        let databaseFile = directory.appendingPathComponent(DatabaseCopy.fileName(kind: kind))
        say("Copying the \(kind) database to \(databaseFile.path)")
        let snapshot = try await DatabaseCopy.take(app, to: databaseFile)
        let (databaseBytes, databaseSHA) = try await app.threadPool.runIfActive { try FileDigest.sha256(path: databaseFile.path) }

        let store = app.fileStore
        let isLocal: Bool
        if case .local = settings.fileStorage { isLocal = true } else { isLocal = false }
        let copyFiles = isLocal || withFiles
        try await afterSnapshot()
        say(
            copyFiles
                ? "Copying the \(snapshot.references.count) files it names from \(store) to \(directory.appendingPathComponent(Self.filesFolder).path)"
                : "Listing the \(snapshot.references.count) files it names in \(store) (the bucket keeps the files)")
        var entries: [BackupFileEntry] = []
        var gone: [String] = []
        var mismatches: [String] = []
        let target = LocalFileStore(root: directory.appendingPathComponent(Self.filesFolder, isDirectory: true), threadPool: app.threadPool)
        let copier = FileCopier(source: store, target: target, spoolDirectory: app.uploadSpoolDirectory)
        for (i, ref) in snapshot.references.enumerated() {
            let holder: any FileStore = copyFiles ? target : store
            if copyFiles {
                switch try await copier.copy(ref) {
                case .copied, .alreadyThere: break
                case .missing: gone.append(ref.name); continue
                case .mismatch: mismatches.append(ref.name); continue
                }
            }
            guard LocalFileStore.isValidName(ref.name), let info = try await holder.info(ref.name) else {
                gone.append(ref.name)
                continue
            }
            let sha: String
            if let recorded = ref.sha256?.lowercased() { sha = recorded } else { sha = try await holder.sha256(ref.name) }
            entries.append(BackupFileEntry(name: ref.name, bytes: info.size, sha256: sha))
            if (i + 1) % 500 == 0 { say("  \(i + 1) of \(snapshot.references.count)") }
        }
        // A missing file the live database no longer names was deleted after the snapshot, with its row: not needed
        // by the live deployment, and recorded. One it still names is lost.
        var missing: [String] = []
        var deletedAfterSnapshot: [String] = []
        if !gone.isEmpty {
            let live = Set(try await FileReferences.all(on: app.db).map(\.name))
            for name in gone {
                if live.contains(name) { missing.append(name) } else { deletedAfterSnapshot.append(name) }
            }
        }
        if !deletedAfterSnapshot.isEmpty {
            say("\(deletedAfterSnapshot.count) files the copy names were deleted after the snapshot, with their rows (recorded in the manifest):")
            for name in deletedAfterSnapshot { say("  deleted after the snapshot: \(name)") }
        }
        guard missing.isEmpty, mismatches.isEmpty else {
            let names = (missing.prefix(20).map { "missing: \($0)" } + mismatches.prefix(20).map { "mismatch: \($0)" }).joined(separator: "\n  ")
            throw CommandFailure(
                description:
                    "backup: \(missing.count) files the database names are missing from \(store), \(mismatches.count) do not match their recorded SHA-256; nothing kept\n  \(names)",
                status: 1)
        }

        let list = try BackupManifest.encoder.encode(entries)
        try Self.writePrivate(list, to: directory.appendingPathComponent(Self.listName))
        let location: String
        switch settings.fileStorage {
        case .local(let root): location = root.path
        case .s3(let s3): location = s3.description
        }
        let manifest = BackupManifest(
            format: BackupManifest.formatName, version: BackupManifest.currentVersion, created: Date(),
            app: AppVersion.describe(revision: settings.revision), migrations: snapshot.migrations,
            database: .init(kind: kind, file: databaseFile.lastPathComponent, bytes: databaseBytes, sha256: databaseSHA),
            storage: .init(
                kind: isLocal ? "local" : "s3", location: location, filesCopied: copyFiles, list: Self.listName, listSHA256: Hex.sha256(list),
                count: entries.count, bytes: entries.reduce(0) { $0 + $1.bytes }, deletedAfterSnapshot: deletedAfterSnapshot),
            keyCheck: BackupKeyCheck.value(appSecret: settings.appSecret))
        // Last, and whole or not at all: a folder without a manifest is not a backup.
        let part = directory.appendingPathComponent(".\(BackupManifest.fileName).part")
        try Self.writePrivate(try manifest.encoded(), to: part)
        guard rename(part.path, directory.appendingPathComponent(BackupManifest.fileName).path) == 0 else {
            throw CommandFailure(description: "backup: cannot write \(BackupManifest.fileName)", status: 1)
        }
        return manifest
    }

    static func writePrivate(_ data: Data, to url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CommandFailure(description: "backup: cannot write \(url.path)", status: 1)
        }
    }
}

/// `eservice restore --from DIR` into an empty deployment. Everything is checked before anything is written: the
/// manifest (its version, the key check against APP_SECRET, the database kind, a schema this binary knows), the
/// backup's own files against their SHA-256, and that the target database and file store are empty. Then the files
/// go into the store (each hash-checked) and the database last, in one step (SQLite: a rename; PostgreSQL:
/// pg_restore in one transaction). A restore stopped half-way leaves only this backup's files in the store, which a
/// second run accepts.
///
/// A listed file that is missing (from the bucket, for a list-only S3 backup; from the folder's `files/`) refuses
/// the restore, naming it, unless `allowMissing`: then it is printed and the rows that name it stay without their
/// file (downloading it answers 404). Files the backup recorded as deleted after its snapshot are printed likewise.
struct BackupRestorer {
    let app: Application
    let directory: URL
    var allowMissing = false
    let say: (String) -> Void

    init(app: Application, directory: URL, allowMissing: Bool = false, say: @escaping (String) -> Void) {
        self.app = app
        self.directory = directory
        self.allowMissing = allowMissing
        self.say = say
    }

    struct Outcome {
        var manifest: BackupManifest
        /// The rows of the restored database whose file is not in the store: missing files (with `allowMissing`)
        /// and those deleted after the backup's snapshot.
        var withoutFile: [String]
    }

    static func missingAdvice(_ store: any FileStore) -> String {
        "Point STORAGE_URL at the store the backup was made from (or its replica); with bucket versioning, a deleted object comes back by removing its delete marker: aws s3api list-object-versions --bucket BUCKET --prefix KEY, then aws s3api delete-object --bucket BUCKET --key KEY --version-id ID-OF-THE-DELETE-MARKER. Or run again with --allow-missing to restore without them (their rows stay; downloading such a file answers 404). The database was not restored."
    }

    func run() async throws -> Outcome {
        let fm = FileManager.default
        let settings = app.settings
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandFailure(description: "restore: \(directory.path) is not a folder", status: 64)
        }
        let manifest = try readManifest()
        guard manifest.keyCheck == BackupKeyCheck.value(appSecret: settings.appSecret) else {
            throw CommandFailure(
                description:
                    "restore: APP_SECRET is not the one this backup was made with: the national IDs in it are sealed with that secret and could not be read. Set APP_SECRET to the backup's secret (in development, copy its DATA_DIR/secret.key). Nothing was written.",
                status: 1)
        }
        let kind = DatabaseCopy.kind(settings)
        guard manifest.database.kind == kind else {
            throw CommandFailure(
                description:
                    "restore: the backup holds a \(manifest.database.kind) database and this deployment uses \(kind) (DATABASE_URL \(kind == "sqlite" ? "unset" : "set")); restore into the same kind. Nothing was written.",
                status: 1)
        }
        let known = Set(AllMigrations.list(staffNationalIDs: try app.staffNationalIDs).map(\.name))
        let unknown = manifest.migrations.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw CommandFailure(
                description:
                    "restore: the backup was made by a newer eservice: \(unknown.count) of its migrations are unknown to this one (the first: \(unknown[0])); restore with that version or a later one. Nothing was written.",
                status: 1)
        }

        // The backup's own files, whole.
        let databaseFile = directory.appendingPathComponent(DatabaseCopy.fileName(kind: kind))
        guard manifest.database.file == databaseFile.lastPathComponent, fm.fileExists(atPath: databaseFile.path) else {
            throw CommandFailure(description: "restore: \(databaseFile.path) is missing. Nothing was written.", status: 65)
        }
        let (bytes, sha) = try await app.threadPool.runIfActive { try FileDigest.sha256(path: databaseFile.path) }
        guard bytes == manifest.database.bytes, sha == manifest.database.sha256 else {
            throw CommandFailure(description: "restore: \(databaseFile.path) does not match the manifest's SHA-256 (damaged). Nothing was written.", status: 65)
        }
        let entries = try readList(manifest)

        if kind == "postgresql" { _ = try PostgresTools.find("pg_restore") }  // before anything is written

        // The target is empty.
        let hasTables = kind == "sqlite" ? try await DatabaseCopy.sqliteHasTables(app) : try await DatabaseCopy.postgresHasTables(app)
        guard !hasTables else {
            throw CommandFailure(
                description:
                    "restore: the target database (\(kind == "sqlite" ? settings.dataDirectory.appendingPathComponent("eservice.sqlite").path : "DATABASE_URL")) is not empty; restore only into a new, empty deployment. Nothing was written.",
                status: 1)
        }
        let store = app.fileStore
        if manifest.storage.filesCopied {
            let listed = Set(entries.map(\.name))
            var others: [String] = []
            try await store.list(prefix: "") { page in others += page.map(\.name).filter { !listed.contains($0) } }
            guard others.isEmpty else {
                throw CommandFailure(
                    description:
                        "restore: the file store (\(store)) already holds \(others.count) files that are not in this backup (the first: \(others.sorted()[0])); restore only into an empty store. Nothing was written.",
                    status: 1)
            }
        }

        // The files, then the database.
        var withoutFile: [String] = []
        let deletedAfterSnapshot = manifest.storage.deletedAfterSnapshot ?? []
        if !deletedAfterSnapshot.isEmpty {
            say(
                "\(deletedAfterSnapshot.count) files the database names were deleted after the backup's snapshot, with their rows; here their rows stay without them (downloads answer 404):"
            )
            for name in deletedAfterSnapshot { say("  deleted after the snapshot: \(name)") }
            withoutFile += deletedAfterSnapshot
        }
        let refs = entries.map { FileReferences.Reference(name: $0.name, sha256: $0.sha256) }
        if manifest.storage.filesCopied {
            say("Copying \(entries.count) files to \(store), checking each SHA-256")
            let source = LocalFileStore(root: directory.appendingPathComponent(BackupWriter.filesFolder, isDirectory: true), threadPool: app.threadPool)
            let report = try await FileCopier(source: source, target: store, spoolDirectory: app.uploadSpoolDirectory).copy(refs) { done in
                if done % 500 == 0 { say("  \(done) of \(entries.count)") }
            }
            guard report.mismatches.isEmpty, report.missing.isEmpty || allowMissing else {
                let names = (report.missing.prefix(50).map { "missing from the backup: \($0)" } + report.mismatches.prefix(20).map { "mismatch: \($0)" })
                let advice =
                    report.mismatches.isEmpty
                    ? " Run again with --allow-missing to restore without the missing files (their rows stay; downloading such a file answers 404)." : ""
                throw CommandFailure(
                    description: "restore: \(report); the database was not restored.\(advice)\n  \(names.joined(separator: "\n  "))", status: 1)
            }
            if !report.missing.isEmpty {
                say("\(report.missing.count) listed files are missing from the backup; restored without them (--allow-missing):")
                for name in report.missing { say("  missing: \(name)") }
                withoutFile += report.missing
            }
        } else {
            say("Checking the \(entries.count) listed files in \(store) (the backup holds only their list)")
            var missing: [String] = []
            var mismatches: [String] = []
            for entry in entries {
                guard LocalFileStore.isValidName(entry.name), try await store.info(entry.name) != nil else {
                    missing.append(entry.name)
                    continue
                }
                if try await store.sha256(entry.name) != entry.sha256 { mismatches.append(entry.name) }
            }
            guard mismatches.isEmpty, missing.isEmpty || allowMissing else {
                let names = (missing.prefix(50).map { "missing: \($0)" } + mismatches.prefix(20).map { "mismatch: \($0)" }).joined(separator: "\n  ")
                throw CommandFailure(
                    description:
                        "restore: \(missing.count) listed files are missing from \(store) and \(mismatches.count) do not match their SHA-256. \(mismatches.isEmpty ? Self.missingAdvice(store) : "Point STORAGE_URL at the bucket the backup was made from (or its replica). The database was not restored.")\n  \(names)",
                    status: 1)
            }
            if !missing.isEmpty {
                say("\(missing.count) listed files are missing from \(store); restored without them (--allow-missing):")
                for name in missing { say("  missing: \(name)") }
                withoutFile += missing
            }
        }
        say("Restoring the \(kind) database")
        if kind == "sqlite" {
            try await DatabaseCopy.placeSQLite(app, from: databaseFile)
        } else {
            try await DatabaseCopy.restorePostgres(app, from: databaseFile)
        }
        return Outcome(manifest: manifest, withoutFile: withoutFile)
    }

    private func readManifest() throws -> BackupManifest {
        let url = directory.appendingPathComponent(BackupManifest.fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CommandFailure(
                description: "restore: \(directory.path) has no \(BackupManifest.fileName): not a backup, or one that did not finish. Nothing was written.",
                status: 65)
        }
        struct Head: Decodable {
            var format: String?
            var version: Int?
        }
        guard let head = try? JSONDecoder().decode(Head.self, from: data), head.format == BackupManifest.formatName, let version = head.version else {
            throw CommandFailure(description: "restore: \(url.path) is not an eservice backup manifest. Nothing was written.", status: 65)
        }
        guard version == BackupManifest.currentVersion else {
            throw CommandFailure(
                description:
                    "restore: the backup's manifest version \(version) is unknown to this eservice (it reads version \(BackupManifest.currentVersion)); restore with the eservice that made it. Nothing was written.",
                status: 65)
        }
        do {
            return try BackupManifest.decode(data)
        } catch {
            throw CommandFailure(description: "restore: \(url.path) cannot be read (\(error)). Nothing was written.", status: 65)
        }
    }

    private func readList(_ manifest: BackupManifest) throws -> [BackupFileEntry] {
        let url = directory.appendingPathComponent(BackupWriter.listName)
        guard manifest.storage.list == BackupWriter.listName, let data = FileManager.default.contents(atPath: url.path),
            Hex.sha256(data) == manifest.storage.listSHA256,
            let entries = try? BackupManifest.decoder.decode([BackupFileEntry].self, from: data), entries.count == manifest.storage.count
        else {
            throw CommandFailure(description: "restore: \(url.path) is missing or does not match the manifest. Nothing was written.", status: 65)
        }
        return entries
    }
}
