import Domain
import Foundation
import Testing

@Suite("Thai dates in Bangkok time")
struct ThaiDateTests {
    static func calendarParts(_ date: Date) -> [Int?] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = ThaiDate.bangkok
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return [c.year, c.month, c.day, c.hour, c.minute]
    }

    @Test("the arithmetic agrees with Foundation's calendar for 20,000 moments from 1920 to 2200, and at the edges")
    func agreesWithCalendar() {
        var generator = SystemRandomNumberGenerator()
        var moments: [Date] = (0..<20_000).map { _ in
            Date(timeIntervalSince1970: Double(Int64.random(in: -1_570_084_924...7_258_118_400, using: &generator)))
        }
        // Midnights and the last second of days in Bangkok, leap days, the turn of centuries.
        for s in [-1_570_084_924, -25_200, -1, 0, 946_659_599, 946_659_600, 951_757_200, 4_107_517_199, 4_107_517_200, 1_796_140_800] {
            moments.append(Date(timeIntervalSince1970: Double(s)))
            moments.append(Date(timeIntervalSince1970: Double(s) + 0.999))
        }
        for d in moments {
            let ours = ThaiDate.long(d) + " " + ThaiDate.shortWithTime(d)
            let p = Self.calendarParts(d)
            let expected =
                "\(p[2]!) \(ThaiDate.monthNames[p[1]! - 1]) \(p[0]! + 543) "
                + "\(p[2]!) \(ThaiDate.shortMonthNames[p[1]! - 1]) \(p[0]! + 543) " + String(format: "%02d:%02d", p[3]!, p[4]!) + " น."
            #expect(ours == expected, "\(d.timeIntervalSince1970)")
            if ours != expected { return }
        }
    }

    @Test("examples people read")
    func examples() {
        // 2026-12-01T16:30:00Z is 23:30 in Bangkok; 17:00Z is already the next day.
        #expect(ThaiDate.shortWithTime(Date(timeIntervalSince1970: 1_796_142_600)) == "1 ธ.ค. 2569 23:30 น.")
        #expect(ThaiDate.long(Date(timeIntervalSince1970: 1_796_144_400)) == "2 ธันวาคม 2569")
        #expect(ThaiYear.of(Date(timeIntervalSince1970: 1_798_736_400)) == 2570)  // 2027-01-01 00:00 Bangkok
        #expect(ThaiDate.long(Date(timeIntervalSince1970: -2_000_000_000)) == "17 สิงหาคม 2449", "1906, before 1920: through Calendar")
    }
}
