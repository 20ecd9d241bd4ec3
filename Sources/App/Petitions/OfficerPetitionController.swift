import Domain
import Fluent
import Foundation
import Vapor

/// An officer's page of one petition, and the files it links to (the citizen's attachments, issued documents).
struct OfficerPetitionController {
    func show(_ req: Request) async throws -> Response {
        try await OfficerPetitionPage.respond(req, petition: try await load(req), state: OfficerPetitionPageState(), status: .ok)
    }

    /// A file the citizen attached, for the tenant's officers only; each view is audited.
    func attachment(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let petition = try await load(req)
        guard let raw = req.parameters.get("attachment"), let id = UUID(uuidString: raw),
            let record = try await PetitionStore.attachment(id, of: petition, tenant: scope.tenant, on: req.db)
        else { throw Abort(.notFound) }
        try await AuditLog.record(
            .petitionAttachmentViewed, on: req, tenant: scope.tenant.slug,
            detail: "ไฟล์แนบ “\(record.originalName)” ของคำร้อง \(petition.number)")
        return try await PetitionAttachments.response(record, download: req.query[String.self, at: "download"] == "1", app: req.application)
    }

    /// An issued document's file (`?download=1` to save it).
    func document(_ req: Request) async throws -> Response {
        let petition = try await load(req)
        let document = try await loadDocument(req, petition: petition)
        return try await PetitionDocuments.fileResponse(req, document, download: req.query[String.self, at: "download"] == "1")
    }

    func documentQR(_ req: Request) async throws -> Response {
        let petition = try await load(req)
        return try PetitionDocuments.qrResponse(req, try await loadDocument(req, petition: petition))
    }

    private func load(_ req: Request) async throws -> PetitionRecord {
        try await OfficerPetitionLookup.petition(req)
    }

    private func loadDocument(_ req: Request, petition: PetitionRecord) async throws -> PetitionDocumentRecord {
        try await OfficerPetitionLookup.document(req, petition: petition)
    }
}
