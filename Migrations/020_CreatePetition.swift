import Fluent

/// Petitions (คำร้อง) filed by citizens. The number (`BKT-2569-000042`) is unique in its tenant; the answers
/// are kept as JSON (`citizen_id` is empty for a request filed through the Open311 API, see 023) with the number of the form version they answer; `submission_key` makes a repeated
/// submit of the same form file one petition; `version` lets two officers' changes meet safely.
struct CreatePetition: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("petitions")
            .id()
            .field("tenant_id", .string, .required)
            .field("number", .string, .required)
            .field("citizen_id", .uuid, .references("citizens", "id"))
            .field("menu", .string, .required)
            .field("service", .string, .required)
            .field("service_name", .string, .required)
            .field("form_version", .int, .required)
            .field("answers", .string, .required)
            .field("status", .string, .required)
            .field("status_changed_at", .datetime, .required)
            .field("due_at", .datetime, .required)
            .field("submission_key", .string, .required)
            .field("version", .int, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "tenant_id", "number")
            .unique(on: "tenant_id", "submission_key")
            .create()
        try await SQLIndex.create("petitions_queue", on: "petitions", columns: ["tenant_id", "status", "created_at"], database: database)
        try await SQLIndex.create("petitions_citizen", on: "petitions", columns: ["tenant_id", "citizen_id", "created_at"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("petitions").delete()
    }
}
