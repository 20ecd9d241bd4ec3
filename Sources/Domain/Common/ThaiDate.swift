import Foundation

/// Dates shown to people: Thai month names, Buddhist-era year (พ.ศ. = ค.ศ. + 543), Bangkok time.
public enum ThaiDate {
    public static let monthNames = [
        "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
        "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
    ]
    public static let shortMonthNames = [
        "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
    ]

    public static let bangkok = TimeZone(identifier: "Asia/Bangkok") ?? TimeZone(secondsFromGMT: 7 * 3600)!

    /// Bangkok has been UTC+7 without daylight saving since 1 April 1920; before that it kept local mean time.
    static let fixedOffsetSince = Date(timeIntervalSince1970: -1_570_084_924)

    /// Year, month, day, hour and minute in Bangkok. From 1920 on by arithmetic (a list page formats a hundred
    /// dates, and building a `Calendar` for each was a visible part of its time); earlier dates by `Calendar`.
    static func parts(_ date: Date) -> DateComponents {
        guard date >= fixedOffsetSince else {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = bangkok
            return calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        }
        let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + 7 * 3600
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return DateComponents(year: year, month: month, day: day, hour: secondOfDay / 3600, minute: secondOfDay % 3600 / 60)
    }

    public static func buddhistYear(of date: Date) -> Int {
        (parts(date).year ?? 1970) + 543
    }

    /// "22 พฤศจิกายน 2569"
    public static func long(_ date: Date) -> String {
        let p = parts(date)
        return "\(p.day ?? 1) \(monthNames[(p.month ?? 1) - 1]) \((p.year ?? 1970) + 543)"
    }

    /// "22 พ.ย. 2569 14:05 น."
    public static func shortWithTime(_ date: Date) -> String {
        let p = parts(date)
        let hour = p.hour ?? 0, minute = p.minute ?? 0
        return
            "\(p.day ?? 1) \(shortMonthNames[(p.month ?? 1) - 1]) \((p.year ?? 1970) + 543) \(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute) น."
    }
}

public enum ThaiYear {
    /// The Buddhist-era year of a date in Bangkok.
    public static func of(_ date: Date) -> Int { ThaiDate.buddhistYear(of: date) }
}
