import Domain
import Foundation
import Vapor

/// A tenant's terms of service (`Tenants/<slug>/terms.md`), read for the terms page and the citizen's
/// registration page alike.
enum TenantTerms {
    /// The request's tenant's `terms.md` as HTML (headings, paragraphs, lists, bold, links; all text escaped).
    static func html(_ req: Request) async throws -> String {
        let text = try await req.fileio.collectFile(at: try req.tenant.tenant.termsFile.path)
        return MarkdownLite.html(String(buffer: text))
    }
}
