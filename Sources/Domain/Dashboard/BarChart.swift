/// A bar chart drawn as SVG on the server: readable without JavaScript, with `role="img"`, a `<title>` and a
/// `<desc>` for screen readers (the page puts the same numbers in a table beside it). One or two series of
/// bars per category (received and completed per month); every text is escaped.
public struct BarChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var values: [Int]
        /// A CSS class for the bars and their fill colour ("#1f5fa8"); the legend names each series, so the
        /// colours are not the only way to tell them apart (every bar also has its own title).
        public var cssClass: String
        public var fill: String

        public init(name: String, values: [Int], cssClass: String, fill: String) {
            self.name = name
            self.values = values
            self.cssClass = cssClass
            self.fill = fill
        }
    }

    public var title: String
    public var labels: [String]
    public var series: [Series]
    public var width = 720
    public var height = 260

    public init(title: String, labels: [String], series: [Series]) {
        self.title = title
        self.labels = labels
        self.series = series
    }

    /// The chart's SVG element (no XML declaration: it sits inside the page).
    public var svg: String {
        let top = 24, bottom = 40, left = 48, right = 8
        let plotW = max(width - left - right, 1), plotH = max(height - top - bottom, 1)
        let maxValue = max(series.flatMap(\.values).max() ?? 0, 1)
        let scaleMax = Self.niceCeiling(maxValue)
        let groups = max(labels.count, 1)
        let groupW = Double(plotW) / Double(groups)
        let barW = max(groupW * 0.8 / Double(max(series.count, 1)), 1)
        var out = ""
        out.reserveCapacity(512 + labels.count * series.count * 160)
        let summary = series.map { s in "\(s.name) รวม \(s.values.reduce(0, +))" }.joined(separator: ", ")
        out += #"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 \#(width) \#(height)" "#
        out += #"width="100%" preserveAspectRatio="xMidYMid meet" aria-labelledby="\#(id)-t \#(id)-d">"#
        out += #"<title id="\#(id)-t">\#(Self.esc(title))</title><desc id="\#(id)-d">\#(Self.esc(summary))</desc>"#
        // Axis and four grid lines with their values.
        for step in 0...4 {
            let value = scaleMax * step / 4
            let y = top + plotH - plotH * step / 4
            out += #"<line class="chart-grid" stroke="rgb(200,204,210)" x1="\#(left)" y1="\#(y)" x2="\#(left + plotW)" y2="\#(y)"/>"#
            out += #"<text class="chart-axis" font-size="11" fill="rgb(51,51,51)" x="\#(left - 4)" y="\#(y + 4)" text-anchor="end">\#(value)</text>"#
        }
        for (g, label) in labels.enumerated() {
            let x0 = Double(left) + Double(g) * groupW + groupW * 0.1
            for (s, serie) in series.enumerated() {
                let v = g < serie.values.count ? max(serie.values[g], 0) : 0
                let h = Double(plotH) * Double(v) / Double(scaleMax)
                let x = x0 + Double(s) * barW
                out += #"<rect class="\#(Self.esc(serie.cssClass))" fill="\#(Self.esc(serie.fill))" x="\#(Self.f(x))" y="\#(Self.f(Double(top + plotH) - h))" "#
                out += #"width="\#(Self.f(barW))" height="\#(Self.f(h))"><title>\#(Self.esc(label)) \#(Self.esc(serie.name)) \#(v)</title></rect>"#
            }
            let cx = Double(left) + (Double(g) + 0.5) * groupW
            // Every label when they fit, else every other one.
            if labels.count <= 12 || g % ((labels.count + 11) / 12) == 0 {
                out +=
                    #"<text class="chart-label" font-size="11" fill="rgb(51,51,51)" x="\#(Self.f(cx))" y="\#(top + plotH + 16)" text-anchor="middle">\#(Self.esc(label))</text>"#
            }
        }
        // Legend.
        var lx = left
        for serie in series {
            out += #"<rect class="\#(Self.esc(serie.cssClass))" fill="\#(Self.esc(serie.fill))" x="\#(lx)" y="4" width="12" height="12"/>"#
            out += #"<text class="chart-legend" font-size="12" fill="rgb(51,51,51)" x="\#(lx + 16)" y="15">\#(Self.esc(serie.name))</text>"#
            lx += 24 + serie.name.count * 9
        }
        out += "</svg>"
        return out
    }

    /// A stable id for the title and description, from the title.
    var id: String {
        var h: UInt32 = 2_166_136_261
        for b in title.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return "chart-\(String(h, radix: 36))"
    }

    /// The smallest of 1, 2, 4, 5, 8 × 10ⁿ at or above the value (10ⁿ the largest power of ten at or below it).
    static func niceCeiling(_ value: Int) -> Int {
        var magnitude = 1
        while magnitude <= value / 10 { magnitude *= 10 }  // the largest power of ten at or below the value
        for m in [1, 2, 4, 5, 8, 10] where m * magnitude >= value { return m * magnitude }
        return 10 * magnitude
    }

    static func f(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    static func esc(_ s: String) -> String { HTMLText.escaped(s) }
}
