import Domain
import Foundation
import Testing

@Suite("Petition answers")
struct PetitionAnswersTests {
    /// `Resources/geothai/` of this repository (symlinks resolved, so a copy of this file elsewhere still finds it).
    static let geography: ThaiGeography = {
        let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = root.appendingPathComponent("Resources/geothai", isDirectory: true)
        do { return try ThaiGeography(directory: directory) } catch { fatalError("cannot load \(directory.path): \(error)") }
    }()
    var geo: ThaiGeography { Self.geography }

    static func field(
        _ key: String, _ type: FieldType, label: String = "ข้อมูล", required: Bool = false,
        options: [String]? = nil, maxLength: Int? = nil
    ) -> FormField {
        FormField(key: key, type: type, label: label, required: required, help: nil, options: options, maxLength: maxLength)
    }

    static let colours = ["แดง", "เขียว", "น้ำเงิน"]

    func check(_ fields: [FormField], _ input: [String: [String]]) -> Result<PetitionAnswers, PetitionAnswers.Invalid> {
        PetitionAnswers.validate(fields: fields, input: input, geography: geo)
    }

    /// The answer for one field given single values; nil if none or invalid.
    func value(_ f: FormField, _ input: [String: String]) -> AnswerValue? {
        guard case let .success(a) = check([f], input.mapValues { [$0] }) else { return nil }
        return a[f.key]?.value
    }

    /// Input name → message for one field given single values; empty if it passed.
    func errors(_ f: FormField, _ input: [String: String]) -> [String: String] {
        guard case let .failure(e) = check([f], input.mapValues { [$0] }) else { return [:] }
        return e.messages
    }

    // MARK: required and optional

    @Test("a required field left empty asks for it by label, at the input to fix", arguments: FieldType.allCases)
    func required(type: FieldType) {
        let f = Self.field("q", type, label: "เรื่อง", required: true, options: type.hasOptions ? Self.colours : nil)
        let messages = errors(f, [:])
        switch type {
        case .select, .radio, .checkboxes: #expect(messages == ["q": "กรุณาเลือกเรื่อง"])
        case .address:
            #expect(
                messages == [
                    "q_house": "กรุณากรอกบ้านเลขที่", "q_province": "กรุณาเลือกจังหวัด",
                    "q_district": "กรุณาเลือกอำเภอ/เขต", "q_subdistrict": "กรุณาเลือกตำบล/แขวง",
                ])
        default: #expect(messages == ["q": "กรุณากรอกเรื่อง"])
        }
        // blank values count as empty too
        #expect(errors(f, ["q": "   ", "q_house": " "]) == messages)
    }

    @Test("an optional field left empty gives no answer and no problem", arguments: FieldType.allCases)
    func optional(type: FieldType) throws {
        let f = Self.field("q", type, options: type.hasOptions ? Self.colours : nil)
        let empty = ["q": "", "q_day": "", "q_month": "", "q_year": "", "q_lat": "", "q_lng": "", "q_house": "", "q_province": ""]
        let answers = try check([f], empty.mapValues { [$0] }).get()
        #expect(answers.answers.isEmpty)
        #expect(answers["q"] == nil)
    }

    @Test("a date left empty as three parts is asked for at the day input")
    func requiredDateParts() {
        let f = Self.field("when", .date, label: "วันที่เกิดเหตุ", required: true)
        #expect(errors(f, ["when_day": "", "when_month": "", "when_year": ""]) == ["when_day": "กรุณากรอกวันที่เกิดเหตุ"])
    }

    // MARK: text

    @Test("text is trimmed, loses control characters and line breaks; a textarea keeps its lines")
    func text() {
        let line = Self.field("name", .text)
        #expect(value(line, ["name": "  สมชาย\u{0}\u{7} ใจดี\n\tคนดี\u{202E}  "]) == .text("สมชาย ใจดี  คนดี"))
        let area = Self.field("detail", .textarea)
        #expect(value(area, ["detail": "\n ไฟดับ\r\nหน้าบ้าน\rเลขที่ 9\u{1B}[0m \n"]) == .text("ไฟดับ\nหน้าบ้าน\nเลขที่ 9[0m"))
        #expect(value(line, ["name": "๑๒๓"]) == .text("๑๒๓"), "text keeps Thai digits as typed")
    }

    @Test("text length: 500 by default, 5,000 for a textarea, or the form's max_length")
    func textLength() {
        let line = Self.field("t", .text, label: "ชื่อเรื่อง")
        #expect(value(line, ["t": String(repeating: "ก", count: 500)]) != nil)
        #expect(errors(line, ["t": String(repeating: "ก", count: 501)]) == ["t": "ชื่อเรื่องต้องไม่เกิน 500 ตัวอักษร (ตอนนี้ 501 ตัวอักษร)"])
        let area = Self.field("t", .textarea)
        #expect(value(area, ["t": String(repeating: "ข", count: 5000)]) != nil)
        #expect(errors(area, ["t": String(repeating: "ข", count: 5001)])["t"] != nil)
        let short = Self.field("t", .text, label: "รหัส", maxLength: 5)
        #expect(value(short, ["t": " abcde "]) == .text("abcde"))
        #expect(errors(short, ["t": "abcdef"]) == ["t": "รหัสต้องไม่เกิน 5 ตัวอักษร (ตอนนี้ 6 ตัวอักษร)"])
    }

    // MARK: number

    @Test(
        "numbers: commas, a decimal point and Thai digits; stored plain",
        arguments: [
            ("1500", "1500"), ("1,500", "1500"), ("1,234,567.89", "1234567.89"), ("๑,๒๓๔.๕๐", "1234.50"), (" 0 ", "0"),
            ("007", "7"), ("0.25", "0.25"), ("999", "999"), ("1000000000000", "1000000000000"), ("1,000,000,000,000.00", "1000000000000.00"),
        ])
    func numbers(typed: String, stored: String) {
        #expect(value(Self.field("n", .number), ["n": typed]) == .number(stored))
    }

    @Test(
        "not numbers: letters, bad grouping, stray points, exponents, spaces",
        arguments: [
            "abc", "1,00", "12,3456", ",100", "1,,000", "1.2.3", "1.", ".5", "1 000", "1e5", "12บาท", "+5", "-", "١٢",
        ])
    func notNumbers(typed: String) {
        #expect(errors(Self.field("n", .number, label: "จำนวนเงิน"), ["n": typed]) == ["n": "จำนวนเงินต้องเป็นตัวเลข เช่น 1500 หรือ 1,500.50"])
    }

    @Test("numbers are not negative and at most 1e12")
    func numberRange() {
        let f = Self.field("n", .number, label: "พื้นที่")
        #expect(errors(f, ["n": "-5"]) == ["n": "พื้นที่ต้องไม่ติดลบ"])
        #expect(errors(f, ["n": "1000000000000.01"]) == ["n": "พื้นที่ต้องไม่เกิน 1,000,000,000,000"])
        #expect(errors(f, ["n": "1,000,000,000,001"]) == ["n": "พื้นที่ต้องไม่เกิน 1,000,000,000,000"])
        #expect(errors(f, ["n": "99999999999999"]) == ["n": "พื้นที่ต้องไม่เกิน 1,000,000,000,000"])
    }

    @Test("numbers are shown with thousands commas")
    func numberDisplay() {
        #expect(AnswerValue.number("1234567.89").display(in: geo) == "1,234,567.89")
        #expect(AnswerValue.number("100").display(in: geo) == "100")
        #expect(AnswerValue.number("1000").display(in: geo) == "1,000")
        #expect(AnswerValue.number("0.5").display(in: geo) == "0.5")
    }

    // MARK: date

    @Test(
        "dates as day, month and พ.ศ. year, or as one ISO date; stored ISO",
        arguments: [
            (["d_day": "17", "d_month": "5", "d_year": "2533"], "1990-05-17"),
            (["d_day": "๑๗", "d_month": "๐๕", "d_year": "๒๕๓๓"], "1990-05-17"),
            (["d_day": "17", "d_month": "พฤษภาคม", "d_year": "2533"], "1990-05-17"),
            (["d_day": " 1 ", "d_month": "ม.ค.", "d_year": "2569"], "2026-01-01"),
            (["d_day": "29", "d_month": "2", "d_year": "2567"], "2024-02-29"),
            (["d": "1990-05-17"], "1990-05-17"),
            (["d": "2000-02-29"], "2000-02-29"),
            (["d": "1990-05-17", "d_day": "", "d_month": "", "d_year": ""], "1990-05-17"),
            (["d": "2000-01-01", "d_day": "2", "d_month": "3", "d_year": "2543"], "2000-03-02"),
        ])
    func dates(input: [String: String], stored: String) {
        #expect(value(Self.field("d", .date), input) == .date(stored))
    }

    @Test(
        "wrong dates are reported at the part to fix",
        arguments: [
            (["d_day": "17", "d_month": "", "d_year": "2533"], "d_month", "กรุณากรอกวันเกิดเหตุให้ครบทั้งวันที่ เดือน และปี พ.ศ."),
            (["d_day": "", "d_month": "5", "d_year": "2533"], "d_day", "กรุณากรอกวันเกิดเหตุให้ครบทั้งวันที่ เดือน และปี พ.ศ."),
            (["d_day": "32", "d_month": "5", "d_year": "2533"], "d_day", "วันที่ของวันเกิดเหตุต้องเป็นตัวเลข 1 ถึง 31"),
            (["d_day": "x", "d_month": "5", "d_year": "2533"], "d_day", "วันที่ของวันเกิดเหตุต้องเป็นตัวเลข 1 ถึง 31"),
            (["d_day": "17", "d_month": "13", "d_year": "2533"], "d_month", "เดือนของวันเกิดเหตุต้องเป็น 1 ถึง 12"),
            (["d_day": "17", "d_month": "May", "d_year": "2533"], "d_month", "เดือนของวันเกิดเหตุต้องเป็น 1 ถึง 12"),
            (["d_day": "17", "d_month": "5", "d_year": "1990"], "d_year", "ปีของวันเกิดเหตุต้องเป็นปีพุทธศักราช (พ.ศ. = ค.ศ. + 543) เช่น 2533"),
            (["d_day": "17", "d_month": "5", "d_year": "2800"], "d_year", "ปีของวันเกิดเหตุต้องเป็นปี พ.ศ. 4 หลัก ระหว่าง 2400 ถึง 2700"),
            (["d_day": "17", "d_month": "5", "d_year": "33"], "d_year", "ปีของวันเกิดเหตุต้องเป็นปี พ.ศ. 4 หลัก ระหว่าง 2400 ถึง 2700"),
            (["d_day": "30", "d_month": "2", "d_year": "2567"], "d_day", "ไม่มีวันที่นี้ในปฏิทิน กรุณาตรวจสอบวันเกิดเหตุ"),
            (["d_day": "29", "d_month": "2", "d_year": "2566"], "d_day", "ไม่มีวันที่นี้ในปฏิทิน กรุณาตรวจสอบวันเกิดเหตุ"),
            (["d_day": "31", "d_month": "4", "d_year": "2566"], "d_day", "ไม่มีวันที่นี้ในปฏิทิน กรุณาตรวจสอบวันเกิดเหตุ"),
            (["d": "1990-02-30"], "d", "กรุณากรอกวันเกิดเหตุเป็นวันที่ที่มีอยู่จริง"),
            (["d": "17/05/1990"], "d", "กรุณากรอกวันเกิดเหตุเป็นวันที่ที่มีอยู่จริง"),
            (["d": "1990-5-17"], "d", "กรุณากรอกวันเกิดเหตุเป็นวันที่ที่มีอยู่จริง"),
            (["d": "1800-01-01"], "d", "วันเกิดเหตุต้องอยู่ระหว่างปี พ.ศ. 2400 ถึง 2700"),
            (["d": "2158-01-01"], "d", "วันเกิดเหตุต้องอยู่ระหว่างปี พ.ศ. 2400 ถึง 2700"),
        ])
    func wrongDates(input: [String: String], at name: String, message: String) {
        #expect(errors(Self.field("d", .date, label: "วันเกิดเหตุ"), input) == [name: message])
    }

    @Test("several wrong parts are each reported")
    func severalWrongParts() {
        let e = errors(Self.field("d", .date, label: "วันนัด"), ["d_day": "0", "d_month": "0", "d_year": "0"])
        #expect(Set(e.keys) == ["d_day", "d_month", "d_year"])
    }

    @Test("dates are shown with the Thai month and the พ.ศ. year")
    func dateDisplay() {
        #expect(AnswerValue.date("1990-05-17").display(in: geo) == "17 พฤษภาคม 2533")
        #expect(AnswerValue.date("2026-01-01").display(in: geo) == "1 มกราคม 2569")
    }

    // MARK: e-mail and phone

    @Test("e-mail: trimmed, domain lower-cased")
    func email() {
        let f = Self.field("e", .email)
        #expect(value(f, ["e": "  Somchai.J+petition@Example.CO.th "]) == .text("Somchai.J+petition@example.co.th"))
        #expect(value(f, ["e": "a@b.co"]) == .text("a@b.co"))
    }

    @Test(
        "not e-mail addresses",
        arguments: [
            "somchai", "a@b", "a@@b.com", "a@b@c.com", "a b@c.com", ".a@b.com", "a.@b.com", "a..b@c.com", "a@-b.com", "a@b-.com",
            "a@b..com", "a@b.c", "a@b.c0m", "อีเมล@example.com", "a@ไทย.com", "<a>@b.com", "a@b.com.",
            String(repeating: "a", count: 65) + "@example.com", "a@" + String(repeating: "b", count: 64) + ".com",
            String(repeating: "a", count: 60) + "@" + Array(repeating: String(repeating: "b", count: 60), count: 4).joined(separator: ".") + ".com",
        ])
    func notEmail(typed: String) {
        #expect(errors(Self.field("e", .email, label: "อีเมล"), ["e": typed]) == ["e": "อีเมลไม่ถูกต้อง กรุณากรอกอีเมลในรูปแบบ name@example.com"])
    }

    @Test(
        "phone numbers: 9 or 10 digits from 0, dashes and spaces allowed, stored as digits",
        arguments: [
            ("081-234-5678", "0812345678"), ("02 123 4567", "021234567"), ("๐๘๑๒๓๔๕๖๗๘", "0812345678"),
            ("+66 81 234 5678", "0812345678"), ("055-123-456", "055123456"), (" 0812345678 ", "0812345678"),
        ])
    func phones(typed: String, stored: String) {
        #expect(value(Self.field("p", .tel), ["p": typed]) == .text(stored))
    }

    @Test("not phone numbers", arguments: ["12345678", "812345678", "1812345678", "08123456789", "081/234/5678", "081234567a", "(02) 123 4567", "0-8"])
    func notPhones(typed: String) {
        #expect(
            errors(Self.field("p", .tel, label: "เบอร์โทร"), ["p": typed])
                == ["p": "เบอร์โทรต้องเป็นหมายเลขโทรศัพท์ 9 หรือ 10 หลัก ขึ้นต้นด้วย 0 เช่น 081-234-5678 หรือ 02-123-4567"])
    }

    @Test("phone numbers are shown grouped")
    func phoneDisplay() {
        func shown(_ digits: String) -> String { Answer(key: "p", label: "โทร", type: .tel, value: .text(digits)).display(in: geo) }
        #expect(shown("0812345678") == "081-234-5678")
        #expect(shown("021234567") == "02-123-4567")
        #expect(shown("055123456") == "055-123-456")
        #expect(Answer(key: "t", label: "t", type: .text, value: .text("0812345678")).display(in: geo) == "0812345678")
    }

    // MARK: choices

    @Test("select and radio take exactly one of the options", arguments: [FieldType.select, .radio])
    func oneChoice(type: FieldType) {
        let f = Self.field("c", type, label: "สี", options: Self.colours)
        #expect(value(f, ["c": "เขียว"]) == .choices(["เขียว"]))
        #expect(errors(f, ["c": "ม่วง"]) == ["c": "กรุณาเลือกสีจากรายการ"])
        #expect(errors(f, ["c": "เขียว "]) == ["c": "กรุณาเลือกสีจากรายการ"], "exactly: no trimming into a match")
    }

    @Test("checkboxes: several options, in the form's order; none unknown, none twice; required means one at least")
    func checkboxes() throws {
        let f = Self.field("c", .checkboxes, label: "สีที่ชอบ", required: true, options: Self.colours)
        let picked = try check([f], ["c": ["น้ำเงิน", "", "แดง"]]).get()
        #expect(picked["c"]?.value == .choices(["แดง", "น้ำเงิน"]))
        #expect(picked["c"]?.display(in: geo) == "แดง, น้ำเงิน")
        #expect(try check([f], ["c": ["เขียว"]]).get()["c"]?.value == .choices(["เขียว"]))

        func problems(_ values: [String]) -> [String: String] {
            guard case let .failure(e) = check([f], ["c": values]) else { return [:] }
            return e.messages
        }
        #expect(problems(["แดง", "ม่วง"]) == ["c": "กรุณาเลือกสีที่ชอบจากรายการที่มีให้เท่านั้น"])
        #expect(problems(["แดง", "แดง"]) == ["c": "เลือกข้อเดียวกันซ้ำในสีที่ชอบ กรุณาเลือกแต่ละข้อเพียงครั้งเดียว"])
        #expect(problems([]) == ["c": "กรุณาเลือกสีที่ชอบ"])
        #expect(problems([""]) == ["c": "กรุณาเลือกสีที่ชอบ"])
    }

    // MARK: location

    @Test("a location: a description with or without a point in Thailand")
    func location() {
        let f = Self.field("at", .location, required: true)
        #expect(value(f, ["at": " หน้าวัดบางกระทุ่ม "]) == .location(description: "หน้าวัดบางกระทุ่ม", lat: nil, lng: nil))
        #expect(value(f, ["at": "หน้าวัด", "at_lat": "16.5789", "at_lng": "100.3012"]) == .location(description: "หน้าวัด", lat: 16.5789, lng: 100.3012))
        #expect(value(f, ["at": "หน้าวัด", "at_lat": "๑๖.๕", "at_lng": "๑๐๐"]) == .location(description: "หน้าวัด", lat: 16.5, lng: 100))
        #expect(value(f, ["at": "ขอบ", "at_lat": "5.0", "at_lng": "106"]) == .location(description: "ขอบ", lat: 5, lng: 106))
        #expect(value(f, ["at": "ขอบ", "at_lat": "21", "at_lng": "97.0"]) == .location(description: "ขอบ", lat: 21, lng: 97))
        let optional = Self.field("at", .location)
        #expect(value(optional, ["at_lat": "13.75", "at_lng": "100.5"]) == .location(description: "", lat: 13.75, lng: 100.5))
    }

    @Test(
        "a location point outside Thailand, half a point, or not a number",
        arguments: [
            (["at_lat": "4.99", "at_lng": "100"], ["at_lat": "ละติจูดต้องเป็นตัวเลขระหว่าง 5.0 ถึง 21.0 (ในประเทศไทย)"]),
            (["at_lat": "21.01", "at_lng": "100"], ["at_lat": "ละติจูดต้องเป็นตัวเลขระหว่าง 5.0 ถึง 21.0 (ในประเทศไทย)"]),
            (["at_lat": "-16.5", "at_lng": "100"], ["at_lat": "ละติจูดต้องเป็นตัวเลขระหว่าง 5.0 ถึง 21.0 (ในประเทศไทย)"]),
            (["at_lat": "16", "at_lng": "96.9"], ["at_lng": "ลองจิจูดต้องเป็นตัวเลขระหว่าง 97.0 ถึง 106.0 (ในประเทศไทย)"]),
            (["at_lat": "16", "at_lng": "106.1"], ["at_lng": "ลองจิจูดต้องเป็นตัวเลขระหว่าง 97.0 ถึง 106.0 (ในประเทศไทย)"]),
            (
                ["at_lat": "nan", "at_lng": "inf"],
                [
                    "at_lat": "ละติจูดต้องเป็นตัวเลขระหว่าง 5.0 ถึง 21.0 (ในประเทศไทย)",
                    "at_lng": "ลองจิจูดต้องเป็นตัวเลขระหว่าง 97.0 ถึง 106.0 (ในประเทศไทย)",
                ]
            ),
            (
                ["at_lat": "16,5", "at_lng": "1e2"],
                [
                    "at_lat": "ละติจูดต้องเป็นตัวเลขระหว่าง 5.0 ถึง 21.0 (ในประเทศไทย)",
                    "at_lng": "ลองจิจูดต้องเป็นตัวเลขระหว่าง 97.0 ถึง 106.0 (ในประเทศไทย)",
                ]
            ),
            (["at_lat": "16.5"], ["at_lng": "กรุณาระบุทั้งละติจูดและลองจิจูด หรือเว้นว่างทั้งสองช่อง"]),
            (["at_lng": "100.5", "at_lat": " "], ["at_lat": "กรุณาระบุทั้งละติจูดและลองจิจูด หรือเว้นว่างทั้งสองช่อง"]),
        ])
    func wrongPoints(point: [String: String], expected: [String: String]) {
        #expect(errors(Self.field("at", .location), point.merging(["at": "หน้าวัด"]) { a, _ in a }) == expected)
    }

    @Test("a required location needs its description even with a point; the description has a limit")
    func locationDescription() {
        let f = Self.field("at", .location, label: "จุดที่ไฟดับ", required: true)
        #expect(errors(f, ["at_lat": "16.5", "at_lng": "100.3"]) == ["at": "กรุณากรอกจุดที่ไฟดับ"])
        #expect(value(f, ["at": String(repeating: "ก", count: 500)]) != nil)
        #expect(errors(f, ["at": String(repeating: "ก", count: 501)]) == ["at": "จุดที่ไฟดับต้องไม่เกิน 500 ตัวอักษร (ตอนนี้ 501 ตัวอักษร)"])
    }

    @Test("locations are shown as description (lat, lng)")
    func locationDisplay() {
        #expect(AnswerValue.location(description: "หน้าวัด", lat: 16.5789, lng: 100.30120).display(in: geo) == "หน้าวัด (16.5789, 100.3012)")
        #expect(AnswerValue.location(description: "หน้าวัด", lat: 16.123456789, lng: 100).display(in: geo) == "หน้าวัด (16.123457, 100)")
        #expect(AnswerValue.location(description: "หน้าวัด", lat: nil, lng: nil).display(in: geo) == "หน้าวัด")
        #expect(AnswerValue.location(description: "", lat: 13.75, lng: 100.5).display(in: geo) == "13.75, 100.5")
    }

    // MARK: address

    static let home: [String: String] = [
        "home_house": " 99/12 ", "home_moo": "หมู่ ๔", "home_province": "65", "home_district": "6505",
        "home_subdistrict": "650501", "home_postcode": "",
    ]

    @Test("an address through the chain: province → district → sub-district, postcode filled in")
    func address() throws {
        let f = Self.field("home", .address, label: "ที่อยู่ที่เกิดเหตุ", required: true)
        let answer = try #require(try check([f], Self.home.mapValues { [$0] }).get()["home"])
        #expect(
            answer.value
                == .address(
                    AddressSelection(
                        houseNumber: "99/12", moo: "4", provinceCode: "65", districtCode: "6505",
                        subdistrictCode: "650501", postcode: "65110")))
        #expect(answer.display(in: geo) == "99/12 หมู่ที่ 4 ตำบลบางกระทุ่ม อำเภอบางกระทุ่ม จังหวัดพิษณุโลก 65110")
    }

    @Test("a broken address chain is reported at the part to fix, prefixed with the field's key")
    func brokenAddress() {
        let f = Self.field("home", .address)
        #expect(errors(f, Self.home.merging(["home_district": "1006"]) { _, b in b }) == ["home_district": "กรุณาเลือกอำเภอ/เขตในจังหวัดที่เลือก"])
        #expect(errors(f, Self.home.merging(["home_subdistrict": "100608"]) { _, b in b }) == ["home_subdistrict": "กรุณาเลือกตำบล/แขวงในอำเภอ/เขตที่เลือก"])
        #expect(
            errors(f, Self.home.merging(["home_postcode": "10240"]) { _, b in b })
                == ["home_postcode": "รหัสไปรษณีย์ไม่ตรงกับตำบล/แขวงที่เลือก (ต้องเป็น 65110)"])
        #expect(
            errors(f, Self.home.merging(["home_house": "", "home_moo": "100"]) { _, b in b })
                == ["home_house": "กรุณากรอกบ้านเลขที่", "home_moo": "หมู่ที่ต้องเป็นตัวเลข 1 ถึง 99 หรือเว้นว่างไว้"])
        #expect(
            errors(f, ["home_road": "พิษณุโลก-หล่มสัก"]).keys.sorted() == ["home_district", "home_house", "home_province", "home_subdistrict"],
            "an optional address once started must be whole")
    }

    // MARK: the whole form

    static let form: [FormField] = [
        field("subject", .text, label: "เรื่อง", required: true),
        field("amount", .number, label: "จำนวน"),
        field("when", .date, label: "วันที่"),
        field("kind", .radio, label: "ประเภท", required: true, options: ["ไฟดับ", "ไฟกะพริบ"]),
        field("extras", .checkboxes, label: "เพิ่มเติม", options: colours),
        field("place", .location, label: "สถานที่"),
        field("home", .address, label: "ที่อยู่"),
        field("email", .email, label: "อีเมล"),
    ]

    @Test("a whole form: answers in form order, empty optional fields left out, unknown keys ignored")
    func wholeForm() throws {
        let input: [String: [String]] = [
            "subject": ["ไฟถนนดับ"], "amount": [""], "when_day": ["1"], "when_month": ["12"], "when_year": ["2568"],
            "kind": ["ไฟดับ"], "extras": [], "place": ["หน้าวัด"], "place_lat": ["16.5"], "place_lng": ["100.3"],
            "home_house": [""], "email": [""], "_csrf": ["x"], "unknown": ["y"], "subject_day": ["3"],
        ]
        let answers = try check(Self.form, input).get()
        #expect(answers.answers.map(\.key) == ["subject", "when", "kind", "place"])
        #expect(answers.answers.map(\.label) == ["เรื่อง", "วันที่", "ประเภท", "สถานที่"])
        #expect(answers.answers.map { $0.display(in: geo) } == ["ไฟถนนดับ", "1 ธันวาคม 2568", "ไฟดับ", "หน้าวัด (16.5, 100.3)"])
    }

    @Test("a wrong form: every problem, in form order, one per input")
    func wrongForm() throws {
        let input: [String: [String]] = [
            "amount": ["abc"], "kind": ["อื่นๆ"], "extras": ["แดง", "แดง"], "place_lat": ["50"], "place_lng": ["100"],
            "email": ["x@"],
        ]
        guard case let .failure(invalid) = check(Self.form, input) else { Issue.record("should fail"); return }
        #expect(invalid.problems.map(\.input) == ["subject", "amount", "kind", "extras", "place_lat", "email"])
        #expect(invalid.messages["subject"] == "กรุณากรอกเรื่อง")
        #expect(invalid.messages["kind"] == "กรุณาเลือกประเภทจากรายการ")
    }

    @Test("answers round-trip through JSON, one key per kind of value")
    func json() throws {
        let answers = PetitionAnswers(answers: [
            Answer(key: "a", label: "ก", type: .text, value: .text("สวัสดี")),
            Answer(key: "b", label: "ข", type: .number, value: .number("1500.50")),
            Answer(key: "c", label: "ค", type: .date, value: .date("1990-05-17")),
            Answer(key: "d", label: "ง", type: .checkboxes, value: .choices(["แดง", "เขียว"])),
            Answer(key: "e", label: "จ", type: .location, value: .location(description: "หน้าวัด", lat: 16.5, lng: 100.25)),
            Answer(key: "f", label: "ฉ", type: .location, value: .location(description: "หน้าวัด", lat: nil, lng: nil)),
            Answer(key: "g", label: "ช", type: .address, value: .address(AddressSelection(houseNumber: "1", provinceCode: "65"))),
        ])
        let data = try JSONEncoder().encode(answers)
        #expect(try JSONDecoder().decode(PetitionAnswers.self, from: data) == answers)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: try encoder.encode(AnswerValue.text("x")), as: UTF8.self) == #"{"text":"x"}"#)
        #expect(
            String(decoding: try encoder.encode(AnswerValue.location(description: "y", lat: 16.5, lng: 100.25)), as: UTF8.self)
                == #"{"location":{"description":"y","lat":16.5,"lng":100.25}}"#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(AnswerValue.self, from: Data(#"{"text":"x","number":"1"}"#.utf8)) }
    }
}
