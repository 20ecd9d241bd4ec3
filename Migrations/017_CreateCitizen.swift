import Fluent

/// Citizens of each tenant's e-Service. A person registers separately with each municipality; within one
/// tenant a national ID registers once (unique on the keyed hash). The national ID itself is stored only
/// sealed (AES-GCM with a key from the environment); `national_id_tail` keeps its last three digits for
/// the masked form shown in lists.
struct CreateCitizen: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("citizens")
            .id()
            .field("tenant_id", .string, .required)
            .field("national_id_sealed", .string, .required)
            .field("national_id_hash", .string, .required)
            .field("national_id_tail", .string, .required)
            .field("title", .string, .required)
            .field("first_name", .string, .required)
            .field("last_name", .string, .required)
            .field("birth_date", .string, .required)
            .field("mobile", .string, .required)
            .field("email", .string, .required)
            .field("address_house", .string, .required)
            .field("address_moo", .string)
            .field("address_village", .string)
            .field("address_soi", .string)
            .field("address_road", .string)
            .field("province_code", .string, .required)
            .field("district_code", .string, .required)
            .field("subdistrict_code", .string, .required)
            .field("postcode", .string, .required)
            .field("password_hash", .string, .required)
            .field("session_epoch", .int, .required)
            .field("verification_status", .string, .required)
            .field("verification_reason", .string)
            .field("images_submitted_at", .datetime)
            .field("identity_version", .int, .required)
            .field("verified_at", .datetime)
            .field("verified_by", .uuid)
            .field("terms_accepted_at", .datetime, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "tenant_id", "national_id_hash")
            .create()
        try await SQLIndex.create("citizens_queue", on: "citizens",
                                  columns: ["tenant_id", "verification_status", "images_submitted_at"], database: database)
        try await SQLIndex.create("citizens_email", on: "citizens", columns: ["tenant_id", "email"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("citizens").delete()
    }
}
