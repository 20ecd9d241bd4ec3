import Fluent
import Foundation

/// Something a change sends (an e-mail, a LINE push), written to the outbox in the change's transaction.
/// `runAt` is when it is due: now, or for the notices of an earlier change the time of that change, so that
/// the deliveries of older changes go out before the events of newer ones.
public protocol OutboxMessage: Sendable {
    /// The job that delivers it.
    func outboxJob() throws -> NewOutboxJob
}

extension OutboxMessage {
    public func enqueue(tenant: Tenant?, runAt: Date = Date(), on db: any Database) async throws {
        try await OutboxStore.enqueue([outboxJob()], tenant: tenant, runAt: runAt, on: db)
    }
}

extension RenderedMail: OutboxMessage {
    public func outboxJob() throws -> NewOutboxJob {
        try NewOutboxJob(kind: EmailOutbox.kind, payload: mail, idempotencyKey: idempotencyKey)
    }
}

/// A failure worth trying again, but not before `seconds` (LINE's `Retry-After`).
public struct OutboxRetryLater: Error, CustomStringConvertible {
    public var seconds: Double
    public var reason: String

    public var description: String { "\(reason) (retry after \(seconds.isFinite ? String(Int(min(max(seconds, 0), 1e9))) : "?") s)" }
}
