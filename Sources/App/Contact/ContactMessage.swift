import Domain
import Fluent
import Foundation
import SQLKit

/// A message a person sent to a municipality. Tenant-owned: every read goes through `ContactStore`
/// with the tenant first.
final class ContactMessageRecord: Model, @unchecked Sendable {
    static let schema = "contact_messages"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "reference") var reference: String
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "name") var name: String
    @Field(key: "email") var email: String
    @OptionalField(key: "phone") var phone: String?
    @Field(key: "subject") var subject: String
    @Field(key: "body") var body: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

public struct ContactMessage: Sendable, Equatable {
    public var reference: String
    public var name: String
    public var email: String
    public var phone: String?
    public var subject: String
    public var body: String
    public var createdAt: Date
}

public struct NewContactMessage: Sendable {
    public var name: String
    public var email: String
    public var phone: String?
    public var subject: String
    public var body: String
}

public enum ContactStore {
    /// Saves the message unless this token already saved one (a double submit); returns it either way.
    public static func create(tenant: Tenant, token: String, reference: String, message: NewContactMessage, now: Date = Date(), on db: any Database)
        async throws -> (ContactMessage, created: Bool)
    {
        if let existing = try await find(tenant: tenant, token: token, on: db) { return (existing, false) }
        let record = ContactMessageRecord()
        record.tenantID = tenant.id
        record.reference = reference
        record.tokenHash = RandomToken.hash(token)
        record.name = message.name
        record.email = message.email
        record.phone = message.phone
        record.subject = message.subject
        record.body = message.body
        record.createdAt = now
        try await record.create(on: db)
        return (record.value, true)
    }

    public static func find(tenant: Tenant, token: String, on db: any Database) async throws -> ContactMessage? {
        try await ContactMessageRecord.query(on: db, tenant: tenant)
            .filter(\.$tokenHash == RandomToken.hash(token))
            .first()?.value
    }

    public static func list(tenant: Tenant, on db: any Database) async throws -> [ContactMessage] {
        try await ContactMessageRecord.query(on: db, tenant: tenant)
            .sort(\.$createdAt, .descending)
            .all().map(\.value)
    }

    /// Retention: deletes up to `limit` messages received before `before`, oldest first, in every tenant; returns how
    /// many went. The office had each by e-mail; after this the sender's receipt link finds nothing (404).
    /// The date is checked in the outer WHERE too, as every retention sweep does.
    static func sweep(before: Date, limit: Int, on db: any Database) async throws -> Int {
        try await OldestRows.delete(
            from: "contact_messages", key: ["id"], where: "created_at < \(bind: before)", orderBy: "created_at", limit: limit, on: sqlDatabase(db))
    }

    /// "BKT-C2569-7K3M9Q": tenant code, Buddhist-era year, six characters that are easy to read aloud.
    public static func newReference(tenant: Tenant, now: Date = Date()) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        let tail = String((0..<6).map { _ in alphabet.randomElement()! })
        return "\(tenant.config.code)-C\(ThaiYear.of(now))-\(tail)"
    }
}

extension ContactMessageRecord {
    var value: ContactMessage {
        ContactMessage(reference: reference, name: name, email: email, phone: phone, subject: subject, body: body, createdAt: createdAt)
    }
}
