import Domain
import Fluent
import Foundation
import Vapor

/// "คำร้องของฉัน": the citizen's petitions with their status, and each petition's page (answers, files,
/// timeline, expected completion, issued documents). A petition is found by its number within the tenant
/// and shown only to the citizen who filed it; anyone else gets 404.
struct CitizenPetitionsController {
    struct ListPage: Encodable {
        struct Row: Encodable {
            var number: String
            var url: String
            var serviceName: String
            var filed: String
            var status: String
            var statusKey: String
            var due: String
            var overdue: Bool
        }

        struct Tab: Encodable {
            var title: String
            var url: String
            var current: Bool
        }

        var page: PageChrome
        var rows: [Row]
        var tabs: [Tab]
        var filterTitle: String
        var notice: String?
        var nextURL: String?
        var previousURL: String?
        var servicesHint: Bool
    }

    static let pageSize = 20

    func list(_ req: Request) async throws -> View {
        let t = try req.tenant
        let account = try req.citizen
        let raw = req.query[String.self, at: "status"]
        let filter = Filter(rawValue: raw ?? "") ?? .all
        let page = BoundedNumber.page(req.query[String.self, at: "page"], last: 10_000)
        // One more than a page tells whether there is a next one.
        let rows = try await PetitionStore.mine(
            citizenID: try account.requireID(), tenant: t.tenant, statuses: filter.statuses,
            limit: Self.pageSize + 1, offset: (page - 1) * Self.pageSize, on: req.db)
        let now = Date()
        func url(_ f: Filter, _ p: Int) -> String {
            var q: [String] = []
            if f != .all { q.append("status=\(f.rawValue)") }
            if p > 1 { q.append("page=\(p)") }
            return t.url(.petitions) + (q.isEmpty ? "" : "?" + q.joined(separator: "&"))
        }
        return try await req.view.render(
            "tenant/petitions",
            ListPage(
                page: PageChrome(request: req, title: "คำร้องของฉัน – \(t.tenant.thaiName)"),
                rows: rows.prefix(Self.pageSize).map { p in
                    .init(
                        number: p.number, url: t.url(.petition(p.number)), serviceName: p.serviceName, filed: ThaiDate.shortWithTime(p.createdAt),
                        status: p.status.thai, statusKey: p.status.rawValue, due: ThaiDate.long(p.dueAt), overdue: p.status.isOpen && p.dueAt < now)
                },
                tabs: Filter.allCases.map { .init(title: $0.title, url: url($0, 1), current: $0 == filter) },
                filterTitle: filter.title, notice: req.takeFlash(),
                nextURL: rows.count > Self.pageSize ? url(filter, page + 1) : nil, previousURL: page > 1 ? url(filter, page - 1) : nil,
                servicesHint: rows.isEmpty && filter == .all && page == 1))
    }

    /// The list's filters: every petition, those still being worked on, and each final state.
    enum Filter: String, CaseIterable {
        case all, open, completed, closed = "cannot_proceed"

        var title: String {
            switch self {
            case .all: "ทั้งหมด"
            case .open: "อยู่ระหว่างดำเนินการ"
            case .completed: PetitionStatus.completed.thai
            case .closed: PetitionStatus.cannotProceed.thai
            }
        }

        var statuses: [PetitionStatus]? {
            switch self {
            case .all: nil
            case .open: PetitionStatus.allCases.filter(\.isOpen)
            case .completed: [.completed]
            case .closed: [.cannotProceed]
            }
        }
    }

    /// One of the citizen's petitions (`CitizenPetitionPage`).
    func detail(_ req: Request) async throws -> View {
        let (t, _, petition) = try await OwnPetition.load(req)
        let records = try await CitizenPetitionPage.Records.load(petition, tenant: t.tenant, on: req.db)
        let builder = CitizenPetitionPageBuilder(
            tenant: t, geography: req.application.geography, now: Date(),
            verifyURL: { PetitionDocuments.verifyURL(req, $0) }, csrf: req.csrfToken())
        return try await req.view.render(
            "tenant/petition",
            builder.build(
                records, chrome: PageChrome(request: req, title: "คำร้อง \(petition.number) – \(t.tenant.thaiName)"), notice: req.takeFlash()))
    }

    /// One of the citizen's own attached files.
    func file(_ req: Request) async throws -> Response {
        let (_, _, petition) = try await OwnPetition.load(req)
        guard let id = req.parameters.get("file", as: UUID.self),
            let record = try await PetitionStore.attachments(petition, on: req.db).first(where: { $0.id == id })
        else { throw Abort(.notFound) }
        return try await PetitionAttachments.response(record, download: req.query[String.self, at: "download"] == "1", app: req.application)
    }

    /// A document an officer issued for the citizen's petition (receipt, licence), to view or download.
    func document(_ req: Request) async throws -> Response {
        let (_, _, petition) = try await OwnPetition.load(req)
        guard let id = req.parameters.get("document", as: UUID.self),
            let document = try await PetitionDocuments.find(id, petition: petition, on: req.db)
        else { throw Abort(.notFound) }
        return try await PetitionDocuments.fileResponse(req, document, download: req.query[String.self, at: "download"] == "1")
    }

    /// The QR code of one of the citizen's documents: it opens the public verification page.
    func documentQR(_ req: Request) async throws -> Response {
        let (_, _, petition) = try await OwnPetition.load(req)
        guard let id = req.parameters.get("document", as: UUID.self),
            let document = try await PetitionDocuments.find(id, petition: petition, on: req.db)
        else { throw Abort(.notFound) }
        return try PetitionDocuments.qrResponse(req, document)
    }
}
