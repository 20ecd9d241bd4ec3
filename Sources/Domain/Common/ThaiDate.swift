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

    static func parts(_ date: Date) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = bangkok
        return calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
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
        let time = String(format: "%02d:%02d", p.hour ?? 0, p.minute ?? 0)
        return "\(p.day ?? 1) \(shortMonthNames[(p.month ?? 1) - 1]) \((p.year ?? 1970) + 543) \(time) น."
    }
}

public enum ThaiYear {
    /// The Buddhist-era year of a date in Bangkok.
    public static func of(_ date: Date) -> Int { ThaiDate.buddhistYear(of: date) }
}
