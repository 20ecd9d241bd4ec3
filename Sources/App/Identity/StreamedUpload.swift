import MultipartKit
import Vapor

/// A multipart form read as it streams in, so a file over its limit is refused as soon as it passes the
/// limit (413) instead of after buffering the whole body. The form's first part must be the CSRF token
/// (`_csrf`, the first input of the form); nothing after it is kept if it does not match.
struct StreamedUpload: Sendable {
    struct File: Sendable {
        var filename: String
        var bytes: [UInt8]
    }

    /// The last value sent under each text input's name.
    var fields: [String: String] = [:]
    /// Every value sent under each name, in order (checkboxes send several).
    var values: [String: [String]] = [:]
    /// The first file chosen under each file input's name.
    var files: [String: File] = [:]
    /// Every file chosen under each name, in order (an input with `multiple`).
    var fileLists: [String: [File]] = [:]

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

    /// Reads the request body (registered with `body: .stream`). Only the named file inputs are accepted, and
    /// the body may not be longer than those files at their limit plus a little for the text parts: the
    /// parser keeps part headers in memory, so the total is bounded as it arrives.
    ///
    /// `maxTotalBytes` replaces the default bound (each allowed input's one file at `maxFileBytes`) for forms
    /// whose inputs take several files; `maxParts` bounds how many inputs may be sent.
    static func read(_ req: Request, maxFileBytes: Int, files allowed: Set<String>, maxTotalBytes: Int? = nil,
                     maxParts: Int = defaultMaxParts, maxTextBytes: Int = defaultMaxTextBytes) async throws -> StreamedUpload {
        guard let contentType = req.headers.contentType, contentType.type == "multipart", contentType.subType == "form-data",
              let boundary = contentType.parameters["boundary"], !boundary.isEmpty, boundary.count <= 200 else { throw Problem.malformed }
        let maxTotal = (maxTotalBytes ?? allowed.count * maxFileBytes) + (64 << 10) + maxParts * 512
        if let declared = req.headers.first(name: .contentLength).flatMap(Int.init), declared > maxTotal { throw Problem.bodyTooLarge }
        let expectedToken = req.session.data[CSRFMiddleware.sessionKey]
        let state = PartState(maxFileBytes: maxFileBytes, allowedFiles: allowed, maxParts: maxParts, maxTextBytes: maxTextBytes)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in state.header(name, value) }
        parser.onBody = { buffer in state.body(&buffer) }
        parser.onPartComplete = { state.complete(expectedToken: expectedToken) }
        var total = 0
        for try await chunk in req.body {
            total += chunk.readableBytes
            guard total <= maxTotal else { throw Problem.bodyTooLarge }
            try parser.execute(chunk)
            if let problem = state.problem { throw problem }
        }
        if let problem = state.problem { throw problem }
        guard state.sawToken else { throw Problem.csrf }
        // A body that stopped in the middle of a part is not a form.
        guard state.name == nil, state.bytes.isEmpty else { throw Problem.malformed }
        return state.result
    }

    /// Parser callbacks cannot throw: they record the first problem, which `read` throws after each chunk.
    private final class PartState: @unchecked Sendable {
        let maxFileBytes: Int
        let allowedFiles: Set<String>
        let maxParts: Int
        let maxTextBytes: Int
        var result = StreamedUpload()
        var problem: Problem?
        var sawToken = false
        var parts = 0
        var name: String?
        var filename: String?
        var bytes: [UInt8] = []

        init(maxFileBytes: Int, allowedFiles: Set<String>, maxParts: Int, maxTextBytes: Int) {
            self.maxTextBytes = maxTextBytes
            self.maxFileBytes = maxFileBytes
            self.allowedFiles = allowedFiles
            self.maxParts = maxParts
        }

        func header(_ field: String, _ value: String) {
            guard field.lowercased() == "content-disposition" else { return }
            name = Self.parameter("name", in: value)
            filename = Self.parameter("filename", in: value)
            // Files only under the form's own inputs; anything else is not this form.
            if filename != nil, !allowedFiles.contains(name ?? "") { problem = problem ?? .malformed }
        }

        func body(_ buffer: inout ByteBuffer) {
            guard problem == nil else { return }
            let limit = filename == nil ? maxTextBytes : maxFileBytes
            if bytes.count + buffer.readableBytes > limit {
                problem = filename == nil ? .malformed : .fileTooLarge(field: name ?? "")
                bytes = []
                return
            }
            if !sawToken && (name != CSRFMiddleware.field) {
                problem = .csrf
                return
            }
            bytes.append(contentsOf: buffer.readableBytesView)
        }

        func complete(expectedToken: String?) {
            defer { name = nil; filename = nil; bytes = [] }
            guard problem == nil else { return }
            parts += 1
            guard parts <= maxParts, let name else { problem = parts > maxParts ? .tooManyParts : .malformed; return }
            if !sawToken {
                guard name == CSRFMiddleware.field, let expectedToken,
                      CSRFMiddleware.constantTimeEqual(Array(expectedToken.utf8), bytes) else { problem = .csrf; return }
                sawToken = true
                return
            }
            if let filename {
                // An empty file input (nothing chosen) arrives with an empty name and no bytes.
                if !bytes.isEmpty || !filename.isEmpty {
                    let file = File(filename: filename, bytes: bytes)
                    if result.files[name] == nil { result.files[name] = file }
                    result.fileLists[name, default: []].append(file)
                }
            } else {
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
