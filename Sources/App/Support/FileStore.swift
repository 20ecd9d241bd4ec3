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
