import Foundation

/// A birth date asked as day, month and Buddhist-era year (the seed's forms; ปี พ.ศ. = ค.ศ. + 543).
public enum ThaiBirthDate {
    public enum Problem: Error, Equatable, Sendable {
        case missing, yearNotBuddhist, noSuchDate, inFuture, tooOld

        public var thai: String {
            switch self {
            case .missing: "กรุณากรอกวันเกิดให้ครบทั้งวันที่ เดือน และปี พ.ศ."
            case .yearNotBuddhist: "กรุณากรอกปีเกิดเป็นปีพุทธศักราช 4 หลัก เช่น 2530"
            case .noSuchDate: "ไม่มีวันที่นี้ในปฏิทิน กรุณาตรวจสอบวันเกิดอีกครั้ง"
            case .inFuture: "วันเกิดต้องไม่เป็นวันในอนาคต"
            case .tooOld: "ปีเกิดต้องไม่เกิน 120 ปีที่แล้ว"
            }
        }
    }

    /// "YYYY-MM-DD" (Gregorian, as stored) from the three answers.
    public static func iso(day: String, month: String, buddhistYear: String, now: Date = Date()) -> Result<String, Problem> {
        let y = buddhistYear.arabicDigits.filter { !$0.isWhitespace }
        guard !day.isEmpty, !month.isEmpty, !y.isEmpty else { return .failure(.missing) }
        guard let d = Int(day), let m = Int(month), (1...12).contains(m), (1...31).contains(d) else { return .failure(.noSuchDate) }
        guard y.count == 4, let be = Int(y), be >= 2400 else { return .failure(.yearNotBuddhist) }
        let thisYear = ThaiDate.buddhistYear(of: now)
        guard be >= thisYear - 120 else { return .failure(.tooOld) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = ThaiDate.bangkok
        guard let date = calendar.date(from: DateComponents(year: be - 543, month: m, day: d)),
            calendar.component(.day, from: date) == d, calendar.component(.month, from: date) == m
        else { return .failure(.noSuchDate) }
        guard date <= now else { return .failure(.inFuture) }
        return .success(String(format: "%04d-%02d-%02d", be - 543, m, d))
    }

    /// "1 มกราคม 2530" from a stored "YYYY-MM-DD".
    public static func long(iso: String) -> String {
        let p = iso.split(separator: "-").compactMap { Int($0) }
        guard p.count == 3, (1...12).contains(p[1]) else { return iso }
        return "\(p[2]) \(ThaiDate.monthNames[p[1] - 1]) \(p[0] + 543)"
    }
}
