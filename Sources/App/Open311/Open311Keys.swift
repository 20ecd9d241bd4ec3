import Fluent
import Foundation
import Vapor

final class Open311KeyRecord: Model, @unchecked Sendable {
    static let schema = "open311_keys"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "label") var label: String
    /// SHA-256 (hex) of the key; the key itself is never stored.
    @Field(key: "key_hash") var keyHash: String
    /// The key's first characters, to tell keys apart in the list.
    @Field(key: "prefix") var prefix: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "created_by_id") var createdByID: UUID?
    @Field(key: "created_by") var createdBy: String
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "revoked_by") var revokedBy: String?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?

    init() {}

    var isRevoked: Bool { revokedAt != nil }
}

/// Open311 API keys of one tenant: issued by its organisation admin, shown once, stored as a hash, found by
/// hash, revoked for good.
enum Open311Keys {
    /// "o311_" and 32 random bytes, base64url: 256 bits, so a plain SHA-256 is a safe thing to store.
    static let marker = "o311_"
    static let prefixLength = 12
    static let labelMaxLength = 100
    /// Active keys a tenant may hold at once.
    static let maxActive = 20

    static func generate() -> String { marker + RandomToken.make(bytes: 32) }

    static func hash(_ key: String) -> String { RandomToken.hash(key) }

    /// Whether `text` could be a key at all (checked before touching the database).
    static func looksValid(_ text: String) -> Bool {
        text.hasPrefix(marker) && RandomToken.looksValid(String(text.dropFirst(marker.count)))
    }

    /// The tenant already holds `maxActive` active keys.
    struct LimitReached: Error, Sendable {}

    /// A new key for `tenant`, audited in the same transaction. Returns the key in clear, the only time it exists.
    /// Throws `LimitReached` when the tenant holds `maxActive` active keys, counted inside the transaction
    /// after taking the tenant's lock, so two requests at once cannot go past the limit.
    static func issue(
        tenant: Tenant, label: String, by actor: AuditActor, ip: String, now: Date = Date(),
        on db: any Database
    ) async throws -> (record: Open311KeyRecord, key: String) {
        let key = generate()
        let r = Open311KeyRecord()
        r.tenantID = tenant.id
        r.label = String(label.prefix(labelMaxLength))
        r.keyHash = hash(key)
        r.prefix = String(key.prefix(prefixLength))
        r.createdAt = now
        r.createdByID = actor.id
        r.createdBy = actor.name
        try await db.writeTransaction { db in
            // Read first: SQLite then refuses a second writer at once (and `writeTransaction` runs it again) instead
            // of making it wait on a thread the first one needs.
            _ = try await activeCount(tenant: tenant, on: db)
            // The tenant's lock: raising its count of keys ever issued locks that row until the transaction ends
            // (PostgreSQL: a second issuer waits here; SQLite: this takes the write lock). The count after it
            // therefore sees every key committed before, and nobody can add one until this one commits.
            _ = try await Sequences.next(scope: "open311-keys:\(tenant.id)", year: 0, on: db)
            guard try await activeCount(tenant: tenant, on: db) < maxActive else { throw LimitReached() }
            try await r.create(on: db)
            try await AuditLog.record(.open311KeyIssued, actor: actor, tenant: tenant.id, detail: "\(r.label) (\(r.prefix)…)", ip: ip, at: now, on: db)
        }
        return (r, key)
    }

    /// Revokes one of the tenant's keys, audited; false when there is no such active key in this tenant.
    static func revoke(_ id: UUID, tenant: Tenant, by actor: AuditActor, ip: String, now: Date = Date(), on db: any Database) async throws -> Bool {
        try await db.writeTransaction { db in
            guard let r = try await find(id, tenant: tenant, on: db), !r.isRevoked else { return false }
            let changed = try await db.claim(
                """
                UPDATE open311_keys SET revoked_at = \(bind: now), revoked_by = \(bind: String(actor.name.prefix(120)))
                WHERE id = \(bind: id) AND tenant_id = \(bind: tenant.id) AND revoked_at IS NULL RETURNING id
                """)
            guard changed else { return false }
            try await AuditLog.record(.open311KeyRevoked, actor: actor, tenant: tenant.id, detail: "\(r.label) (\(r.prefix)…)", ip: ip, at: now, on: db)
            return true
        }
    }

    static func find(_ id: UUID, tenant: Tenant, on db: any Database) async throws -> Open311KeyRecord? {
        try await Open311KeyRecord.query(on: db, tenant: tenant).filter(\.$id == id).first()
    }

    /// Every key of the tenant, active ones first, newest first.
    static func list(tenant: Tenant, on db: any Database) async throws -> [Open311KeyRecord] {
        let all = try await Open311KeyRecord.query(on: db, tenant: tenant).sort(\.$createdAt, .descending).all()
        return all.filter { !$0.isRevoked } + all.filter(\.isRevoked)
    }

    static func activeCount(tenant: Tenant, on db: any Database) async throws -> Int {
        try await Open311KeyRecord.query(on: db, tenant: tenant).filter(\.$revokedAt == nil).count()
    }

    /// The active key of this tenant that `key` is, if any. A key of another tenant, a revoked key and a
    /// made-up one all give nil.
    static func authenticate(_ key: String, tenant: Tenant, on db: any Database) async throws -> Open311KeyRecord? {
        guard looksValid(key) else { return nil }
        return try await Open311KeyRecord.query(on: db, tenant: tenant).filter(\.$keyHash == hash(key))
            .filter(\.$revokedAt == nil).first()
    }

    /// Notes when a key was last used (at most once a minute per key, to spare the database).
    static func touch(_ r: Open311KeyRecord, now: Date = Date(), on db: any Database) async throws {
        if let last = r.lastUsedAt, now.timeIntervalSince(last) < 60 { return }
        let id = try r.requireID()
        try await Open311KeyRecord.query(on: db, tenant: r.tenantID).filter(\.$id == id).set(\.$lastUsedAt, to: now).update()
    }
}
