import Crypto
import Foundation
import Imaging
import Vapor

/// Uploaded files, kept under `DATA_DIR/files/<folder>/` (never under Public/) with generated names.
/// Reads and writes run on the thread pool, not on an event loop.
struct FileStore: Sendable {
    let root: URL
    let threadPool: NIOThreadPool

    /// Writes the bytes under a new random name and returns the name relative to the store ("folder/uuid.ext").
    func save(_ data: Data, folder: String, ext: String) async throws -> String {
        let name = "\(folder)/\(UUID().uuidString.lowercased()).\(ext)"
        let url = root.appendingPathComponent(name)
        try await threadPool.runIfActive {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw Abort(.internalServerError, reason: "cannot write upload")
            }
        }
        return name
    }

    /// A new random name under `folder` ("folder/uuid.ext"), for `writeBlocking` or `adopt`.
    func newName(folder: String, ext: String) -> String {
        "\(folder)/\(UUID().uuidString.lowercased()).\(ext)"
    }

    /// Writes the bytes (0600) under `name`, on the calling thread (a thread pool or the image work only).
    /// Nothing is left under the name if the write fails.
    func writeBlocking(_ bytes: [UInt8], name: String) throws {
        let url = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: url.path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            try? FileManager.default.removeItem(at: url)
            throw Abort(.internalServerError, reason: "cannot write upload")
        }
    }

    /// Moves a file received into the store (under `DATA_DIR`, so a rename; a copy across file systems) and
    /// returns its new name.
    func adopt(_ path: String, folder: String, ext: String) async throws -> String {
        let name = newName(folder: folder, ext: ext)
        let url = root.appendingPathComponent(name)
        try await threadPool.runIfActive {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if rename(path, url.path) != 0 {
                do {
                    try FileManager.default.copyItem(atPath: path, toPath: url.path)
                    _ = chmod(url.path, 0o600)
                } catch {
                    try? FileManager.default.removeItem(at: url)
                    throw error
                }
            }
        }
        return name
    }

    /// The SHA-256 of a stored file (hex), read a megabyte at a time on the thread pool.
    func sha256(_ name: String) async throws -> String {
        let url = root.appendingPathComponent(name)
        return try await threadPool.runIfActive {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            var hasher = SHA256()
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }
    }

    func read(_ name: String) async throws -> Data {
        guard !name.contains(".."), !name.hasPrefix("/") else { throw Abort(.notFound) }
        let url = root.appendingPathComponent(name)
        return try await threadPool.runIfActive {
            guard let data = FileManager.default.contents(atPath: url.path) else { throw Abort(.notFound) }
            return data
        }
    }

    func delete(_ name: String) async {
        let url = root.appendingPathComponent(name)
        try? await threadPool.runIfActive { try? FileManager.default.removeItem(at: url) }
    }
}

extension Application {
    struct SnifferKey: StorageKey { typealias Value = FileTypeSniffer }

    var fileStore: FileStore { FileStore(root: settings.fileStoreDirectory, threadPool: threadPool) }

    /// libmagic, opened once in `configure` (Application storage is not safe to fill from concurrent requests).
    var fileTypeSniffer: FileTypeSniffer {
        get throws {
            guard let s = storage[SnifferKey.self] else { throw Abort(.internalServerError, reason: "libmagic not opened") }
            return s
        }
    }
}
