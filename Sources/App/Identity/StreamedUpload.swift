import Crypto
import Foundation
import MultipartKit
import NIOConcurrencyHelpers
import Vapor

#if canImport(Glibc)
    import Glibc
#endif

/// A multipart form read as it streams in, so a file over its limit is refused as soon as it passes the
/// limit (413) instead of after buffering the whole body. The form's first part must be the CSRF token
/// (`_csrf`, the first input of the form); nothing after it is kept if it does not match.
///
/// Files are not held in memory: each file part is written, as it arrives, to a temporary file (0600) under
/// `DATA_DIR/tmp/uploads/` (`UploadSpool`), and at most `flushBytes` of it wait in memory for the next write.
/// The temporary files are removed when the upload is dropped (after the request, on every error path), and
/// any a crash left behind are swept at the next start. With `sealed` (identity images, whose unmarked original
/// must never be readable on disk) each piece is written encrypted (AES-GCM) under a key that exists only in
/// this process's memory for this one upload.
struct StreamedUpload: Sendable {
    /// A file as it was sent: its name and where its bytes wait on disk. Read it with `read(_:)`, or move it
    /// into the file store; while a `File` (or its upload) is alive the temporary file is kept.
    struct File: Sendable {
        var filename: String
        /// Bytes received.
        var size: Int
        let spool: UploadSpool
        let index: Int

        var isEmpty: Bool { size == 0 }
        /// The temporary file (absent when the file was empty).
        var path: String { spool.path(index) }

        /// The whole file, read on the thread pool (for small files and officers' documents; images are read
        /// inside the image work instead, see `readBlocking`).
        func read(_ app: Application) async throws -> [UInt8] {
            try await app.threadPool.runIfActive { try self.readBlocking() }
        }

        /// At most `limit` bytes from the start (enough for libmagic to tell the type).
        func head(_ limit: Int, _ app: Application) async throws -> [UInt8] {
            try await app.threadPool.runIfActive { try self.readBlocking(limit: limit) }
        }

        /// Reads the file on the calling thread: only from a thread pool or the image work, never an event loop.
        func readBlocking(limit: Int = .max) throws -> [UInt8] {
            let count = min(size, limit)
            guard count > 0 else { return [] }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw UploadSpool.Failure.io("open", errno) }
            defer { close(fd) }
            guard let key = spool.key else { return try UploadSpool.readExactly(fd, count) }
            var out: [UInt8] = []
            out.reserveCapacity(count)
            while out.count < count {
                let header = try UploadSpool.readExactly(fd, 4)
                let length = header.reduce(0) { $0 << 8 | Int($1) }
                out += try UploadSpool.unseal(UploadSpool.readExactly(fd, length), key: key)
            }
            return Array(out.prefix(count))
        }
    }

    /// The last value sent under each text input's name.
    var fields: [String: String] = [:]
    /// Every value sent under each name, in order (checkboxes send several).
    var values: [String: [String]] = [:]
    /// The first file chosen under each file input's name.
    var files: [String: File] = [:]
    /// Every file chosen under each name, in order (an input with `multiple`).
    var fileLists: [String: [File]] = [:]
    /// Files that arrived with bytes (what the per-account upload budget counts).
    var fileCount: Int { fileLists.values.reduce(0) { $0 + $1.filter { !$0.isEmpty }.count } }

    enum Problem: Error, Equatable {
        /// The named file went past `maxFileBytes`.
        case fileTooLarge(field: String)
        /// The whole body went past what the form can need.
        case bodyTooLarge
        case tooManyParts
        case malformed
        case csrf
    }

    static let defaultMaxTextBytes = 4096
    static let defaultMaxParts = 24
    /// File bytes gathered in memory before they are written to the temporary file.
    static let flushBytes = 256 << 10

    /// Reads the request body (registered with `body: .stream`). Only the named file inputs are accepted, and
    /// the body may not be longer than those files at their limit plus a little for the text parts: the
    /// parser keeps part headers in memory, so the total is bounded as it arrives.
    ///
    /// `maxTotalBytes` replaces the default bound (each allowed input's one file at `maxFileBytes`) for forms
    /// whose inputs take several files; `maxParts` bounds how many inputs may be sent. Nothing is written to
    /// disk before the CSRF token (the first part) has been checked.
    static func read(
        _ req: Request, maxFileBytes: Int, files allowed: Set<String>, maxTotalBytes: Int? = nil,
        maxParts: Int = defaultMaxParts, maxTextBytes: Int = defaultMaxTextBytes,
        sealed: Bool = false
    ) async throws -> StreamedUpload {
        guard let contentType = req.headers.contentType, contentType.type == "multipart", contentType.subType == "form-data",
            let boundary = contentType.parameters["boundary"], !boundary.isEmpty, boundary.count <= 200
        else { throw Problem.malformed }
        let maxTotal = (maxTotalBytes ?? allowed.count * maxFileBytes) + (64 << 10) + maxParts * 512
        if let declared = req.headers.first(name: .contentLength).flatMap(Int.init), declared > maxTotal { throw Problem.bodyTooLarge }
        let expectedToken = req.session.data[CSRFMiddleware.sessionKey]
        // Dropped on every way out of this function but the last: its deinit closes and removes what was written.
        let spool = UploadSpool(directory: req.application.uploadSpoolDirectory, key: sealed ? SymmetricKey(size: .bits256) : nil)
        let state = PartState(maxFileBytes: maxFileBytes, allowedFiles: allowed, maxParts: maxParts, maxTextBytes: maxTextBytes, spool: spool)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in state.header(name, value) }
        parser.onBody = { buffer in state.body(&buffer) }
        parser.onPartComplete = { state.complete(expectedToken: expectedToken) }
        let pool = req.application.threadPool
        var total = 0
        for try await chunk in req.body {
            total += chunk.readableBytes
            guard total <= maxTotal else { throw Problem.bodyTooLarge }
            try parser.execute(chunk)
            if let problem = state.problem { throw problem }
            if state.pendingBytes >= flushBytes || state.mustFlush { try await state.flush(on: pool) }
        }
        if let problem = state.problem { throw problem }
        guard state.sawToken else { throw Problem.csrf }
        // A body that stopped in the middle of a part is not a form.
        guard state.name == nil, state.bytes.isEmpty, state.fileIndex == nil else { throw Problem.malformed }
        try await state.flush(on: pool)
        return state.result
    }

    /// Parser callbacks cannot throw or wait: they record the first problem, which `read` throws after each
    /// chunk, and queue file bytes, which `read` writes to the spool between chunks.
    private final class PartState: @unchecked Sendable {
        let maxFileBytes: Int
        let allowedFiles: Set<String>
        let maxParts: Int
        let maxTextBytes: Int
        let spool: UploadSpool
        var result = StreamedUpload()
        var problem: Problem?
        var sawToken = false
        var parts = 0
        var name: String?
        var filename: String?
        /// A text part's bytes (files go to the spool).
        var bytes: [UInt8] = []
        /// The current file part: its spool index and bytes so far.
        var fileIndex: Int?
        var fileBytes = 0
        var pending: [UploadSpool.Write] = []
        var pendingBytes = 0
        /// A file part ended: write and close it before the next chunk.
        var mustFlush = false

        init(maxFileBytes: Int, allowedFiles: Set<String>, maxParts: Int, maxTextBytes: Int, spool: UploadSpool) {
            self.maxTextBytes = maxTextBytes
            self.maxFileBytes = maxFileBytes
            self.allowedFiles = allowedFiles
            self.maxParts = maxParts
            self.spool = spool
        }

        func flush(on pool: NIOThreadPool) async throws {
            guard !pending.isEmpty else { return }
            let writes = pending
            pending = []
            pendingBytes = 0
            mustFlush = false
            let spool = self.spool
            try await pool.runIfActive { try spool.apply(writes) }
        }

        func header(_ field: String, _ value: String) {
            guard field.lowercased() == "content-disposition" else { return }
            name = Self.parameter("name", in: value)
            // A file's name is only a label: control characters (NUL, CR, LF) are dropped, never stored.
            filename = Self.parameter("filename", in: value).map {
                String(String.UnicodeScalarView($0.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
            }
            // Files only under the form's own inputs; anything else is not this form.
            if filename != nil, !allowedFiles.contains(name ?? "") { problem = problem ?? .malformed }
        }

        func body(_ buffer: inout ByteBuffer) {
            guard problem == nil else { return }
            if !sawToken && (name != CSRFMiddleware.field) {
                problem = .csrf
                return
            }
            guard filename != nil, sawToken else {
                if bytes.count + buffer.readableBytes > maxTextBytes {
                    problem = .malformed
                    bytes = []
                    return
                }
                bytes.append(contentsOf: buffer.readableBytesView)
                return
            }
            guard fileBytes + buffer.readableBytes <= maxFileBytes else {
                problem = .fileTooLarge(field: name ?? "")
                return
            }
            let index = fileIndex ?? spool.reserve()
            fileIndex = index
            fileBytes += buffer.readableBytes
            pendingBytes += buffer.readableBytes
            pending.append(.init(index: index, bytes: buffer, last: false))
        }

        func complete(expectedToken: String?) {
            let index = fileIndex
            defer { name = nil; filename = nil; bytes = []; fileIndex = nil; fileBytes = 0 }
            if let index {
                pending.append(.init(index: index, bytes: nil, last: true))
                mustFlush = true
            }
            guard problem == nil else { return }
            parts += 1
            guard parts <= maxParts, let name else { problem = parts > maxParts ? .tooManyParts : .malformed; return }
            if !sawToken {
                guard name == CSRFMiddleware.field, let expectedToken,
                    CSRFMiddleware.constantTimeEqual(Array(expectedToken.utf8), bytes)
                else { problem = .csrf; return }
                sawToken = true
                return
            }
            if let filename {
                // An empty file input (nothing chosen) arrives with an empty name and no bytes.
                if fileBytes > 0 || !filename.isEmpty {
                    let file = File(filename: filename, size: fileBytes, spool: spool, index: index ?? spool.reserve())
                    if result.files[name] == nil { result.files[name] = file }
                    result.fileLists[name, default: []].append(file)
                }
            } else {
                // NUL is no text anyone types, and PostgreSQL cannot store it (InputTextMiddleware refuses it elsewhere).
                guard !bytes.contains(0) else { problem = problem ?? .malformed; return }
                let value = String(decoding: bytes, as: UTF8.self)
                result.fields[name] = value
                result.values[name, default: []].append(value)
            }
        }

        /// `name="x"` from a Content-Disposition value.
        static func parameter(_ key: String, in value: String) -> String? {
            for piece in value.split(separator: ";") {
                let kv = piece.trimmingCharacters(in: .whitespaces)
                guard kv.lowercased().hasPrefix(key + "=") else { continue }
                var v = String(kv.dropFirst(key.count + 1))
                if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
                return v
            }
            return nil
        }
    }
}

/// The temporary files of one upload. Writes happen on the thread pool (`apply`); the files are created 0600
/// with `O_EXCL` under random names, and closed and removed when the spool is released (its last `File` or
/// upload dropped), whatever the way out of the request: success, refusal, error or a cancelled task.
final class UploadSpool: @unchecked Sendable {
    enum Failure: Error, CustomStringConvertible {
        case io(String, Int32)
        var description: String {
            switch self {
            case .io(let call, let code): "upload spool: \(call) failed (errno \(code))"
            }
        }
    }

    struct Write: Sendable {
        var index: Int
        /// nil: no bytes, only the end of the file.
        var bytes: ByteBuffer?
        /// Close the file after this write.
        var last: Bool
    }

    let directory: URL
    /// Set for sealed uploads: a random key for this upload only, never written anywhere.
    let key: SymmetricKey?
    private let lock = NIOLock()
    private var paths: [String] = []
    private var open: [Int: Int32] = [:]
    /// The next AES-GCM nonce (a counter: the key is used for this upload only).
    private var sealed: UInt64 = 0

    init(directory: URL, key: SymmetricKey? = nil) {
        self.directory = directory
        self.key = key
    }

    deinit { discard() }

    /// A name for the next file (created at its first write).
    func reserve() -> Int {
        lock.withLock {
            paths.append(directory.appendingPathComponent("\(UUID().uuidString.lowercased()).part").path)
            return paths.count - 1
        }
    }

    func path(_ index: Int) -> String { lock.withLock { paths[index] } }

    /// Writes queued bytes (blocking: the thread pool only).
    func apply(_ writes: [Write]) throws {
        try lock.withLock {
            for w in writes {
                var fd = open[w.index] ?? -1
                if fd < 0, let bytes = w.bytes, bytes.readableBytes > 0 {
                    fd = Glibc.open(paths[w.index], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                    if fd < 0, errno == ENOENT {
                        try FileManager.default.createDirectory(
                            at: directory, withIntermediateDirectories: true,
                            attributes: [.posixPermissions: 0o700])
                        fd = Glibc.open(paths[w.index], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                    }
                    guard fd >= 0 else { throw Failure.io("open", errno) }
                    open[w.index] = fd
                }
                if let bytes = w.bytes, fd >= 0 {
                    if let key {
                        // One record per piece: its length (4 bytes, big-endian), then nonce, ciphertext and tag.
                        sealed += 1
                        var nonce = [UInt8](repeating: 0, count: 12)
                        for k in 0..<8 { nonce[4 + k] = UInt8(truncatingIfNeeded: sealed >> (8 * (7 - k))) }
                        let box = try AES.GCM.seal(Array(bytes.readableBytesView), using: key, nonce: try AES.GCM.Nonce(data: nonce))
                        guard let combined = box.combined else { throw Failure.io("seal", 0) }
                        let length = combined.count
                        try Self.writeAll(
                            fd,
                            [
                                UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
                                UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
                            ] + combined)
                    } else {
                        try bytes.withUnsafeReadableBytes { try Self.writeAll(fd, $0) }
                    }
                }
                if w.last, fd >= 0 {
                    close(fd)
                    open[w.index] = nil
                }
            }
        }
    }

    /// Closes and removes every file of the upload (also from `deinit`); safe to call more than once. A file
    /// already moved into the file store is not touched (its temporary name no longer exists).
    func discard() {
        lock.withLock {
            for fd in open.values { close(fd) }
            open = [:]
            for p in paths { unlink(p) }
            paths = paths.map { _ in "" }
        }
    }

    static func writeAll<Bytes: ContiguousBytes>(_ fd: Int32, _ bytes: Bytes) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw Failure.io("write", errno) }
                done += n
            }
        }
    }

    static func readExactly(_ fd: Int32, _ count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            while initialized < count {
                let n = Glibc.read(fd, buffer.baseAddress! + initialized, count - initialized)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw Failure.io("read", n < 0 ? errno : 0) }
                initialized += n
            }
        }
    }

    static func unseal(_ record: [UInt8], key: SymmetricKey) throws -> [UInt8] {
        Array(try AES.GCM.open(try AES.GCM.SealedBox(combined: record), using: key))
    }

    /// Temporary files older than `age` (a crash's leftovers); run once the server is up.
    static func sweep(_ directory: URL, olderThan age: TimeInterval = 3600, now: Date = Date()) -> Int {
        let keys: [URLResourceKey] = [.contentModificationDateKey, .isRegularFileKey]
        guard let names = try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: keys) else { return 0 }
        var removed = 0
        for url in names where url.pathExtension == "part" {
            guard let values = try? url.resourceValues(forKeys: Set(keys)), values.isRegularFile == true,
                let modified = values.contentModificationDate, modified < now.addingTimeInterval(-age)
            else { continue }
            if (try? FileManager.default.removeItem(at: url)) != nil { removed += 1 }
        }
        return removed
    }
}

extension Application {
    /// Where uploads wait while they arrive: `DATA_DIR/tmp/uploads/` (the same file system as the file store,
    /// so a kept file is moved, not copied).
    var uploadSpoolDirectory: URL {
        settings.dataDirectory.appendingPathComponent("tmp/uploads", isDirectory: true)
    }
}
