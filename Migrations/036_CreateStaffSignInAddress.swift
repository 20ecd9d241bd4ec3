import Fluent

/// Wrong passwords and codes per staff account and client address (stored as an HMAC), the lock they set,
/// and until when the address is "known" (the account signed in from it): see `StaffSignInGuard`.
struct CreateStaffSignInAddress: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("staff_sign_in_addresses")
            .field("staff_id", .uuid, .required, .references("staff_accounts", "id", onDelete: .cascade))
            .field("address_hash", .string, .required)
            .field("failures", .int, .required)
            .field("locked_until", .datetime)
            .field("known_until", .datetime)
            .field("updated_at", .datetime, .required)
            .compositeIdentifier(over: "staff_id", "address_hash")
            .create()
        try await SQLIndex.create("staff_sign_in_addresses_updated", on: "staff_sign_in_addresses", columns: ["updated_at"], database: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("staff_sign_in_addresses").delete()
    }
}
