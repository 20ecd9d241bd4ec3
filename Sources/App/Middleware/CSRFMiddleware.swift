import Crypto
import Domain
import Vapor

/// Every form post must carry the session's CSRF token (field `_csrf`, or the `X-CSRF-Token` header).
/// Pages that show a form call `request.csrfToken()`, which starts the session if needed.
struct CSRFMiddleware: AsyncMiddleware {
    static let field = "_csrf"
    static let header = "X-CSRF-Token"
    static let sessionKey = "csrf"
    static let maxFormBody = 1 << 20
    /// Forms with a file (multipart) may be larger; the route's own limit applies after this.
    static let maxMultipartBody = 12 << 20

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard [.POST, .PUT, .PATCH, .DELETE].contains(request.method) else { return try await next.respond(to: request) }
        // The body is collected whether the token comes in it or in the header, so the text check below sees it.
        let limit = request.headers.contentType == .formData ? Self.maxMultipartBody : Self.maxFormBody
        if let body = request.body.data {
            guard body.readableBytes <= limit else { throw Abort(.payloadTooLarge) }
        } else {
            _ = try await request.body.collect(max: limit).get()
        }
        var given = request.headers.first(name: Self.header)
        if given == nil { given = try? request.content.get(String.self, at: Self.field) }
        // The body is whole now (the global check saw only the path and query). Routes behind this middleware
        // take no files (uploads stream, outside it), so a multipart body here is text only.
        guard InputTextMiddleware.isClean(request, formsOnly: true) else { throw Abort(.badRequest, reason: InputTextMiddleware.reason) }
        guard let expected = request.session.data[Self.sessionKey], let given,
            Self.constantTimeEqual(Array(expected.utf8), Array(given.utf8))
        else {
            request.logger.notice("CSRF token missing or wrong")
            throw Abort(.forbidden, reason: "csrf")
        }
        return try await next.respond(to: request)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

extension Request {
    /// The session's CSRF token, created on first use.
    public func csrfToken() -> String {
        if let token = session.data[CSRFMiddleware.sessionKey] { return token }
        let token = RandomToken.make()
        session.data[CSRFMiddleware.sessionKey] = token
        return token
    }
}

/// Unguessable URL-safe tokens and their stored hashes.
public enum RandomToken {
    public static func make(bytes: Int = 32) -> String {
        Data([UInt8].random(count: bytes)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// What the database keeps instead of the token.
    public static func hash(_ token: String) -> String {
        Hex.sha256(Data(token.utf8))
    }

    public static func looksValid(_ token: String) -> Bool {
        (20...100).contains(token.count) && token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
