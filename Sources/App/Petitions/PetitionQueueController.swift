import Domain
import Fluent
import Foundation
import Vapor

/// Officers of a tenant work on its petitions: the queue (filters, search, pages).
struct PetitionQueueController {
    struct QueuePage: Encodable {
        struct Tab: Encodable {
            var key: String
            var title: String
            /// "(12)"; nil for tabs of closed petitions (not counted).
            var count: String?
            var url: String
            var current: Bool
        }

        var page: PageChrome
        var tenantName: String
        var tabs: [Tab]
        var tab: String
        var tabTitle: String
        var sections: [FormSection]
        var errors: [ErrorLink]
        var action: String
        var clearURL: String
        /// The table's rows, escaped (`PetitionQueueRows`).
        var rowsHTML: String
        var showing: String
        var pageNumber: Int
        /// "หน้า 2 จาก 7", or "หน้า 2" when the tab is not counted.
        var pageLabel: String
        var showList: Bool
        var previousURL: String?
        var nextURL: String?
        var order: String
        var notice: String?
        /// The export links with the page's query (its filters; `PetitionExport.link` drops the paging).
        var exportCSVURL = ""
        var exportXLSXURL = ""
        /// "แสดงเฉพาะคำร้องของกองช่าง" when the queue opened on the officer's own divisions, and the link to all.
        var divisionNote: String?
        var allDivisionsURL: String?
        /// The map view (`view=map`): the page's petitions as pins, the list below for keyboards and readers.
        var mapView = false
        var map: MapView?
        var mapTiles = false
        var mapNote: String?
        /// The same filter as a map, or as the list.
        var mapURL = ""
        var listURL = ""
    }

    /// The tenant's divisions (code, Thai name) and those the officer works in: the queue opens on the latter.
    struct QueueDivisions: Sendable {
        var all: [(code: String, name: String)] = []
        var mine: [String] = []

        static func load(_ req: Request) async throws -> QueueDivisions {
            let scope = try req.backOffice
            let (all, mine) = try await DivisionStore.withMine(scope.staff.id, tenant: scope.tenant, on: req.db)
            return QueueDivisions(all: all.map { ($0.code, $0.name) }, mine: mine)
        }

        /// The `division` value that names this filter's choice in links ("all", "mine", a code); nil: no divisions.
        func key(_ filter: PetitionQueue.Filter) -> String? {
            guard !all.isEmpty else { return nil }
            guard let chosen = filter.divisions else { return "all" }
            if chosen == mine { return "mine" }
            return chosen.first
        }
    }

    func queue(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let now = Date()
        let q = QueueQuery(req)
        var errors = FormErrors()
        let divisions = try await QueueDivisions.load(req)
        var filter = Self.filter(q, scope: scope, errors: &errors, divisions: divisions)
        let mapView = q.view == "map" && req.application.settings.map.drawsMaps
        if mapView {
            // A map shows as many petitions as a page may hold, unless the officer asked for fewer.
            filter.withAnswers = true
            if q.size == nil { filter.size = PetitionQueue.maxSize }
        }
        let divisionKey = divisions.key(filter)
        let services = Self.services(of: t)

        let counts = try await PetitionQueue.counts(tenant: t, filter: filter, now: now, on: req.db)
        let (rows, more) = try await PetitionQueue.page(tenant: t, filter: filter, now: now, on: req.db)
        var backwards = false
        if case .before? = filter.cursor { backwards = true }
        let total = counts.count(filter.tab, overdueOnly: filter.overdue)
        let pages = total.map { max(1, ($0 + filter.size - 1) / filter.size) }
        let base = BackOfficeURL.petitionQueue(t.slug).path
        func link(tab: PetitionQueue.Tab? = nil, page: Int? = nil, cursor: PetitionQueue.Cursor? = nil) -> String {
            var items: [URLQueryItem] = [URLQueryItem(name: "status", value: (tab ?? filter.tab).key)]
            if let s = filter.service { items.append(.init(name: "service", value: s)) }
            if let d = divisionKey { items.append(.init(name: "division", value: d)) }
            if filter.assignee != nil { items.append(.init(name: "assigned", value: "me")) }
            if filter.unassigned { items.append(.init(name: "assigned", value: "none")) }
            if filter.from != nil, let v = q.from { items.append(.init(name: "from", value: v)) }
            if filter.until != nil, let v = q.to { items.append(.init(name: "to", value: v)) }
            if filter.overdue { items.append(.init(name: "overdue", value: "1")) }
            if let s = filter.search { items.append(.init(name: "q", value: s)) }
            if !filter.newestFirst { items.append(.init(name: "sort", value: "oldest")) }
            if filter.size != PetitionQueue.defaultSize, !(mapView && q.size == nil) { items.append(.init(name: "size", value: String(filter.size))) }
            if mapView { items.append(.init(name: "view", value: "map")) }
            if let page, page > 1 {
                items.append(.init(name: "page", value: String(page)))
                switch cursor {
                case .after(let n)?: items.append(.init(name: "after", value: n))
                case .before(let n)?: items.append(.init(name: "before", value: n))
                case nil: break
                }
            }
            var c = URLComponents()
            c.path = base
            c.queryItems = items
            return c.string ?? base
        }
        let first = (filter.page - 1) * filter.size + 1
        let last = (filter.page - 1) * filter.size + rows.count
        let showing =
            rows.isEmpty
            ? (filter.page > 1 ? "ไม่มีรายการในหน้านี้" : "ไม่พบคำร้อง")
            : "แสดงรายการที่ \(first.formatted())–\(last.formatted())" + (total.map { " จาก \($0.formatted()) รายการ" } ?? "")
        let context = QueuePage(
            page: PageChrome(request: req, title: "คำร้อง – \(t.thaiName)"), tenantName: t.thaiName,
            tabs: PetitionQueue.Tab.order.map { tab in
                .init(
                    key: tab.key, title: tab.thai, count: counts.count(tab, overdueOnly: filter.overdue).map { "(\($0.formatted()))" }, url: link(tab: tab),
                    current: tab == filter.tab)
            },
            tab: filter.tab.key, tabTitle: filter.tab.thai + (filter.overdue ? " (เกินกำหนด)" : ""),
            sections: errors.apply(to: [
                FormSection(
                    title: nil, fields: Self.filterFields(q, services: services, filter: filter) + Self.workFields(divisions, key: divisionKey, filter: filter))
            ]),
            errors: errors.items, action: base, clearURL: base + "?status=\(filter.tab.key)",
            rowsHTML: PetitionQueueRows.html(rows, tenant: t, now: now, divisions: Dictionary(divisions.all.map { ($0.code, $0.name) }) { a, _ in a }),
            showing: showing, pageNumber: filter.page,
            pageLabel: "หน้า \(filter.page.formatted())" + (pages.map { " จาก \($0.formatted())" } ?? ""), showList: !rows.isEmpty || filter.page > 1,
            // Next and previous walk from the page's last and first rows (a cursor), so a deep page costs what
            // the first does; a page asked for backwards knows from `more` whether an earlier one exists.
            previousURL: filter.page <= 1
                ? nil
                : filter.page == 2
                    ? link(page: 1)
                    : backwards && !more ? link(page: 1) : link(page: filter.page - 1, cursor: rows.first.map { .before($0.number) }),
            nextURL: (backwards ? !rows.isEmpty : more) ? link(page: filter.page + 1, cursor: rows.last.map { .after($0.number) }) : nil,
            order: filter.newestFirst ? "เรียงจากยื่นล่าสุดก่อน" : "เรียงจากยื่นก่อนก่อน (ลำดับงานที่ต้องทำ)",
            notice: req.takeFlash(),
            divisionNote: q.division == nil && filter.divisions != nil
                ? "แสดงเฉพาะคำร้องของ" + divisions.all.filter { filter.divisions?.contains($0.code) == true }.map(\.name).joined(separator: " ") : nil,
            allDivisionsURL: q.division == nil && filter.divisions != nil ? base + "?status=\(filter.tab.key)&division=all" : nil)
        var withExports = context
        withExports.exportCSVURL = PetitionExport.link(.petitionExportCSV(t.slug), query: req.url.query)
        withExports.exportXLSXURL = PetitionExport.link(.petitionExportXLSX(t.slug), query: req.url.query)
        if req.application.settings.map.drawsMaps {
            let here = link()
            withExports.mapURL = mapView ? here : here + "&view=map"
            withExports.listURL = here.replacingOccurrences(of: "&view=map", with: "")
        }
        if mapView {
            let pins = rows.flatMap { row -> [MapView.Pin] in
                guard let json = row.answersJSON, let answers = try? StoredJSON.decode(PetitionAnswers.self, from: json) else { return [] }
                return MapView.pins(answers, url: BackOfficeURL.petition(t.slug, row.number).path, prefix: "\(row.number) \(row.serviceName) – ")
            }
            let placed = Set(pins.compactMap { $0.url }).count
            withExports.mapView = true
            withExports.mapTiles = true
            withExports.map = MapView(
                settings: req.application.settings.map, area: t.config.area, pins: pins, label: "แผนที่คำร้องในหน้านี้ \(placed) เรื่อง")
            withExports.mapNote =
                "แผนที่แสดง \(placed.formatted()) จาก \(rows.count.formatted()) เรื่องในหน้านี้"
                + (placed < rows.count ? " (เรื่องที่ไม่ได้ระบุพิกัดไม่แสดงบนแผนที่ ดูได้ในตารางด้านล่าง)" : "")
        }
        return try await req.view.render("backoffice/petitions/queue", withExports)
            .encodeResponse(status: errors.isEmpty ? .ok : .badRequest, for: req)
    }

    /// The queue's filter from its query string, with a message per bad field: the queue and its export
    /// (`PetitionExportController`) read the same filter from the same query, for the same officer.
    /// With no `division` in the query, an officer who works in divisions sees theirs ("all" shows every one).
    static func filter(
        _ q: QueueQuery, scope: BackOfficeScope, errors: inout FormErrors, divisions: QueueDivisions = QueueDivisions()
    ) -> PetitionQueue.Filter {
        let tenant = scope.tenant
        var filter = PetitionQueue.Filter()
        switch q.division {
        case "all"?: filter.divisions = nil
        case let code? where divisions.all.contains { $0.code == code }: filter.divisions = [code]
        default: filter.divisions = divisions.mine.isEmpty ? nil : divisions.mine
        }
        switch q.assigned {
        case "me"?: filter.assignee = scope.staff.id
        case "none"?: filter.unassigned = true
        default: break
        }
        filter.tab = q.status.flatMap(PetitionQueue.Tab.init(key:)) ?? .open
        if let s = q.service, Self.services(of: tenant).contains(where: { $0.slug == s }) { filter.service = s }
        switch BuddhistDateInput.parse(q.from, label: "วันที่ยื่นตั้งแต่") {
        case .success(let d)?: filter.from = d
        case .failure(let p)?: errors.add("from", p.message)
        case nil: break
        }
        switch BuddhistDateInput.parse(q.to, label: "วันที่ยื่นถึง") {
        case .success(let d)?: filter.until = d.addingTimeInterval(86_400)
        case .failure(let p)?: errors.add("to", p.message)
        case nil: break
        }
        if let from = filter.from, let until = filter.until, from >= until {
            errors.add("to", "วันที่ยื่นถึงต้องไม่ก่อนวันที่ยื่นตั้งแต่")
            filter.until = nil
        }
        filter.overdue = q.overdue == "1"
        let search = PetitionQueue.normalizedSearch(q.q ?? "")
        filter.search = search.isEmpty ? nil : search
        filter.newestFirst = q.sort != "oldest"
        filter.size = min(max(q.size ?? PetitionQueue.defaultSize, 1), PetitionQueue.maxSize)
        filter.page = max(q.page ?? 1, 1)
        if let n = PetitionQueue.Cursor.number(q.after) {
            filter.cursor = .after(n)
            filter.page = max(filter.page, 2)
        } else if let n = PetitionQueue.Cursor.number(q.before) {
            filter.cursor = .before(n)
        }
        return filter
    }

    /// The queue's query string.
    struct QueueQuery {
        var status, service, from, to, overdue, q, sort, after, before, division, assigned, view: String?
        var page, size: Int?

        init(_ req: Request) {
            func text(_ key: String) -> String? {
                let v = (req.query[String.self, at: key] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                return v.isEmpty ? nil : String(v.prefix(100))
            }
            status = text("status"); service = text("service"); from = text("from"); to = text("to")
            overdue = text("overdue"); q = text("q"); sort = text("sort")
            after = text("after"); before = text("before"); division = text("division"); assigned = text("assigned")
            view = text("view")
            page = text("page").map { BoundedNumber.page($0, last: 1_000_000) }
            size = BoundedNumber.int(text("size"), in: 1...PetitionQueue.maxSize)
        }
    }

    /// Services now offered and retired ones (old petitions still name them).
    static func services(of t: Tenant) -> [(slug: String, name: String)] {
        var seen = Set<String>()
        var out: [(String, String)] = []
        for (_, s) in t.config.menus.all + t.retired.all where seen.insert(s.slug).inserted { out.append((s.slug, s.name)) }
        return out
    }

    /// "กอง/ฝ่าย" (when the tenant has divisions) and "ผู้รับผิดชอบ".
    static func workFields(_ divisions: QueueDivisions, key: String?, filter: PetitionQueue.Filter) -> [FieldView] {
        var out: [FieldView] = []
        if !divisions.all.isEmpty {
            var options: [FieldView.Option] = [.init(value: "all", label: "ทุกกอง", selected: key == "all")]
            if !divisions.mine.isEmpty { options.append(.init(value: "mine", label: "กองของฉัน", selected: key == "mine")) }
            options += divisions.all.map { .init(value: $0.code, label: $0.name, selected: key == $0.code) }
            out.append(FieldView(name: "division", label: "กอง/ฝ่าย", kind: .select, options: options))
        }
        out.append(
            FieldView(
                name: "assigned", label: "ผู้รับผิดชอบ", kind: .select,
                options: [
                    .init(value: "me", label: "มอบหมายให้ฉัน", selected: filter.assignee != nil),
                    .init(value: "none", label: "ยังไม่มีผู้รับผิดชอบ", selected: filter.unassigned),
                ]))
        return out
    }

    static func filterFields(_ q: QueueQuery, services: [(slug: String, name: String)], filter: PetitionQueue.Filter) -> [FieldView] {
        let sizes = Set([20, 50, 100, 200, filter.size]).sorted()
        return [
            FieldView(
                name: "q", label: "ค้นหาเลขที่คำร้องหรือชื่อผู้ยื่น", kind: .text, value: filter.search ?? "",
                hint: "เลขที่คำร้อง เช่น BKT-2569-000042, 2569-42 หรือ 42 (ลำดับที่ของปี) หรือชื่อ–นามสกุลผู้ยื่น", maxlength: 100),
            FieldView(
                name: "service", label: "บริการ", kind: .select,
                options: services.map { .init(value: $0.slug, label: $0.name, selected: $0.slug == filter.service) }),
            FieldView(name: "from", label: "ยื่นตั้งแต่วันที่", kind: .text, value: q.from ?? "", hint: BuddhistDateInput.hint, inputmode: "numeric", maxlength: 10),
            FieldView(name: "to", label: "ยื่นถึงวันที่", kind: .text, value: q.to ?? "", hint: BuddhistDateInput.hint, inputmode: "numeric", maxlength: 10),
            FieldView(name: "overdue", label: "เฉพาะคำร้องที่เกินกำหนดเวลาแล้วและยังไม่ปิด", kind: .checkbox, checked: filter.overdue),
            FieldView(
                name: "sort", label: "ลำดับ", kind: .select,
                options: [
                    .init(value: "newest", label: "ยื่นล่าสุดก่อน", selected: filter.newestFirst),
                    .init(value: "oldest", label: "ยื่นก่อนก่อน (ลำดับงานที่ต้องทำ)", selected: !filter.newestFirst),
                ]),
            FieldView(
                name: "size", label: "จำนวนต่อหน้า", kind: .select,
                options: sizes.map { .init(value: String($0), label: "\($0) รายการ", selected: $0 == filter.size) }),
        ]
    }
}
