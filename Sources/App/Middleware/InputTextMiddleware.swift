import Foundation
import Vapor

/// Refuses text no person types before any handler reads it: the NUL character anywhere in the path, the
/// query or a form or JSON body. PostgreSQL cannot store it in text (SQLite can), so without this a `%00`
/// became a 500 on one database and a stored oddity on the other: a 400 with a Thai message. Here, before
/// routing, only the path and query can be seen (a body is collected later, by the route); the CSRF check runs
/// `isClean` again on the whole body, streamed uploads check their text parts, and the Open311 API its own.
struct InputTextMiddleware: AsyncMiddleware {
    static let reason = "control-character"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        // The Open311 API reads its own parameters (a NUL there is a parameter not given, or a 400 naming it on
        // a filing), in the answers its OpenAPI document promises.
        if request.url.path.contains("/\(Open311URL.components.map(\.description).joined(separator: "/"))") {
            return try await next.respond(to: request)
        }
        guard Self.isClean(request) else { throw Abort(.badRequest, reason: Self.reason) }
        return try await next.respond(to: request)
    }

    /// The path, the query and a body the route has collected already. `formsOnly`: the route takes no files
    /// (every page form outside the streamed uploads), so a multipart body may hold no NUL byte either.
    static func isClean(_ request: Request, formsOnly: Bool = false) -> Bool {
        guard !hasNUL(request.url.path), !hasNUL(request.url.query ?? "") else { return false }
        guard let body = request.body.data, body.readableBytes > 0 else { return true }
        let type = request.headers.contentType
        if type == .urlEncodedForm { return !body.readableBytesView.contains(0) && !hasNUL(String(buffer: body)) }
        if type?.subType == "json" {
            return !body.readableBytesView.contains(0) && String(buffer: body).range(of: "\\u0000", options: .caseInsensitive) == nil
        }
        // A multipart body on a route without files: its parts are text, and text holds no NUL.
        if formsOnly, type?.type == "multipart" { return !body.readableBytesView.contains(0) }
        return true
    }

    /// A raw NUL, or one percent-encoded (`%00`).
    static func hasNUL(_ text: String) -> Bool {
        text.utf8.contains(0) || text.range(of: "%00", options: .caseInsensitive) != nil
    }
}
