import Crypto
import Domain
import Fluent
import Foundation
import Vapor

/// Every stored file the database names, with the SHA-256 recorded for it.
enum FileReferences {
    struct Reference: Sendable, Equatable {
        var name: String
        /// nil for a staff registration made before documents kept one.
        var sha256: String?
    }

    /// Identity images and profile photos, petition attachments, issued documents and staff registration
    /// documents, in every tenant, each name once.
    static func all(on db: any Database) async throws -> [Reference] {
        var refs: [Reference] = []
        refs += try await IdentityImageRecord.crossTenantQuery(on: db, because: "copying the file store: every tenant's files")
            .all().map { Reference(name: $0.fileName, sha256: $0.sha256) }
        refs += try await PetitionAttachmentRecord.crossTenantQuery(on: db, because: "copying the file store: every tenant's files")
            .all().map { Reference(name: $0.fileName, sha256: $0.sha256) }
        refs += try await PetitionDocumentRecord.crossTenantQuery(on: db, because: "copying the file store: every tenant's files")
            .all().map { Reference(name: $0.fileName, sha256: $0.sha256) }
        refs += try await StaffAccount.query(on: db).filter(\.$documentFile != nil).all()
            .compactMap { a in a.documentFile.map { Reference(name: $0, sha256: a.documentSHA256) } }
        var seen = Set<String>()
        return refs.filter { seen.insert($0.name).inserted }.sorted { $0.name < $1.name }
    }
}

/// Copies every file the database names from one store to another, checking every SHA-256: the source's
/// against the recorded one before copying, the target's after. Idempotent: a file already in the target with
/// the recorded hash is left as it is; one there with other bytes is replaced.
struct FileCopier {
    let source: any FileStore
    let target: any FileStore
    /// Where each file waits between the two stores (`DATA_DIR/tmp/uploads/`, `.part` files: a crash's leftovers
    /// are swept at the next start).
    let spoolDirectory: URL

    struct Report: Sendable, Equatable, CustomStringConvertible {
        var copied = 0
        var alreadyThere = 0
        /// Names whose source did not match its recorded SHA-256, or whose copy did not.
        var mismatches: [String] = []
        /// Names the database has but the source store has not.
        var missing: [String] = []

        var succeeded: Bool { mismatches.isEmpty && missing.isEmpty }
        var description: String {
            "copied: \(copied), already there with the same SHA-256: \(alreadyThere), mismatches: \(mismatches.count), missing from the source: \(missing.count)"
        }
    }

    enum Outcome: Equatable { case copied, alreadyThere, mismatch, missing }

    func copy(_ refs: [FileReferences.Reference], progress: (Int) -> Void = { _ in }) async throws -> Report {
        var report = Report()
        for (i, ref) in refs.enumerated() {
            switch try await copy(ref) {
            case .copied: report.copied += 1
            case .alreadyThere: report.alreadyThere += 1
            case .mismatch: report.mismatches.append(ref.name)
            case .missing: report.missing.append(ref.name)
            }
            progress(i + 1)
        }
        return report
    }

    func copy(_ ref: FileReferences.Reference) async throws -> Outcome {
        guard LocalFileStore.isValidName(ref.name) else { return .mismatch }
        if let expected = ref.sha256?.lowercased(), try await target.info(ref.name) != nil, try await target.sha256(ref.name) == expected {
            return .alreadyThere
        }
        guard let chunks = try await source.chunks(ref.name) else { return .missing }
        let spool = spoolDirectory.appendingPathComponent("\(UUID().uuidString.lowercased()).part")
        defer { try? FileManager.default.removeItem(at: spool) }
        let (size, sha) = try await spoolAndHash(chunks, to: spool)
        let expected = ref.sha256?.lowercased() ?? sha
        guard sha == expected else { return .mismatch }
        if ref.sha256 == nil, try await target.info(ref.name) != nil, try await target.sha256(ref.name) == sha { return .alreadyThere }
        try await target.putFile(at: spool.path, size: size, sha256: sha, name: ref.name, consume: true)
        return try await target.sha256(ref.name) == expected ? .copied : .mismatch
    }

    /// Writes the stream to `url` (0600) a piece at a time on the thread pool, hashing as it goes.
    private func spoolAndHash(_ chunks: FileChunks, to url: URL) async throws -> (Int, String) {
        let pool = source.threadPool
        let file: SpoolFile = try await pool.runIfActive {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw Abort(.internalServerError, reason: "cannot create \(url.path)")
            }
            return SpoolFile(handle: try FileHandle(forWritingTo: url))
        }
        var hasher = SHA256()
        var size = 0
        for try await piece in chunks {
            hasher.update(data: piece.readableBytesView)
            size += piece.readableBytes
            let data = Data(piece.readableBytesView)
            try await pool.runIfActive { try file.handle.write(contentsOf: data) }
        }
        try await pool.runIfActive { try file.handle.close() }
        return (size, Hex.string(hasher.finalize()))
    }

    /// The spool file's handle, used from one task at a time (each write on the pool, one after another).
    private final class SpoolFile: @unchecked Sendable {
        let handle: FileHandle
        init(handle: FileHandle) { self.handle = handle }
    }
}

/// `eservice files copy --to STORAGE_URL [--from STORAGE_URL]`: copies every file the database names from the
/// configured store (or `--from`) to another (a local folder to S3 when moving a deployment; S3 to a folder as
/// a backup), verifying every SHA-256, and prints what it did. Exits non-zero when any file did not match or
/// was missing. Run it again at any time: what is already there with the right hash is left alone.
struct FilesCommand: AsyncCommandGroup {
    var commands: [String: any AnyAsyncCommand] { ["copy": FilesCopyCommand()] }
    var help: String { "Stored files: copy copies every file the database names to another store, verifying hashes." }
}

struct FilesCopyCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "to", help: "The target store: file:///folder or s3://bucket?endpoint=…&region=… (keys from S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY).")
        var to: String?
        @Option(name: "from", help: "The source store (default: STORAGE_URL, the store the server uses).")
        var from: String?
    }

    var help: String { "Copies every stored file the database names to the --to store and checks every SHA-256." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let settings = app.settings
        func location(_ raw: String) throws -> StorageLocation {
            switch StorageLocation.parse(raw, dataDirectory: settings.dataDirectory, environment: settings.environment) {
            case .success(let l): return l
            case .failure(let problem): throw CommandFailure(description: problem.description, status: 64)
            }
        }
        guard let to = signature.to, !to.isEmpty else { throw CommandFailure(description: "files copy: --to STORAGE_URL is required", status: 64) }
        let targetLocation = try location(to)
        let sourceLocation = try signature.from.map(location) ?? settings.fileStorage
        guard targetLocation != sourceLocation else {
            throw CommandFailure(description: "files copy: the target is the source (\(sourceLocation))", status: 64)
        }
        let copier = FileCopier(
            source: app.makeFileStore(sourceLocation), target: app.makeFileStore(targetLocation), spoolDirectory: app.uploadSpoolDirectory)
        let refs = try await FileReferences.all(on: app.db)
        context.console.print("Copying \(refs.count) files from \(sourceLocation) to \(targetLocation)")
        let report = try await copier.copy(refs) { done in
            if done % 500 == 0 { context.console.print("  \(done) of \(refs.count)") }
        }
        context.console.print(report.description)
        for name in report.mismatches.prefix(50) { context.console.print("  mismatch: \(name)") }
        for name in report.missing.prefix(50) { context.console.print("  missing: \(name)") }
        guard report.succeeded else {
            throw CommandFailure(description: "files copy: \(report.mismatches.count) mismatches, \(report.missing.count) missing (\(report))", status: 1)
        }
    }
}

/// A command that failed for a reason it states (a usage mistake, a copy with mismatches): `eservice` prints the
/// description and exits with `status` instead of reporting a crash.
public struct CommandFailure: Error, CustomStringConvertible {
    public var description: String
    public var status: Int32
}
