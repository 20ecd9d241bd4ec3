import Domain
import Fluent
import Foundation
import SQLKit

/// Queries on `citizens`, always within one tenant.
enum CitizenStore {
    static func byID(_ id: UUID, tenant: Tenant, on db: any Database) async throws -> CitizenAccount? {
        try await CitizenAccount.query(on: db).filter(\.$id == id).filter(\.$tenantID == tenant.id).first()
    }

    static func byNationalIDHash(_ hash: String, tenant: Tenant, on db: any Database) async throws -> CitizenAccount? {
        try await CitizenAccount.query(on: db).filter(\.$tenantID == tenant.id).filter(\.$nationalIDHash == hash).first()
    }

    static func byEmail(_ email: String, tenant: Tenant, on db: any Database) async throws -> [CitizenAccount] {
        try await CitizenAccount.query(on: db).filter(\.$tenantID == tenant.id).filter(\.$email == email.lowercased()).limit(10).all()
    }

    /// How many accounts of the tenant are in each verification status.
    static func counts(tenant: Tenant, on db: any Database) async throws -> [VerificationStatus: Int] {
        let sql = try sqlDatabase(db)
        let rows = try await sql.raw("""
            SELECT verification_status AS status, COUNT(*) AS n FROM citizens WHERE tenant_id = \(bind: tenant.id)
            GROUP BY verification_status
            """).all()
        var out: [VerificationStatus: Int] = [:]
        for row in rows {
            if let s = VerificationStatus(rawValue: try row.decode(column: "status", as: String.self)) {
                out[s] = try row.decode(column: "n", as: Int.self)
            }
        }
        return out
    }

    /// The verification queue: accounts in `status`, oldest submission first.
    static func queue(tenant: Tenant, status: VerificationStatus, limit: Int = 100, on db: any Database) async throws -> [CitizenAccount] {
        let q = CitizenAccount.query(on: db).filter(\.$tenantID == tenant.id).filter(\.$verificationStatusRaw == status.rawValue)
        switch status {
        case .pending: q.sort(\.$imagesSubmittedAt, .ascending).sort(\.$createdAt, .ascending)
        case .awaitingImages: q.sort(\.$createdAt, .ascending)
        case .verified, .rejected: q.sort(\.$verifiedAt, .descending)
        }
        return try await q.limit(limit).all()
    }

    /// An officer's decision, taken only if the account is still waiting: of two officers deciding at once,
    /// one wins and the other is told. Returns whether this call decided.
    /// `identityVersion` is the set of images the officer looked at: if the citizen sent new ones since, the
    /// decision is not taken.
    static func decide(_ account: CitizenAccount, identityVersion: Int, verified: Bool, reason: String?, staffID: UUID, now: Date = Date(),
                       on db: any Database) async throws -> Bool {
        let id = try account.requireID()
        let status = verified ? VerificationStatus.verified.rawValue : VerificationStatus.rejected.rawValue
        return try await db.claim("""
            UPDATE citizens SET verification_status = \(bind: status), verification_reason = \(bind: reason),
              verified_at = \(bind: now), verified_by = \(bind: staffID), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND verification_status = 'pending' AND identity_version = \(bind: identityVersion) RETURNING id
            """)
    }
}

final class CitizenTokenRecord: Model, @unchecked Sendable {
    static let schema = "citizen_tokens"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "citizen_id") var citizenID: UUID
    @Field(key: "purpose") var purpose: String
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// Single-use e-mailed links for citizens. The seed's reset link must be used within 10 minutes.
/// 256 random bits; the database keeps only the SHA-256.
enum CitizenTokens {
    static let resetLifetime: TimeInterval = 10 * 60
    static let resetPurpose = "reset"

    static func issueReset(for account: CitizenAccount, now: Date = Date(), on db: any Database) async throws -> String {
        let token = RandomToken.make()
        let r = CitizenTokenRecord()
        r.tenantID = account.tenantID
        r.citizenID = try account.requireID()
        r.purpose = resetPurpose
        r.tokenHash = RandomToken.hash(token)
        r.expiresAt = now.addingTimeInterval(resetLifetime)
        r.createdAt = now
        try await r.create(on: db)
        return token
    }

    /// The live reset token of this tenant for a link, or nil (unknown, used, expired, other tenant's).
    static func findReset(_ token: String, tenant: Tenant, now: Date = Date(), on db: any Database) async throws -> CitizenTokenRecord? {
        guard RandomToken.looksValid(token) else { return nil }
        return try await CitizenTokenRecord.query(on: db).filter(\.$tokenHash == RandomToken.hash(token))
            .filter(\.$tenantID == tenant.id).filter(\.$purpose == resetPurpose)
            .filter(\.$usedAt == nil).filter(\.$expiresAt > now).first()
    }

    /// Uses the token once; `false` if another request used it first.
    static func consume(_ record: CitizenTokenRecord, now: Date = Date(), on db: any Database) async throws -> Bool {
        guard let id = record.id else { return false }
        return try await db.claim("UPDATE citizen_tokens SET used_at = \(bind: now) WHERE id = \(bind: id) AND used_at IS NULL RETURNING id")
    }

    /// After a reset, the account's other open links stop working.
    static func revokeAll(citizenID: UUID, now: Date = Date(), on db: any Database) async throws {
        try await CitizenTokenRecord.query(on: db).filter(\.$citizenID == citizenID).filter(\.$usedAt == nil)
            .set(\.$usedAt, to: now).update()
    }
}
