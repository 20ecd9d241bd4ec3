import Domain
import Fluent
import Foundation

final class PetitionRecord: Model, @unchecked Sendable {
    static let schema = "petitions"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "number") var number: String
    @OptionalField(key: "citizen_id") var citizenID: UUID?
    @Field(key: "menu") var menu: String
    @Field(key: "service") var service: String
    @Field(key: "service_name") var serviceName: String
    @Field(key: "form_version") var formVersion: Int
    @Field(key: "answers") var answersJSON: String
    @Field(key: "status") var statusRaw: String
    @Field(key: "status_changed_at") var statusChangedAt: Date
    @Field(key: "due_at") var dueAt: Date
    @Field(key: "submission_key") var submissionKey: String
    @Field(key: "version") var version: Int
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    /// `web` (a signed-in citizen) or `open311` (an API client).
    @Field(key: "channel") var channelRaw: String
    /// The Open311 key that filed it, when it came through the API.
    @OptionalField(key: "api_key_id") var apiKeyID: UUID?
    /// Contact details an API client sent with the request (JSON); private, never returned by the API.
    @OptionalField(key: "requester") var requesterJSON: String?

    init() {}

    var channel: PetitionChannel { PetitionChannel(rawValue: channelRaw) ?? .web }
    var status: PetitionStatus { PetitionStatus(rawValue: statusRaw) ?? .submitted }
}

/// Where a petition came from.
enum PetitionChannel: String, Sendable, Codable {
    case web
    case open311
}

final class PetitionEventRecord: Model, @unchecked Sendable {
    static let schema = "petition_events"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "petition_id") var petitionID: UUID
    @OptionalField(key: "from_status") var fromStatus: String?
    @Field(key: "to_status") var toStatus: String
    @OptionalField(key: "note") var note: String?
    @Field(key: "actor_kind") var actorKind: String
    @OptionalField(key: "actor_id") var actorID: UUID?
    @Field(key: "actor_name") var actorName: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

final class PetitionAttachmentRecord: Model, @unchecked Sendable {
    static let schema = "petition_attachments"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "petition_id") var petitionID: UUID
    @Field(key: "field_key") var fieldKey: String
    @Field(key: "file_name") var fileName: String
    @Field(key: "original_name") var originalName: String
    @Field(key: "mime_type") var mimeType: String
    @Field(key: "bytes") var bytes: Int
    @Field(key: "sha256") var sha256: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
