import Domain
import Foundation

/// A date typed by a person as day/month/Buddhist-era year ("31/12/2569"; "-" or "." also separate, Thai
/// digits allowed), read as the start of that day in Bangkok.
enum BuddhistDateInput {
    static let hint = "วัน/เดือน/ปี พ.ศ. เช่น 31/12/2569"

    /// nil for an empty input; otherwise the day, or a Thai message naming the field (`label`).
    static func parse(_ raw: String?, label: String) -> Result<Date, Problem>? {
        let text = (raw ?? "").arabicDigits.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        let parts = text.split(whereSeparator: { $0 == "/" || $0 == "-" || $0 == "." }).map(String.init)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let day = Int(parts[0]), let month = Int(parts[1]), let year = Int(parts[2]), parts[2].count == 4
        else {
            return .failure(Problem(message: "\(label)ต้องอยู่ในรูปแบบ \(hint)"))
        }
        if (1800..<2400).contains(year) {
            return .failure(Problem(message: "\(label): กรุณากรอกปีเป็นพุทธศักราช (พ.ศ. = ค.ศ. + 543) เช่น \(year + 543)"))
        }
        guard PetitionAnswers.buddhistYears.contains(year), let date = startOfDay(year: year - 543, month: month, day: day) else {
            return .failure(Problem(message: "\(label): ไม่มีวันที่นี้ในปฏิทิน กรุณาตรวจสอบ (\(hint))"))
        }
        return .success(date)
    }

    struct Problem: Error, Sendable { var message: String }

    /// "31/12/2569", to put a parsed date back in its input.
    static func format(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return "\(c.day ?? 1)/\(c.month ?? 1)/\((c.year ?? 1970) + 543)"
    }

    static var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = ThaiDate.bangkok
        return c
    }

    /// Midnight in Bangkok of a Gregorian date that exists; nil for 31 April and the like.
    static func startOfDay(year: Int, month: Int, day: Int) -> Date? {
        guard (1...12).contains(month), (1...31).contains(day),
            let date = calendar.date(from: DateComponents(year: year, month: month, day: day))
        else { return nil }
        let back = calendar.dateComponents([.year, .month, .day], from: date)
        return back.year == year && back.month == month && back.day == day ? date : nil
    }
}
