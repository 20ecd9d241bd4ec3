import Foundation

/// Service times are announced in working days (วันทำการ): Monday to Friday, counted in Bangkok time.
/// A petition filed on any day is due at the end (23:59:59 Bangkok) of the `days`-th working day after the
/// day it was filed; with 0 days, at the end of the day it was filed.
///
/// Public holidays are not known here (the cabinet announces them each year), so a due date that crosses
/// one is a day early: the citizen is never promised later than the announced time.
public enum WorkingDays {
    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = ThaiDate.bangkok
        return calendar
    }()

    /// The longest span worked through day by day (about 27 years): beyond it the answer is capped, so no input
    /// makes a loop run long.
    static let maxDays = 10_000

    public static func due(filed: Date, days: Int) -> Date {
        endOfDay(after: calendar.startOfDay(for: filed), workingDays: days)
    }

    /// `due` moved later by `days` working days (a petition that waited for its citizen).
    public static func extend(_ due: Date, by days: Int) -> Date {
        guard days > 0 else { return due }
        return endOfDay(after: calendar.startOfDay(for: due), workingDays: days)
    }

    /// Working days from the day of `from` to the day of `to` (0 on the same day or when `to` is earlier):
    /// Monday to Friday counts 4, Friday to Monday counts 1. Whole weeks count five at once, so a span of years
    /// costs what a week does (the dashboard works this out for every petition it reads).
    public static func between(_ from: Date, _ to: Date) -> Int {
        let first = calendar.startOfDay(for: from)
        let last = calendar.startOfDay(for: to)
        guard first < last else { return 0 }
        let days = min(calendar.dateComponents([.day], from: first, to: last).day ?? 0, maxDays)
        var n = days / 7 * 5
        var day = calendar.date(byAdding: .day, value: days / 7 * 7, to: first) ?? first
        for _ in 0..<(days % 7) {
            day = next(day)
            if !calendar.isDateInWeekend(day) { n += 1 }
        }
        return n
    }

    /// Whether `date` falls on a working day (Bangkok time).
    public static func isWorkingDay(_ date: Date) -> Bool { !calendar.isDateInWeekend(date) }

    private static func endOfDay(after start: Date, workingDays days: Int) -> Date {
        var day = start
        var left = min(max(0, days), maxDays)
        while left > 0 {
            day = next(day)
            if !calendar.isDateInWeekend(day) { left -= 1 }
        }
        return next(day).addingTimeInterval(-1)
    }

    private static func next(_ day: Date) -> Date {
        calendar.date(byAdding: .day, value: 1, to: day) ?? day.addingTimeInterval(86_400)
    }
}

/// A petition's SLA clock: it runs from filing to the due date, and stops while the petition waits for the
/// citizen's answer to a request for more (ขอข้อมูลเพิ่มเติม). The due date shown moves by the working days
/// spent waiting: while waiting, by the days so far; once answered, those days are added to the stored due date.
public struct SLAClock: Sendable, Equatable {
    /// The stored due date (already moved by earlier waits).
    public var dueAt: Date
    /// Waiting for the citizen since then; nil when not waiting.
    public var waitingSince: Date?
    /// Open (not completed or closed).
    public var isOpen: Bool

    public init(dueAt: Date, waitingSince: Date?, isOpen: Bool) {
        self.dueAt = dueAt
        self.waitingSince = waitingSince
        self.isOpen = isOpen
    }

    /// The due date as it stands at `now`.
    public func due(at now: Date) -> Date {
        guard let since = waitingSince else { return dueAt }
        return WorkingDays.extend(dueAt, by: WorkingDays.between(since, now))
    }

    /// Open, not waiting for the citizen, and past the due date.
    public func isOverdue(at now: Date) -> Bool {
        isOpen && waitingSince == nil && dueAt < now
    }

    /// The due date once the citizen answers at `now`, and the working days the wait added.
    public func resumed(at now: Date) -> (dueAt: Date, pausedDays: Int) {
        guard let since = waitingSince else { return (dueAt, 0) }
        let days = WorkingDays.between(since, now)
        return (WorkingDays.extend(dueAt, by: days), days)
    }
}
