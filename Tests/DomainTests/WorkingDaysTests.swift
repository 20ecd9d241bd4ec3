import Domain
import Foundation
import Testing

@Suite("Working days for service times")
struct WorkingDaysTests {
    /// A moment in Bangkok time.
    static func bkk(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 10, _ min: Int = 0, _ s: Int = 0) -> Date {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = ThaiDate.bangkok
        return c.date(from: DateComponents(year: y, month: m, day: d, hour: h, minute: min, second: s))!
    }

    @Test(
        "Monday to Friday count; weekends are skipped; due at the end of the day in Bangkok",
        arguments: [
            // filed (2026-12-…), working days, due day
            (bkk(2026, 12, 1), 7, bkk(2026, 12, 10, 23, 59, 59)),  // Tue + 7 → Thu next week
            (bkk(2026, 12, 4), 1, bkk(2026, 12, 7, 23, 59, 59)),  // Fri + 1 → Mon
            (bkk(2026, 12, 5), 1, bkk(2026, 12, 7, 23, 59, 59)),  // Sat + 1 → Mon
            (bkk(2026, 12, 6), 5, bkk(2026, 12, 11, 23, 59, 59)),  // Sun + 5 → Fri
            (bkk(2026, 12, 1, 23, 30), 1, bkk(2026, 12, 2, 23, 59, 59)),  // late at night still counts from that day
            (bkk(2026, 12, 2), 0, bkk(2026, 12, 2, 23, 59, 59)),
            (bkk(2026, 12, 25), 15, bkk(2027, 1, 15, 23, 59, 59)),  // across the new year
        ])
    func due(filed: Date, days: Int, expected: Date) {
        #expect(WorkingDays.due(filed: filed, days: days) == expected)
    }

    @Test("a negative number of days is the day itself")
    func negative() {
        #expect(WorkingDays.due(filed: Self.bkk(2026, 12, 2), days: -3) == Self.bkk(2026, 12, 2, 23, 59, 59))
    }
}
