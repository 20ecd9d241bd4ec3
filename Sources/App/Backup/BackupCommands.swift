import Foundation
import Vapor

/// `eservice backup --to DIR`: a consistent copy of the database, then the files it names (README "Backup and
/// restore"). DIR is created (0700) or must be empty; on failure what was written is removed again.
struct BackupCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "to", help: "A new or empty folder for the backup.")
        var to: String?
    }

    var help: String { "Backs up the database (SQLite: an online copy; PostgreSQL: pg_dump) and the stored files to a folder." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let to = signature.to, !to.isEmpty else { throw CommandFailure(description: "backup: --to DIR is required", status: 64) }
        let directory = URL(fileURLWithPath: to).standardizedFileURL
        let created = try BackupWriter.prepare(directory)
        let started = ContinuousClock.now
        let manifest: BackupManifest
        do {
            manifest = try await BackupWriter(app: context.application, directory: directory) { context.console.print($0) }.run()
        } catch {
            BackupWriter.discard(directory, created: created)
            throw error
        }
        context.console.print(
            "Backup written to \(directory.path): \(manifest.database.kind) database (\(manifest.database.bytes) bytes), \(manifest.storage.count) files (\(manifest.storage.bytes) bytes\(manifest.storage.filesCopied ? "" : ", listed; the bucket keeps them")), in \(ContinuousClock.now - started)"
        )
    }
}

/// `eservice restore --from DIR`: into an empty deployment only, with the APP_SECRET the backup was made with.
struct RestoreCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "from", help: "A folder written by eservice backup.")
        var from: String?
    }

    var help: String { "Restores a backup folder into an empty deployment (empty database and file store), checking every SHA-256." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let from = signature.from, !from.isEmpty else { throw CommandFailure(description: "restore: --from DIR is required", status: 64) }
        let directory = URL(fileURLWithPath: from).standardizedFileURL
        let started = ContinuousClock.now
        let manifest = try await BackupRestorer(app: context.application, directory: directory) { context.console.print($0) }.run()
        context.console.print(
            "Restored the backup of \(manifest.created) from \(directory.path): \(manifest.database.kind) database, \(manifest.storage.count) files, in \(ContinuousClock.now - started). Start eservice serve (it brings the schema up to date)."
        )
    }
}
