import Foundation

/// The months a dashboard covers, in Bangkok time: a first month and a count (1…36). Read from "MM/YYYY" in
/// Buddhist years ("01/2569"; Thai digits too), each part bounded before any arithmetic.
public struct DashboardMonths: Equatable, Sendable {
    public static let maxCount = 36

    /// Gregorian year and month (1…12) of the first month.
    public let year: Int
    public let month: Int
    /// How many months, 1…36.
    public let count: Int

    public init(year: Int, month: Int, count: Int) {
        self.year = year
        self.month = min(max(month, 1), 12)
        self.count = min(max(count, 1), Self.maxCount)
    }

    /// The last twelve months up to and including the month of `now`.
    public static func lastTwelve(now: Date) -> DashboardMonths {
        let p = ThaiDate.parts(now)
        let index = (p.year ?? 1970) * 12 + (p.month ?? 1) - 1 - 11
        return DashboardMonths(year: index / 12, month: index % 12 + 1, count: 12)
    }

    public enum Problem: Error, Equatable, Sendable {
        case unreadable(field: String)
        case backwards
        case tooLong

        public var message: String {
            switch self {
            case .unreadable(let field): "\(field): กรุณากรอกเดือนและปี พ.ศ. เช่น 01/2569"
            case .backwards: "เดือนสุดท้ายต้องไม่ก่อนเดือนแรก"
            case .tooLong: "เลือกได้ไม่เกิน \(DashboardMonths.maxCount) เดือน"
            }
        }
    }

    /// A "MM/YYYY" month (Buddhist year 2400…2700) as a Gregorian month index (year × 12 + month − 1).
    public static func monthIndex(_ text: String) -> Int? {
        let parts = text.arabicDigits.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let m = BoundedNumber.int(String(parts[0]), in: 1...12),
            let y = BoundedNumber.int(String(parts[1]), in: 2400...2700)
        else { return nil }
        return (y - 543) * 12 + m - 1
    }

    /// From the two fields (either may be empty): both empty gives the last twelve months; one alone gives
    /// twelve months from it, or to it.
    public static func parse(from: String?, to: String?, now: Date) -> Result<DashboardMonths, Problem> {
        let f = from?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        let t = to?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        if f == nil, t == nil { return .success(lastTwelve(now: now)) }
        var first: Int?
        var last: Int?
        if let f {
            guard let i = monthIndex(f) else { return .failure(.unreadable(field: "ตั้งแต่เดือน")) }
            first = i
        }
        if let t {
            guard let i = monthIndex(t) else { return .failure(.unreadable(field: "ถึงเดือน")) }
            last = i
        }
        let a = first ?? (last! - 11)
        let b = last ?? (first! + 11)
        guard b >= a else { return .failure(.backwards) }
        guard b - a + 1 <= maxCount else { return .failure(.tooLong) }
        return .success(DashboardMonths(year: a / 12, month: a % 12 + 1, count: b - a + 1))
    }

    /// The start of each month and the end of the last (count + 1 instants, Bangkok midnight).
    public var boundaries: [Date] {
        (0...count).map { i in
            let index = year * 12 + month - 1 + i
            return Self.bangkokMonthStart(year: index / 12, month: index % 12 + 1)
        }
    }

    public var start: Date { Self.bangkokMonthStart(year: year, month: month) }
    public var end: Date {
        let index = year * 12 + month - 1 + count
        return Self.bangkokMonthStart(year: index / 12, month: index % 12 + 1)
    }

    /// "ม.ค. 69" for each month.
    public var shortLabels: [String] {
        (0..<count).map { i in
            let index = year * 12 + month - 1 + i
            let be = index / 12 + 543
            return "\(ThaiDate.shortMonthNames[index % 12]) \(String(be).suffix(2))"
        }
    }

    /// "มกราคม 2569" for each month.
    public var longLabels: [String] {
        (0..<count).map { i in
            let index = year * 12 + month - 1 + i
            return "\(ThaiDate.monthNames[index % 12]) \(index / 12 + 543)"
        }
    }

    /// "01/2569": the first and last month as the form writes them.
    public var fromText: String { Self.text(index: year * 12 + month - 1) }
    public var toText: String { Self.text(index: year * 12 + month - 1 + count - 1) }

    static func text(index: Int) -> String {
        let m = index % 12 + 1
        return "\(m < 10 ? "0" : "")\(m)/\(index / 12 + 543)"
    }

    /// The month an instant falls in, in Bangkok, as a Gregorian month index (year × 12 + month − 1): the key of
    /// the kept monthly counts, and the inverse of `start(ofIndex:)` (midnight on the first is the new month).
    public static func index(of date: Date) -> Int {
        let p = ThaiDate.parts(date)
        return (p.year ?? 1970) * 12 + (p.month ?? 1) - 1
    }

    /// Midnight on the first of the month with this index (year × 12 + month − 1) in Bangkok.
    public static func start(ofIndex index: Int) -> Date {
        let month = ((index % 12) + 12) % 12
        return bangkokMonthStart(year: (index - month) / 12, month: month + 1)
    }

    /// The index of the first month and one past the last (the kept counts' keys for these months).
    public var indexRange: Range<Int> { (year * 12 + month - 1)..<(year * 12 + month - 1 + count) }

    /// Midnight on the first of the month in Bangkok (UTC+7, no daylight saving).
    static func bangkokMonthStart(year: Int, month: Int) -> Date {
        // Days from 1970-01-01 to the civil date (H. Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 - 7 * 3600))
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
