import Foundation

/// What a citizen typed to the Official Account, as far as the bot understands it.
public enum LineCommand: Equatable, Sendable {
    /// "สถานะ", "status" and the like: their latest petitions.
    case status
    /// A tracking number ("BKT-2569-000042", any case, Thai digits, the running number without its zeros).
    case tracking(String)
    case help

    static let statusWords: Set<String> = ["สถานะ", "status", "ติดตามสถานะ", "เช็คสถานะ", "เช็กสถานะ", "ตรวจสอบสถานะ", "สถานะคำร้อง"]

    public static func parse(_ text: String) -> LineCommand {
        let cleaned = text.arabicDigits.trimmingCharacters(in: .whitespacesAndNewlines)
        if statusWords.contains(cleaned.lowercased()) { return .status }
        if let number = trackingNumber(in: cleaned) { return .tracking(number) }
        return .help
    }

    /// The first "ABC-2569-42"-shaped token, written the way the system writes numbers.
    static func trackingNumber(in text: String) -> String? {
        for token in text.split(whereSeparator: { $0.isWhitespace || $0 == "," || $0 == ":" }) {
            let parts = token.uppercased().split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, (2...5).contains(parts[0].count), parts[0].allSatisfy({ $0.isASCII && $0.isLetter }),
                parts[1].count == 4, let year = Int(parts[1]), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                (1...6).contains(parts[2].count), parts[2].allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(parts[2]), n > 0
            else { continue }
            let digits = String(n)
            return "\(parts[0])-\(year)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        }
        return nil
    }
}
