import Fluent

/// A tenant's divisions (กอง / สำนัก): code, Thai name, head officer and place in the list; and which staff
/// members work in which division (a person may work in several). A service names the division that handles
/// it (044); a petition keeps the division it was routed to (042).
struct CreateDivision: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("divisions")
            .id()
            .field("tenant_id", .string, .required)
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("head_staff_id", .uuid)
            .field("position", .int, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "tenant_id", "code")
            .create()
        try await database.schema("division_members")
            .id()
            .field("tenant_id", .string, .required)
            .field("division_id", .uuid, .required, .references("divisions", "id", onDelete: .cascade))
            .field("staff_id", .uuid, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "division_id", "staff_id")
            .create()
        try await SQLIndex.create("division_members_staff", on: "division_members", columns: ["tenant_id", "staff_id"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("division_members").delete()
        try await database.schema("divisions").delete()
    }
}
