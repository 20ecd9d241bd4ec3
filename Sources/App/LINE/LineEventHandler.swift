import Domain
import Fluent
import Foundation
import Vapor

/// Handles one webhook event from the outbox (`line.event`): follow (greeting), unfollow (no more pushes),
/// a text message ("สถานะ", a tracking number, or anything else), a postback from the bot's buttons, and
/// LINE's `accountLink` result. Replies use the event's reply token; a reply LINE refuses (the token expired)
/// ends the job as failed with LINE's reason.
struct LineEventHandler: OutboxHandler {
    /// The outbox kind of a webhook event, written by `LineWebhookController`.
    static let kind = "line.event"

    struct Payload: Codable, Sendable {
        /// Where the tenant's pages are ("https://host/t/slug" or "https://tenant-host"), for links in replies.
        var linkBase: String
        var event: LineEvent
    }

    let app: Application
    var now: @Sendable () -> Date = { Date() }

    /// One user's events in the order LINE sent them (a follow before the message after it).
    func sequenceKey(for job: ClaimedJob) -> String? {
        (try? JSONDecoder.outbox.decode(Payload.self, from: Data(job.payload.utf8)))?.event.userID
    }

    func handle(_ job: ClaimedJob) async throws {
        let (payload, channel) = try LineChannel.forJob(job, Payload.self, app: app)
        let tenant = channel.tenant
        let event = payload.event
        guard let userID = event.userID else { return }  // groups and rooms: not served
        let db = app.db
        let filing = LineFiling(
            app: app, channel: channel, userID: userID, linkBase: payload.linkBase, now: now(), eventID: event.webhookEventId, eventTime: event.timestamp,
            linkOffer: { try await linkOffer(channel, tenant: tenant, userID: userID, linkBase: payload.linkBase) })
        var replies: [LineMessage] = []
        var mustArrive = false
        switch event.type {
        case "follow":
            try await LineStore.followed(tenant: tenant.id, userID: userID, now: now(), on: db)
            replies = [LineNotices.greeting(tenant: tenant)]
        case "unfollow":
            try await LineStore.unfollowed(tenant: tenant.id, userID: userID, now: now(), on: db)
        case "message":
            guard let message = event.message else { break }
            if let chat = try await filing.message(message) {
                replies = chat.messages
                mustArrive = chat.mustArrive
            } else if message.type == "text", let text = message.text {
                replies = [try await answer(LineCommand.parse(text), tenant: tenant, userID: userID, linkBase: payload.linkBase)]
            } else {
                replies = [LineNotices.help(tenant: tenant)]
            }
        case "postback":
            let data = URLComponents(string: "?" + (event.postback?.data ?? ""))?.queryItems ?? []
            let action = data.first(where: { $0.name == "action" })?.value ?? ""
            switch action {
            case "link": replies = [try await linkOffer(channel, tenant: tenant, userID: userID, linkBase: payload.linkBase)]
            case "status": replies = [try await answer(.status, tenant: tenant, userID: userID, linkBase: payload.linkBase)]
            case _ where action == "file" || action.hasPrefix("file-"):
                let chat = try await filing.postback(action: action, data)
                replies = chat.messages
                mustArrive = chat.mustArrive
            default: replies = [LineNotices.help(tenant: tenant)]
            }
        case "accountLink":
            guard event.link?.result == "ok", let nonce = event.link?.nonce, !nonce.isEmpty,
                let citizenID = try await LineStore.link(tenant: tenant.id, nonce: nonce, userID: userID, now: now(), on: db),
                let citizen = try await CitizenStore.byID(citizenID, tenant: tenant, on: db)
            else { return }
            try await AuditLog.record(
                .lineLinked, actor: AuditActor(id: citizenID, name: citizen.fullName), tenant: tenant.slug,
                detail: "\(citizen.fullName) (\(citizen.maskedNationalID)) ผ่าน LINE", ip: "LINE", on: db)
            replies = [LineNotices.linked(tenant: tenant, name: citizen.fullName)]
        default:
            break
        }
        guard !replies.isEmpty else { return }
        let messages = Array(replies.prefix(5))
        guard let token = event.replyToken, !token.isEmpty else {
            if mustArrive { try await push(channel, to: userID, messages: messages, key: event.webhookEventId ?? "") }
            return
        }
        do {
            try await app.lineAPI.reply(channel, replyToken: token, messages: messages)
        } catch let error as LineAPIError where !error.isRetryable {
            // The reply token is spent or expired (a retried job, a slow photo): what must arrive is pushed instead.
            guard mustArrive else { throw OutboxFailure.permanent(error.description) }
            try await push(channel, to: userID, messages: messages, key: event.webhookEventId ?? "")
        }
    }

    /// A push of what a reply could not carry, with a retry key from the event: sent once however often it is tried.
    func push(_ channel: LineChannel, to userID: String, messages: [LineMessage], key: String) async throws {
        struct Body: Encodable {
            var to: String
            var messages: [LineMessage]
        }
        do {
            _ = try await app.lineAPI.push(
                channel, body: try JSONEncoder.line.encode(Body(to: userID, messages: messages)),
                retryKey: LinePushMessage.retryKey(for: "line-event-push:\(channel.tenant.id):\(key)"))
        } catch let error as LineAPIError where !error.isRetryable {
            throw OutboxFailure.permanent(error.description)
        }
    }

    /// "สถานะ" or a tracking number, for the citizen linked to this LINE user only.
    func answer(_ command: LineCommand, tenant: Tenant, userID: String, linkBase: String) async throws -> LineMessage {
        if case .help = command { return LineNotices.help(tenant: tenant) }
        guard let user = try await LineStore.user(tenant: tenant.id, userID: userID, on: app.db), let citizenID = user.citizenID else {
            return LineNotices.notLinked(tenant: tenant)
        }
        switch command {
        case .tracking(let number):
            guard let row = try await PetitionStore.mine(number: number, citizenID: citizenID, tenant: tenant, on: app.db) else {
                return LineNotices.notFound(number: number)
            }
            return LineNotices.petition(tenant: tenant, petition: Self.line(row), link: linkBase + TenantURL.petition(number).relative)
        default:
            let rows = try await PetitionStore.mine(citizenID: citizenID, tenant: tenant, limit: 5, on: app.db)
            return LineNotices.statusList(tenant: tenant, petitions: rows.map(Self.line), listURL: linkBase + TenantURL.petitions.relative)
        }
    }

    /// A fresh link token from LINE, and the button to the tenant's sign-in page with it.
    func linkOffer(_ channel: LineChannel, tenant: Tenant, userID: String, linkBase: String) async throws -> LineMessage {
        let token: String
        do {
            token = try await app.lineAPI.linkToken(channel, userID: userID)
        } catch let error as LineAPIError where !error.isRetryable {
            throw OutboxFailure.permanent(error.description)
        }
        var c = URLComponents()
        c.queryItems = [URLQueryItem(name: "linkToken", value: token)]
        return LineNotices.linkOffer(tenant: tenant, url: linkBase + TenantURL.lineLink.relative + (c.string ?? ""))
    }

    static func line(_ row: PetitionStore.MineRow) -> LineNotices.PetitionLine {
        LineNotices.PetitionLine(number: row.number, serviceName: row.serviceName, status: row.status, filedAt: row.createdAt)
    }
}
