import Fluent

/// Something a change sends (an e-mail, a LINE push), written to the outbox in the change's transaction.
public protocol OutboxMessage: Sendable {
    func enqueue(tenant: Tenant?, on db: any Database) async throws
}

extension RenderedMail: OutboxMessage {
    public func enqueue(tenant: Tenant?, on db: any Database) async throws {
        try await EmailOutbox.enqueue(self, tenant: tenant, on: db)
    }
}

/// A failure worth trying again, but not before `seconds` (LINE's `Retry-After`).
public struct OutboxRetryLater: Error, CustomStringConvertible {
    public var seconds: Double
    public var reason: String

    public var description: String { "\(reason) (retry after \(seconds.isFinite ? String(Int(min(max(seconds, 0), 1e9))) : "?") s)" }
}
