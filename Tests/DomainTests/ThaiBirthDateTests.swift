import Domain
import Foundation
import Testing

@Suite("Birth dates in the Buddhist era")
struct ThaiBirthDateTests {
    let now = ISO8601DateFormatter().date(from: "2026-12-01T05:00:00Z")!

    @Test("day, month and พ.ศ. year give the stored Gregorian date")
    func valid() {
        #expect(ThaiBirthDate.iso(day: "17", month: "5", buddhistYear: "2533", now: now) == .success("1990-05-17"))
        #expect(ThaiBirthDate.iso(day: "29", month: "2", buddhistYear: "2543", now: now) == .success("2000-02-29"), "leap year")
        #expect(ThaiBirthDate.iso(day: "1", month: "12", buddhistYear: "2569", now: now) == .success("2026-12-01"), "today")
        #expect(ThaiBirthDate.long(iso: "1990-05-17") == "17 พฤษภาคม 2533")
    }

    @Test("Gregorian years, impossible dates, the future and missing parts are refused")
    func invalid() {
        #expect(ThaiBirthDate.iso(day: "17", month: "5", buddhistYear: "1990", now: now) == .failure(.yearNotBuddhist))
        #expect(ThaiBirthDate.iso(day: "17", month: "5", buddhistYear: "33", now: now) == .failure(.yearNotBuddhist))
        #expect(ThaiBirthDate.iso(day: "29", month: "2", buddhistYear: "2542", now: now) == .failure(.noSuchDate))
        #expect(ThaiBirthDate.iso(day: "31", month: "4", buddhistYear: "2530", now: now) == .failure(.noSuchDate))
        #expect(ThaiBirthDate.iso(day: "2", month: "12", buddhistYear: "2569", now: now) == .failure(.inFuture))
        #expect(ThaiBirthDate.iso(day: "1", month: "1", buddhistYear: "2440", now: now) == .failure(.tooOld))
        #expect(ThaiBirthDate.iso(day: "", month: "5", buddhistYear: "2533", now: now) == .failure(.missing))
        #expect(ThaiBirthDate.iso(day: "x", month: "13", buddhistYear: "2533", now: now) == .failure(.noSuchDate))
    }
}
