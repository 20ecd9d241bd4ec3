import Crypto
import Domain
import Foundation
import Imaging
import NIOConcurrencyHelpers
import Vapor

#if canImport(Glibc)
    import Glibc
#endif

/// Where uploaded files live (identity images, profile photos, petition attachments, issued documents, staff
/// registration documents), under generated names "folder/uuid.ext". `STORAGE_URL` chooses one of two:
/// `LocalFileStore` (the folder `DATA_DIR/files`, the embedded default) or `S3FileStore` (an S3-compatible
/// bucket, so that every instance sees every file). Files go in and out as streams: nothing here needs a whole
/// file in memory except `put(_:name:)` and `read(_:sha256:)`, which are for small files.
///
/// Every stored file has its SHA-256 recorded beside its row; reads check it (`read`, `verifiedBody`).
protocol FileStore: Sendable, CustomStringConvertible {
    /// The blocking pool (file reads and hashing run there, never on an event loop).
    var threadPool: NIOThreadPool { get }
    /// Stores `data` under `name`, replacing any file of that name.
    func put(_ data: Data, name: String) async throws
    /// Stores the file at `path` (`size` bytes whose SHA-256 is `sha256`) under `name`. With `consume` the store may
    /// move the file in instead of copying it (the caller no longer needs it).
    func putFile(at path: String, size: Int, sha256: String, name: String, consume: Bool) async throws
    /// The file's bytes as they are read, or nil when the store has no such file.
    func chunks(_ name: String) async throws -> FileChunks?
    /// Size and time of the file, or nil when the store has no such file.
    func info(_ name: String) async throws -> StoredObject?
    /// Removes the file (no error when there is none).
    func remove(_ name: String) async throws
    /// Every stored file whose name starts with `prefix`, given a page at a time (at most 1,000 each).
    func list(prefix: String, page: ([StoredObject]) async throws -> Void) async throws
}

/// A file received into a temporary file, stored under a new name: moved in (local), or streamed up (S3).
struct AdoptedFile: Sendable {
    var name: String
    var size: Int
    var sha256: String
}

/// What a store says of one file.
struct StoredObject: Sendable, Equatable {
    var name: String
    var size: Int
    var modified: Date
}

/// A stored file's bytes, pulled a piece at a time (nothing is read ahead of the consumer).
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    /// The file's length when the store says it (the local file's size, S3's Content-Length).
    let count: Int?
    let pull: @Sendable () async throws -> ByteBuffer?

    struct AsyncIterator: AsyncIteratorProtocol {
        let pull: @Sendable () async throws -> ByteBuffer?
        mutating func next() async throws -> ByteBuffer? { try await pull() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pull: pull) }
}

/// A stored file whose bytes do not match the SHA-256 recorded when it was stored (changed or damaged behind
/// the application's back). Nothing of it is served whole.
struct StoredFileMismatch: AbortError, CustomStringConvertible {
    var name: String
    var status: HTTPResponseStatus { .internalServerError }
    var reason: String { "stored file does not match its recorded SHA-256" }
    var description: String { "stored file \(name) does not match its recorded SHA-256" }
}

extension FileStore {
    /// A new random name under `folder` ("folder/uuid.ext").
    func newName(folder: String, ext: String) -> String {
        "\(folder)/\(UUID().uuidString.lowercased()).\(ext)"
    }

    /// Writes the bytes under a new random name and returns the name relative to the store ("folder/uuid.ext").
    func save(_ data: Data, folder: String, ext: String) async throws -> String {
        let name = newName(folder: folder, ext: ext)
        try await put(data, name: name)
        return name
    }

    /// Stores the file at `path` under a new name under `folder`, hashing it first (one read, a megabyte at a
    /// time, on the thread pool): S3 is sent that hash with the bytes, and signs it (AWS S3 and MinIO refuse bytes
    /// that do not match it; `rclone serve s3` does not check, so reads check again).
    func adoptHashed(_ path: String, folder: String, ext: String) async throws -> AdoptedFile {
        let name = newName(folder: folder, ext: ext)
        let (size, sha) = try await threadPool.runIfActive { try FileDigest.sha256(path: path) }
        try await putFile(at: path, size: size, sha256: sha, name: name, consume: true)
        return AdoptedFile(name: name, size: size, sha256: sha)
    }

    /// The SHA-256 (hex) of a stored file, read as a stream.
    func sha256(_ name: String) async throws -> String {
        guard let chunks = try await chunks(name) else { throw Abort(.notFound) }
        var hasher = SHA256()
        for try await piece in chunks { hasher.update(data: piece.readableBytesView) }
        return Hex.string(hasher.finalize())
    }

    /// The whole file, for small files only; throws `StoredFileMismatch` when it does not match `sha256`.
    func read(_ name: String, sha256 expected: String?) async throws -> Data {
        guard Self.isValidName(name), let chunks = try await chunks(name) else { throw Abort(.notFound) }
        var data = Data()
        var hasher = SHA256()
        for try await piece in chunks {
            hasher.update(data: piece.readableBytesView)
            data.append(contentsOf: piece.readableBytesView)
        }
        if let expected, Hex.string(hasher.finalize()) != expected.lowercased() { throw StoredFileMismatch(name: name) }
        return data
    }

    /// Removes the file, ignoring failures (cleanup paths; a leftover identity file is swept later).
    func delete(_ name: String) async {
        try? await remove(name)
    }

    /// The file as a response body streamed from the store, its SHA-256 checked as it goes. The last piece is
    /// held back until the whole file has matched `sha256`: a file that does not match ends the response short
    /// (the connection is closed), so the client never receives the altered file whole, and it is logged.
    /// Memory: two pieces at a time, whatever the file's size.
    func verifiedBody(_ name: String, sha256 expected: String, logger: Logger) async throws -> Response.Body {
        guard Self.isValidName(name), let chunks = try await chunks(name) else { throw Abort(.notFound) }
        // Only with a known length: a chunked response cut short could leave a keep-alive connection waiting for
        // its last chunk; with Content-Length the client sees a short body and the connection is closed.
        guard let count = chunks.count, count >= 0 else {
            logger.error("stored file has no known length; not streamed", metadata: ["file": .string(name)])
            throw Abort(.badGateway)
        }
        let expected = expected.lowercased()
        return Response.Body(
            managedAsyncStream: { writer in
                var hasher = SHA256()
                var held: ByteBuffer?
                var total = 0
                for try await piece in chunks {
                    hasher.update(data: piece.readableBytesView)
                    total += piece.readableBytes
                    if let previous = held { try await writer.write(.buffer(previous)) }
                    held = piece
                }
                guard Hex.string(hasher.finalize()) == expected, count == total else {
                    logger.error("stored file does not match its recorded SHA-256; response cut short", metadata: ["file": .string(name)])
                    throw StoredFileMismatch(name: name)
                }
                if let held { try await writer.write(.buffer(held)) }
            }, count: count)
    }

    /// Names the application makes: relative, no `..`, no empty segment.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix("/")
            && !name.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty || $0 == ".." || $0 == "." }
    }
}

/// Hashing a file on the calling thread (a thread pool only).
enum FileDigest {
    static let pieceBytes = 1 << 20

    static func sha256(path: String) throws -> (size: Int, sha256: String) {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hasher = SHA256()
        var size = 0
        while let piece = try handle.read(upToCount: pieceBytes), !piece.isEmpty {
            hasher.update(data: piece)
            size += piece.count
        }
        return (size, Hex.string(hasher.finalize()))
    }
}

/// Reads a file a piece at a time on the thread pool; closed at its end or when dropped.
final class FilePieceReader: @unchecked Sendable {
    static let pieceBytes = 256 << 10
    private let lock = NIOLock()
    private var handle: FileHandle?
    private let pool: NIOThreadPool

    init(handle: FileHandle, pool: NIOThreadPool) {
        self.handle = handle
        self.pool = pool
    }

    deinit { try? handle?.close() }

    /// Opens `path` (nil when there is no such file) on the pool.
    static func open(_ path: String, pool: NIOThreadPool) async throws -> (reader: FilePieceReader, size: Int)? {
        try await pool.runIfActive {
            guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
            let size = Int(try handle.seekToEnd())
            try handle.seek(toOffset: 0)
            return (FilePieceReader(handle: handle, pool: pool), size)
        }
    }

    func next() async throws -> ByteBuffer? {
        try await pool.runIfActive {
            try self.lock.withLock {
                guard let handle = self.handle else { return nil }
                guard let data = try handle.read(upToCount: Self.pieceBytes), !data.isEmpty else {
                    try? handle.close()
                    self.handle = nil
                    return nil
                }
                return ByteBuffer(bytes: data)
            }
        }
    }

    var chunks: FileChunks { FileChunks(count: nil, pull: { try await self.next() }) }
}

/// The local folder (`DATA_DIR/files` unless `STORAGE_URL=file:///…` names another): the embedded default, with
/// the same paths as before the store had a second kind, so existing deployments keep their files. Files are
/// 0600 and written under a temporary name first, then renamed, so a crash leaves no half-written file under
/// its real name.
struct LocalFileStore: FileStore {
    let root: URL
    let threadPool: NIOThreadPool

    var description: String { "local folder \(root.path)" }

    func url(_ name: String) -> URL { root.appendingPathComponent(name) }

    func put(_ data: Data, name: String) async throws {
        let url = url(name)
        try await threadPool.runIfActive {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(UUID().uuidString.lowercased()).part")
            guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                try? FileManager.default.removeItem(at: temporary)
                throw Abort(.internalServerError, reason: "cannot write upload")
            }
            guard rename(temporary.path, url.path) == 0 else {
                try? FileManager.default.removeItem(at: temporary)
                throw Abort(.internalServerError, reason: "cannot write upload")
            }
        }
    }

    /// Moves the file in when `consume` (a rename under `DATA_DIR`; a copy across file systems), else copies it.
    func putFile(at path: String, size: Int, sha256: String, name: String, consume: Bool) async throws {
        let url = url(name)
        try await threadPool.runIfActive {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if consume, rename(path, url.path) == 0 { return }
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(UUID().uuidString.lowercased()).part")
            do {
                try FileManager.default.copyItem(atPath: path, toPath: temporary.path)
                _ = chmod(temporary.path, 0o600)
                guard rename(temporary.path, url.path) == 0 else { throw Abort(.internalServerError, reason: "cannot write upload") }
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                throw error
            }
        }
    }

    func chunks(_ name: String) async throws -> FileChunks? {
        guard let (reader, size) = try await FilePieceReader.open(url(name).path, pool: threadPool) else { return nil }
        return FileChunks(count: size, pull: { try await reader.next() })
    }

    func info(_ name: String) async throws -> StoredObject? {
        let url = url(name)
        return try await threadPool.runIfActive {
            guard let a = try? FileManager.default.attributesOfItem(atPath: url.path) else { return nil }
            return StoredObject(
                name: name, size: (a[.size] as? NSNumber)?.intValue ?? 0, modified: a[.modificationDate] as? Date ?? .distantFuture)
        }
    }

    func remove(_ name: String) async throws {
        let url = url(name)
        try await threadPool.runIfActive {
            guard FileManager.default.fileExists(atPath: url.path) else { return }
            do { try FileManager.default.removeItem(at: url) } catch  where !FileManager.default.fileExists(atPath: url.path) {}
        }
    }

    /// Regular files under the folder part of `prefix` whose names start with it (a `.part` a crash left behind too).
    func list(prefix: String, page: ([StoredObject]) async throws -> Void) async throws {
        let folderPart = prefix.contains("/") ? String(prefix[..<prefix.lastIndex(of: "/")!]) : ""
        let start = folderPart.isEmpty ? root : root.appendingPathComponent(folderPart, isDirectory: true)
        let rootPath = root.path
        let all: [StoredObject] = try await threadPool.runIfActive {
            let keys: [URLResourceKey] = [.contentModificationDateKey, .isRegularFileKey, .fileSizeKey]
            guard let e = FileManager.default.enumerator(at: start, includingPropertiesForKeys: keys) else { return [] }
            var found: [StoredObject] = []
            for case let url as URL in e {
                guard let v = try? url.resourceValues(forKeys: Set(keys)), v.isRegularFile == true else { continue }
                let name = String(url.path.dropFirst(rootPath.count).drop(while: { $0 == "/" }))
                guard name.hasPrefix(prefix) else { continue }
                found.append(StoredObject(name: name, size: v.fileSize ?? 0, modified: v.contentModificationDate ?? .distantFuture))
            }
            return found
        }
        for offset in stride(from: 0, to: all.count, by: 1000) { try await page(Array(all[offset..<min(offset + 1000, all.count)])) }
    }
}

extension Application {
    struct SnifferKey: StorageKey { typealias Value = FileTypeSniffer }
    struct FileStoreKey: StorageKey { typealias Value = any FileStore }

    /// The store `STORAGE_URL` chose (set in `configure`).
    var fileStore: any FileStore {
        if let store = storage[FileStoreKey.self] { return store }
        return LocalFileStore(root: settings.fileStoreDirectory, threadPool: threadPool)
    }

    /// A store for `location`, on this application's thread pool and HTTP client.
    func makeFileStore(_ location: StorageLocation) -> any FileStore {
        switch location {
        case .local(let root): LocalFileStore(root: root, threadPool: threadPool)
        case .s3(let s3): S3FileStore(client: S3Client(location: s3, http: http.client.shared), threadPool: threadPool)
        }
    }

    /// libmagic, opened once in `configure` (Application storage is not safe to fill from concurrent requests).
    var fileTypeSniffer: FileTypeSniffer {
        get throws {
            guard let s = storage[SnifferKey.self] else { throw Abort(.internalServerError, reason: "libmagic not opened") }
            return s
        }
    }
}
