import Domain
import Fluent
import Foundation
import SQLKit

/// A complaint being filed in a LINE chat (`line_conversations`): one per tenant and LINE user. Every function
/// takes the tenant first, except the retention sweep, which spans tenants.
enum LineConversationStore {
    /// A photo already in the file store, waiting for the petition.
    struct Photo: Codable, Sendable, Equatable {
        /// LINE's message id: an image handled again (a retried job) is not stored twice.
        var messageID: String
        var fieldKey: String
        var fileName: String
        var originalName: String
        var mimeType: String
        var bytes: Int
        var sha256: String

        var stored: PetitionStore.StoredAttachment {
            .init(fieldKey: fieldKey, fileName: fileName, originalName: originalName, mimeType: mimeType, bytes: bytes, sha256: sha256)
        }
    }

    struct Conversation: Sendable, Equatable {
        var id: UUID
        /// The account that started it: a chat is that citizen's, whoever the LINE user is linked to later.
        var citizenID: UUID
        /// How many times it was written; 0 before its first write.
        var revision: Int
        var service: String?
        /// "service", "photos", "location", "q:<field key>", "confirm", or "filed".
        var step: String
        var photos: [Photo]
        var place: LinePlace?
        /// Field key → the answer as typed or chosen.
        var answers: [String: String]
        var petitionNumber: String?
        /// The webhook events already applied (the latest `eventsKept`): one handled again changes nothing.
        var events: [String]
        /// LINE's time (ms) of the event that started it: an event from before it belongs to an earlier chat.
        var startedEventTime: Int64?
        var createdAt: Date
        var updatedAt: Date

        var isFiled: Bool { step == "filed" }

        func isExpired(at now: Date) -> Bool { !isFiled && updatedAt.addingTimeInterval(LineFilingPlan.expiry) <= now }

        static func new(citizenID: UUID, startedBy eventTime: Int64?, now: Date) -> Conversation {
            Conversation(
                id: UUID(), citizenID: citizenID, revision: 0, service: nil, step: "service", photos: [], place: nil, answers: [:],
                petitionNumber: nil, events: [], startedEventTime: eventTime, createdAt: now, updatedAt: now)
        }
    }

    static let eventsKept = 30

    /// Another event of the same user changed the conversation since it was read: nothing was written, and the
    /// event is applied again to what is there now.
    struct Conflict: Error {}

    static func get(tenant: String, userID: String, on db: any Database) async throws -> Conversation? {
        try await sql(db).raw(
            """
            SELECT id, citizen_id, revision, service, step, photos_json, location_json, answers_json, petition_number, events_json,
                   started_event_ms, created_at, updated_at
            FROM line_conversations WHERE tenant_id = \(bind: tenant) AND user_id = \(bind: userID)
            """
        ).first().map(conversation)
    }

    /// Writes the conversation over the revision it was read at (a new one, revision 0, only where the user has
    /// none); `Conflict` when another write came first. Returns it as written.
    @discardableResult
    static func save(tenant: String, userID: String, _ c: Conversation, now: Date, on db: any Database) async throws -> Conversation {
        let photos = try StoredJSON.encode(c.photos)
        let place = try c.place.map { try StoredJSON.encode($0) }
        let answers = try StoredJSON.encode(c.answers)
        let events = try StoredJSON.encode(Array(c.events.suffix(eventsKept)))
        let written: Bool
        if c.revision == 0 {
            written = try await db.claim(
                """
                INSERT INTO line_conversations (id, tenant_id, user_id, citizen_id, revision, service, step, photos_json, location_json,
                  answers_json, petition_number, events_json, started_event_ms, created_at, updated_at)
                VALUES (\(bind: c.id), \(bind: tenant), \(bind: userID), \(bind: c.citizenID), 1, \(bind: c.service), \(bind: c.step),
                  \(bind: photos), \(bind: place), \(bind: answers), \(bind: c.petitionNumber), \(bind: events), \(bind: c.startedEventTime),
                  \(bind: c.createdAt), \(bind: now))
                ON CONFLICT (tenant_id, user_id) DO NOTHING RETURNING id
                """)
        } else {
            written = try await db.claim(
                """
                UPDATE line_conversations SET revision = revision + 1, service = \(bind: c.service), step = \(bind: c.step),
                  photos_json = \(bind: photos), location_json = \(bind: place), answers_json = \(bind: answers),
                  petition_number = \(bind: c.petitionNumber), events_json = \(bind: events), updated_at = \(bind: now)
                WHERE tenant_id = \(bind: tenant) AND user_id = \(bind: userID) AND id = \(bind: c.id) AND revision = \(bind: c.revision)
                RETURNING id
                """)
        }
        guard written else { throw Conflict() }
        var saved = c
        saved.revision += 1
        saved.updatedAt = now
        return saved
    }

    /// Deletes the conversation if it is still as read; `Conflict` when another write came first.
    static func delete(tenant: String, userID: String, _ c: Conversation, on db: any Database) async throws {
        let deleted = try await db.claim(
            """
            DELETE FROM line_conversations
            WHERE tenant_id = \(bind: tenant) AND user_id = \(bind: userID) AND id = \(bind: c.id) AND revision = \(bind: c.revision)
            RETURNING id
            """)
        guard deleted else { throw Conflict() }
    }

    /// A closed account's conversations go, in the caller's transaction; returns the photos of the unfinished ones
    /// (a filed one's are its petition's), for the caller to delete once committed.
    static func deleteAll(tenant: String, citizenID: UUID, on db: any Database) async throws -> [String] {
        let rows = try await sql(db).raw(
            """
            DELETE FROM line_conversations WHERE tenant_id = \(bind: tenant) AND citizen_id = \(bind: citizenID)
            RETURNING step, photos_json
            """
        ).all()
        return try unfiledPhotos(rows)
    }

    // MARK: Retention

    /// Conversations untouched this long are deleted by the sweep (twice the chat's expiry, so the sweep never
    /// takes one a message is being handled for); a filed one's photos belong to its petition and stay.
    static let sweptAfter: TimeInterval = 2 * LineFilingPlan.expiry

    /// Deletes up to `limit` conversations last changed before `before`, in every tenant; returns how many went and
    /// the photos of the unfinished ones, for the caller to delete from the file store after the commit.
    static func sweep(before: Date, limit: Int, on db: any Database) async throws -> (count: Int, files: [String]) {
        let sql = try sql(db)
        let rows = try await sql.raw(
            """
            DELETE FROM line_conversations WHERE id IN (
              SELECT id FROM line_conversations WHERE updated_at < \(bind: before) ORDER BY updated_at LIMIT \(literal: max(1, limit))
            ) AND updated_at < \(bind: before) RETURNING step, photos_json
            """
        ).all()
        return (rows.count, try unfiledPhotos(rows))
    }

    // MARK: Helpers

    private static func unfiledPhotos(_ rows: [any SQLRow]) throws -> [String] {
        var files: [String] = []
        for row in rows {
            guard try row.decode(column: "step", as: String.self) != "filed" else { continue }
            let photos = (try? StoredJSON.decode([Photo].self, from: try row.decode(column: "photos_json", as: String.self))) ?? []
            files += photos.map(\.fileName)
        }
        return files
    }

    private static func conversation(_ row: any SQLRow) throws -> Conversation {
        let photos = (try? StoredJSON.decode([Photo].self, from: try row.decode(column: "photos_json", as: String.self))) ?? []
        let place = try row.decode(column: "location_json", as: String?.self).flatMap { try? StoredJSON.decode(LinePlace.self, from: $0) }
        let answers = (try? StoredJSON.decode([String: String].self, from: try row.decode(column: "answers_json", as: String.self))) ?? [:]
        let events = (try? StoredJSON.decode([String].self, from: try row.decode(column: "events_json", as: String.self))) ?? []
        return Conversation(
            id: try row.decode(column: "id", as: UUID.self), citizenID: try row.decode(column: "citizen_id", as: UUID.self),
            revision: try row.decode(column: "revision", as: Int.self), service: try row.decode(column: "service", as: String?.self),
            step: try row.decode(column: "step", as: String.self), photos: photos, place: place, answers: answers,
            petitionNumber: try row.decode(column: "petition_number", as: String?.self), events: events,
            startedEventTime: try row.decode(column: "started_event_ms", as: Int64?.self), createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    private static func sql(_ db: any Database) throws -> any SQLDatabase { try sqlDatabase(db) }
}
