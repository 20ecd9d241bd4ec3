import Domain
import Vapor

/// `/`: on a tenant's own host name, that tenant's home; otherwise the list of every municipality,
/// searchable and paged (there may be thousands).
struct PortalController {
    static let pageSize = 60

    struct PortalPage: Encodable {
        struct Entry: Encodable {
            var slug: String
            var nameTH: String
            var nameEN: String
            var url: String
        }

        var page: PageChrome
        var query: String
        var tenants: [Entry]
        var total: Int
        var shownFrom: Int
        var shownTo: Int
        var previousURL: String?
        var nextURL: String?
    }

    func index(_ req: Request) async throws -> Response {
        if let tenant = req.hostTenant {
            req.storage[ResolvedTenantKey.self] = ResolvedTenant(tenant: tenant, base: "")
            return try await TenantSiteController().home(req)
        }
        let query = ((try? req.query.get(String.self, at: "q")) ?? "").trimmingCharacters(in: .whitespaces)
        let all = req.application.tenants.all
        let matches =
            query.isEmpty
            ? all
            : all.filter {
                $0.config.name.th.contains(query) || $0.config.name.en.localizedCaseInsensitiveContains(query) || $0.slug.contains(query.lowercased())
            }
        // Past the last page shows the last page; the number is bounded before it is multiplied.
        let pageNumber = BoundedNumber.page(req.query[String.self, at: "page"], last: (matches.count + Self.pageSize - 1) / Self.pageSize)
        let start = min((pageNumber - 1) * Self.pageSize, matches.count)
        let end = min(start + Self.pageSize, matches.count)
        func link(_ n: Int) -> String {
            var items = ["page=\(n)"]
            if !query.isEmpty { items.insert("q=\(query.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "")", at: 0) }
            return "/?" + items.joined(separator: "&")
        }
        let context = PortalPage(
            page: PageChrome(request: req, title: "บริการประชาชนออนไลน์ e-Service ขององค์กรปกครองส่วนท้องถิ่น"),
            query: query,
            tenants: matches[start..<end].map {
                .init(slug: $0.slug, nameTH: $0.config.name.th, nameEN: $0.config.name.en, url: TenantURL.home.path(base: TenantURL.base(slug: $0.slug)))
            },
            total: matches.count, shownFrom: matches.isEmpty ? 0 : start + 1, shownTo: end,
            previousURL: start > 0 ? link(pageNumber - 1) : nil,
            nextURL: end < matches.count ? link(pageNumber + 1) : nil
        )
        return try await req.view.render("portal/index", context).encodeResponse(for: req)
    }
}
