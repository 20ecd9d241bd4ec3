import Fluent

/// The dashboard's figures kept per month (Bangkok time; the key is the Gregorian month index, year × 12 +
/// month − 1) by the same transactions that file and move petitions, as `petition_counts` is, so a year of a
/// tenant is a few hundred rows instead of every petition of the year:
/// - `petition_month_received`: per tenant, month filed and channel, the petitions received and how many of
///   them are still open;
/// - `petition_month_completed`: per tenant, month completed, service, division ("" for none) and working days
///   taken, the petitions completed (ดำเนินการสำเร็จ): the histogram the medians and 90th percentiles come from.
///
/// Created empty: the workers' sweep `PetitionMonthRecount` fills them from the petitions within minutes (and
/// mends them after a rolling upgrade, for what instances of the previous release filed or closed meanwhile).
struct CreatePetitionMonthCount: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("petition_month_received")
            .field("tenant_id", .string, .required)
            .field("month", .int, .required)
            .field("channel", .string, .required)
            .field("n", .int, .required)
            .field("open_n", .int, .required)
            .compositeIdentifier(over: "tenant_id", "month", "channel")
            .create()
        try await database.schema("petition_month_completed")
            .field("tenant_id", .string, .required)
            .field("month", .int, .required)
            .field("service", .string, .required)
            .field("division", .string, .required)
            .field("work_days", .int, .required)
            .field("n", .int, .required)
            .compositeIdentifier(over: "tenant_id", "month", "service", "division", "work_days")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("petition_month_completed").delete()
        try await database.schema("petition_month_received").delete()
    }
}
