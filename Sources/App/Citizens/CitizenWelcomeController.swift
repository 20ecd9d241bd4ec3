import Foundation
import Vapor

/// The citizen's account page: the verification status, the images sent and "เอกสารของฉัน".
struct CitizenWelcomeController {
    func show(_ req: Request) async throws -> View {
        let t = try req.tenant
        let records = try await CitizenWelcomePage.Records.load(try req.citizen, tenant: t.tenant, on: req.db)
        let page = CitizenWelcomePageBuilder(tenant: t)
            .build(records, chrome: PageChrome(request: req, title: "ยินดีต้อนรับ – \(t.tenant.thaiName)"), notice: req.takeFlash())
        return try await req.view.render("tenant/account", page)
    }
}
