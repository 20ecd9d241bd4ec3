import AsyncHTTPClient
import Domain
import Foundation
import NIOCore
import Vapor

/// A small S3 client: the five operations the file store needs (PUT, GET, HEAD, DELETE object, ListObjectsV2),
/// path-style, every request SigV4-signed (`SigV4Signer` in Domain) with the payload's real SHA-256, on
/// AsyncHTTPClient. Bodies stream both ways; nothing here holds a whole object. Errors name the operation, the
/// HTTP status and S3's error code, never a key or a signature.
struct S3Client: Sendable {
    let location: S3Location
    let http: HTTPClient
    let signer: SigV4Signer
    /// For an object's bytes (a 20 MB licence to a phone on a slow line); other calls get `shortTimeout`.
    static let transferTimeout: TimeAmount = .minutes(30)
    static let shortTimeout: TimeAmount = .seconds(60)

    init(location: S3Location, http: HTTPClient) {
        self.location = location
        self.http = http
        signer = SigV4Signer(
            credentials: .init(accessKeyID: location.accessKeyID, secretAccessKey: location.secretAccessKey), region: location.region)
    }

    struct Failure: Error, CustomStringConvertible {
        var operation: String
        var status: UInt
        var code: String
        var description: String { "S3 \(operation) failed: HTTP \(status)\(code.isEmpty ? "" : " \(code)")" }
    }

    /// Runs `body` again when S3 answers 5xx: S3 asks clients to retry 500 (InternalError) and 503 (SlowDown), and
    /// a filing should not fail on one such answer. Three tries at most, about 0.1 s and then 0.4 s apart. `body`
    /// must be safe to repeat (each PUT re-reads its file from the start).
    static func retrying<T: Sendable>(tries: Int = 3, pause: Double = 0.1, _ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let failure as Failure where failure.status >= 500 && attempt < tries {
                try await Task.sleep(for: .seconds(pause * Double(1 << (2 * (attempt - 1))) * Double.random(in: 0.5...1.5)))
                attempt += 1
            }
        }
    }

    /// What a listing or HEAD says of one object.
    struct ObjectInfo: Sendable, Equatable {
        /// The key without the store's prefix.
        var name: String
        var size: Int
        var lastModified: Date
    }

    struct Page: Sendable {
        var objects: [ObjectInfo]
        var nextToken: String?
    }

    // MARK: Operations

    /// Uploads `body` (its length known to it) whose SHA-256 is `sha256` (signed: AWS S3 and MinIO refuse other bytes).
    func putObject(_ name: String, body: HTTPClientRequest.Body, sha256: String) async throws {
        let response = try await send(
            "PUT", name: name, payloadHash: sha256, body: body, timeout: Self.transferTimeout)
        try await expectOK(response, "PutObject")
        _ = try? await response.body.collect(upTo: 1 << 16)
    }

    /// The object's bytes as they arrive (nil when there is none). The caller reads the body to its end.
    func getObject(_ name: String) async throws -> HTTPClientResponse? {
        let response = try await send("GET", name: name, timeout: Self.transferTimeout)
        if response.status == .notFound {
            _ = try? await response.body.collect(upTo: 1 << 16)
            return nil
        }
        try await expectOK(response, "GetObject")
        return response
    }

    func headObject(_ name: String) async throws -> ObjectInfo? {
        let response = try await send("HEAD", name: name, timeout: Self.shortTimeout)
        _ = try? await response.body.collect(upTo: 1 << 16)
        if response.status == .notFound { return nil }
        guard response.status == .ok else { throw Failure(operation: "HeadObject", status: response.status.code, code: "") }
        let size = response.headers.first(name: "Content-Length").flatMap(Int.init) ?? 0
        // A date we cannot read is never "old": the orphan sweep must not take an object whose row may still be
        // committing.
        let modified = response.headers.first(name: "Last-Modified").flatMap(Self.httpDate) ?? .distantFuture
        return ObjectInfo(name: name, size: size, lastModified: modified)
    }

    /// Removes the object (S3 answers 204 whether or not it was there).
    func deleteObject(_ name: String) async throws {
        let response = try await send("DELETE", name: name, timeout: Self.shortTimeout)
        let status = response.status
        guard status == .noContent || status == .ok || status == .notFound else {
            try await expectOK(response, "DeleteObject")
            return
        }
        _ = try? await response.body.collect(upTo: 1 << 16)
    }

    /// One page (up to 1,000 objects) of the names under `prefix` (relative to the store's own prefix).
    func listObjects(prefix: String, continuationToken: String?) async throws -> Page {
        var query = [("list-type", "2"), ("prefix", location.prefix + prefix), ("max-keys", "1000")]
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        let response = try await send("GET", name: nil, query: query, timeout: Self.shortTimeout)
        try await expectOK(response, "ListObjectsV2")
        let xml = String(buffer: try await response.body.collect(upTo: 16 << 20))
        return Self.parseList(xml, storePrefix: location.prefix)
    }

    // MARK: Requests

    /// The unencoded path of an object (or of the bucket when `name` is nil).
    func path(_ name: String?) -> String {
        guard let name else { return "/\(location.bucket)" }
        return "/\(location.bucket)/\(location.prefix)\(name)"
    }

    private func send(
        _ method: String, name: String?, query: [(String, String)] = [], headers extra: [(String, String)] = [],
        payloadHash: String = SigV4Signer.emptyPayloadHash, body: HTTPClientRequest.Body? = nil, timeout: TimeAmount
    ) async throws -> HTTPClientResponse {
        let now = Date()
        var host = location.endpoint.host ?? ""
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }  // an IPv6 endpoint: Host carries brackets
        if let port = location.endpoint.port { host += ":\(port)" }
        let amzDate = SigV4Signer.amzDate(now)
        var headers = [("Host", host), ("x-amz-content-sha256", payloadHash), ("x-amz-date", amzDate)]
        headers += extra
        let unsigned = path(name)
        let signing = SigV4Signer.Request(method: method, path: unsigned, query: query, headers: headers, payloadHash: payloadHash)
        let authorization = signer.authorization(signing, date: now)
        let queryString = SigV4Signer.canonicalQuery(query)
        var url = location.endpoint.absoluteString + SigV4Signer.uriEncode(unsigned, keepSlash: true)
        if !queryString.isEmpty { url += "?" + queryString }
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (n, v) in headers { request.headers.replaceOrAdd(name: n, value: v) }
        request.headers.replaceOrAdd(name: "Authorization", value: authorization)
        if let body { request.body = body }
        return try await http.execute(request, timeout: timeout)
    }

    private func expectOK(_ response: HTTPClientResponse, _ operation: String) async throws {
        guard (200..<300).contains(response.status.code) else {
            let text = (try? await response.body.collect(upTo: 1 << 16)).map { String(buffer: $0) } ?? ""
            throw Failure(operation: operation, status: response.status.code, code: Self.element("Code", in: text) ?? "")
        }
    }

    // MARK: Parsing

    /// The objects and the continuation token of a ListObjectsV2 answer (a few known elements only).
    static func parseList(_ xml: String, storePrefix: String) -> Page {
        var objects: [ObjectInfo] = []
        var rest = Substring(xml)
        while let open = rest.range(of: "<Contents>"), let close = rest.range(of: "</Contents>", range: open.upperBound..<rest.endIndex) {
            let block = String(rest[open.upperBound..<close.lowerBound])
            rest = rest[close.upperBound...]
            guard let key = element("Key", in: block), key.hasPrefix(storePrefix) else { continue }
            let size = element("Size", in: block).flatMap(Int.init) ?? 0
            let modified = element("LastModified", in: block).flatMap(isoDate) ?? .distantFuture  // unreadable: never "old"
            objects.append(ObjectInfo(name: String(key.dropFirst(storePrefix.count)), size: size, lastModified: modified))
        }
        let truncated = element("IsTruncated", in: xml) == "true"
        return Page(objects: objects, nextToken: truncated ? element("NextContinuationToken", in: xml) : nil)
    }

    /// The text of the first `<name>…</name>`, XML entities decoded.
    static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex) else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }

    /// `2026-12-07T01:56:25.12Z` (any number of fraction digits, or none), as S3 servers write `LastModified`.
    static func isoDate(_ s: String) -> Date? {
        let parts = s.split(whereSeparator: { "-T:Z".contains($0) })
        guard s.hasSuffix("Z"), parts.count == 6, let y = Int(parts[0]), let mo = Int(parts[1]), let d = Int(parts[2]),
            let h = Int(parts[3]), let mi = Int(parts[4]), let sec = Double(parts[5])
        else { return nil }
        var c = DateComponents()
        (c.year, c.month, c.day, c.hour, c.minute, c.second) = (y, mo, d, h, mi, Int(sec))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: c).map { $0.addingTimeInterval(sec - sec.rounded(.down)) }
    }

    static func httpDate(_ s: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: s)
    }
}
