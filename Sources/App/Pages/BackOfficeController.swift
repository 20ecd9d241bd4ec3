import Vapor

/// `/backoffice/`: the shared staff back office. Staff sign-in arrives with the back-office issue; until then
/// this page says so plainly rather than showing a form that does nothing.
struct BackOfficeController {
    struct Page: Encodable {
        var page: PageChrome
        var tenantCount: Int
    }

    func index(_ req: Request) async throws -> View {
        try await req.view.render("backoffice/index", Page(page: PageChrome(request: req, title: "ระบบงานเจ้าหน้าที่"),
                                                          tenantCount: req.application.tenants.all.count))
    }
}
