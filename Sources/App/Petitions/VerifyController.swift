import Domain
import Fluent
import Foundation
import Vapor

/// The public verification of an issued document (`/verify/{code}`, no sign-in): an inspector scans the QR
/// code or types the code and sees who issued what for which petition, when, until when it is valid, and the
/// SHA-256 of the file to compare with the copy in front of them. Nothing personal is shown: not the
/// citizen's name, ID, address or answers, and not the document's title (an officer may have typed a name
/// into it). Look-ups are rate-limited per address, so codes cannot be tried in bulk. A withdrawn document
/// says so in red with the date it was withdrawn (not why, which may be personal, nor by whom), and still shows
/// its facts so the inspector knows which document it is.
struct VerifyController {
    struct VerifyPage: Encodable {
        struct Document: Encodable {
            var tenantName: String
            var tenantNameEN: String
            var tenantSiteURL: String
            var logoURL: String
            var kind: String
            var petitionNumber: String
            var serviceName: String
            var issued: String
            var validity: String
            /// "valid", "expired", "none" (no end date) or "withdrawn".
            var validityKey: String
            /// The day it was withdrawn (Buddhist era); nil while it stands.
            var withdrawnOn: String?
            var sha256: String
            var type: String
            var size: String
        }

        var page: PageChrome
        var action: String
        var code: String
        var codeError: String?
        /// "form", "verified", "withdrawn" or "not-found".
        var state: String
        var document: Document?
    }

    static let lookups = RateLimiter.Rule(limit: 30, window: 10 * 60)

    /// The form; `?code=` (from the form itself) goes on to the code's page once it reads as a code.
    func form(_ req: Request) async throws -> Response {
        let typed = (req.query[String.self, at: "code"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !typed.isEmpty else {
            return try await render(req, VerifyPage(page: Self.chrome(req), action: SiteURL.verifyForm.path, code: "", state: "form"), status: .ok)
        }
        guard let code = PetitionDocuments.normalizedCode(typed) else {
            return try await render(
                req,
                VerifyPage(
                    page: Self.chrome(req), action: SiteURL.verifyForm.path, code: String(typed.prefix(64)),
                    codeError: "รหัสตรวจสอบต้องมี 12 ตัวอักษร (ตัวเลขและอักษรภาษาอังกฤษ) เช่น 7KQ2-M9XD-4HTR", state: "form"),
                status: .badRequest)
        }
        return req.redirect(to: SiteURL.verify(PetitionDocuments.displayCode(code)).path)
    }

    func show(_ req: Request) async throws -> Response {
        let raw = req.parameters.get("code") ?? ""
        guard try await RateLimiter.allow("verify-ip:\(req.clientNetwork)", Self.lookups, on: req.db) else { throw Abort(.tooManyRequests) }
        let shown = PetitionDocuments.normalizedCode(raw).map(PetitionDocuments.displayCode) ?? String(raw.prefix(64))
        let notFound = VerifyPage(page: Self.chrome(req), action: SiteURL.verifyForm.path, code: shown, state: "not-found")
        guard let document = try await PetitionDocuments.byCode(raw, on: req.db),
            let tenant = req.application.tenants.tenant(slug: document.tenantID),
            let petition = try await PetitionStore.byID(document.petitionID, tenant: tenant, on: req.db)
        else {
            return try await render(req, notFound, status: .notFound)
        }
        let now = Date()
        let validity: (String, String)
        if let at = document.withdrawnAt {
            validity = ("ใช้ไม่ได้แล้ว: ถูกเพิกถอนเมื่อวันที่ \(ThaiDate.long(at))", "withdrawn")
        } else if let until = document.validUntil {
            validity =
                document.isExpired(at: now)
                ? ("หมดอายุแล้ว เมื่อสิ้นวันที่ \(ThaiDate.long(until))", "expired")
                : ("ใช้ได้ถึงวันที่ \(ThaiDate.long(until))", "valid")
        } else {
            validity = ("ไม่มีกำหนดวันหมดอายุ", "none")
        }
        let base = TenantURL.base(slug: tenant.slug)
        let context = VerifyPage(
            page: Self.chrome(req), action: SiteURL.verifyForm.path, code: PetitionDocuments.displayCode(document.verificationCode),
            state: document.isWithdrawn ? "withdrawn" : "verified",
            document: .init(
                tenantName: tenant.thaiName, tenantNameEN: tenant.config.name.en, tenantSiteURL: TenantURL.home.path(base: base),
                logoURL: TenantURL.logo.path(base: base), kind: document.kind.thai, petitionNumber: petition.number,
                serviceName: petition.serviceName, issued: ThaiDate.long(document.issuedAt), validity: validity.0,
                validityKey: validity.1, withdrawnOn: document.withdrawnAt.map(ThaiDate.long), sha256: document.sha256,
                type: FileKind.from(mimeType: document.mimeType)?.displayName ?? document.mimeType,
                size: PetitionAttachments.sizeText(document.bytes)))
        return try await render(req, context, status: .ok)
    }

    static func chrome(_ req: Request) -> PageChrome {
        PageChrome(request: req, title: "ตรวจสอบเอกสารอิเล็กทรอนิกส์ – บริการประชาชนออนไลน์ e-Service")
    }

    private func render(_ req: Request, _ context: VerifyPage, status: HTTPStatus) async throws -> Response {
        let response = try await req.view.render("verify/verify", context).encodeResponse(status: status, for: req)
        // The code is in the address: no Referer to other sites, no search engine, no cache between.
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        response.headers.replaceOrAdd(name: "X-Robots-Tag", value: "noindex")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}
