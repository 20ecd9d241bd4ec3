import Domain
import Foundation
import Vapor

/// The dashboard of one tenant (its officers and admins) and the platform's comparison of tenants (platform
/// admins): figures from `DashboardStore`, charts drawn here as SVG with the same numbers in tables.
struct DashboardController {
    struct Stat: Encodable {
        var label: String
        var value: String
    }

    struct MonthRow: Encodable {
        var month: String
        var received: String
        var completed: String
    }

    struct CountRow: Encodable {
        var label: String
        var count: String
    }

    struct DaysRow: Encodable {
        var name: String
        var completed: String
        var median: String
        var p90: String
    }

    struct RatingRow: Encodable {
        var name: String
        var count: String
        var average: String
        var unhappy: String
    }

    struct TenantPage: Encodable {
        var page: PageChrome
        var tenantName: String
        var period: String
        var sections: [FormSection]
        var errors: [ErrorLink]
        var action: String
        var stats: [Stat]
        var trendSVG: String
        var months: [MonthRow]
        var channelSVG: String
        var channels: [CountRow]
        var services: [DaysRow]
        var divisions: [DaysRow]
        var ratings: [RatingRow]
        var queueURL: String
        var overdueURL: String
    }

    struct TenantRow: Encodable {
        var name: String
        var url: String
        var received: String
        var completed: String
        var open: String
        var overdue: String
        var median: String
    }

    struct PlatformPage: Encodable {
        var page: PageChrome
        var period: String
        var sections: [FormSection]
        var errors: [ErrorLink]
        var action: String
        var chartSVG: String
        var tenants: [TenantRow]
    }

    /// The months from `from` / `to` ("MM/YYYY", Buddhist years), with a message on a bad value (then the last
    /// twelve months are shown).
    static func months(_ req: Request, now: Date, errors: inout FormErrors) -> (DashboardMonths, from: String, to: String) {
        func text(_ key: String) -> String { String((req.query[String.self, at: key] ?? "").trimmingCharacters(in: .whitespaces).prefix(20)) }
        let from = text("from"), to = text("to")
        switch DashboardMonths.parse(from: from, to: to, now: now) {
        case .success(let m): return (m, from.isEmpty ? m.fromText : from, to.isEmpty ? m.toText : to)
        case .failure(let p):
            switch p {
            case .unreadable(let field): errors.add(field == "ถึงเดือน" ? "to" : "from", p.message)
            case .backwards, .tooLong: errors.add("to", p.message)
            }
            return (DashboardMonths.lastTwelve(now: now), from, to)
        }
    }

    static func fields(from: String, to: String) -> [FieldView] {
        [
            FieldView(
                name: "from", label: "ตั้งแต่เดือน", kind: .text, value: from, hint: "เดือน/ปี พ.ศ. เช่น 01/2569", inputmode: "numeric",
                maxlength: 7),
            FieldView(
                name: "to", label: "ถึงเดือน", kind: .text, value: to, hint: "เลือกได้ไม่เกิน \(DashboardMonths.maxCount) เดือน",
                inputmode: "numeric", maxlength: 7),
        ]
    }

    static func period(_ m: DashboardMonths) -> String {
        let labels = m.longLabels
        return labels.count == 1 ? labels[0] : "\(labels[0]) – \(labels[labels.count - 1])"
    }

    /// "4.2 จาก 5 (37 ความเห็น)", or "–" with none.
    static func rating(_ r: RatingTally) -> String {
        guard let average = r.averageText else { return "–" }
        return "\(average) จาก \(PetitionRating.stars.upperBound) (\(r.total.formatted()) ความเห็น)"
    }

    static func days(_ value: Int?) -> String { value.map { "\($0.formatted()) วันทำการ" } ?? "–" }

    func tenant(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let now = Date()
        var errors = FormErrors()
        let (months, from, to) = Self.months(req, now: now, errors: &errors)
        let f = try await DashboardStore.figures(tenant: t, months: months, now: now, on: req.db)
        let labels = months.shortLabels
        let long = months.longLabels
        let trend = BarChart(
            title: "คำร้องที่รับและที่ดำเนินการสำเร็จรายเดือน \(Self.period(months))", labels: labels,
            series: [
                .init(name: "รับ", values: f.receivedPerMonth, cssClass: "bar-received", fill: "#1f5fa8"),
                .init(name: "สำเร็จ", values: f.completedPerMonth, cssClass: "bar-completed", fill: "#2e7d32"),
            ])
        let channelCounts = PetitionChannel.allCases.map { (c: $0, n: f.byChannel[$0] ?? 0) }
        let channels = BarChart(
            title: "คำร้องที่รับแยกตามช่องทาง", labels: channelCounts.map(\.c.thai),
            series: [.init(name: "คำร้อง", values: channelCounts.map(\.n), cssClass: "bar-channel", fill: "#6a3d9a")])
        var serviceNames: [String: String] = [:]
        for (_, s) in t.config.menus.all + t.retired.all where serviceNames[s.slug] == nil { serviceNames[s.slug] = s.name }
        func rows(_ h: [String: WorkDaysHistogram], name: (String) -> String) -> [DaysRow] {
            h.map { (key: $0.key, name: name($0.key), h: $0.value) }.sorted { $0.h.total != $1.h.total ? $0.h.total > $1.h.total : $0.name < $1.name }
                .map { DaysRow(name: $0.name, completed: $0.h.total.formatted(), median: Self.days($0.h.median), p90: Self.days($0.h.p90)) }
        }
        var channelRows = channelCounts.map { CountRow(label: $0.c.thai, count: $0.n.formatted()) }
        if f.otherChannels > 0 { channelRows.append(CountRow(label: "อื่น ๆ", count: f.otherChannels.formatted())) }
        let context = TenantPage(
            page: PageChrome(request: req, title: "ภาพรวมคำร้อง – \(t.thaiName)"), tenantName: t.thaiName, period: Self.period(months),
            sections: errors.apply(to: [FormSection(title: nil, fields: Self.fields(from: from, to: to))]), errors: errors.items,
            action: BackOfficeURL.tenantDashboard(t.slug).path,
            stats: [
                Stat(label: "รับคำร้อง", value: f.received.formatted()),
                Stat(label: "ดำเนินการสำเร็จ", value: f.completed.formatted()),
                Stat(label: "ยังไม่ปิด (ของที่รับในช่วงนี้)", value: f.open.formatted()),
                Stat(label: "เกินกำหนดและยังไม่ปิด", value: f.overdue.formatted()),
                Stat(label: "มัธยฐานวันทำการจนสำเร็จ", value: Self.days(f.all.median)),
                Stat(label: "เปอร์เซ็นไทล์ที่ 90", value: Self.days(f.all.p90)),
                Stat(label: "ความพึงพอใจเฉลี่ยของผู้ยื่น", value: Self.rating(f.ratings)),
            ],
            trendSVG: trend.svg,
            months: long.indices.map {
                MonthRow(month: long[$0], received: f.receivedPerMonth[$0].formatted(), completed: f.completedPerMonth[$0].formatted())
            },
            channelSVG: channels.svg, channels: channelRows,
            services: rows(f.byService) { serviceNames[$0] ?? $0 },
            divisions: rows(f.byDivision) { $0.isEmpty ? "ไม่ระบุกอง" : (f.divisions[$0] ?? $0) },
            ratings: f.ratingsByService.map { (name: serviceNames[$0.key] ?? $0.key, r: $0.value) }
                .sorted { $0.r.total != $1.r.total ? $0.r.total > $1.r.total : $0.name < $1.name }
                .map { RatingRow(name: $0.name, count: $0.r.total.formatted(), average: $0.r.averageText ?? "–", unhappy: $0.r.unhappy.formatted()) },
            queueURL: BackOfficeURL.petitionQueue(t.slug).path,
            overdueURL: BackOfficeURL.petitionQueue(t.slug).path + "?status=open&overdue=1")
        return try await req.view.render("backoffice/dashboard", context).encodeResponse(status: errors.isEmpty ? .ok : .badRequest, for: req)
    }

    func platform(_ req: Request) async throws -> Response {
        let now = Date()
        var errors = FormErrors()
        let (months, from, to) = Self.months(req, now: now, errors: &errors)
        let figures = try await DashboardStore.platform(months: months, now: now, on: req.db)
        let tenants = req.application.tenants.all
        let rows = tenants.map { t in (t, figures[t.slug] ?? DashboardStore.TenantFigures()) }
        let chart = BarChart(
            title: "คำร้องที่รับและที่ดำเนินการสำเร็จแยกตามหน่วยงาน \(Self.period(months))", labels: rows.map(\.0.config.code),
            series: [
                .init(name: "รับ", values: rows.map(\.1.received), cssClass: "bar-received", fill: "#1f5fa8"),
                .init(name: "สำเร็จ", values: rows.map(\.1.completed), cssClass: "bar-completed", fill: "#2e7d32"),
            ])
        let context = PlatformPage(
            page: PageChrome(request: req, title: "เปรียบเทียบหน่วยงาน"), period: Self.period(months),
            sections: errors.apply(to: [FormSection(title: nil, fields: Self.fields(from: from, to: to))]), errors: errors.items,
            action: BackOfficeURL.adminDashboard.path, chartSVG: chart.svg,
            tenants: rows.map { t, f in
                TenantRow(
                    name: t.thaiName, url: BackOfficeURL.tenantDashboard(t.slug).path, received: f.received.formatted(),
                    completed: f.completed.formatted(), open: f.open.formatted(), overdue: f.overdue.formatted(), median: Self.days(f.days.median))
            })
        return try await req.view.render("backoffice/dashboard-platform", context)
            .encodeResponse(status: errors.isEmpty ? .ok : .badRequest, for: req)
    }
}

enum DashboardRoutes {
    static func register(_ r: BackOfficeRouter) {
        let dashboard = DashboardController()
        r.get(.tenantDashboard, use: dashboard.tenant)
        r.get(.adminDashboard, use: dashboard.platform)
    }
}
