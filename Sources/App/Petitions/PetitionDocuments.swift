import Crypto
import Domain
import Fluent
import Foundation
import Vapor

/// What an issued document is.
enum PetitionDocumentKind: String, Codable, Sendable, CaseIterable {
    case receipt
    case licence
    case other

    var thai: String {
        switch self {
        case .receipt: "ใบเสร็จรับเงิน"
        case .licence: "ใบอนุญาต"
        case .other: "เอกสารอื่น"
        }
    }
}

/// A document an officer issued for a petition (receipt, licence, other). Its content never changes once written;
/// one issued by mistake is withdrawn (once, with a reason) and stays on record.
final class PetitionDocumentRecord: Model, @unchecked Sendable {
    static let schema = "petition_documents"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "petition_id") var petitionID: UUID
    @Field(key: "kind") var kindRaw: String
    @Field(key: "title") var title: String
    /// In the file store: "petition-documents/<tenant>/<uuid>.<ext>".
    @Field(key: "file_name") var fileName: String
    @Field(key: "original_name") var originalName: String
    /// Read from the content (libmagic), never from the name.
    @Field(key: "mime_type") var mimeType: String
    @Field(key: "bytes") var bytes: Int
    /// Hex SHA-256 of the stored file, shown on the verification page.
    @Field(key: "sha256") var sha256: String
    /// 12 Crockford base-32 characters without dashes (`PetitionDocuments.displayCode` groups them).
    @Field(key: "verification_code") var verificationCode: String
    /// The last day it is valid (the start of that day in Bangkok; valid through the whole day); nil: no expiry.
    @OptionalField(key: "valid_until") var validUntil: Date?
    @Field(key: "issued_at") var issuedAt: Date
    @Field(key: "issued_by") var issuedBy: UUID
    @Field(key: "issued_by_name") var issuedByName: String
    @Field(key: "created_at") var createdAt: Date
    /// Makes a repeated upload form (double click, retry) one document: unique per tenant.
    @Field(key: "submission_key") var submissionKey: String
    /// Set once, when an officer withdraws the document (issued by mistake); nil while it stands.
    @OptionalField(key: "withdrawn_at") var withdrawnAt: Date?
    /// Why, as the officer wrote it: shown to officers and the citizen, never on the public verification page.
    @OptionalField(key: "withdrawn_reason") var withdrawnReason: String?
    @OptionalField(key: "withdrawn_by") var withdrawnBy: UUID?
    @OptionalField(key: "withdrawn_by_name") var withdrawnByName: String?

    init() {}

    var kind: PetitionDocumentKind { PetitionDocumentKind(rawValue: kindRaw) ?? .other }

    var isWithdrawn: Bool { withdrawnAt != nil }

    /// Whether the validity has run out at `now` (never for a document without an end date).
    func isExpired(at now: Date) -> Bool {
        guard let validUntil else { return false }
        return now >= validUntil.addingTimeInterval(86_400)
    }
}

/// Issued documents of petitions: the store, their files, verification codes and QR codes.
///
/// For other pages (the citizen's petition page): `list(_:on:)` for a petition's documents, `find` for one of
/// them, `fileResponse(_:_:download:)` to send the file (after the caller checked the person may see it),
/// `qrSVG(_:_:)` / `verifyURL(_:_:)` for the public verification link, and `withdrawal(_:)` for the Thai lines
/// that say a document was withdrawn (`isWithdrawn`): withdrawn documents stay listed and downloadable.
enum PetitionDocuments {
    static let maxMB = 20
    static var maxBytes: Int { maxMB << 20 }
    static let folder = "petition-documents"
    /// The file types a document may be (by content).
    static let kinds: [FileKind] = [.pdf, .jpeg, .png]
    static let acceptAttribute = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
    static let titleMaxLength = 200
    /// The upload form's hidden submission token (after `_csrf`, which stays the first part).
    static let tokenField = "_submission"

    // MARK: Reading

    /// A petition's documents, oldest first.
    static func list(_ petition: PetitionRecord, on db: any Database) async throws -> [PetitionDocumentRecord] {
        try await PetitionDocumentRecord.query(on: db, tenant: petition.tenantID)
            .filter(\.$petitionID == (try petition.requireID())).sort(\.$issuedAt, .ascending).all()
    }

    /// One document of this petition (nil for another petition's or tenant's).
    static func find(_ id: UUID, petition: PetitionRecord, on db: any Database) async throws -> PetitionDocumentRecord? {
        try await PetitionDocumentRecord.query(on: db, tenant: petition.tenantID).filter(\.$id == id)
            .filter(\.$petitionID == (try petition.requireID())).first()
    }

    /// Every document issued for a citizen's petitions in the tenant, newest first, with its petition's number
    /// (one query), for "เอกสารของฉัน" in the citizen's account.
    static func forCitizen(
        _ citizenID: UUID, tenant: Tenant, limit: Int = 50,
        on db: any Database
    ) async throws -> [(document: PetitionDocumentRecord, number: String)] {
        let rows = try await PetitionDocumentRecord.query(on: db, tenant: tenant)
            .join(PetitionRecord.self, on: \PetitionDocumentRecord.$petitionID == \PetitionRecord.$id)
            .filter(PetitionRecord.self, \.$tenantID == tenant.id)
            .filter(PetitionRecord.self, \.$citizenID == citizenID)
            .sort(\.$issuedAt, .descending).limit(limit).all()
        return try rows.map { ($0, try $0.joined(PetitionRecord.self).number) }
    }

    /// The document with this verification code, in any tenant (the public verification page). `code` may be
    /// typed in any case with dashes or spaces; nil for a code that cannot be one.
    static func byCode(_ code: String, on db: any Database) async throws -> PetitionDocumentRecord? {
        guard let normal = normalizedCode(code) else { return nil }
        return try await PetitionDocumentRecord.crossTenantQuery(on: db, because: "the public verification page: codes are unique across tenants")
            .filter(\.$verificationCode == normal).first()
    }

    /// The document this upload form's submission already issued in the tenant, if any.
    static func bySubmissionKey(_ key: String, tenant: Tenant, on db: any Database) async throws -> PetitionDocumentRecord? {
        try await PetitionDocumentRecord.query(on: db, tenant: tenant).filter(\.$submissionKey == key).first()
    }

    /// The key that makes a repeated upload form one document: the form's random token, tied to the petition and
    /// the officer, so a token cannot reach another petition's document.
    static func submissionKey(petitionID: UUID, staffID: UUID, token: String) -> String {
        "doc:" + RandomToken.hash("\(petitionID.uuidString.lowercased()):\(staffID.uuidString.lowercased()):\(token)")
    }

    /// For people who may see the reason (officers, the citizen): "เพิกถอนแล้วเมื่อ 5 มกราคม 2569" and the reason;
    /// nil for a document that stands.
    static func withdrawal(_ document: PetitionDocumentRecord) -> (when: String, reason: String)? {
        guard let at = document.withdrawnAt else { return nil }
        return ("เพิกถอนแล้วเมื่อ \(ThaiDate.shortWithTime(at))", document.withdrawnReason ?? "")
    }

    // MARK: Verification codes

    /// Crockford's base 32: no I, L, O or U, so a code read aloud or typed from paper is not mistaken.
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    static let codeLength = 12

    /// 12 random characters (60 bits from the system's secure generator).
    static func newCode() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<codeLength).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] })
    }

    /// "ABCD-EFGH-JKMN".
    static func displayCode(_ code: String) -> String {
        let c = Array(code)
        return stride(from: 0, to: c.count, by: 4).map { String(c[$0..<min($0 + 4, c.count)]) }.joined(separator: "-")
    }

    /// What someone typed, as stored: upper case, dashes and spaces dropped, Thai digits made Arabic, and the
    /// letters Crockford reads as digits (O → 0, I and L → 1). Nil unless exactly 12 code characters remain.
    static func normalizedCode(_ raw: String) -> String? {
        guard raw.count <= 64 else { return nil }
        var out = ""
        for ch in raw.arabicDigits.uppercased() {
            switch ch {
            case "-", " ", "\u{00A0}", "\t", "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}", "\u{2212}": continue
            case "O": out.append("0")
            case "I", "L": out.append("1")
            default:
                guard alphabet.contains(ch) else { return nil }
                out.append(ch)
            }
        }
        return out.count == codeLength ? out : nil
    }

    /// The absolute address of the document's public verification page (under `PUBLIC_BASE_URL` when set).
    static func verifyURL(_ req: Request, _ document: PetitionDocumentRecord) -> String {
        StaffMail.absolute(req, SiteURL.verify(displayCode(document.verificationCode)).path)
    }

    /// A QR code of `verifyURL`, as an SVG document.
    static func qrSVG(_ req: Request, _ document: PetitionDocumentRecord) throws -> String {
        try QRCode(verifyURL(req, document), correction: .medium)
            .svg(moduleSize: 4, border: 4, label: "คิวอาร์โค้ดสำหรับตรวจสอบเอกสาร \(displayCode(document.verificationCode))")
    }

    /// The QR code as a response (`image/svg+xml`).
    static func qrResponse(_ req: Request, _ document: PetitionDocumentRecord) throws -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "image/svg+xml; charset=utf-8")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'")
        return Response(status: .ok, headers: headers, body: .init(string: try qrSVG(req, document)))
    }

    // MARK: Files

    /// The stored file, for someone the caller has already checked may see it: its own type, never sniffed by
    /// the browser, never cached, shown in the browser or (`download`) saved.
    static func fileResponse(_ req: Request, _ document: PetitionDocumentRecord, download: Bool) async throws -> Response {
        let body = try await req.application.fileStore.verifiedBody(document.fileName, sha256: document.sha256, logger: req.logger)
        return PetitionAttachments.fileResponse(body: body, mimeType: document.mimeType, name: downloadName(document), download: download)
    }

    /// "licence-ABCD-EFGH-JKMN.pdf": ASCII only, nothing from what was uploaded.
    static func downloadName(_ document: PetitionDocumentRecord) -> String {
        let ext = FileKind.from(mimeType: document.mimeType)?.fileExtension ?? "bin"
        return "\(document.kind.rawValue)-\(displayCode(document.verificationCode)).\(ext)"
    }

    // MARK: Issuing

    /// What an officer sends to issue a document.
    struct Issue: Sendable {
        var kind: PetitionDocumentKind
        var title: String
        var validUntil: Date?
        var originalName: String
        var bytes: [UInt8]
        /// `submissionKey(petitionID:staffID:token:)` of the upload form; nil: always a new document.
        var submissionKey: String? = nil
    }

    /// Why an upload is refused, in Thai for the page.
    enum Refused: Error, Sendable, Equatable {
        case noFile
        case tooLarge
        case wrongType

        var message: String {
            switch self {
            case .noFile: "กรุณาเลือกไฟล์เอกสาร"
            case .tooLarge: "ไฟล์ใหญ่เกิน \(PetitionDocuments.maxMB) MB กรุณาลดขนาดไฟล์"
            case .wrongType: "ไฟล์นี้ไม่ใช่ PDF, JPEG หรือ PNG (ระบบตรวจจากเนื้อไฟล์ ไม่ใช่จากชื่อไฟล์)"
            }
        }
    }

    /// Checks the file by content, writes it to the file store, then records the document and the audit entry
    /// in one transaction; if the transaction fails the file is removed again, so nothing is left orphaned.
    /// A repeat of an upload form already issued (same `submissionKey`: a double click, a retry) gives back the
    /// first document (`created` false) and keeps no file of its own, also when both arrive at once: the
    /// unique index refuses the second and it returns the first.
    /// The `document.issued` event is written in the same transaction.
    static func issue(
        _ issue: Issue, petition: PetitionRecord, tenant: Tenant, staff: StaffPrincipal, ip: String, linkBase: String, now: Date = Date(),
        app: Application, on db: any Database
    ) async throws -> (document: PetitionDocumentRecord, created: Bool) {
        guard !issue.bytes.isEmpty else { throw Refused.noFile }
        guard issue.bytes.count <= maxBytes else { throw Refused.tooLarge }
        let key = issue.submissionKey ?? "doc:" + RandomToken.make()
        if let existing = try await bySubmissionKey(key, tenant: tenant, on: db) { return (existing, false) }
        let mime = try await PetitionAttachments.sniffer(app)(issue.bytes)
        guard let kind = FileKind.from(mimeType: mime), kinds.contains(kind) else { throw Refused.wrongType }
        let data = Data(issue.bytes)
        let digest = Hex.sha256(data)
        let store = app.fileStore
        let name = try await store.save(data, folder: "\(folder)/\(tenant.id)", ext: kind.fileExtension)
        let petitionID = try petition.requireID()
        var result: (document: PetitionDocumentRecord, created: Bool)?
        do {
            var attempt = 0
            while result == nil {
                attempt += 1
                do {
                    result = try await db.writeTransaction { db -> (document: PetitionDocumentRecord, created: Bool) in
                        if let existing = try await bySubmissionKey(key, tenant: tenant, on: db) { return (existing, false) }
                        let d = PetitionDocumentRecord()
                        d.tenantID = tenant.id
                        d.petitionID = petitionID
                        d.kindRaw = issue.kind.rawValue
                        d.title = issue.title.isEmpty ? issue.kind.thai : String(issue.title.prefix(titleMaxLength))
                        d.fileName = name
                        d.originalName = String(issue.originalName.prefix(200))
                        d.mimeType = mime
                        d.bytes = data.count
                        d.sha256 = digest
                        d.verificationCode = newCode()
                        d.validUntil = issue.validUntil
                        d.issuedAt = now
                        d.issuedBy = staff.id
                        d.issuedByName = String(staff.displayName.prefix(120))
                        d.createdAt = now
                        d.submissionKey = key
                        try await d.create(on: db)
                        try await AuditLog.record(
                            .petitionDocumentIssued, actor: AuditActor(staff), tenant: tenant.slug,
                            detail: "\(issue.kind.thai) “\(d.title)” คำร้อง \(petition.number) รหัสตรวจสอบ \(displayCode(d.verificationCode))",
                            ip: ip, at: now, on: db)
                        try await DocumentIssued(
                            petition: try PetitionFacts(petition), document: try DocumentFacts(d), issuedAt: now,
                            linkBase: linkBase
                        ).record(tenant: tenant, on: db)
                        return (d, true)
                    }
                } catch {
                    guard (error as? any DatabaseError)?.isConstraintFailure == true else { throw error }
                    // The same form issued by a concurrent request (the unique key refused ours): that one stands.
                    if let existing = try await bySubmissionKey(key, tenant: tenant, on: db) {
                        result = (existing, false)
                    } else if attempt >= 3 {
                        throw error
                    }
                    // Otherwise two random 60-bit codes clashed, which is not expected: draw again.
                }
            }
        } catch {
            await store.delete(name)
            throw error
        }
        guard let result else { throw Abort(.internalServerError) }
        if !result.created { await store.delete(name) }
        return result
    }

    // MARK: Withdrawing

    static let reasonMaxLength = 1000

    /// Withdraws a document issued by mistake, once: a conditional update (of two officers at once, one
    /// withdraws it and the other gets false), the audit entry and the `document.withdrawn` event (the notifier
    /// tells the citizen), in one transaction. False when it was already withdrawn. The document and its file
    /// stay: it is a record, and the verification page says it was withdrawn.
    static func withdraw(
        _ document: PetitionDocumentRecord, petition: PetitionRecord, tenant: Tenant, staff: StaffPrincipal, reason: String,
        ip: String, linkBase: String, now: Date = Date(), on db: any Database
    ) async throws -> Bool {
        let id = try document.requireID()
        let petitionID = try petition.requireID()
        let reason = String(reason.prefix(reasonMaxLength))
        let name = String(staff.displayName.prefix(120))
        return try await db.writeTransaction { db in
            // Read first (SQLite then refuses a second writer at once and `writeTransaction` runs it again).
            guard
                let d = try await PetitionDocumentRecord.query(on: db, tenant: tenant).filter(\.$id == id)
                    .filter(\.$petitionID == petitionID).first(), !d.isWithdrawn
            else { return false }
            let changed = try await db.claim(
                """
                UPDATE petition_documents SET withdrawn_at = \(bind: now), withdrawn_reason = \(bind: reason),
                withdrawn_by = \(bind: staff.id), withdrawn_by_name = \(bind: name)
                WHERE id = \(bind: id) AND tenant_id = \(bind: tenant.id) AND withdrawn_at IS NULL RETURNING id
                """)
            guard changed else { return false }
            d.withdrawnAt = now
            d.withdrawnReason = reason
            d.withdrawnBy = staff.id
            d.withdrawnByName = name
            try await AuditLog.record(
                .petitionDocumentWithdrawn, actor: AuditActor(staff), tenant: tenant.slug,
                detail: "\(d.kind.thai) “\(d.title)” คำร้อง \(petition.number) รหัสตรวจสอบ \(displayCode(d.verificationCode)) เหตุผล: \(reason)",
                ip: ip, at: now, on: db)
            try await DocumentWithdrawn(
                petition: try PetitionFacts(petition), document: try DocumentFacts(d), withdrawnAt: now,
                reason: reason.isEmpty ? nil : reason, linkBase: linkBase
            ).record(tenant: tenant, on: db)
            return true
        }
    }
}
