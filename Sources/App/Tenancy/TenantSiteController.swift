import Domain
import Foundation
import Vapor

/// The public pages of one tenant's site: home, service pages, terms, theme and logo.
struct TenantSiteController {
    struct HomePage: Encodable {
        var page: PageChrome
    }

    struct ServicePage: Encodable {
        struct Field: Encodable {
            var label: String
            var kind: String
            var required: Bool
            var help: String?
            var options: [String]
        }

        struct Attachment: Encodable {
            var label: String
            var required: Bool
            var types: String
            var maxMB: Int
            var maxCount: Int
        }

        var page: PageChrome
        var menuTitle: String
        var menuKey: String
        var name: String
        var description: String
        var slaDays: Int
        var needsIdentity: Bool
        var applyURL: String
        var fields: [Field]
        var attachments: [Attachment]
    }

    struct TermsPage: Encodable {
        var page: PageChrome
        /// The tenant's `terms.md` rendered by `MarkdownLite` (every character escaped, no raw HTML).
        var termsHTML: String
    }

    func home(_ req: Request) async throws -> Response {
        let t = try req.tenant
        return try await req.cachedPublicPage("\(t.tenant.slug)|\(t.base)|home") {
            try await req.view.render("tenant/home", HomePage(page: PageChrome(request: req, title: t.tenant.thaiName)))
        }
    }

    func service(_ req: Request) async throws -> Response {
        let t = try req.tenant
        guard let slug = req.parameters.get("service"), let (menu, service) = t.tenant.service(slug) else { throw Abort(.notFound) }
        return try await req.cachedPublicPage("\(t.tenant.slug)|\(t.base)|service|\(slug)") {
            try await renderService(req, t, menu, service)
        }
    }

    private func renderService(_ req: Request, _ t: ResolvedTenant, _ menu: MenuKey, _ service: Service) async throws -> View {
        let context = ServicePage(
            page: PageChrome(request: req, title: "\(service.name) – \(t.tenant.thaiName)"),
            menuTitle: menu.thaiTitle, menuKey: menu.rawValue, name: service.name, description: service.description,
            slaDays: service.slaDays, needsIdentity: service.requiresVerifiedIdentity(in: menu), applyURL: t.url(.apply(service.slug)),
            fields: service.fields.map {
                .init(label: $0.label, kind: $0.type.thaiDescription, required: $0.isRequired, help: $0.help, options: $0.options ?? [])
            },
            attachments: (service.attachments ?? []).map {
                .init(
                    label: $0.label, required: $0.isRequired, types: $0.types.map(\.displayName).joined(separator: ", "),
                    maxMB: $0.effectiveMaxMB, maxCount: $0.effectiveMaxCount)
            }
        )
        return try await req.view.render("tenant/service", context)
    }

    func terms(_ req: Request) async throws -> View {
        let html = try await TenantTerms.html(req)
        return try await req.view.render("tenant/terms", TermsPage(page: PageChrome(request: req, title: "ข้อตกลงและเงื่อนไขการให้บริการ"), termsHTML: html))
    }

    /// The tenant's colours as CSS custom properties (kept out of the page so the CSP can forbid inline style).
    func theme(_ req: Request) throws -> Response {
        let colors = try req.tenant.tenant.config.colors
        let primary = RGBColor(hex: colors.primary) ?? .black
        let accent = RGBColor(hex: colors.accent) ?? .white
        let css = """
            :root {
              --primary: \(primary.hex);
              --on-primary: \(primary.readableText.hex);
              --accent: \(accent.hex);
              --on-accent: \(accent.readableText.hex);
            }

            """
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "css", parameters: ["charset": "utf-8"])
        headers.cacheControl = .init(isPublic: true, maxAge: 300)
        return Response(status: .ok, headers: headers, body: .init(string: css))
    }

    func logo(_ req: Request) async throws -> Response {
        let file = try req.tenant.tenant.logoFile
        let response = try await req.fileio.asyncStreamFile(at: file.path)
        response.headers.cacheControl = .init(isPublic: true, maxAge: 3600)
        if file.pathExtension.lowercased() == "svg" {
            // An SVG logo may not run script even if someone puts one in it.
            response.headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'; style-src 'unsafe-inline'")
        }
        return response
    }
}
