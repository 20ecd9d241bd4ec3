import Domain
import Fluent
import Foundation
import Imaging
import Vapor

final class IdentityImageRecord: Model, @unchecked Sendable {
    static let schema = "identity_images"

    @ID(key: .id) var id: UUID?
    @Field(key: "tenant_id") var tenantID: String
    @Field(key: "citizen_id") var citizenID: UUID
    @Field(key: "slot") var slot: Int
    @Field(key: "label") var label: String
    @Field(key: "file_name") var fileName: String
    @Field(key: "bytes") var bytes: Int
    @Field(key: "width") var width: Int
    @Field(key: "height") var height: Int
    @Field(key: "sha256") var sha256: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// A citizen's images: checked by content, watermarked, stored and recorded, all or nothing.
/// The unmarked upload lives only in memory; what reaches the disk is the marked JPEG.
enum IdentityImages {
    /// Slot of the optional profile photo (identity images use 0, 1, …).
    static let profileSlot = -1
    static let maxPixels = 40_000_000
    static let accepted: Set<ImageFormat> = [.jpeg, .png, .heif, .webp]
    static let acceptAttribute = "image/jpeg,image/png,image/heic,image/heif,image/webp,.heic,.heif"

    /// One image ready to store.
    struct Marked: Sendable {
        var slot: Int
        var label: String
        var image: MarkedImage
    }

    /// The Thai message for an image that cannot be used, shown beside its field.
    static func message(for error: any Error) -> String {
        switch error {
        case ImagingError.tooManyPixels(let w, let h):
            "ภาพมีขนาด \(w) × \(h) พิกเซล ใหญ่เกินกว่าที่รับได้ (ไม่เกิน 40 ล้านพิกเซล) กรุณาย่อภาพหรือถ่ายภาพใหม่"
        case ImagingError.empty:
            "ไฟล์ว่างเปล่า กรุณาเลือกไฟล์ภาพใหม่"
        case is ImagingError:
            "ไฟล์ภาพเสียหายหรือไม่สมบูรณ์ ระบบอ่านภาพไม่ได้ กรุณาถ่ายภาพหรือเลือกไฟล์ใหม่"
        default:
            "ระบบประมวลผลภาพไม่สำเร็จ กรุณาลองใหม่อีกครั้ง"
        }
    }

    static let notAnImage = "ไฟล์นี้ไม่ใช่ภาพที่รองรับ กรุณาเลือกไฟล์ภาพ JPEG, PNG, HEIC หรือ WebP"

    static func tooLarge(maxMB: Int) -> String { "ไฟล์มีขนาดใหญ่เกิน \(maxMB) MB กรุณาย่อภาพหรือเลือกไฟล์อื่น" }

    /// The watermark line: the tenant's text with its name, and today's Buddhist-era date.
    static func watermarkText(tenant: Tenant, now: Date = Date()) -> String {
        tenant.config.identity.watermarkText(agencyName: tenant.thaiName) + " " + ThaiDate.long(now)
    }

    /// Checks the type by content and marks the image, off the event loop with bounded concurrency.
    /// Throws `IdentityImages.Refused` with the Thai message.
    static func mark(_ bytes: [UInt8], text: String, app: Application) async throws -> MarkedImage {
        let sniffer = try app.fileTypeSniffer
        guard !bytes.isEmpty else { throw Refused(message: message(for: ImagingError.empty)) }
        let mime = sniffer.mimeType(of: bytes)
        guard let format = ImageFormat(mimeType: mime), accepted.contains(format) else { throw Refused(message: notAnImage) }
        let font = app.settings.watermarkFont
        do {
            return try await app.imageWork.run {
                try IdentityWatermark(text: text, fontPath: font).mark(bytes, format: format, maxPixels: maxPixels)
            }
        } catch let error as ImagingError {
            throw Refused(message: message(for: error))
        }
    }

    struct Refused: Error {
        var message: String
    }

    /// Stores the marked images for a citizen, replacing any earlier image in the same slots, and (for
    /// identity images) puts the account in the officers' queue. Files first, then one transaction; if the
    /// transaction fails the new files are removed, and old files are removed only after it commits.
    static func store(_ images: [Marked], for account: CitizenAccount, submitForReview: Bool, app: Application,
                      now: Date = Date()) async throws {
        let citizenID = try account.requireID()
        var saved: [(Marked, String)] = []
        do {
            for m in images {
                saved.append((m, try await app.fileStore.save(Data(m.image.jpeg), folder: "identity/\(account.tenantID)", ext: "jpg")))
            }
        } catch {
            for (_, name) in saved { await app.fileStore.delete(name) }
            throw error
        }
        let slots = images.map(\.slot)
        let replaced: [String]
        let stored = saved
        do {
            replaced = try await app.db.writeTransaction { db -> [String] in
                // Touching the account row first holds its lock, so two uploads of the same person (a double
                // click) take turns: the second replaces the first instead of colliding with it.
                try await CitizenAccount.query(on: db).filter(\.$id == citizenID).set(\.$updatedAt, to: now).update()
                let old = try await IdentityImageRecord.query(on: db).filter(\.$citizenID == citizenID).filter(\.$slot ~~ slots).all()
                for o in old { try await o.delete(on: db) }
                for (m, name) in stored {
                    let r = IdentityImageRecord()
                    r.tenantID = account.tenantID
                    r.citizenID = citizenID
                    r.slot = m.slot
                    r.label = m.label
                    r.fileName = name
                    r.bytes = m.image.jpeg.count
                    r.width = m.image.width
                    r.height = m.image.height
                    r.sha256 = RandomToken.hex(SHA256Digest: Data(m.image.jpeg))
                    r.createdAt = now
                    try await r.create(on: db)
                }
                if submitForReview {
                    try await CitizenAccount.query(on: db).filter(\.$id == citizenID)
                        .set(\.$verificationStatusRaw, to: VerificationStatus.pending.rawValue)
                        .set(\.$verificationReason, to: nil)
                        .set(\.$imagesSubmittedAt, to: now)
                        .set(\.$updatedAt, to: now)
                        .update()
                }
                return old.map(\.fileName)
            }
        } catch {
            for (_, name) in saved { await app.fileStore.delete(name) }
            throw error
        }
        for name in replaced { await app.fileStore.delete(name) }
    }

    static func list(citizenID: UUID, tenant: Tenant, on db: any Database) async throws -> [IdentityImageRecord] {
        try await IdentityImageRecord.query(on: db).filter(\.$citizenID == citizenID).filter(\.$tenantID == tenant.id)
            .sort(\.$slot).all()
    }

    /// The stored JPEG as a response only the caller has checked may see it: never cached, never sniffed.
    static func response(_ record: IdentityImageRecord, app: Application) async throws -> Response {
        let data = try await app.fileStore.read(record.fileName)
        var headers = HTTPHeaders()
        headers.contentType = .jpeg
        headers.replaceOrAdd(name: "Content-Disposition", value: "inline; filename=\"identity-\(record.slot + 1).jpg\"")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }
}

/// Bounded image work: at most `limit` images decode and encode at once, on the thread pool, never on an
/// event loop. A burst of uploads waits its turn instead of taking every core and all the memory.
actor ImageWorkLimiter {
    private let limit: Int
    private let pool: NIOThreadPool
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int, pool: NIOThreadPool) {
        self.limit = max(1, limit)
        self.pool = pool
    }

    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        if running >= limit {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            running += 1
        }
        defer { release() }
        return try await pool.runIfActive(work)
    }

    private func release() {
        if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().resume() }
    }
}

extension Application {
    struct ImageWorkKey: StorageKey { typealias Value = ImageWorkLimiter }

    /// Set in `configure` (one per application).
    var imageWork: ImageWorkLimiter {
        get throws {
            guard let w = storage[ImageWorkKey.self] else { throw Abort(.internalServerError, reason: "image work not configured") }
            return w
        }
    }
}
