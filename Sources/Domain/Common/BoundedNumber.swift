import Foundation

/// Numbers read from outside (a query, a path, a form, a header, YAML, an API) become values only inside a
/// stated range, before any arithmetic. Swift traps on overflow and a trap stops every tenant at once, so
/// input is never fed to `Int(_:)` and then multiplied: it goes through here, and what falls outside the range
/// is `nil`, for the caller to answer with a Thai message or a default.
///
/// Accepted: optional surrounding spaces, an optional sign, ASCII, Thai (๐–๙) or full-width digits; at most
/// 18 digits are read at all, so the conversion itself cannot overflow either.
public enum BoundedNumber {
    /// More digits than this are refused before conversion (10^18 < Int64.max).
    static let maxDigits = 18

    /// The whole number in `text`, if it is one and lies in `range`.
    public static func int(_ text: String?, in range: ClosedRange<Int>) -> Int? {
        guard let text else { return nil }
        var scalars = Substring(text.arabicDigits).unicodeScalars.drop { $0 == " " || $0 == "\t" }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        var negative = false
        if let first = scalars.first, first == "-" || first == "+" {
            negative = first == "-"
            scalars = scalars.dropFirst()
        }
        guard !scalars.isEmpty, scalars.count <= maxDigits else { return nil }
        var value = 0
        for s in scalars {
            guard ("0"..."9").contains(s) else { return nil }
            value = value * 10 + Int(s.value - 48)
        }
        if negative { value = -value }
        return range.contains(value) ? value : nil
    }

    /// `int(text, in: range)`, or `fallback` when the text is absent or empty; a present but bad value is `nil`
    /// (so a page can say so) unless `lenient`, when it is also the fallback.
    public static func int(_ text: String?, in range: ClosedRange<Int>, default fallback: Int, lenient: Bool = false) -> Int? {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return fallback }
        return int(text, in: range) ?? (lenient ? fallback : nil)
    }

    /// A page number from a query: 1 when absent or unreadable, at most `last`.
    public static func page(_ text: String?, last: Int = 100_000) -> Int {
        let last = max(1, last)
        if let n = int(text, in: 1...last) { return n }
        return int(text, in: last...Int.max) != nil ? last : 1
    }

    /// A plain decimal number ("16.8211", "-5", "๑๖.๕") in `range`, for coordinates and amounts: no exponent,
    /// no hex, no `NaN` or infinity, at most 40 characters.
    public static func double(_ text: String?, in range: ClosedRange<Double>) -> Double? {
        guard let text else { return nil }
        let t = text.arabicDigits.trimmingCharacters(in: .whitespaces)
        let body = t.hasPrefix("-") || t.hasPrefix("+") ? t.dropFirst() : Substring(t)
        guard !body.isEmpty, t.count <= 40,
            body.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || $0 == "." }), body.filter({ $0 == "." }).count <= 1,
            body.first != ".", body.last != ".", let value = Double(t), value.isFinite, range.contains(value)
        else { return nil }
        return value
    }
}
