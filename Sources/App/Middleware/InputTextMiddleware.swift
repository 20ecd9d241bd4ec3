import Foundation
import Vapor

/// Refuses text no person types before any handler reads it: the NUL character anywhere in the path, the
/// query or a form or JSON body. PostgreSQL cannot store it in text (SQLite can), so without this a `%00`
/// became a 500 on one database and a stored oddity on the other. A 400 with a Thai message; on the Open311
/// API, its own error format. Here before routing only the path and query can be seen (a body is collected
/// later, by the route); the CSRF check, the Open311 API and the LINE webhook run `isClean` again once they
/// hold the body.
struct InputTextMiddleware: AsyncMiddleware {
    static let reason = "control-character"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard Self.isClean(request) else {
            if request.url.path.contains("/\(Open311URL.components.map(\.description).joined(separator: "/"))") {
                return Open311Error(.badRequest, "ข้อมูลที่ส่งมามีอักขระควบคุม (NUL) ซึ่งใช้ไม่ได้").body
                    .response(Open311Format.of(path: request.url.path))
            }
            throw Abort(.badRequest, reason: Self.reason)
        }
        return try await next.respond(to: request)
    }

    static func isClean(_ request: Request) -> Bool {
        guard !hasNUL(request.url.path), !hasNUL(request.url.query ?? "") else { return false }
        // Bodies the route collected already (forms, JSON, the API); streamed bodies are not held here.
        guard let body = request.body.data, body.readableBytes > 0 else { return true }
        // Only text bodies: a multipart body carries files, whose bytes may be anything.
        let type = request.headers.contentType
        if type == .urlEncodedForm { return !body.readableBytesView.contains(0) && !hasNUL(String(buffer: body)) }
        if type?.subType == "json" {
            return !body.readableBytesView.contains(0) && String(buffer: body).range(of: "\\u0000", options: .caseInsensitive) == nil
        }
        return true
    }

    /// A raw NUL, or one percent-encoded (`%00`).
    static func hasNUL(_ text: String) -> Bool {
        text.utf8.contains(0) || text.range(of: "%00", options: .caseInsensitive) != nil
    }
}
