import Fluent

/// A citizen's petitions by date, now with the number, status and id in the index too: the officers' name
/// search finds the newest petitions of the matching citizens, and counts their open ones, from the index
/// alone instead of reading every one of those petitions' rows. Replaces `petitions_citizen` (020), which it
/// covers for "คำร้องของฉัน" as well.
struct UpdatePetitionCitizenIndex: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await SQLIndex.create("petitions_citizen_page", on: "petitions",
                                  columns: ["tenant_id", "citizen_id", "created_at", "number", "status", "id"], database: database)
        try await SQLIndex.drop("petitions_citizen", database: database)
    }

    func revert(on database: any Database) async throws {
        try await SQLIndex.create("petitions_citizen", on: "petitions", columns: ["tenant_id", "citizen_id", "created_at"], database: database)
        try await SQLIndex.drop("petitions_citizen_page", database: database)
    }
}
