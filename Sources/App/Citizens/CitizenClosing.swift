import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// Where a request to close an account stands.
enum ClosingStatus: String, Codable, Sendable, CaseIterable {
    case pending, approved, refused, withdrawn

    var thai: String {
        switch self {
        case .pending: "รอเจ้าหน้าที่พิจารณา"
        case .approved: "ปิดบัญชีแล้ว"
        case .refused: "ไม่อนุมัติ"
        case .withdrawn: "ผู้ใช้ยกเลิกคำขอ"
        }
    }
}

/// A citizen's request to close their account (049).
final class CitizenClosingRequest: Model, @unchecked Sendable {
    static let schema = "citizen_closing_requests"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "citizen_id") var citizenID: UUID
    @Field(key: "status") var statusRaw: String
    /// The citizen's reason, if they gave one; removed when the account is closed.
    @OptionalField(key: "reason") var reason: String?
    @Field(key: "requested_at") var requestedAt: Date
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @OptionalField(key: "decided_by") var decidedBy: UUID?
    @OptionalField(key: "decided_by_name") var decidedByName: String?
    /// Why the officer refused; the citizen is told.
    @OptionalField(key: "refusal_reason") var refusalReason: String?

    init() {}

    var status: ClosingStatus { ClosingStatus(rawValue: statusRaw) ?? .pending }
}

/// Closing an account: the request, its withdrawal, the officer's decision, and the anonymisation an approval does.
///
/// What an approval removes (`anonymise`): on the account row, the name (replaced by `placeholderName`), the national
/// ID (sealed value and tail emptied; the lookup hash replaced by a random value, so the same ID can register again
/// and nothing links the old row to it), birth date, mobile, address, e-mail and waiting e-mail, the password hash
/// (a random one nobody knows), the notice choices (all off) and every session (a new epoch); the identity and
/// profile images (rows here, files from the store after the commit), the single-use links, LINE link nonces and
/// the LINE link. On the petitions the citizen filed: the person's own answers (`PetitionAnswers.withoutPersonalData`:
/// e-mail, phone and address fields, names, birth dates, bank accounts and the like), any requester details, and the
/// name on their own timeline entries. What stays, as the municipality's record (ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงาน
/// สารบรรณ): the petitions with their number, service, subject matter (what, where, when, details, photos of the
/// matter), timeline and officers' notes, the documents issued on them, the rating, and the account row itself,
/// empty, so the petitions still point at one.
enum CitizenClosing {
    /// What a closed account's petitions and timeline name instead of the person.
    static let placeholderName = "ผู้ใช้ที่ปิดบัญชีแล้ว"
    static let reasonMaxLength = 500

    // MARK: The citizen

    static func pending(citizenID: UUID, tenant: Tenant, on db: any Database) async throws -> CitizenClosingRequest? {
        try await CitizenClosingRequest.query(on: db).filter(\.$tenantID == tenant.id).filter(\.$citizenID == citizenID)
            .filter(\.$statusRaw == ClosingStatus.pending.rawValue).first()
    }

    /// The latest decided request of the account (a refusal is shown with its reason).
    static func latest(citizenID: UUID, tenant: Tenant, on db: any Database) async throws -> CitizenClosingRequest? {
        try await CitizenClosingRequest.query(on: db).filter(\.$tenantID == tenant.id).filter(\.$citizenID == citizenID)
            .sort(\.$requestedAt, .descending).first()
    }

    /// A new request; false when one is already waiting (the unique index keeps it to one).
    static func request(citizenID: UUID, tenant: Tenant, reason: String?, now: Date, on db: any Database) async throws -> Bool {
        let r = CitizenClosingRequest()
        r.tenantID = tenant.id
        r.citizenID = citizenID
        r.statusRaw = ClosingStatus.pending.rawValue
        r.reason = reason
        r.requestedAt = now
        do {
            try await r.create(on: db)
            return true
        } catch let error as any DatabaseError where error.isConstraintFailure {
            return false
        }
    }

    /// The citizen takes a waiting request back; false when none was waiting (decided meanwhile).
    static func withdraw(citizenID: UUID, tenant: Tenant, now: Date, on db: any Database) async throws -> Bool {
        try await db.claim(
            """
            UPDATE citizen_closing_requests SET status = \(bind: ClosingStatus.withdrawn.rawValue), decided_at = \(bind: now), reason = NULL
            WHERE tenant_id = \(bind: tenant.id) AND citizen_id = \(bind: citizenID) AND status = \(bind: ClosingStatus.pending.rawValue) RETURNING id
            """)
    }

    // MARK: Officers

    static func list(tenant: Tenant, status: ClosingStatus, limit: Int = 100, on db: any Database) async throws -> [CitizenClosingRequest] {
        let q = CitizenClosingRequest.query(on: db).filter(\.$tenantID == tenant.id).filter(\.$statusRaw == status.rawValue)
        if status == .pending { q.sort(\.$requestedAt, .ascending) } else { q.sort(\.$decidedAt, .descending) }
        return try await q.limit(limit).all()
    }

    static func pendingCount(tenant: Tenant, on db: any Database) async throws -> Int {
        try await CitizenClosingRequest.query(on: db).filter(\.$tenantID == tenant.id).filter(\.$statusRaw == ClosingStatus.pending.rawValue).count()
    }

    static func find(_ id: UUID, tenant: Tenant, on db: any Database) async throws -> CitizenClosingRequest? {
        try await CitizenClosingRequest.query(on: db).filter(\.$tenantID == tenant.id).filter(\.$id == id).first()
    }

    /// Takes the decision if the request still waits: of two officers deciding at once, or an officer and the
    /// citizen withdrawing, one wins. The citizen's reason goes once decided (it may name them).
    static func decide(
        _ id: UUID, tenant: Tenant, status: ClosingStatus, refusal: String?, staffID: UUID, staffName: String, now: Date, on db: any Database
    ) async throws -> Bool {
        try await db.claim(
            """
            UPDATE citizen_closing_requests SET status = \(bind: status.rawValue), decided_at = \(bind: now), decided_by = \(bind: staffID),
                   decided_by_name = \(bind: String(staffName.prefix(120))), refusal_reason = \(bind: refusal),
                   reason = CASE WHEN \(bind: status == .approved) THEN NULL ELSE reason END
            WHERE tenant_id = \(bind: tenant.id) AND id = \(bind: id) AND status = \(bind: ClosingStatus.pending.rawValue) RETURNING id
            """)
    }

    /// Removes the account's personal data (see the type's note) in the caller's transaction. Returns the stored
    /// files of its images, for the caller to delete from the file store once the transaction has committed.
    static func anonymise(
        citizenID: UUID, tenant: Tenant, unusablePasswordHash: String, now: Date, on db: any Database
    ) async throws -> [String] {
        let sql = try sqlDatabase(db)
        let t = tenant.id
        let files = try await sql.raw(
            "SELECT file_name FROM identity_images WHERE tenant_id = \(bind: t) AND citizen_id = \(bind: citizenID)"
        ).all().map { try $0.decode(column: "file_name", as: String.self) }
        try await sql.raw("DELETE FROM identity_images WHERE tenant_id = \(bind: t) AND citizen_id = \(bind: citizenID)").run()
        try await sql.raw("DELETE FROM single_use_tokens WHERE tenant_id = \(bind: t) AND citizen_id = \(bind: citizenID)").run()
        try await sql.raw("DELETE FROM line_link_nonces WHERE tenant_id = \(bind: t) AND citizen_id = \(bind: citizenID)").run()
        try await sql.raw(
            "UPDATE line_users SET citizen_id = NULL, linked_at = NULL, updated_at = \(bind: now) WHERE tenant_id = \(bind: t) AND citizen_id = \(bind: citizenID)"
        ).run()
        // A complaint half-filed in the LINE chat goes with its photos.
        let chatPhotos = try await LineConversationStore.deleteAll(tenant: t, citizenID: citizenID, on: db)
        // The petitions: the person's own answers and any requester details go; the matter stays.
        let petitions = try await sql.raw(
            "SELECT id, answers FROM petitions WHERE tenant_id = \(bind: t) AND citizen_id = \(bind: citizenID)"
        ).all()
        for row in petitions {
            let id = try row.decode(column: "id", as: UUID.self)
            let raw = try row.decode(column: "answers", as: String.self)
            let scrubbed: String
            if let answers = try? JSONDecoder().decode(PetitionAnswers.self, from: Data(raw.utf8)) {
                scrubbed = String(decoding: try JSONEncoder().encode(answers.withoutPersonalData()), as: UTF8.self)
            } else {
                scrubbed = String(decoding: try JSONEncoder().encode(PetitionAnswers(answers: [])), as: UTF8.self)
            }
            try await sql.raw(
                "UPDATE petitions SET answers = \(bind: scrubbed), requester = NULL WHERE tenant_id = \(bind: t) AND id = \(bind: id)"
            ).run()
        }
        // Files the person sent go (house registration, card copies, bank books, answers to requests for more
        // documents); photos of a complaint's matter and the officers' result photos stay.
        let attachmentScope: SQLQueryString = """
            FROM petition_attachments a WHERE a.tenant_id = \(bind: t) AND a.field_key <> '_result'
              AND a.petition_id IN (SELECT p.id FROM petitions p WHERE p.tenant_id = \(bind: t) AND p.citizen_id = \(bind: citizenID))
              AND NOT (a.event_id IS NULL AND a.mime_type LIKE 'image/%'
                       AND a.petition_id IN (SELECT p.id FROM petitions p WHERE p.tenant_id = \(bind: t) AND p.menu = 'complaints'))
            """
        let attachmentFiles = try await sql.raw("SELECT a.file_name AS file_name \(attachmentScope)").all()
            .map { try $0.decode(column: "file_name", as: String.self) }
        try await sql.raw(
            "DELETE FROM petition_attachments WHERE tenant_id = \(bind: t) AND id IN (SELECT a.id \(attachmentScope))"
        ).run()
        try await sql.raw(
            """
            UPDATE petition_events SET actor_name = \(bind: placeholderName)
            WHERE tenant_id = \(bind: t) AND actor_kind = 'citizen' AND actor_id = \(bind: citizenID)
            """
        ).run()
        // What the person wrote in their own words: answers to requests for more information, reopening reasons,
        // the rating's comment, the reasons of their earlier closing requests.
        try await sql.raw(
            """
            UPDATE petition_events SET note = \(bind: PetitionAnswers.removedOnClosing)
            WHERE tenant_id = \(bind: t) AND actor_kind = 'citizen' AND actor_id = \(bind: citizenID) AND note IS NOT NULL
            """
        ).run()
        try await sql.raw(
            "UPDATE petitions SET rating_comment = NULL WHERE tenant_id = \(bind: t) AND citizen_id = \(bind: citizenID)"
        ).run()
        try await sql.raw(
            "UPDATE citizen_closing_requests SET reason = NULL WHERE tenant_id = \(bind: t) AND citizen_id = \(bind: citizenID)"
        ).run()
        // The account row stays, empty: the petitions point at it. A random lookup hash frees the national ID.
        try await sql.raw(
            """
            UPDATE citizens SET national_id_sealed = '', national_id_hash = \(bind: "closed:" + UUID().uuidString.lowercased()),
                   national_id_tail = '', title = '', first_name = \(bind: placeholderName), last_name = '', birth_date = '', mobile = '',
                   email = '', pending_email = NULL, email_confirmed_at = NULL, address_house = '', address_moo = NULL, address_village = NULL,
                   address_soi = NULL, address_road = NULL, province_code = '', district_code = '', subdistrict_code = '', postcode = '',
                   password_hash = \(bind: unusablePasswordHash), session_epoch = session_epoch + 1, verification_status = 'closed',
                   verification_reason = NULL, notify_status_changes = \(bind: false), notify_filed_email = \(bind: false),
                   notify_identity_email = \(bind: false), notify_filed_line = \(bind: false), notify_status_line = \(bind: false),
                   notify_completed_line = \(bind: false), notify_identity_line = \(bind: false), signed_in_at = NULL,
                   closed_at = \(bind: now), updated_at = \(bind: now)
            WHERE tenant_id = \(bind: t) AND id = \(bind: citizenID)
            """
        ).run()
        return files + attachmentFiles + chatPhotos
    }
}
