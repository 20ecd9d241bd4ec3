import Domain
import Foundation
import Vapor

/// The citizen's side of LINE's account link: the link in the chat opens `line/link?linkToken=…` (the sign-in
/// page first if needed, which works in LINE's in-app browser); the citizen confirms which account they link,
/// and is sent to LINE's account-link dialog with a single-use nonce. LINE then posts the `accountLink` event
/// (`LineEventHandler`). Asking first keeps someone who forwards their own link token from having a signed-in
/// victim link the victim's account to the sender's LINE without noticing.
struct LineLinkController {

    struct ConfirmPage: Encodable {
        var page: PageChrome
        var csrf: String
        var action: String
        var linkToken: String?
        var citizenName: String
        var maskedID: String
        var problem: String?
        var cancelURL: String
    }

    func confirmPage(_ req: Request) async throws -> Response {
        let token = Self.linkToken(try? req.query.get(String.self, at: "linkToken"))
        return try await render(
            req, linkToken: token,
            problem: token == nil ? "ลิงก์เชื่อมบัญชีไม่ถูกต้อง กรุณากลับไปที่แชต LINE แล้วแตะ “เชื่อมบัญชี e-Service” อีกครั้ง" : nil,
            status: token == nil ? .badRequest : .ok)
    }

    func confirm(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let citizen = try req.citizen
        guard let token = Self.linkToken(try? req.content.get(String.self, at: "linkToken")) else {
            return try await render(
                req, linkToken: nil, problem: "ลิงก์เชื่อมบัญชีไม่ถูกต้อง กรุณากลับไปที่แชต LINE แล้วแตะ “เชื่อมบัญชี e-Service” อีกครั้ง",
                status: .badRequest)
        }
        guard req.application.lineChannel(t.tenant) != nil else {
            return try await render(req, linkToken: token, problem: "หน่วยงานยังไม่เปิดช่องทาง LINE ในขณะนี้ กรุณาลองใหม่ภายหลัง", status: .serviceUnavailable)
        }
        let nonce = try await LineStore.makeNonce(tenant: t.tenant.id, citizenID: try citizen.requireID(), now: Date(), on: req.db)
        // LINE's account-link dialog (`LINE_ACCESS_BASE_URL`, https://access.line.me unless a test server is named).
        let dialog = req.application.settings.lineAccessBase.absoluteString + "/dialog/bot/accountLink"
        var c = URLComponents(string: dialog)
        c?.queryItems = [URLQueryItem(name: "linkToken", value: token), URLQueryItem(name: "nonce", value: nonce)]
        return req.redirect(to: c?.string ?? dialog, redirectType: .normal)
    }

    func unlink(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let citizen = try req.citizen
        let id = try citizen.requireID()
        let done = try await req.db.writeTransaction { db -> Bool in
            guard try await LineStore.unlink(tenant: t.tenant.id, citizenID: id, now: Date(), on: db) else { return false }
            try await AuditLog.record(
                .lineUnlinked, actor: AuditActor(id: id, name: citizen.fullName), tenant: t.tenant.slug,
                detail: "\(citizen.fullName) (\(citizen.maskedNationalID))", ip: req.clientAddress, on: db)
            return true
        }
        req.flash(done ? "ยกเลิกการเชื่อมบัญชี LINE แล้ว จะไม่มีการแจ้งเตือนทาง LINE อีก" : "บัญชีนี้ไม่ได้เชื่อมกับ LINE อยู่แล้ว")
        return req.redirect(to: t.url(.profile))
    }

    private func render(_ req: Request, linkToken: String?, problem: String?, status: HTTPStatus) async throws -> Response {
        let t = try req.tenant
        let citizen = try req.citizen
        let context = ConfirmPage(
            page: PageChrome(request: req, title: "เชื่อมบัญชี LINE – \(t.tenant.thaiName)"), csrf: req.csrfToken(),
            action: t.url(.lineLink), linkToken: linkToken, citizenName: citizen.fullName,
            maskedID: citizen.maskedNationalID, problem: problem, cancelURL: t.url(.account))
        let response = try await req.view.render("tenant/line-link", context).encodeResponse(status: status, for: req)
        // The confirm button's answer leads on to LINE's dialog: browsers apply `form-action` to that redirect too.
        let base = req.application.settings.lineAccessBase
        let origin = "\(base.scheme ?? "https")://\(base.host ?? "access.line.me")" + (base.port.map { ":\($0)" } ?? "")
        response.headers.replaceOrAdd(
            name: "Content-Security-Policy",
            value: SecurityHeadersMiddleware.contentSecurityPolicy
                .replacingOccurrences(of: "form-action 'self'", with: "form-action 'self' \(origin)"))
        return response
    }

    /// LINE's link tokens are short URL-safe strings; anything else is refused before it reaches a redirect.
    static func linkToken(_ raw: String?) -> String? {
        guard let raw, (8...128).contains(raw.count),
            raw.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { return nil }
        return raw
    }
}
