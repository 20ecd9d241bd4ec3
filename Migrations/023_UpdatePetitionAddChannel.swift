import Fluent
import SQLKit

/// Petitions filed through the Open311 API have no citizen account: they record the channel, the API key
/// that filed them and the contact details the client sent (kept private). 020 was changed before any
/// petition was written so that `citizen_id` may be empty; on PostgreSQL this also relaxes a database
/// created before that change.
struct UpdatePetitionAddChannel: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite adds one at a time.
        try await database.schema("petitions").field("channel", .string, .required, .custom("DEFAULT 'web'")).update()
        try await database.schema("petitions").field("api_key_id", .uuid).update()
        try await database.schema("petitions").field("requester", .string).update()
        if let sql = database as? any SQLDatabase, sql.dialect.name == "postgresql" {
            try await sql.raw("ALTER TABLE petitions ALTER COLUMN citizen_id DROP NOT NULL").run()
        }
        try await SQLIndex.create("petitions_channel", on: "petitions", columns: ["tenant_id", "channel", "created_at"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await SQLIndex.drop("petitions_channel", database: database)
        for column in ["channel", "api_key_id", "requester"] {
            try await database.schema("petitions").deleteField(.key(.string(column))).update()
        }
    }
}
