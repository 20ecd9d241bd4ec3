import CMagic
import Foundation

/// Tells a file's type from its content with libmagic (never from its name).
/// One libmagic handle is shared behind a lock; `magic_buffer` is not safe to call concurrently.
public final class FileTypeSniffer: @unchecked Sendable {
    public enum Failure: Error, Sendable { case cannotOpen, cannotLoadDatabase(String) }

    private let cookie: magic_t
    private let lock = NSLock()

    public init() throws {
        guard let cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR) else { throw Failure.cannotOpen }
        guard magic_load(cookie, nil) == 0 else {
            let message = magic_error(cookie).map { String(cString: $0) } ?? "unknown"
            magic_close(cookie)
            throw Failure.cannotLoadDatabase(message)
        }
        self.cookie = cookie
    }

    deinit { magic_close(cookie) }

    /// The MIME type of the bytes, e.g. "image/png"; "application/octet-stream" when unknown.
    public func mimeType<Bytes: ContiguousBytes>(of bytes: Bytes) -> String {
        lock.lock()
        defer { lock.unlock() }
        let result = bytes.withUnsafeBytes { raw -> String? in
            guard let base = raw.baseAddress, raw.count > 0 else { return "application/x-empty" }
            return magic_buffer(cookie, base, raw.count).map { String(cString: $0) }
        }
        return result ?? "application/octet-stream"
    }
}
