import Fluent

/// A citizen's watermarked images: the identity images the tenant asks for (slot 0, 1, …) and the optional
/// profile photo (slot -1). Only the marked JPEG is stored, in the file store under a generated name.
struct CreateIdentityImage: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("identity_images")
            .id()
            .field("tenant_id", .string, .required)
            .field("citizen_id", .uuid, .required, .references("citizens", "id", onDelete: .cascade))
            .field("slot", .int, .required)
            .field("label", .string, .required)
            .field("file_name", .string, .required)
            .field("bytes", .int, .required)
            .field("width", .int, .required)
            .field("height", .int, .required)
            .field("sha256", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "citizen_id", "slot")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("identity_images").delete()
    }
}
