import Vapor

/// An answer the API refuses with, in the spec's format: a list of `{code, description}` (JSON) or
/// `<errors><error><code/><description/></error></errors>` (XML), `code` being the HTTP status.
struct Open311Error: Error, Sendable {
    var status: HTTPStatus
    var descriptions: [String]
    var headers: [(String, String)] = []

    init(_ status: HTTPStatus, _ descriptions: [String], headers: [(String, String)] = []) {
        self.status = status
        self.descriptions = descriptions.isEmpty ? [Self.generic(status)] : descriptions
        self.headers = headers
    }

    init(_ status: HTTPStatus, _ description: String, headers: [(String, String)] = []) {
        self.init(status, [description], headers: headers)
    }

    var body: Open311Body {
        let items = descriptions.map { Open311Node.object([("code", .int(Int(status.code))), ("description", .string($0))]) }
        return Open311Body(root: "errors", node: .list(element: "error", items), status: status, headers: headers)
    }

    static func generic(_ status: HTTPStatus) -> String {
        switch status.code {
        case 400: "คำขอไม่ถูกต้อง (bad request)"
        case 403: "ไม่มีสิทธิ์ (forbidden)"
        case 404: "ไม่พบข้อมูลที่ขอ (not found)"
        case 405: "ไม่รองรับวิธีการส่งคำขอนี้ (method not allowed)"
        case 413: "ข้อมูลที่ส่งมามีขนาดใหญ่เกินไป (payload too large)"
        case 415: "ต้องส่งข้อมูลแบบ application/x-www-form-urlencoded (unsupported media type)"
        case 429: "มีการเรียกใช้ถี่เกินไป กรุณารอสักครู่แล้วลองใหม่ (too many requests)"
        case 500..<600: "ระบบขัดข้องชั่วคราว กรุณาลองใหม่ภายหลัง (server error)"
        default: "คำขอไม่สำเร็จ"
        }
    }

    static let unknownJurisdiction = Open311Error(.notFound, "ไม่พบหน่วยงาน (jurisdiction_id) นี้")
    static let unknownPath = Open311Error(
        .notFound, "ไม่พบ endpoint นี้ ใช้ services.json, services/{service_code}.json, requests.json หรือ requests/{service_request_id}.json (หรือ .xml)")
}

/// Puts every error under `/open311/v2/` in the spec's format, JSON or XML as the path asks, with the right
/// status: the API's own refusals, an unknown tenant (404), a body too large (413), anything else (a
/// database that is down) as 500 without detail. Sits before `TenantResolver` so an unknown jurisdiction
/// is answered in the format too.
struct Open311ErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            let format = Open311Format.of(path: request.url.path)
            return Self.convert(error, request: request).body.response(format)
        }
    }

    static func convert(_ error: any Error, request: Request) -> Open311Error {
        switch error {
        case let e as Open311Error:
            return e
        case let abort as any AbortError:
            if abort.status == .notFound, abort.reason == "tenant" { return .unknownJurisdiction }
            if abort.status.code >= 500 { request.logger.error("open311 failed", metadata: ["error": .string(String(reflecting: error))]) }
            return Open311Error(abort.status, [])
        case is DecodingError:
            return Open311Error(.badRequest, [])
        default:
            request.logger.error("open311 failed", metadata: ["error": .string(String(reflecting: error))])
            return Open311Error(.internalServerError, [])
        }
    }
}

/// Parameters of a query string or an `application/x-www-form-urlencoded` body, in order, repeats kept.
struct Open311Params: Sendable {
    private(set) var pairs: [(name: String, value: String)] = []

    init(pairs: [(name: String, value: String)]) { self.pairs = pairs }

    /// Parameters left out because their name or value held NUL (PostgreSQL cannot store it): a read takes
    /// them as not given; a filing refuses them by name.
    private(set) var withNUL: [String] = []

    /// nil when the text is not valid percent-encoding.
    init?(urlEncoded text: String) {
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(kv[0]), let value = Self.decode(kv.count > 1 ? kv[1] : "") else { return nil }
            if name.utf8.contains(0) || value.utf8.contains(0) {
                withNUL.append(String(String.UnicodeScalarView(name.unicodeScalars.filter { $0.value >= 0x20 }.prefix(40))))
                continue
            }
            pairs.append((name, value))
        }
    }

    private static func decode(_ s: Substring) -> String? {
        String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// The first value given for `name`, trimmed; nil when absent or blank.
    subscript(name: String) -> String? {
        guard let v = pairs.first(where: { $0.name == name })?.value.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
        return v
    }

    /// A comma-separated parameter (`service_code=a,b`, or repeated), as its non-empty items.
    func list(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.flatMap { $0.value.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `attribute[code]=v` and `attribute[code][]=v` (for several values), code → values in order.
    var attributes: [(code: String, values: [String])] {
        var out: [(code: String, values: [String])] = []
        for (name, value) in pairs {
            guard name.hasPrefix("attribute["), name.hasSuffix("]") else { continue }
            var code = String(name.dropFirst("attribute[".count).dropLast())
            if code.hasSuffix("][") { code = String(code.dropLast(2)) }
            guard !code.isEmpty, !code.contains("["), !code.contains("]") else { continue }
            if let i = out.firstIndex(where: { $0.code == code }) { out[i].values.append(value) } else { out.append((code, [value])) }
        }
        return out
    }

    /// Names that look like attributes but are not well formed (`attribute[]`, `attribute[a][b]`).
    var malformedAttributes: [String] {
        pairs.map(\.name).filter { $0.hasPrefix("attribute") }.filter { name in
            guard name.hasPrefix("attribute["), name.hasSuffix("]") else { return true }
            var code = String(name.dropFirst("attribute[".count).dropLast())
            if code.hasSuffix("][") { code = String(code.dropLast(2)) }
            return code.isEmpty || code.contains("[") || code.contains("]")
        }
    }
}
