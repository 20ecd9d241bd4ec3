import Domain
import Fluent
import Foundation
import SQLKit

/// A row of `single_use_tokens`: one table for the single-use links of staff and citizens (migration 038
/// moved the rows of `staff_tokens` and `citizen_tokens` here).
final class SingleUseTokenRecord: Model, @unchecked Sendable {
    static let schema = "single_use_tokens"

    @ID(key: .id) var id: UUID?
    @Field(key: "kind") var kindRaw: String
    /// A staff member's link; nil for the set-up link (nobody exists yet) and for citizens' links.
    @OptionalField(key: "staff_id") var staffID: UUID?
    /// A citizen's link, with the tenant the account belongs to.
    @OptionalField(key: "citizen_id") var citizenID: UUID?
    @OptionalField(key: "tenant_id") var tenantID: String?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var kind: SingleUseToken.Kind? { SingleUseToken.Kind(rawValue: kindRaw) }
}

/// Whose link it is.
enum TokenOwner: Sendable {
    /// A staff account, or nobody yet (the first platform admin's set-up link).
    case staff(UUID?)
    /// A citizen account of one tenant.
    case citizen(tenantID: String, citizenID: UUID)
}

/// Issues, finds and spends single-use links for staff and citizens. The link carries the token; the table
/// keeps only its hash (`SingleUseToken`).
enum SingleUseTokens {
    /// A new link token of `kind` for `owner`; only its hash is written.
    static func issue(_ kind: SingleUseToken.Kind, for owner: TokenOwner, now: Date = Date(), on db: any Database) async throws -> String {
        let token = SingleUseToken(kind: kind, now: now)
        let r = SingleUseTokenRecord()
        r.kindRaw = kind.rawValue
        switch owner {
        case .staff(let id): r.staffID = id
        case .citizen(let tenantID, let citizenID):
            r.tenantID = tenantID
            r.citizenID = citizenID
        }
        r.tokenHash = token.hash
        r.expiresAt = token.expiresAt
        r.createdAt = now
        try await r.create(on: db)
        return token.token
    }

    /// The live (unused, unexpired) token of `kind` for a link, or nil. `tenantID` scopes citizens' links:
    /// another tenant's link is not found, and a citizen's link asked for without a tenant is not found either.
    static func find(
        _ kind: SingleUseToken.Kind, token: String, tenantID: String? = nil, now: Date = Date(),
        on db: any Database
    ) async throws -> SingleUseTokenRecord? {
        guard SingleUseToken.looksValid(token) else { return nil }
        if kind.rawValue.hasPrefix("citizen."), tenantID == nil { return nil }
        let q = SingleUseTokenRecord.query(on: db).filter(\.$tokenHash == SingleUseToken.hash(token)).filter(\.$kindRaw == kind.rawValue)
            .filter(\.$usedAt == nil).filter(\.$expiresAt > now)
        if let tenantID { q.filter(\.$tenantID == tenantID) }
        return try await q.first()
    }

    /// Uses the token once: `false` if another request used it first.
    static func consume(_ record: SingleUseTokenRecord, now: Date = Date(), on db: any Database) async throws -> Bool {
        guard let id = record.id else { return false }
        return try await db.claim("UPDATE single_use_tokens SET used_at = \(bind: now) WHERE id = \(bind: id) AND used_at IS NULL RETURNING id")
    }

    /// Ends every other open link of this kind for the owner (after a reset, older links stop working).
    static func revokeAll(_ kind: SingleUseToken.Kind, for owner: TokenOwner, now: Date = Date(), on db: any Database) async throws {
        let q = SingleUseTokenRecord.query(on: db).filter(\.$kindRaw == kind.rawValue).filter(\.$usedAt == nil)
        switch owner {
        case .staff(let id): if let id { q.filter(\.$staffID == id) }
        case .citizen(let tenantID, let citizenID): q.filter(\.$tenantID == tenantID).filter(\.$citizenID == citizenID)
        }
        try await q.set(\.$usedAt, to: now).update()
    }

    /// Retention: deletes up to `limit` links past their expiry (used or not: an expired link is never found again),
    /// soonest expired first; returns how many went. Staff and every tenant's citizens at once. The expiry is checked
    /// in the outer WHERE too, as every retention sweep does (PostgreSQL re-checks only that on a row it waited for).
    static func sweep(now: Date, limit: Int, on db: any Database) async throws -> Int {
        try await OldestRows.delete(
            from: "single_use_tokens", key: ["id"], where: "expires_at <= \(bind: now)", orderBy: "expires_at", limit: limit, on: sqlDatabase(db))
    }
}
