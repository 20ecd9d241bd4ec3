import Fluent
import Foundation
import SQLKit

/// Officers' work on a petition: the division it was routed to (a division code), the officer who holds it,
/// the moment the petition began waiting for the citizen's answer (the SLA clock stops then), the working days
/// already spent waiting (added to the due date when the citizen answers), when it was completed or closed,
/// the working days it took (filing to close, less the days waited: set when it closes, for the dashboard),
/// and when the SLA reminder and the two escalations were sent (each once).
struct UpdatePetitionAddAssignment: AsyncMigration {
    static let columns: [(String, DatabaseSchema.DataType)] = [
        ("division", .string),
        ("assignee_id", .uuid),
        ("assignee_name", .string),
        ("waiting_since", .datetime),
        ("closed_at", .datetime),
        ("reminded_at", .datetime),
        ("escalated_head_at", .datetime),
        ("escalated_admins_at", .datetime),
    ]

    static let indexes: [(name: String, columns: [String])] = [
        ("petitions_division", ["tenant_id", "division", "status", "created_at"]),
        ("petitions_assignee", ["tenant_id", "assignee_id", "status", "created_at"]),
        ("petitions_closed", ["tenant_id", "closed_at"]),
    ]

    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite adds one at a time.
        for (name, type) in Self.columns {
            try await database.schema("petitions").field(.string(name), type).update()
        }
        try await database.schema("petitions").field("paused_days", .int, .required, .custom("DEFAULT 0")).update()
        try await database.schema("petitions").field("work_days", .int).update()
        for index in Self.indexes {
            try await SQLIndex.create(index.name, on: "petitions", columns: index.columns, database: database)
        }
        // Petitions already overdue when this ships are not escalated all at once: the first sweep would otherwise
        // e-mail every Organization admin once per old overdue petition.
        if let sql = database as? any SQLDatabase {
            let now = Date()
            try await sql.raw(
                """
                UPDATE petitions SET reminded_at = \(bind: now), escalated_head_at = \(bind: now), escalated_admins_at = \(bind: now)
                WHERE due_at < \(bind: now) AND status IN ('submitted', 'accepted', 'in_progress')
                """
            ).run()
        }
    }

    func revert(on database: any Database) async throws {
        for index in Self.indexes.reversed() { try await SQLIndex.drop(index.name, database: database) }
        for name in Self.columns.map(\.0) + ["paused_days", "work_days"] {
            try await database.schema("petitions").deleteField(.key(.string(name))).update()
        }
    }
}
