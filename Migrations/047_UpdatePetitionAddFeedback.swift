import Fluent

/// The citizen's say on a finished petition: its rating (1–5), comment and when it was given (once), and how many
/// times the citizen reopened it (ยังไม่ได้รับการแก้ไข). `petition_month_rating` keeps the ratings per tenant, month
/// rated (the dashboard's month index), service, division ("" for none) and stars, written by the transaction that
/// rates, as the other month counts are, so the dashboard reads a year of ratings from a few rows.
struct UpdatePetitionAddFeedback: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite adds one at a time.
        try await database.schema("petitions").field("rating", .int).update()
        try await database.schema("petitions").field("rating_comment", .string).update()
        try await database.schema("petitions").field("rated_at", .datetime).update()
        try await database.schema("petitions").field("reopened_count", .int, .required, .custom("DEFAULT 0")).update()
        try await database.schema("petition_month_rating")
            .field("tenant_id", .string, .required)
            .field("month", .int, .required)
            .field("service", .string, .required)
            .field("division", .string, .required)
            .field("stars", .int, .required)
            .field("n", .int, .required)
            .compositeIdentifier(over: "tenant_id", "month", "service", "division", "stars")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("petition_month_rating").delete()
        for name in ["rating", "rating_comment", "rated_at", "reopened_count"] {
            try await database.schema("petitions").deleteField(.key(.string(name))).update()
        }
    }
}
