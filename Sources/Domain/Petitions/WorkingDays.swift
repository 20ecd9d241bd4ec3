import Foundation

/// Service times are announced in working days (วันทำการ): Monday to Friday, counted in Bangkok time.
/// A petition filed on any day is due at the end (23:59:59 Bangkok) of the `days`-th working day after the
/// day it was filed; with 0 days, at the end of the day it was filed.
///
/// Public holidays are not known here (the cabinet announces them each year), so a due date that crosses
/// one is a day early: the citizen is never promised later than the announced time.
public enum WorkingDays {
    public static func due(filed: Date, days: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = ThaiDate.bangkok
        var day = calendar.startOfDay(for: filed)
        var left = max(0, days)
        while left > 0 {
            day = calendar.date(byAdding: .day, value: 1, to: day) ?? day.addingTimeInterval(86_400)
            if !calendar.isDateInWeekend(day) { left -= 1 }
        }
        let next = calendar.date(byAdding: .day, value: 1, to: day) ?? day.addingTimeInterval(86_400)
        return next.addingTimeInterval(-1)
    }
}
