import Domain
import Fluent
import Foundation
import Vapor

/// `POST /t/{slug}/line/webhook` (and `/line/webhook` on the tenant's host): LINE's calls for the tenant's
/// Official Account. The signature is checked against the raw body before anything else; a missing or wrong
/// one gets 401 and nothing is processed (only counted for the back office). Each event becomes an outbox job
/// keyed by its `webhookEventId`, so an event LINE redelivers is handled once, and the answer is 200 at once.
struct LineWebhookController {
    static let maxBody: ByteCount = "1mb"

    func receive(_ req: Request) async throws -> Response {
        let tenant = try req.tenant.tenant
        let channel: LineChannel
        switch LineChannel.resolve(tenant, settings: req.application.settings) {
        case .success(let c): channel = c
        case .failure: return Self.json(.notFound, "this municipality has no LINE channel set up")
        }
        let body = req.body.data.map { Array($0.readableBytesView) } ?? []
        let signature = req.headers.first(name: "X-Line-Signature")
        guard LineSignature.isValid(body, secret: channel.secret, signature: signature) else {
            let reason = signature == nil ? "ไม่มี X-Line-Signature" : "X-Line-Signature ไม่ตรงกับเนื้อหา"
            try? await LineStore.rejected(tenant: tenant.id, reason: reason, now: Date(), on: req.db)
            return Self.json(.unauthorized, "invalid signature")
        }
        let webhook: LineWebhookBody
        do {
            webhook = try JSONDecoder().decode(LineWebhookBody.self, from: Data(body))
        } catch {
            return Self.json(.badRequest, "the body is not a LINE webhook")
        }
        let linkBase = Self.linkBase(req, tenant: tenant)
        let events = webhook.events.filter { ($0.webhookEventId ?? "").count.isBetween(1, 64) }
        @Sendable func enqueue(_ event: LineEvent, on db: any Database) async throws {
            try await OutboxStore.enqueue(
                tenant: tenant, kind: LineEventHandler.kind, payload: LineEventHandler.Payload(linkBase: linkBase, event: event),
                idempotencyKey: "line-event:\(tenant.id):\(event.webhookEventId ?? "")", on: db)
        }
        if events.count == 1 {
            try await enqueue(events[0], on: req.db)  // one statement: no transaction needed (LINE mostly sends one event)
        } else if !events.isEmpty {
            try await req.db.writeTransaction { db in
                for event in events { try await enqueue(event, on: db) }
            }
        }
        if !events.isEmpty { req.application.outboxWakeUp.poke() }
        return Self.json(.ok, nil)
    }

    /// Where the tenant's pages are, for links in replies: `PUBLIC_BASE_URL`, or the address LINE called.
    static func linkBase(_ req: Request, tenant: Tenant) -> String {
        CitizenMail.link(req, tenant: tenant, .home).trimmingSuffix("/")
    }

    static func json(_ status: HTTPResponseStatus, _ message: String?) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        let body = message.map { #"{"message":"\#($0)"}"# } ?? "{}"
        return Response(status: status, headers: headers, body: .init(string: body))
    }
}

private extension Int {
    func isBetween(_ low: Int, _ high: Int) -> Bool { (low...high).contains(self) }
}

/// The webhook routes, outside the session and CSRF middleware (LINE's servers have neither).
func registerLineWebhook(on app: Application) {
    let controller = LineWebhookController()
    for source in [TenantResolver.Source.pathPrefix, .hostName] {
        let prefix: [PathComponent] = source == .pathPrefix ? [PathComponent(stringLiteral: SiteURL.tenantPrefix), ":tenant"] : []
        app.grouped(prefix).grouped(TenantResolver(source: source))
            .on(.POST, "line", "webhook", body: .collect(maxSize: LineWebhookController.maxBody), use: controller.receive)
    }
}
