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
    /// The code of the division it was routed to (the service's division when filed); nil when none.
    @OptionalField(key: "division") var division: String?
    /// The officer who holds it, and their name as it was then.
    @OptionalField(key: "assignee_id") var assigneeID: UUID?
    @OptionalField(key: "assignee_name") var assigneeName: String?
    /// Waiting for the citizen's answer to a request for more since then (the SLA clock is stopped).
    @OptionalField(key: "waiting_since") var waitingSince: Date?
    /// Working days spent waiting for the citizen, already added to `dueAt`.
    @Field(key: "paused_days") var pausedDays: Int
    /// When it reached ดำเนินการสำเร็จ or ไม่สามารถดำเนินการได้, and the working days it took (less the days waited).
    @OptionalField(key: "closed_at") var closedAt: Date?
    @OptionalField(key: "work_days") var workDays: Int?
    /// The assignee's reminder one working day before the due date, and the escalations once overdue.
    @OptionalField(key: "reminded_at") var remindedAt: Date?
    @OptionalField(key: "escalated_head_at") var escalatedHeadAt: Date?
    @OptionalField(key: "escalated_admins_at") var escalatedAdminsAt: Date?
    /// The citizen's rating (1–5) of the finished petition, their comment and when (once); how often they reopened it.
    @OptionalField(key: "rating") var rating: Int?
    @OptionalField(key: "rating_comment") var ratingComment: String?
    @OptionalField(key: "rated_at") var ratedAt: Date?
    @Field(key: "reopened_count") var reopenedCount: Int

    init() {}

    var channel: PetitionChannel { PetitionChannel(rawValue: channelRaw) ?? .web }
    var status: PetitionStatus { PetitionStatus(rawValue: statusRaw) ?? .submitted }
    var sla: SLAClock { SLAClock(dueAt: dueAt, waitingSince: waitingSince, isOpen: status.isOpen) }
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
    @Field(key: "kind") var kindRaw: String

    init() {}

    /// A timeline entry by `actor` (its name cut to 120 characters), the one way the stores make them.
    convenience init(
        id: UUID? = nil, tenantID: String, petitionID: UUID, from: String?, to: String, note: String?, actor: PetitionStore.Actor,
        at createdAt: Date, kind: PetitionEventKind
    ) {
        self.init()
        self.id = id
        self.tenantID = tenantID
        self.petitionID = petitionID
        fromStatus = from
        toStatus = to
        self.note = note
        actorKind = actor.kind.rawValue
        actorID = actor.id
        actorName = String(actor.name.prefix(120))
        self.createdAt = createdAt
        kindRaw = kind.rawValue
    }

    /// A record made in memory without its kind (the column's default) is a status entry.
    var kind: PetitionEventKind { PetitionEventKind(rawValue: $kindRaw.value ?? "") ?? .status }
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
    /// The citizen's answer to a request for more that brought the file; nil for a file sent with the filing.
    @OptionalField(key: "event_id") var eventID: UUID?

    init() {}
}
