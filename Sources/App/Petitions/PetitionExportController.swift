import Domain
import Foundation
import NIOCore
import Vapor
import ZIPFoundation

/// The queue with its current filters as CSV or XLSX, streamed: rows are read in keyset pages of
/// `PetitionExport.batchSize` and written out page by page (CSV straight into the response; XLSX into a
/// temporary sheet file that is zipped, streamed and deleted). Each export is audited with its filter and
/// row count.
struct PetitionExportController {
    /// The queue's filter from the same query string, parsed by the queue's own function with the officer's
    /// divisions (no `division`: the officer's own, as the queue opens); a bad filter is a 400 with the queue's
    /// Thai messages.
    static func filter(_ req: Request, scope: BackOfficeScope) async throws -> PetitionQueue.Filter {
        var errors = FormErrors()
        let divisions = try await PetitionQueueController.QueueDivisions.load(req)
        let filter = PetitionQueueController.filter(
            PetitionQueueController.QueueQuery(req), scope: scope, errors: &errors, divisions: divisions)
        if !errors.isEmpty { throw Abort(.badRequest, reason: errors.items.map(\.message).joined(separator: " ")) }
        return filter
    }

    /// What the audit log says about the filter: the query string as given, without the paging.
    static func describe(_ req: Request) -> String {
        let items = (URLComponents(string: req.url.string)?.queryItems ?? []).filter { !["page", "after", "before", "size"].contains($0.name) }
        let text = items.map { "\($0.name)=\($0.value ?? "")" }.joined(separator: "&")
        return text.isEmpty ? "ไม่มีตัวกรอง" : String(text.prefix(400))
    }

    static func fileName(_ t: Tenant, ext: String, now: Date) -> String {
        let p = ThaiDate.long(now).split(separator: " ")
        let stamp = p.count == 3 ? "\(p[2])" : ""
        return "petitions-\(t.slug)-\(stamp)-\(Int(now.timeIntervalSince1970)).\(ext)"
    }

    func csv(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let filter = try await Self.filter(req, scope: scope)
        let now = Date()
        let divisions = try await Self.divisionNames(t, req)
        let actor = AuditActor(scope.staff)
        let ip = req.clientAddress
        let detail = Self.describe(req)
        let db = req.db
        // Recorded before the first row leaves, so an export cut off half-way is on record too.
        try await AuditLog.record(.petitionsExported, actor: actor, tenant: t.slug, detail: "CSV · \(detail)", ip: ip, on: db)
        let body = Response.Body(asyncStream: { writer in
            var buffer = ByteBuffer()
            buffer.writeString(PetitionExport.bom + PetitionExport.csvLine(PetitionExport.headers))
            try await writer.write(.buffer(buffer))
            _ = try await PetitionExport.forEachBatch(tenant: t, filter: filter, now: now, on: db) { rows in
                var out = ByteBuffer()
                out.reserveCapacity(rows.count * 256)
                for row in rows { out.writeString(PetitionExport.csvLine(row.cells(divisions: divisions))) }
                try await writer.write(.buffer(out))
            }
            try await writer.write(.end)
        })
        let response = Response(status: .ok, body: body)
        response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(Self.fileName(t, ext: "csv", now: now))\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    func xlsx(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let filter = try await Self.filter(req, scope: scope)
        let now = Date()
        let divisions = try await Self.divisionNames(t, req)
        // Assembled in the deployment's own private folder, not the machine's shared /tmp: the sheet holds names.
        let dir = req.application.exportSpoolDirectory
        try PrivateFiles.directory(dir)
        let id = UUID().uuidString
        let sheetURL = dir.appendingPathComponent("export-\(id).xml")
        let zipURL = dir.appendingPathComponent("export-\(id).xlsx")
        let total: Int
        do {
            guard FileManager.default.createFile(atPath: sheetURL.path, contents: nil) else { throw Abort(.internalServerError) }
            let handle = try FileHandle(forWritingTo: sheetURL)
            defer { try? handle.close() }
            try handle.write(contentsOf: Data((PetitionExport.sheetStart + PetitionExport.xlsxRow(PetitionExport.headers, index: 1)).utf8))
            var index = 1
            total = try await PetitionExport.forEachBatch(tenant: t, filter: filter, now: now, on: req.db) { rows in
                var out = ""
                out.reserveCapacity(rows.count * 700)
                for row in rows {
                    index += 1
                    out += PetitionExport.xlsxRow(row.cells(divisions: divisions), index: index)
                }
                try handle.write(contentsOf: Data(out.utf8))
            }
            try handle.write(contentsOf: Data(PetitionExport.sheetEnd.utf8))
            try handle.close()
            try await req.application.threadPool.runIfActive {
                let archive = try Archive(url: zipURL, accessMode: .create)
                for part in PetitionExport.parts {
                    let data = Data(part.text.utf8)
                    try archive.addEntry(
                        with: part.path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate,
                        provider: { position, size in data.subdata(in: Int(position)..<Int(position) + size) })
                }
                try archive.addEntry(with: "xl/worksheets/sheet1.xml", fileURL: sheetURL, compressionMethod: .deflate)
            }
            try? FileManager.default.removeItem(at: sheetURL)
            try await AuditLog.record(
                .petitionsExported, on: req, tenant: t.slug, detail: "Excel \(total.formatted()) รายการ · \(Self.describe(req))")
        } catch {
            try? FileManager.default.removeItem(at: sheetURL)
            try? FileManager.default.removeItem(at: zipURL)
            throw error
        }
        let response = try await req.fileio.asyncStreamFile(
            at: zipURL.path,
            mediaType: HTTPMediaType(type: "application", subType: "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            onCompleted: { _ in try? FileManager.default.removeItem(at: zipURL) })
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(Self.fileName(t, ext: "xlsx", now: now))\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    static func divisionNames(_ t: Tenant, _ req: Request) async throws -> [String: String] {
        var names: [String: String] = [:]
        for d in try await DivisionStore.all(tenant: t, on: req.db) { names[d.code] = d.name }
        return names
    }
}

enum PetitionExportRoutes {
    static func register(_ r: BackOfficeRouter) {
        let export = PetitionExportController()
        r.get(.petitionExportCSV, use: export.csv)
        r.get(.petitionExportXLSX, use: export.xlsx)
    }
}

extension Application {
    /// Where an XLSX export is assembled before it is sent: `DATA_DIR/tmp/exports/` (private, as the data is); each
    /// file is removed once sent or when the export fails.
    var exportSpoolDirectory: URL {
        settings.dataDirectory.appendingPathComponent("tmp/exports", isDirectory: true)
    }
}
