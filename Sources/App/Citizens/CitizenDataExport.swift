import Domain
import Fluent
import Foundation
import Vapor
import ZIPFoundation

/// "ดาวน์โหลดข้อมูลของฉัน" (the PDPA's right to see and take one's data): one ZIP with `my-data.json` (the account, and
/// each petition with its answers, timeline as the citizen sees it, files, documents and rating) and the stored files
/// themselves: the watermarked identity images and profile photo, each petition's attachments and issued documents.
/// Only the signed-in citizen's own rows, each read through the tenant and the citizen's id. Assembled in
/// `DATA_DIR/tmp/exports` (private), one stored file at a time, and removed once sent.
enum CitizenDataExport {
    /// At most this many downloads per account an hour (each reads every stored file of the account).
    static let perHour = RateRule(limit: 10, window: 3600)
    /// At most this many petitions go in (the newest); a citizen with more is told so in the JSON.
    static let maxPetitions = 2000

    struct MyData: Encodable {
        struct Account: Encodable {
            var title: String
            var firstName: String
            var lastName: String
            var nationalID: String
            var birthDate: String
            var mobile: String
            var email: String
            var address: String
            var registeredAt: Date
            var verificationStatus: String
            var verifiedAt: Date?
            var lineLinked: Bool
            var images: [File]
        }

        struct File: Encodable {
            var label: String
            var name: String
            /// Where the file is in this ZIP; nil when the stored file could not be read (`unavailable` says so).
            var path: String?
            var bytes: Int
            var sha256: String
            var unavailable: String?
        }

        struct Item: Encodable {
            var label: String
            var value: String
        }

        struct Event: Encodable {
            var at: String
            var what: String
            var by: String
            var note: String?
        }

        struct Document: Encodable {
            var kind: String
            var title: String
            var verificationCode: String
            var issuedAt: Date
            var validUntil: Date?
            var withdrawnAt: Date?
            var withdrawnReason: String?
            var file: File
        }

        struct Rating: Encodable {
            var stars: Int
            var comment: String?
            var at: Date?
        }

        struct Petition: Encodable {
            var number: String
            var service: String
            var channel: String
            var status: String
            var filedAt: Date
            var dueAt: Date
            var closedAt: Date?
            var answers: [Item]
            var files: [File]
            var timeline: [Event]
            var documents: [Document]
            var rating: Rating?
        }

        var tenant: String
        var exportedAt: Date
        var about: String
        var account: Account
        var petitions: [Petition]
        /// Set when the account has more petitions than went in.
        var petitionsLeftOut: Int?
    }

    /// Writes the ZIP and returns its path (the caller sends it and removes it).
    static func write(_ account: CitizenAccount, tenant t: Tenant, app: Application, on db: any Database, now: Date = Date()) async throws -> URL {
        let dir = app.exportSpoolDirectory
        try PrivateFiles.directory(dir)
        sweep(dir, now: now)
        let zipURL = dir.appendingPathComponent("my-data-\(UUID().uuidString).zip")
        do {
            let archive = ArchiveBox(try Archive(url: zipURL, accessMode: .create))
            let pool = app.threadPool
            let store = app.fileStore
            /// Adds a stored file (read whole: identity images and attachments are at most a few MB each) and describes it.
            /// A file missing from the store or not matching its hash is left out and said to be (the rest still goes).
            func add(_ name: String, sha256: String, as path: String, label: String, shownName: String) async throws -> MyData.File {
                guard let data = try? await store.read(name, sha256: sha256) else {
                    app.logger.warning("data export: a stored file could not be read", metadata: ["file": .string(name)])
                    return MyData.File(
                        label: label, name: shownName, path: nil, bytes: 0, sha256: sha256,
                        unavailable: "ไฟล์นี้อ่านจากที่จัดเก็บไม่ได้ในขณะส่งออก กรุณาติดต่อหน่วยงาน")
                }
                // Photos and PDFs are compressed already: stored as they are.
                let stored = ["jpg", "png", "pdf", "heic", "webp"].contains(path.split(separator: ".").last.map(String.init) ?? "")
                try await pool.runIfActive { try archive.add(path, data, compress: !stored) }
                return MyData.File(label: label, name: shownName, path: path, bytes: data.count, sha256: sha256)
            }
            let citizenID = try account.requireID()
            var images: [MyData.File] = []
            for image in try await IdentityImages.list(citizenID: citizenID, tenant: t, on: db) {
                images.append(
                    try await add(
                        image.fileName, sha256: image.sha256, as: "images/\(image.slot + 1).jpg", label: image.label,
                        shownName: "\(image.label).jpg"))
            }
            let nationalID = (try? app.nationalIDs.open(account.nationalIDSealed).digits) ?? account.maskedNationalID
            let line = try await LineStore.linked(tenant: t.id, citizenID: citizenID, on: db)
            let all = try await PetitionStore.all(citizenID: citizenID, tenant: t, limit: maxPetitions + 1, on: db)
            var petitions: [MyData.Petition] = []
            for p in all.prefix(maxPetitions) {
                let folder = "petitions/\(p.number)"
                var files: [MyData.File] = []
                for (i, a) in try await PetitionStore.attachments(p, on: db).enumerated() {
                    let ext = FileKind.from(mimeType: a.mimeType)?.fileExtension ?? "bin"
                    let label =
                        a.fieldKey == PetitionCommandsController.resultRule.key
                        ? PetitionCommandsController.resultRule.label : a.eventID == nil ? "ไฟล์ที่แนบกับคำร้อง" : "ไฟล์ที่ส่งเพิ่มเติม"
                    files.append(try await add(a.fileName, sha256: a.sha256, as: "\(folder)/files/\(i + 1).\(ext)", label: label, shownName: a.originalName))
                }
                var documents: [MyData.Document] = []
                for d in try await PetitionDocuments.list(p, on: db) {
                    let ext = FileKind.from(mimeType: d.mimeType)?.fileExtension ?? "bin"
                    let file = try await add(
                        d.fileName, sha256: d.sha256, as: "\(folder)/documents/\(d.verificationCode).\(ext)", label: d.kind.thai,
                        shownName: d.originalName)
                    documents.append(
                        .init(
                            kind: d.kind.thai, title: d.title, verificationCode: PetitionDocuments.displayCode(d.verificationCode), issuedAt: d.issuedAt,
                            validUntil: d.validUntil, withdrawnAt: d.withdrawnAt, withdrawnReason: d.withdrawnReason, file: file))
                }
                let answers = (try? StoredJSON.decode(PetitionAnswers.self, from: p.answersJSON))?.answers ?? []
                let events = PetitionTimelineEntry.timeline(try await PetitionStore.timeline(p, on: db), audience: .citizen, rating: p.rating)
                petitions.append(
                    .init(
                        number: p.number, service: p.serviceName, channel: p.channel.thai, status: p.status.thai, filedAt: p.createdAt,
                        dueAt: p.dueAt, closedAt: p.closedAt, answers: answers.map { .init(label: $0.label, value: $0.display(in: app.geography)) },
                        files: files, timeline: events.map { .init(at: $0.when, what: $0.status, by: $0.actor, note: $0.note) },
                        documents: documents, rating: p.rating.map { .init(stars: $0, comment: p.ratingComment, at: p.ratedAt) }))
            }
            let data = MyData(
                tenant: t.thaiName, exportedAt: now,
                about:
                    "ข้อมูลของท่านที่\(t.thaiName)เก็บไว้ในระบบบริการประชาชนออนไลน์ e-Service ณ วันที่ส่งออก: ข้อมูลบัญชี คำร้องทั้งหมดพร้อมข้อมูลที่ยื่น ความคืบหน้า ไฟล์แนบ และเอกสารที่หน่วยงานออกให้ รูปบัตรและรูปโปรไฟล์เป็นรูปที่ระบบขีดคร่อมไว้แล้ว",
                account: .init(
                    title: account.title, firstName: account.firstName, lastName: account.lastName, nationalID: nationalID,
                    birthDate: account.birthDate, mobile: account.mobile, email: account.email, address: account.address.formatted(in: app.geography),
                    registeredAt: account.createdAt, verificationStatus: account.verificationStatus.thai, verifiedAt: account.verifiedAt,
                    lineLinked: line != nil, images: images),
                petitions: petitions, petitionsLeftOut: all.count > maxPetitions ? all.count - maxPetitions : nil)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            let json = try encoder.encode(data)
            try await pool.runIfActive { try archive.add("my-data.json", json) }
        } catch {
            try? FileManager.default.removeItem(at: zipURL)
            throw error
        }
        return zipURL
    }

    /// ZIPFoundation's archive, used from the thread pool one entry at a time (never two at once).
    final class ArchiveBox: @unchecked Sendable {
        let archive: Archive
        init(_ archive: Archive) { self.archive = archive }

        func add(_ path: String, _ data: Data, compress: Bool = true) throws {
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: compress ? .deflate : .none,
                provider: { position, size in data.subdata(in: Int(position)..<Int(position) + size) })
        }
    }

    /// Exports older than an hour in `dir` (a download that never started or was cut off left them): removed.
    static func sweep(_ dir: URL, now: Date, olderThan age: TimeInterval = 3600) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] {
            let url = dir.appendingPathComponent(name)
            if let modified = (try? fm.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date, now.timeIntervalSince(modified) > age {
                try? fm.removeItem(at: url)
            }
        }
    }
}

/// The citizen's "ดาวน์โหลดข้อมูลของฉัน".
struct CitizenDataController {
    func download(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let account = try req.citizen
        // A HEAD would build the file and send none of it.
        guard req.method == .GET else { throw Abort(.methodNotAllowed) }
        let key = RateLimiter.key("citizen-data:\(t.tenant.slug)", try account.requireID().uuidString, secret: req.application.settings.appSecret)
        guard try await RateLimiter.allow(key, CitizenDataExport.perHour, on: req.db) else {
            req.flash("ดาวน์โหลดข้อมูลได้ไม่เกิน \(CitizenDataExport.perHour.limit) ครั้งต่อชั่วโมง กรุณาลองใหม่ภายหลัง")
            return req.redirect(to: t.url(.profile) + "#account-title")
        }
        let now = Date()
        // The whole file, once: no partial range or "not modified" answer, under which the file would never be sent
        // and so never removed.
        req.headers.remove(name: .range)
        req.headers.remove(name: .ifNoneMatch)
        req.headers.remove(name: .ifRange)
        let zip = try await CitizenDataExport.write(account, tenant: t.tenant, app: req.application, on: req.db, now: now)
        let response: Response
        do {
            response = try await req.fileio.asyncStreamFile(
                at: zip.path, mediaType: HTTPMediaType(type: "application", subType: "zip"),
                onCompleted: { _ in try? FileManager.default.removeItem(at: zip) })
        } catch {
            try? FileManager.default.removeItem(at: zip)
            throw error
        }
        let name = "my-data-\(t.tenant.slug)-\(Int(now.timeIntervalSince1970)).zip"
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(name)\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }
}
