import Foundation
import Vapor

/// `eservice backup --to DIR`: a consistent copy of the database, then the files it names (README "Backup and
/// restore"). DIR is created (0700) or must be empty; on failure what was written is removed again.
struct BackupCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "to", help: "A new or empty folder for the backup.")
        var to: String?
        @Flag(name: "with-files", help: "With STORAGE_URL=s3://…: copy the bucket's files into the folder too (a local folder's always are).")
        var withFiles: Bool
    }

    var help: String { "Backs up the database (SQLite: an online copy; PostgreSQL: pg_dump) and the stored files to a folder." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let to = signature.to, !to.isEmpty else { throw CommandFailure(description: "backup: --to DIR is required", status: 64) }
        let directory = URL(fileURLWithPath: to).standardizedFileURL
        let created = try BackupWriter.prepare(directory)
        let started = ContinuousClock.now
        let manifest: BackupManifest
        do {
            manifest = try await BackupWriter(app: context.application, directory: directory, withFiles: signature.withFiles) {
                context.console.print($0)
            }.run()
        } catch {
            BackupWriter.discard(directory, created: created)
            throw error
        }
        let gone = manifest.storage.deletedAfterSnapshot ?? []
        let deleted = gone.isEmpty ? "" : "; \(gone.count) files deleted after the snapshot, with their rows (listed above)"
        context.console.print(
            "Backup written to \(directory.path): \(manifest.database.kind) database (\(manifest.database.bytes) bytes), \(manifest.storage.count) files (\(manifest.storage.bytes) bytes\(manifest.storage.filesCopied ? "" : ", listed; the bucket keeps them"))\(deleted), in \(ContinuousClock.now - started)"
        )
    }
}

/// `eservice restore --from DIR`: into an empty deployment only, with the APP_SECRET the backup was made with.
struct RestoreCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "from", help: "A folder written by eservice backup.")
        var from: String?
        @Flag(name: "allow-missing", help: "Restore even when listed files are missing; each is printed, and its rows stay without it.")
        var allowMissing: Bool
    }

    var help: String { "Restores a backup folder into an empty deployment (empty database and file store), checking every SHA-256." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let from = signature.from, !from.isEmpty else { throw CommandFailure(description: "restore: --from DIR is required", status: 64) }
        let directory = URL(fileURLWithPath: from).standardizedFileURL
        let started = ContinuousClock.now
        let outcome = try await BackupRestorer(app: context.application, directory: directory, allowMissing: signature.allowMissing) {
            context.console.print($0)
        }.run()
        let manifest = outcome.manifest
        let without = outcome.withoutFile.isEmpty ? "" : " (\(outcome.withoutFile.count) files the database names are not in the store, listed above)"
        context.console.print(
            "Restored the backup of \(manifest.created) from \(directory.path): \(manifest.database.kind) database, \(manifest.storage.count) files\(without), in \(ContinuousClock.now - started). Start eservice serve (it brings the schema up to date)."
        )
    }
}
