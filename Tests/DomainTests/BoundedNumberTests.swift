import Domain
import Testing

@Suite("Numbers from input are bounded before any arithmetic")
struct BoundedNumberTests {
    @Test("whole numbers inside the range, in ASCII, Thai or full-width digits, with spaces and a sign")
    func accepted() {
        #expect(BoundedNumber.int("42", in: 1...100) == 42)
        #expect(BoundedNumber.int(" ๔๒ ", in: 1...100) == 42)
        #expect(BoundedNumber.int("４２", in: 1...100) == 42)
        #expect(BoundedNumber.int("+7", in: 1...100) == 7)
        #expect(BoundedNumber.int("-3", in: -5...5) == -3)
        #expect(BoundedNumber.int("999999999999999999", in: 0...Int.max) == 999_999_999_999_999_999)
    }

    @Test(
        "anything else is nil: out of range, too long to read, not a whole number",
        arguments: [
            "9223372036854775807", "-9223372036854775808", "9223372036854775808", "99999999999999999999", "0", "-1", "101",
            "", " ", "-", "+", "1.5", "1e3", "NaN", "0x10", "๑๒๓๔๕๖๗๘๙๐๑๒๓๔๕๖๗๘๙", "1 2", "\u{0}1", "1\r\n", "١٢",
            String(repeating: "9", count: 5_000),
        ])
    func refused(text: String) {
        #expect(BoundedNumber.int(text, in: 1...100) == nil)
    }

    @Test("a page number: 1 when absent or unreadable, the last page when past it")
    func page() {
        #expect(BoundedNumber.page(nil) == 1)
        #expect(BoundedNumber.page("") == 1)
        #expect(BoundedNumber.page("abc") == 1)
        #expect(BoundedNumber.page("-9223372036854775808") == 1)
        #expect(BoundedNumber.page("0") == 1)
        #expect(BoundedNumber.page("3", last: 10) == 3)
        #expect(BoundedNumber.page("11", last: 10) == 10)
        #expect(BoundedNumber.page("999999999999999999", last: 10) == 10)
        // Twenty digits cannot be read at all: the first page, not a trap.
        #expect(BoundedNumber.page("99999999999999999999", last: 10) == 1)
        #expect(BoundedNumber.page("5", last: 0) == 1)
    }

    @Test("a default for absent values, nil for present bad ones unless lenient")
    func defaults() {
        #expect(BoundedNumber.int(nil, in: 1...10, default: 5) == 5)
        #expect(BoundedNumber.int("  ", in: 1...10, default: 5) == 5)
        #expect(BoundedNumber.int("11", in: 1...10, default: 5) == nil)
        #expect(BoundedNumber.int("11", in: 1...10, default: 5, lenient: true) == 5)
    }

    @Test("decimals: finite and inside the range only")
    func decimals() {
        #expect(BoundedNumber.double("16.57", in: 5...21) == 16.57)
        #expect(BoundedNumber.double("๑๖.๕", in: 5...21) == 16.5)
        for bad in ["NaN", "nan", "inf", "Infinity", "-inf", "1e309", "1e3", "0x1p3", "", "22", "4.99", "1..2", String(repeating: "1", count: 50)] {
            #expect(BoundedNumber.double(bad, in: 5...21) == nil, "\(bad)")
        }
    }
}
