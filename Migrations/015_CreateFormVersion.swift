import Fluent

/// Every version of every service form edited in the back office, never changed once written. Version 1 is
/// the folder's form, written when the form is first changed. Petitions keep the version they were filed with.
struct CreateFormVersion: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("form_versions")
            .id()
            .field("tenant_id", .string, .required)
            .field("service", .string, .required)
            .field("version", .int, .required)
            .field("form", .string, .required)
            .field("created_at", .datetime, .required)
            .field("created_by_id", .uuid)
            .field("created_by", .string)
            .unique(on: "tenant_id", "service", "version")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("form_versions").delete()
    }
}
