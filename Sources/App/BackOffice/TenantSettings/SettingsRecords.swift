import Fluent
import Foundation

/// `tenant_settings`: display details and identity policy (JSON) and the tenant's settings revision.
final class TenantSettingRecord: Model, @unchecked Sendable {
    static let schema = "tenant_settings"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "revision") var revision: Int64
    @OptionalField(key: "display") var display: String?
    @OptionalField(key: "identity") var identity: String?
    /// The LINE channel settings (JSON), laid over the folder's `line:`.
    @OptionalField(key: "line") var line: String?
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

/// `tenant_services`: one service of a tenant's catalogue as the back office keeps it.
final class TenantServiceRecord: Model, @unchecked Sendable {
    static let schema = "tenant_services"

    /// Where the service came from: the tenant's folder (or its shared catalogue), or added in the back office.
    enum Origin: String { case folder, backoffice }

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "slug") var slug: String
    @Field(key: "menu") var menu: String
    @Field(key: "position") var position: Int
    @Field(key: "name") var name: String
    @Field(key: "description") var description: String
    @Field(key: "sla_days") var slaDays: Int
    @OptionalField(key: "verified_identity") var verifiedIdentity: Bool?
    @Field(key: "retired") var retired: Bool
    /// The code of the division that handles it; nil: none.
    @OptionalField(key: "division") var division: String?
    @Field(key: "origin") var origin: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

/// `form_versions`: one immutable version of a service's form.
final class FormVersionRecord: Model, @unchecked Sendable {
    static let schema = "form_versions"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "service") var service: String
    @Field(key: "version") var version: Int
    @Field(key: "form") var form: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "created_by_id") var createdByID: UUID?
    @OptionalField(key: "created_by") var createdBy: String?

    init() {}
}

/// `service_forms`: the current version of a service's form.
final class ServiceFormRecord: Model, @unchecked Sendable {
    static let schema = "service_forms"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "service") var service: String
    @Field(key: "version") var version: Int
    @Field(key: "form") var form: String
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

/// JSON in a text column, the same on SQLite and PostgreSQL. Keys sorted so equal values store equal text.
enum StoredJSON {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
