import Crypto
import Domain
import Fluent
import Foundation
import Vapor

/// A push to a linked citizen's LINE, written to the outbox with the change that causes it. The job holds the
/// exact request body, and its idempotency key gives LINE's retry key, so a push retried by another worker (the
/// first one died mid-request) is delivered once.
struct LinePushMessage: OutboxMessage {
    static let kind = "line.push"

    struct Payload: Codable, Sendable {
        var to: String
        /// `{"messages":[…],"to":"U…"}` as sent.
        var body: String
    }

    var to: String
    var messages: [LineMessage]
    /// Unique for what is told ("petition-filed:<id>"); the outbox keeps one job per key.
    var key: String

    func outboxJob() throws -> NewOutboxJob {
        struct Body: Encodable {
            var to: String
            var messages: [LineMessage]
        }
        let body = String(decoding: try JSONEncoder.line.encode(Body(to: to, messages: messages)), as: UTF8.self)
        return try NewOutboxJob(kind: Self.kind, payload: Payload(to: to, body: body), idempotencyKey: "line:" + key)
    }

    /// LINE's `X-Line-Retry-Key` for a job: a UUID made from its idempotency key, the same on every try.
    static func retryKey(for idempotencyKey: String) -> UUID {
        var bytes = Array(SHA256.hash(data: Data(idempotencyKey.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50  // version 5 (name-based, SHA)
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}

/// Delivers `line.push` jobs. Not sent (and done) when the user has unfollowed or unlinked since; 429 and 5xx
/// are tried again with backoff (at least LINE's `Retry-After`); another 4xx ends the job as failed with LINE's
/// reason; a 409 for an accepted retry key means an earlier try got through.
struct LinePushHandler: OutboxHandler {
    let app: Application

    /// Pushes to one user go in order.
    func sequenceKey(for job: ClaimedJob) -> String? {
        (try? JSONDecoder.outbox.decode(LinePushMessage.Payload.self, from: Data(job.payload.utf8)))?.to
    }

    func handle(_ job: ClaimedJob) async throws {
        let (payload, channel) = try LineChannel.forJob(job, LinePushMessage.Payload.self, app: app)
        let tenant = channel.tenant
        guard let user = try await LineStore.user(tenant: tenant.id, userID: payload.to, on: app.db), user.following, user.citizenID != nil else {
            app.metrics.recordDelivery(.line, .skipped)
            return  // unfollowed or unlinked since: nothing to send
        }
        do {
            _ = try await app.lineAPI.push(channel, body: Data(payload.body.utf8), retryKey: LinePushMessage.retryKey(for: job.idempotencyKey))
            app.metrics.recordDelivery(.line, .sent)
        } catch let error as LineAPIError {
            app.metrics.recordDelivery(.line, .failed)
            if !error.isRetryable { throw OutboxFailure.permanent(error.description) }
            if let seconds = error.retryAfterSeconds { throw OutboxRetryLater(seconds: seconds, reason: error.description) }
            throw error
        } catch {
            app.metrics.recordDelivery(.line, .failed)
            throw error
        }
    }
}

/// LINE's outbox jobs: pushes, and the webhook's events.
func registerLineJobs(_ app: Application) {
    app.registerOutboxHandler(LinePushMessage.kind) { LinePushHandler(app: $0) }
    app.registerOutboxHandler(LineEventHandler.kind) { LineEventHandler(app: $0) }
}
