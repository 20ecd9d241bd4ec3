import Fluent

/// API keys for the Open311 API, issued and revoked by a tenant's organisation admin. Only the key's SHA-256
/// is stored (the key itself is shown once, when issued), with its first characters for recognising it in
/// the list. A revoked key keeps its row (`revoked_at`) so petitions filed with it still name their key.
struct CreateOpen311Key: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("open311_keys")
            .id()
            .field("tenant_id", .string, .required)
            .field("label", .string, .required)
            .field("key_hash", .string, .required)
            .field("prefix", .string, .required)
            .field("created_at", .datetime, .required)
            .field("created_by_id", .uuid)
            .field("created_by", .string, .required)
            .field("revoked_at", .datetime)
            .field("revoked_by", .string)
            .field("last_used_at", .datetime)
            .unique(on: "key_hash")
            .create()
        try await SQLIndex.create("open311_keys_tenant", on: "open311_keys", columns: ["tenant_id", "created_at"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("open311_keys").delete()
    }
}
