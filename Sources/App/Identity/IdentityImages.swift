import Domain
import Fluent
import Foundation
import Imaging
import NIOConcurrencyHelpers
import Vapor

#if canImport(Glibc)
    import Glibc
#endif

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

    /// Checks the type by content and marks the image, off the event loop with bounded concurrency: the upload
    /// is read from its temporary file inside the image work, so only images in work are in memory.
    /// Throws `IdentityImages.Refused` with the Thai message, or `ImageWorkPool.Busy` when the queue is full.
    static func mark(_ file: StreamedUpload.File, text: String, app: Application) async throws -> MarkedImage {
        let sniffer = try app.fileTypeSniffer
        guard !file.isEmpty else { throw Refused(message: message(for: ImagingError.empty)) }
        let mime = sniffer.mimeType(of: try await file.head(sniffBytes, app))
        guard let format = ImageFormat(mimeType: mime), accepted.contains(format) else { throw Refused(message: notAnImage) }
        let font = app.settings.watermarkFont
        do {
            return try await app.imageWork.run {
                try IdentityWatermark(text: text, fontPath: font).mark(try file.readBlocking(), format: format, maxPixels: maxPixels)
            }
        } catch let error as ImagingError {
            throw Refused(message: message(for: error))
        }
    }

    /// How much of an upload libmagic is shown to tell its type (its own default reads no further).
    static let sniffBytes = 1 << 20

    struct Refused: Error {
        var message: String
    }

    /// An officer verified the account while new images were on their way.
    struct AlreadyVerified: Error {}

    /// Stores the marked images for a citizen, replacing any earlier image in the same slots, and (for
    /// identity images) puts the account in the officers' queue. Files first, then one transaction; if the
    /// transaction fails the new files are removed, and old files are removed only after it commits.
    static func store(
        _ images: [Marked], for account: CitizenAccount, submitForReview: Bool, app: Application,
        now: Date = Date()
    ) async throws {
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
                // Writing the account row first holds its lock, so two uploads of the same person (a double click)
                // take turns: the second replaces the first instead of colliding with it. Identity images go to
                // the officers' queue, unless an officer verified the account meanwhile (nothing is changed then).
                if submitForReview {
                    guard
                        try await db.claim(
                            """
                            UPDATE citizens SET verification_status = 'pending', verification_reason = NULL,
                              images_submitted_at = \(bind: now), identity_version = identity_version + 1, updated_at = \(bind: now)
                            WHERE id = \(bind: citizenID) AND tenant_id = \(bind: account.tenantID) AND verification_status NOT IN ('verified', 'closed') RETURNING id
                            """)
                    else { throw AlreadyVerified() }
                } else {
                    try await CitizenAccount.query(on: db, tenant: account.tenantID).filter(\.$id == citizenID).set(\.$updatedAt, to: now).update()
                }
                let old = try await IdentityImageRecord.query(on: db, tenant: account.tenantID).filter(\.$citizenID == citizenID).filter(\.$slot ~~ slots).all()
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
                    r.sha256 = Hex.sha256(Data(m.image.jpeg))
                    r.createdAt = now
                    try await r.create(on: db)
                }
                return old.map(\.fileName)
            }
        } catch {
            for (_, name) in saved { await app.fileStore.delete(name) }
            throw error
        }
        for name in replaced { await app.fileStore.delete(name) }
    }

    /// Files under `identity/` that no row names and that are older than `age`: what a crash between writing
    /// the files and committing their rows leaves behind, in the local folder or the S3 bucket alike. Run in the
    /// background once the server is up (a crash means a restart).
    @discardableResult
    static func sweepOrphans(app: Application, olderThan age: TimeInterval = 3600, now: Date = Date()) async throws -> Int {
        let store = app.fileStore
        let cutoff = now.addingTimeInterval(-age)
        var removed = 0
        try await store.list(prefix: "identity/") { page in
            let candidates = page.filter { $0.modified < cutoff }.map(\.name)
            for start in stride(from: 0, to: candidates.count, by: 500) {
                let batch = Array(candidates[start..<min(start + 500, candidates.count)])
                let known = Set(
                    try await IdentityImageRecord.crossTenantQuery(on: app.db, because: "the orphan sweep: which stored files have a record, in any tenant")
                        .filter(\.$fileName ~~ batch).all().map(\.fileName))
                for name in batch where !known.contains(name) {
                    await store.delete(name)
                    removed += 1
                }
            }
        }
        return removed
    }

    static func list(citizenID: UUID, tenant: Tenant, on db: any Database) async throws -> [IdentityImageRecord] {
        try await IdentityImageRecord.query(on: db, tenant: tenant).filter(\.$citizenID == citizenID).sort(\.$slot).all()
    }

    /// One of the citizen's images (nil for another citizen's or another tenant's).
    static func image(_ id: UUID, citizenID: UUID, tenant: Tenant, on db: any Database) async throws -> IdentityImageRecord? {
        try await IdentityImageRecord.query(on: db, tenant: tenant).filter(\.$id == id).filter(\.$citizenID == citizenID).first()
    }

    /// The stored JPEG as a response only the caller has checked may see it: never cached, never sniffed, streamed
    /// from the store with its SHA-256 checked (a changed file is never sent whole).
    static func response(_ record: IdentityImageRecord, app: Application) async throws -> Response {
        let body = try await app.fileStore.verifiedBody(record.fileName, sha256: record.sha256, logger: app.logger)
        var headers = HTTPHeaders()
        headers.contentType = .jpeg
        headers.replaceOrAdd(name: "Content-Disposition", value: "inline; filename=\"identity-\(record.slot + 1).jpg\"")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return Response(status: .ok, headers: headers, body: body)
    }
}

/// Image work on its own threads: `IMAGE_WORKERS` of them (so at most that many images decode at once), never on
/// an event loop, and at a lower scheduling priority (nice 10), so that while uploads are being watermarked the
/// event loops still answer page requests promptly. At most `IMAGE_QUEUE` more wait their turn: past that, `run`
/// throws `Busy` at once (the request is answered 503 with `Retry-After`), so a crowd of uploads cannot pile up
/// decoded images, or the files they come from, without limit.
final class ImageWorkPool: Sendable {
    static let niceness: Int32 = 10
    /// What a refused job's answer suggests waiting, in seconds.
    static let retryAfterSeconds = 15
    private let pool: NIOThreadPool
    let workers: Int
    let queue: Int
    private let admitted = NIOLockedValueBox(0)
    /// Told how long each image took in a worker (the `/metrics` histogram).
    private let workDone: @Sendable (Duration) -> Void

    /// The work was not started: `workers` images are in work and `queue` more are waiting.
    struct Busy: AbortError {
        var status: HTTPResponseStatus { .serviceUnavailable }
        var reason: String { "image-queue" }
        var headers: HTTPHeaders { ["Retry-After": String(ImageWorkPool.retryAfterSeconds)] }
    }

    init(threads: Int, queue: Int, workDone: @escaping @Sendable (Duration) -> Void = { _ in }) {
        self.workDone = workDone
        workers = max(1, threads)
        self.queue = max(0, queue)
        pool = NIOThreadPool(numberOfThreads: workers)
        pool.start()
    }

    /// Jobs in work or waiting now.
    var load: Int { admitted.withLockedValue { $0 } }

    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let limit = workers + queue
        guard
            admitted.withLockedValue({ n in
                guard n < limit else { return false }
                n += 1
                return true
            })
        else { throw Busy() }
        defer { admitted.withLockedValue { $0 -= 1 } }
        let workDone = self.workDone
        return try await pool.runIfActive {
            // Per thread on Linux (`who` 0 is the calling thread); cheap, and idempotent.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, ImageWorkPool.niceness)
            let start = ContinuousClock.now
            defer { workDone(ContinuousClock.now - start) }
            return try work()
        }
    }

    func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}

/// Once the server has started, sweeps identity files a crash left without a record, and uploads a crash left
/// half-received in `DATA_DIR/tmp/uploads/`, in the background:
/// start-up does not wait for a walk through every stored file.
struct OrphanSweep: LifecycleHandler {
    func didBootAsync(_ application: Application) async throws {
        let app = application
        Task.detached(priority: .background) {
            do {
                let removed = try await IdentityImages.sweepOrphans(app: app)
                if removed > 0 { app.logger.notice("removed identity image files left without a record", metadata: ["count": "\(removed)"]) }
                let spool = app.uploadSpoolDirectory
                let parts = try await app.threadPool.runIfActive { UploadSpool.sweep(spool) }
                if parts > 0 { app.logger.notice("removed upload files a crash left behind", metadata: ["count": "\(parts)"]) }
            } catch {
                app.logger.warning("identity file sweep failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Stops the image threads when the application shuts down.
struct ImageWorkPoolLifecycle: LifecycleHandler {
    let pool: ImageWorkPool

    func shutdownAsync(_ application: Application) async {
        await pool.shutdown()
    }
}

extension Application {
    struct ImageWorkKey: StorageKey { typealias Value = ImageWorkPool }

    /// Set in `configure` (one per application).
    var imageWork: ImageWorkPool {
        get throws {
            guard let w = storage[ImageWorkKey.self] else { throw Abort(.internalServerError, reason: "image work not configured") }
            return w
        }
    }
}
