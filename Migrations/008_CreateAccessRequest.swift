import Fluent

/// "เปลี่ยนแปลงสิทธิ์การใช้งาน": a staff member asks for a role in a tenant; an approver decides.
struct CreateAccessRequest: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("access_requests")
            .id()
            .field("number", .string, .required)
            .field("staff_id", .uuid, .required, .references("staff_accounts", "id", onDelete: .cascade))
            .field("tenant_id", .string, .required)
            .field("role", .string, .required)
            .field("status", .string, .required)
            .field("note", .string)
            .field("reason", .string)
            .field("requested_at", .datetime, .required)
            .field("decided_at", .datetime)
            .field("decided_by", .uuid)
            .field("decided_by_name", .string)
            .unique(on: "number")
            .create()
        try await SQLIndex.create("access_requests_queue", on: "access_requests", columns: ["status", "tenant_id", "requested_at"], database: database)
        try await SQLIndex.create("access_requests_staff", on: "access_requests", columns: ["staff_id", "requested_at"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("access_requests").delete()
    }
}
