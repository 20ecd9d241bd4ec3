/// A length of time in Thai words, to the two largest units: "45 วินาที", "3 นาที", "2 ชั่วโมง 5 นาที",
/// "4 วัน 6 ชั่วโมง". For ages and uptimes on staff pages.
public enum ThaiDuration {
    public static func short(seconds: Double) -> String {
        // Bounded before conversion: NaN, infinities and negatives are "0 วินาที"; beyond about 30,000 years, capped.
        let whole = seconds.isFinite ? Int(min(max(seconds, 0), 1e12)) : 0
        let units: [(Int, String)] = [(86_400, "วัน"), (3_600, "ชั่วโมง"), (60, "นาที"), (1, "วินาที")]
        var parts: [String] = []
        var rest = whole
        for (size, name) in units {
            let n = rest / size
            rest -= n * size
            if n > 0 || (!parts.isEmpty && parts.count < 2) { parts.append("\(n) \(name)") }
            if parts.count == 2 { break }
        }
        // "2 ชั่วโมง 0 นาที" reads oddly: drop a trailing zero part.
        if parts.count == 2, parts[1].hasPrefix("0 ") { parts.removeLast() }
        return parts.isEmpty ? "0 วินาที" : parts.joined(separator: " ")
    }
}
