import Crypto
import Domain
import Foundation
import Imaging
import Vapor

/// Files a citizen attaches to a petition: checked against the form's rules (how many, how large, what
/// type, read from the content with libmagic and never from the name), written to the file store before
/// the petition's transaction, and deleted again if the petition is not written. They arrive spooled to disk
/// (`StreamedUpload`) and are moved into the store, never held whole in memory; a photo (JPEG, PNG, HEIC, WebP)
/// is stored without its EXIF (GPS position), XMP and other metadata (`PhotoMetadata`), in the image work queue.
enum PetitionAttachments {
    struct Checked: Sendable {
        var fieldKey: String
        /// The form input it came from (where a late refusal is shown).
        var input: String
        var originalName: String
        var mimeType: String
        var kind: FileKind
        var file: StreamedUpload.File
        var ext: String { kind.fileExtension }
    }

    /// A file that passed the form's rules but cannot be stored as it is (a JPEG too damaged to clean).
    struct Refused: Error {
        var input: String
        var message: String
    }

    /// The most one upload may carry: every rule's files at their limit.
    static func maxTotalBytes(_ rules: [AttachmentRule]) -> Int {
        rules.reduce(0) { $0 + $1.effectiveMaxCount * ($1.effectiveMaxMB << 20) }
    }

    static func maxFileBytes(_ rules: [AttachmentRule]) -> Int {
        (rules.map(\.effectiveMaxMB).max() ?? 1) << 20
    }

    /// The files of each rule, or a Thai message per input.
    static func check(
        _ rules: [AttachmentRule], files: [String: [StreamedUpload.File]], sniffer: (StreamedUpload.File) async throws -> String,
        errors: inout FormErrors
    ) async throws -> [Checked] {
        var out: [Checked] = []
        for rule in rules {
            let input = PetitionForm.fileInput(rule)
            let chosen = (files[input] ?? []).filter { !$0.isEmpty || !$0.filename.isEmpty }
            if chosen.isEmpty {
                if rule.isRequired { errors.add(input, "กรุณาแนบ\(rule.label)") }
                continue
            }
            guard chosen.count <= rule.effectiveMaxCount else {
                errors.add(input, "แนบ\(rule.label)ได้ไม่เกิน \(rule.effectiveMaxCount) ไฟล์ (ท่านเลือก \(chosen.count) ไฟล์)")
                continue
            }
            for file in chosen {
                let name = displayName(file.filename)
                guard !file.isEmpty else {
                    errors.add(input, "ไฟล์ \(name) ว่างเปล่า กรุณาเลือกไฟล์อีกครั้ง")
                    break
                }
                guard file.size <= rule.effectiveMaxMB << 20 else {
                    errors.add(input, tooLarge(rule, name: name))
                    break
                }
                let mime = try await sniffer(file)
                guard let kind = FileKind.from(mimeType: mime), rule.types.contains(kind) else {
                    errors.add(input, "ไฟล์ \(name) ไม่ใช่ไฟล์ประเภทที่รับ (รับเฉพาะ \(rule.types.map(\.displayName).joined(separator: ", ")))")
                    break
                }
                out.append(Checked(fieldKey: rule.key, input: input, originalName: name, mimeType: mime, kind: kind, file: file))
            }
        }
        return out
    }

    static func tooLarge(_ rule: AttachmentRule, name: String? = nil) -> String {
        "ไฟล์\(name.map { " \($0) " } ?? "")ใน\(rule.label)มีขนาดเกิน \(rule.effectiveMaxMB) MB กรุณาลดขนาดไฟล์หรือสแกนใหม่ให้เล็กลง"
    }

    /// libmagic's answer for the bytes, read on the thread pool (it may scan up to a megabyte).
    static func sniffer(_ app: Application) throws -> @Sendable ([UInt8]) async throws -> String {
        let magic = try app.fileTypeSniffer
        let pool = app.threadPool
        return { bytes in try await pool.runIfActive { magic.mimeType(of: bytes) } }
    }

    /// libmagic's answer for a spooled upload, from its first megabyte, read on the thread pool.
    static func fileSniffer(_ app: Application) throws -> @Sendable (StreamedUpload.File) async throws -> String {
        let magic = try app.fileTypeSniffer
        return { file in magic.mimeType(of: try await file.head(IdentityImages.sniffBytes, app)) }
    }

    /// Moves the files under `petitions/<tenant>/`; a photo is written again without its metadata instead
    /// (`PhotoMetadata`: HEIC and WebP become JPEG, PNG stays PNG; in the image work: `ImageWorkPool.Busy` when
    /// the queue is full, `Refused` when it cannot be read). On any
    /// failure the ones already stored are deleted, so nothing is left without a petition.
    static func save(_ files: [Checked], tenant: Tenant, app: Application) async throws -> [PetitionStore.StoredAttachment] {
        var saved: [PetitionStore.StoredAttachment] = []
        let store = app.fileStore
        let folder = "petitions/\(tenant.id)"
        do {
            for f in files {
                let name: String
                let stored: (bytes: Int, sha256: String)
                var (kind, mimeType, originalName) = (f.kind, f.mimeType, f.originalName)
                if let format = Self.photoFormat(f.kind) {
                    let file = f.file
                    let clean: (bytes: [UInt8], format: ImageFormat)
                    do {
                        clean = try await app.imageWork.run {
                            try PhotoMetadata.cleaned(try file.readBlocking(), format: format, maxPixels: IdentityImages.maxPixels)
                        }
                    } catch let error as ImagingError {
                        throw Refused(input: f.input, message: "ไฟล์ \(f.originalName): " + IdentityImages.message(for: error))
                    }
                    if clean.format == .jpeg, kind != .jpeg {
                        // A HEIC or WebP photo is kept as the JPEG every browser shows; its name says so.
                        (kind, mimeType) = (.jpeg, "image/jpeg")
                        originalName = Self.renamed(originalName, ext: "jpg")
                    }
                    name = store.newName(folder: folder, ext: kind.fileExtension)
                    let data = Data(clean.bytes)
                    try await store.put(data, name: name)
                    stored = (data.count, Hex.sha256(data))
                } else {
                    let adopted = try await store.adoptHashed(f.file.path, folder: folder, ext: f.ext)
                    name = adopted.name
                    stored = (adopted.size, adopted.sha256)
                }
                saved.append(
                    .init(
                        fieldKey: f.fieldKey, fileName: name, originalName: originalName, mimeType: mimeType,
                        bytes: stored.bytes, sha256: stored.sha256))
            }
        } catch {
            await delete(saved, app: app)
            throw error
        }
        return saved
    }

    /// The image format of a photo kind: every photo is stored cleaned (`PhotoMetadata`); nil for PDF.
    static func photoFormat(_ kind: FileKind) -> ImageFormat? {
        switch kind {
        case .jpeg: .jpeg
        case .png: .png
        case .heic: .heif
        case .webp: .webp
        case .pdf: nil
        }
    }

    /// "IMG_0001.HEIC" → "IMG_0001.jpg"; a name without an ending gets one.
    static func renamed(_ name: String, ext: String) -> String {
        let base = name.lastIndex(of: ".").map { String(name[..<$0]) } ?? name
        return (base.isEmpty ? "photo" : base) + "." + ext
    }

    static func delete(_ files: [PetitionStore.StoredAttachment], app: Application) async {
        for f in files { await app.fileStore.delete(f.fileName) }
    }

    /// A stored file as a response for someone the caller has checked may see it.
    static func response(_ record: PetitionAttachmentRecord, download: Bool, app: Application) async throws -> Response {
        let body = try await app.fileStore.verifiedBody(record.fileName, sha256: record.sha256, logger: app.logger)
        return fileResponse(body: body, mimeType: record.mimeType, name: record.originalName, download: download)
    }

    /// The headers every stored file is sent with, around `body` (streamed from the store, its hash checked).
    static func fileResponse(body: Response.Body, mimeType: String, name: String, download: Bool) -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: mimeType)
        let ascii = String(name.unicodeScalars.map { $0.isASCII && $0.value >= 32 && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        // RFC 5987 attr-char only: ASCII letters and digits and a few marks; Thai letters are percent-encoded.
        let attrChar = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~")
        let encoded = name.addingPercentEncoding(withAllowedCharacters: attrChar) ?? ascii
        headers.replaceOrAdd(
            name: "Content-Disposition",
            value: "\(download ? "attachment" : "inline"); filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        // A PDF opened in the browser may not run script or reach anything.
        headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
        return Response(status: .ok, headers: headers, body: body)
    }

    /// The name as the person chose it, without folders or control characters, at most 120 characters.
    static func displayName(_ raw: String) -> String {
        let last = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? raw
        let clean = String(String.UnicodeScalarView(last.unicodeScalars.filter { $0.properties.generalCategory != .control }))
            .trimmingCharacters(in: .whitespaces)
        return clean.isEmpty ? "ไฟล์แนบ" : String(clean.prefix(120))
    }

    /// "1.2 MB", "350 KB": a file's size as pages show it.
    static func sizeText(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? String(format: "%.1f MB", Double(bytes) / 1_048_576) : "\(max(1, (bytes + 1023) / 1024)) KB"
    }
}
