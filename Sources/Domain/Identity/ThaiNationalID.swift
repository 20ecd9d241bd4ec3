/// A Thai national identification number (เลขประจำตัวประชาชน): 13 digits, the last a check digit
/// (mod 11 over the first twelve, weighted 13 down to 2).
public struct ThaiNationalID: Sendable, Hashable, CustomStringConvertible {
    public let digits: String

    public enum Problem: Error, Equatable, Sendable {
        case notThirteenDigits
        case checksum

        /// The message shown beside the field.
        public var thai: String {
            switch self {
            case .notThirteenDigits: "เลขประจำตัวประชาชนต้องเป็นตัวเลข 13 หลัก"
            case .checksum: "เลขประจำตัวประชาชนไม่ถูกต้อง กรุณาตรวจสอบอีกครั้ง"
            }
        }
    }

    /// Accepts the number with or without the usual dashes and spaces ("1-2345-67890-12-1"), in Thai or
    /// Arabic digits, with any kind of space or dash between the groups.
    public init(_ raw: String) throws(Problem) {
        let dashes: Set<Character> = ["-", "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}", "\u{2212}"]
        let kept = raw.arabicDigits.filter { !$0.isWhitespace && !dashes.contains($0) }
        guard kept.count == 13, kept.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw .notThirteenDigits }
        guard Self.checkDigit(of: kept.prefix(12)) == kept.last?.wholeNumberValue else { throw .checksum }
        digits = kept
    }

    static func checkDigit(of twelve: Substring) -> Int? {
        let values = twelve.compactMap(\.wholeNumberValue)
        guard values.count == 12 else { return nil }
        let sum = values.enumerated().reduce(0) { $0 + $1.element * (13 - $1.offset) }
        return (11 - sum % 11) % 10
    }

    /// "1-2345-67890-12-1"
    public var formatted: String {
        let d = Array(digits)
        return "\(d[0])-\(String(d[1...4]))-\(String(d[5...9]))-\(String(d[10...11]))-\(d[12])"
    }

    /// Safe for logs and lists: only the last four digits show ("x-xxxx-xxxxx-12-1").
    public var masked: String {
        let d = Array(digits)
        return "x-xxxx-xxxxx-\(String(d[10...11]))-\(d[12])"
    }

    /// Never the full number: printing an ID by accident (a log line, an error) shows the masked form.
    public var description: String { masked }
}
