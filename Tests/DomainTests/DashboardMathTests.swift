import Foundation
import Testing

@testable import Domain

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite("Dashboard: months, percentiles, SVG bars")
struct DashboardMathTests {
    @Test("nearest-rank median and p90 from a histogram equal those of the sorted values")
    func percentiles() {
        let samples: [[Int]] = [[1, 2, 3, 4], [5], [0, 0, 0, 9], [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], Array(1...100), [7, 7, 7, 8, 30, 2, 2]]
        for values in samples {
            var h = WorkDaysHistogram()
            for (v, n) in Dictionary(grouping: values, by: { $0 }).mapValues(\.count) { h.add(days: v, count: n) }
            let sorted = values.sorted()
            func rank(_ p: Int) -> Int { sorted[Int((Double(p) / 100 * Double(sorted.count)).rounded(.up)) - 1] }
            #expect(h.median == rank(50), "\(values)")
            #expect(h.p90 == rank(90), "\(values)")
            #expect(h.total == values.count)
        }
        #expect(WorkDaysHistogram().median == nil)
        var h = WorkDaysHistogram()
        h.add(days: 1, count: 1)
        h.add(days: 2, count: 1)
        h.add(days: 3, count: 1)
        h.add(days: 4, count: 1)
        #expect(h.median == 2 && h.p90 == 4)
    }

    @Test("months: MM/YYYY in Buddhist years, Thai digits, defaults, at most 36, Bangkok midnight boundaries")
    func months() throws {
        let now = Date(timeIntervalSince1970: 1_796_500_000)  // 5 December 2026
        let last = try DashboardMonths.parse(from: nil, to: "", now: now).get()
        #expect(last.count == 12 && last.toText == "12/2569" && last.fromText == "01/2569")
        let m = try DashboardMonths.parse(from: "๐๒/๒๕๖๘", to: "01/2569", now: now).get()
        #expect(m.year == 2025 && m.month == 2 && m.count == 12)
        #expect(m.boundaries.count == 13)
        // 1 February 2025 00:00 in Bangkok is 31 January 2025 17:00 UTC.
        #expect(m.start == Date(timeIntervalSince1970: 1_738_342_800))
        #expect(m.longLabels.first == "กุมภาพันธ์ 2568" && m.longLabels.last == "มกราคม 2569")
        #expect(try DashboardMonths.parse(from: "01/2566", to: "12/2568", now: now).get().count == 36)
        #expect(DashboardMonths.parse(from: "01/2566", to: "01/2569", now: now) == .failure(.tooLong))
        #expect(DashboardMonths.parse(from: "05/2569", to: "04/2569", now: now) == .failure(.backwards))
        for bad in ["13/2569", "0/2569", "1/99999999999999999999", "ab", "01-2569", "01/2000", "-1/2569"] {
            #expect(DashboardMonths.parse(from: bad, to: nil, now: now) == .failure(.unreadable(field: "ตั้งแต่เดือน")), "\(bad)")
        }
        let one = try DashboardMonths.parse(from: "03/2569", to: "03/2569", now: now).get()
        #expect(one.count == 1 && one.end.timeIntervalSince(one.start) == 31 * 86_400)
    }

    final class Collector: NSObject, XMLParserDelegate {
        var elements: [String] = []
        var text = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements.append(name)
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    }

    @Test("a month's index and its start are inverses: midnight on the first in Bangkok begins the month, a second before ends the last")
    func monthIndex() {
        for index in [1970 * 12, 2025 * 12 + 11, 2026 * 12, 2026 * 12 + 1, 2028 * 12 + 1, 2100 * 12 + 5] {
            let start = DashboardMonths.start(ofIndex: index)
            #expect(DashboardMonths.index(of: start) == index, "\(index)")
            #expect(DashboardMonths.index(of: start.addingTimeInterval(-1)) == index - 1, "\(index)")
            #expect(DashboardMonths.index(of: DashboardMonths.start(ofIndex: index + 1).addingTimeInterval(-0.001)) == index)
        }
        // 17:00 UTC on 31 January is midnight on 1 February in Bangkok.
        #expect(DashboardMonths.index(of: Date(timeIntervalSince1970: 1_769_878_800)) == 2026 * 12 + 1)
        #expect(DashboardMonths.index(of: Date(timeIntervalSince1970: 1_769_878_799)) == 2026 * 12)
        let m = DashboardMonths(year: 2025, month: 11, count: 3)
        #expect(m.indexRange == (2025 * 12 + 10)..<(2026 * 12 + 1))
        #expect(DashboardMonths.start(ofIndex: m.indexRange.lowerBound) == m.start && DashboardMonths.start(ofIndex: m.indexRange.upperBound) == m.end)
    }

    @Test("the chart is well-formed XML with role=img, a title, one bar per value and escaped labels")
    func chart() throws {
        let chart = BarChart(
            title: "คำร้อง <รายเดือน> & \"ทดสอบ\"", labels: ["ม.ค. 69", "ก.พ. 69", "A<B"],
            series: [
                .init(name: "รับ", values: [10, 0, 1234], cssClass: "a", fill: "#1f5fa8"),
                .init(name: "สำเร็จ", values: [3, 7], cssClass: "b", fill: "#2e7d32"),
            ])
        let svg = chart.svg
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "") \(svg)")
        #expect(collector.elements.first == "svg")
        #expect(svg.contains(#"role="img""#))
        #expect(collector.elements.filter { $0 == "rect" }.count == 3 * 2 + 2, "six bars and two legend keys")
        #expect(collector.text.contains("คำร้อง <รายเดือน> & \"ทดสอบ\""))
        #expect(collector.text.contains("A<B รับ 1234"))
        // An empty chart still parses.
        let empty = BarChart(title: "ว่าง", labels: [], series: [])
        #expect(XMLParser(data: Data(empty.svg.utf8)).parse())
        for (value, ceiling) in [(1234, 2000), (7, 8), (1, 1), (10, 10), (11, 20), (99, 100), (100, 100), (401, 500)] {
            #expect(BarChart.niceCeiling(value) == ceiling, "\(value)")
        }
    }
}
