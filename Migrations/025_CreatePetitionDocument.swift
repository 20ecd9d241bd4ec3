import Fluent

/// Documents an officer issues for a petition (ใบเสร็จรับเงิน, ใบอนุญาต, เอกสารอื่น): the file is stored outside
/// `Public/` under a generated name with its type read from the content and its SHA-256; the verification
/// code (unique across all tenants) opens the public page `/verify/{code}`. A document's content is never
/// changed once issued; an officer issues a new one instead. One issued by mistake is withdrawn (`withdrawn_*`,
/// set once, with the reason and the officer), and stays on record. `submission_key` (unique per tenant) makes a
/// repeated upload form (double click, retry) one document.
///
/// Also indexes the officers' petition queue needs beyond `petitions_queue` (tenant, status, filed): every
/// status newest first, one service, and the overdue filter (open statuses past their due date).
struct CreatePetitionDocument: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("petition_documents")
            .id()
            .field("tenant_id", .string, .required)
            .field("petition_id", .uuid, .required, .references("petitions", "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("title", .string, .required)
            .field("file_name", .string, .required)
            .field("original_name", .string, .required)
            .field("mime_type", .string, .required)
            .field("bytes", .int, .required)
            .field("sha256", .string, .required)
            .field("verification_code", .string, .required)
            .field("valid_until", .datetime)
            .field("issued_at", .datetime, .required)
            .field("issued_by", .uuid, .required)
            .field("issued_by_name", .string, .required)
            .field("created_at", .datetime, .required)
            .field("submission_key", .string, .required)
            .field("withdrawn_at", .datetime)
            .field("withdrawn_reason", .string)
            .field("withdrawn_by", .uuid)
            .field("withdrawn_by_name", .string)
            .unique(on: "verification_code")
            .unique(on: "tenant_id", "submission_key")
            .create()
        try await SQLIndex.create("petition_documents_petition", on: "petition_documents", columns: ["tenant_id", "petition_id", "issued_at"], database: database)
        try await SQLIndex.create("petitions_tenant_created", on: "petitions", columns: ["tenant_id", "created_at"], database: database)
        try await SQLIndex.create("petitions_service", on: "petitions", columns: ["tenant_id", "service", "status", "created_at"], database: database)
        try await SQLIndex.create("petitions_due", on: "petitions", columns: ["tenant_id", "status", "due_at"], database: database)
    }

    func revert(on database: any Database) async throws {
        for name in ["petitions_due", "petitions_service", "petitions_tenant_created"] { try await SQLIndex.drop(name, database: database) }
        try await database.schema("petition_documents").delete()
    }
}
