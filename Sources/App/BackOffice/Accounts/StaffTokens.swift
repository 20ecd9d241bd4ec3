import Fluent
import Foundation
import SQLKit

final class StaffTokenRecord: Model, @unchecked Sendable {
    static let schema = "staff_tokens"

    @ID(key: .id) var id: UUID?
    @Field(key: "purpose") var purpose: String
    @OptionalField(key: "staff_id") var staffID: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// Single-use links: a password reset (30 minutes) or the first platform admin's set-up (24 hours).
/// The link carries the token; the database keeps only its hash.
enum StaffTokens {
    enum Purpose: String { case reset, setup }

    static let resetLifetime: TimeInterval = 30 * 60
    static let setupLifetime: TimeInterval = 24 * 3600

    static func issue(_ purpose: Purpose, staffID: UUID?, lifetime: TimeInterval, now: Date = Date(), on db: any Database) async throws -> String {
        let token = RandomToken.make()
        let r = StaffTokenRecord()
        r.purpose = purpose.rawValue
        r.staffID = staffID
        r.tokenHash = RandomToken.hash(token)
        r.expiresAt = now.addingTimeInterval(lifetime)
        r.createdAt = now
        try await r.create(on: db)
        return token
    }

    /// The live (unused, unexpired) token record for a link, or nil.
    static func find(_ purpose: Purpose, token: String, now: Date = Date(), on db: any Database) async throws -> StaffTokenRecord? {
        guard RandomToken.looksValid(token) else { return nil }
        return try await StaffTokenRecord.query(on: db).filter(\.$tokenHash == RandomToken.hash(token)).filter(\.$purpose == purpose.rawValue)
            .filter(\.$usedAt == nil).filter(\.$expiresAt > now).first()
    }

    /// Uses the token once: `false` if another request used it first.
    static func consume(_ record: StaffTokenRecord, now: Date = Date(), on db: any Database) async throws -> Bool {
        guard let id = record.id else { return false }
        return try await db.claim("UPDATE staff_tokens SET used_at = \(bind: now) WHERE id = \(bind: id) AND used_at IS NULL RETURNING id")
    }

    /// Ends every other open link of this kind for the account (after a reset, older links stop working).
    static func revokeAll(_ purpose: Purpose, staffID: UUID?, now: Date = Date(), on db: any Database) async throws {
        let q = StaffTokenRecord.query(on: db).filter(\.$purpose == purpose.rawValue).filter(\.$usedAt == nil)
        if let staffID { q.filter(\.$staffID == staffID) }
        try await q.set(\.$usedAt, to: now).update()
    }
}
