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

    @Test(
        "working days between two moments count the days after the first up to the second",
        arguments: [
            (bkk(2026, 12, 7), bkk(2026, 12, 7, 16), 0),  // same Monday
            (bkk(2026, 12, 7), bkk(2026, 12, 11), 4),  // Mon → Fri
            (bkk(2026, 12, 11), bkk(2026, 12, 14), 1),  // Fri → Mon
            (bkk(2026, 12, 12), bkk(2026, 12, 13), 0),  // Sat → Sun
            (bkk(2026, 12, 11), bkk(2026, 12, 7), 0),  // backwards
        ])
    func between(from: Date, to: Date, expected: Int) {
        #expect(WorkingDays.between(from, to) == expected)
    }

    @Test("the SLA clock stops while waiting for the citizen and the due date moves by the days waited")
    func slaPause() {
        let due = Self.bkk(2026, 12, 10, 23, 59, 59)  // Thursday
        let waiting = SLAClock(dueAt: due, waitingSince: Self.bkk(2026, 12, 7), isOpen: true)
        // Waiting since Monday; on Wednesday two working days have passed: due moves from Thursday to Monday.
        #expect(waiting.due(at: Self.bkk(2026, 12, 9)) == Self.bkk(2026, 12, 14, 23, 59, 59))
        // A petition that waits is never overdue, even past its stored due date.
        #expect(!waiting.isOverdue(at: Self.bkk(2026, 12, 20)))
        let resumed = waiting.resumed(at: Self.bkk(2026, 12, 9))
        #expect(resumed.pausedDays == 2)
        #expect(resumed.dueAt == Self.bkk(2026, 12, 14, 23, 59, 59))
        let running = SLAClock(dueAt: due, waitingSince: nil, isOpen: true)
        #expect(running.isOverdue(at: Self.bkk(2026, 12, 11)))
        #expect(!running.isOverdue(at: Self.bkk(2026, 12, 10, 12)))
        #expect(!SLAClock(dueAt: due, waitingSince: nil, isOpen: false).isOverdue(at: Self.bkk(2026, 12, 11)))
    }

    @Test("a huge number of days is capped, not looped through")
    func capped() {
        let far = WorkingDays.due(filed: Self.bkk(2026, 12, 2), days: Int.max)
        #expect(far > Self.bkk(2060, 1, 1))
        // 10,000 calendar days at most: about five in seven of them are working days.
        #expect((7_100...7_200).contains(WorkingDays.between(Self.bkk(2026, 12, 2), .distantFuture)))
    }
}
