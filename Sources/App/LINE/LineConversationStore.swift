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
        var service: String?
        /// "service", "photos", "location", "q:<field key>", "confirm", or "filed".
        var step: String
        var photos: [Photo]
        var place: LinePlace?
        /// Field key → the answer as typed or chosen.
        var answers: [String: String]
        var petitionNumber: String?
        var createdAt: Date
        var updatedAt: Date

        var isFiled: Bool { step == "filed" }

        func isExpired(at now: Date) -> Bool { !isFiled && updatedAt.addingTimeInterval(LineFilingPlan.expiry) <= now }

        static func new(now: Date) -> Conversation {
            Conversation(
                id: UUID(), service: nil, step: "service", photos: [], place: nil, answers: [:], petitionNumber: nil, createdAt: now,
                updatedAt: now)
        }
    }

    static func get(tenant: String, userID: String, on db: any Database) async throws -> Conversation? {
        try await sql(db).raw(
            """
            SELECT id, service, step, photos_json, location_json, answers_json, petition_number, created_at, updated_at
            FROM line_conversations WHERE tenant_id = \(bind: tenant) AND user_id = \(bind: userID)
            """
        ).first().map(conversation)
    }

    /// Writes the user's conversation (a new one replaces whatever was there).
    static func save(tenant: String, userID: String, _ c: Conversation, now: Date, on db: any Database) async throws {
        let photos = try StoredJSON.encode(c.photos)
        let place = try c.place.map { try StoredJSON.encode($0) }
        let answers = try StoredJSON.encode(c.answers)
        try await sql(db).raw(
            """
            INSERT INTO line_conversations (id, tenant_id, user_id, service, step, photos_json, location_json, answers_json, petition_number, created_at, updated_at)
            VALUES (\(bind: c.id), \(bind: tenant), \(bind: userID), \(bind: c.service), \(bind: c.step), \(bind: photos), \(bind: place), \(bind: answers),
              \(bind: c.petitionNumber), \(bind: c.createdAt), \(bind: now))
            ON CONFLICT (tenant_id, user_id) DO UPDATE SET id = \(bind: c.id), service = \(bind: c.service), step = \(bind: c.step),
              photos_json = \(bind: photos), location_json = \(bind: place), answers_json = \(bind: answers),
              petition_number = \(bind: c.petitionNumber), created_at = \(bind: c.createdAt), updated_at = \(bind: now)
            """
        ).run()
    }

    static func delete(tenant: String, userID: String, on db: any Database) async throws {
        try await sql(db).raw("DELETE FROM line_conversations WHERE tenant_id = \(bind: tenant) AND user_id = \(bind: userID)").run()
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
        var files: [String] = []
        for row in rows {
            guard try row.decode(column: "step", as: String.self) != "filed" else { continue }
            let photos = (try? StoredJSON.decode([Photo].self, from: try row.decode(column: "photos_json", as: String.self))) ?? []
            files += photos.map(\.fileName)
        }
        return (rows.count, files)
    }

    // MARK: Helpers

    private static func conversation(_ row: any SQLRow) throws -> Conversation {
        let photos = (try? StoredJSON.decode([Photo].self, from: try row.decode(column: "photos_json", as: String.self))) ?? []
        let place = try row.decode(column: "location_json", as: String?.self).flatMap { try? StoredJSON.decode(LinePlace.self, from: $0) }
        let answers = (try? StoredJSON.decode([String: String].self, from: try row.decode(column: "answers_json", as: String.self))) ?? [:]
        return Conversation(
            id: try row.decode(column: "id", as: UUID.self), service: try row.decode(column: "service", as: String?.self),
            step: try row.decode(column: "step", as: String.self), photos: photos, place: place, answers: answers,
            petitionNumber: try row.decode(column: "petition_number", as: String?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self), updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    private static func sql(_ db: any Database) throws -> any SQLDatabase { try sqlDatabase(db) }
}
