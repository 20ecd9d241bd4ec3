import Foundation

/// One cleaned answer. Stored as JSON with one key naming the case: `{"text": "…"}`, `{"number": "1500.50"}`,
/// `{"date": "1990-05-17"}`, `{"choices": […]}`, `{"location": {"description": …, "lat": …, "lng": …}}`,
/// `{"address": {…}}`.
public enum AnswerValue: Sendable, Hashable {
    /// text, textarea, e-mail (domain lower-cased) and tel (digits only).
    case text(String)
    /// ASCII digits, no commas or leading zeros, the fraction as typed: "1,500.50" → "1500.50".
    case number(String)
    /// Gregorian "YYYY-MM-DD".
    case date(String)
    /// The chosen options in the form's order; one for select and radio.
    case choices([String])
    case location(description: String, lat: Double?, lng: Double?)
    /// Validated: codes inside each other, postcode filled in.
    case address(AddressSelection)

    /// For people: numbers with thousands commas, dates as "17 พฤษภาคม 2533" (พ.ศ.), choices joined with
    /// ", ", a location as "description (lat, lng)", an address on one line.
    public func display(in geography: ThaiGeography) -> String {
        switch self {
        case let .text(s): return s
        case let .number(n):
            let parts = n.split(separator: ".", maxSplits: 1).map(String.init)
            var grouped = ""
            for (i, c) in parts[0].enumerated() {
                if i > 0, (parts[0].count - i) % 3 == 0 { grouped.append(",") }
                grouped.append(c)
            }
            return parts.count == 2 ? grouped + "." + parts[1] : grouped
        case let .date(iso): return ThaiBirthDate.long(iso: iso)
        case let .choices(items): return items.joined(separator: ", ")
        case let .location(description, lat, lng):
            guard let lat, let lng else { return description }
            let point = "\(Self.coordinate(lat)), \(Self.coordinate(lng))"
            return description.isEmpty ? point : "\(description) (\(point))"
        case let .address(a): return a.formatted(in: geography)
        }
    }

    /// At most six decimals (about 10 cm), trailing zeros dropped.
    static func coordinate(_ x: Double) -> String {
        var s = String(format: "%.6f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}

extension AnswerValue: Codable {
    private enum CodingKeys: String, CodingKey { case text, number, date, choices, location, address }
    private struct Place: Codable { var description: String; var lat: Double?; var lng: Double? }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected exactly one answer kind"))
        }
        switch key {
        case .text: self = .text(try c.decode(String.self, forKey: key))
        case .number: self = .number(try c.decode(String.self, forKey: key))
        case .date: self = .date(try c.decode(String.self, forKey: key))
        case .choices: self = .choices(try c.decode([String].self, forKey: key))
        case .location:
            let p = try c.decode(Place.self, forKey: key)
            self = .location(description: p.description, lat: p.lat, lng: p.lng)
        case .address: self = .address(try c.decode(AddressSelection.self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .text(s): try c.encode(s, forKey: .text)
        case let .number(s): try c.encode(s, forKey: .number)
        case let .date(s): try c.encode(s, forKey: .date)
        case let .choices(items): try c.encode(items, forKey: .choices)
        case let .location(d, lat, lng): try c.encode(Place(description: d, lat: lat, lng: lng), forKey: .location)
        case let .address(a): try c.encode(a, forKey: .address)
        }
    }
}

/// A field's answer with the label the form had when it was filed.
public struct Answer: Codable, Sendable, Hashable {
    public var key: String
    public var label: String
    public var type: FieldType
    public var value: AnswerValue

    public init(key: String, label: String, type: FieldType, value: AnswerValue) {
        self.key = key
        self.label = label
        self.type = type
        self.value = value
    }

    /// As `AnswerValue.display`, with phone numbers grouped: "081-234-5678", "02-123-4567", "055-123-456".
    public func display(in geography: ThaiGeography) -> String {
        guard type == .tel, case let .text(d) = value, d.count == 9 || d.count == 10 else { return value.display(in: geography) }
        let sizes = d.count == 10 ? [3, 3, 4] : d.hasPrefix("02") ? [2, 3, 4] : [3, 3, 3]
        var groups: [Substring] = [], rest = Substring(d)
        for n in sizes { groups.append(rest.prefix(n)); rest = rest.dropFirst(n) }
        return groups.joined(separator: "-")
    }
}

/// A citizen's answers to a service form, checked against the form's fields.
public struct PetitionAnswers: Codable, Sendable, Hashable {
    /// In the form's order; optional fields left empty have none.
    public var answers: [Answer]

    public init(answers: [Answer]) { self.answers = answers }

    public subscript(key: String) -> Answer? { answers.first { $0.key == key } }

    /// One Thai message for one input, named as the form names it (`place`, `place_lat`, `home_province`,
    /// `when_day`), so an error summary can link to it.
    public struct Problem: Sendable, Hashable {
        public var input: String
        public var message: String

        public init(input: String, message: String) {
            self.input = input
            self.message = message
        }
    }

    public struct Invalid: Error, Sendable, Hashable {
        /// In the form's order, at most one per input.
        public var problems: [Problem]
        /// Input name → message.
        public var messages: [String: String] { Dictionary(problems.map { ($0.input, $0.message) }, uniquingKeysWith: { a, _ in a }) }
    }

    public static let textMaxLength = 500
    public static let textareaMaxLength = 5000
    public static let locationMaxLength = 500
    public static let emailMaxLength = 254
    public static let buddhistYears = 2400...2700
    public static let latitudes = 5.0...21.0
    public static let longitudes = 97.0...106.0

    /// Checks `input` (input name → submitted values) against `fields`; keys no field asks for are ignored.
    ///
    /// Input names: `<key>` for most types (several values for checkboxes); dates as `<key>_day`,
    /// `<key>_month` (1–12 or a Thai month name) and `<key>_year` (พ.ศ.), or one `<key>` as "YYYY-MM-DD"
    /// (Gregorian, from a date input); a location as `<key>` (description) with optional `<key>_lat` and
    /// `<key>_lng`; an address as `<key>_<AddressSelection.Field>`. Thai digits (๐–๙) count as digits in
    /// numbers, dates, phone numbers and coordinates. With `area`, a location's coordinates must fall inside it.
    public static func validate(
        fields: [FormField], input: [String: [String]], geography: ThaiGeography, area: ServiceArea? = nil
    ) -> Result<PetitionAnswers, Invalid> {
        var checker = Checker(input: input, geography: geography, area: area)
        let answers = fields.compactMap { field in
            checker.answer(field).map { Answer(key: field.key, label: field.label, type: field.type, value: $0) }
        }
        return checker.problems.isEmpty ? .success(PetitionAnswers(answers: answers)) : .failure(Invalid(problems: checker.problems))
    }
}

/// The checks, one function per kind of field; each returns nil for no answer (empty, or wrong).
private struct Checker {
    let input: [String: [String]]
    let geography: ThaiGeography
    let area: ServiceArea?
    var problems: [PetitionAnswers.Problem] = []

    mutating func fail(_ name: String, _ message: String) {
        if !problems.contains(where: { $0.input == name }) { problems.append(.init(input: name, message: message)) }
    }

    /// The first non-blank value sent for `name`, untouched; "" if none.
    func raw(_ name: String) -> String {
        input[name]?.first { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty } ?? ""
    }

    /// Trimmed, Thai digits made Arabic: for numbers, dates, phones and coordinates.
    func digits(_ name: String) -> String { raw(name).trimmingCharacters(in: .whitespacesAndNewlines).arabicDigits }

    mutating func answer(_ f: FormField) -> AnswerValue? {
        switch f.type {
        case .text, .textarea: text(f)
        case .number: number(f)
        case .date: date(f)
        case .email: email(f)
        case .tel: tel(f)
        case .select, .radio: choice(f)
        case .checkboxes: checkboxes(f)
        case .location: location(f)
        case .address: address(f)
        }
    }

    /// Empty: a message if the field is required, and no answer either way.
    mutating func missing(_ f: FormField, at name: String? = nil) -> AnswerValue? {
        if f.isRequired { fail(name ?? f.key, (f.type.hasOptions ? "กรุณาเลือก" : "กรุณากรอก") + f.label) }
        return nil
    }

    mutating func text(_ f: FormField) -> AnswerValue? {
        let multiline = f.type == .textarea
        let s = raw(f.key).cleanedText(multiline: multiline)
        if s.isEmpty { return missing(f) }
        let max = f.maxLength ?? (multiline ? PetitionAnswers.textareaMaxLength : PetitionAnswers.textMaxLength)
        guard s.count <= max else {
            fail(f.key, "\(f.label)ต้องไม่เกิน \(max) ตัวอักษร (ตอนนี้ \(s.count) ตัวอักษร)")
            return nil
        }
        return .text(s)
    }

    mutating func number(_ f: FormField) -> AnswerValue? {
        let s = digits(f.key)
        if s.isEmpty { return missing(f) }
        let negative = s.hasPrefix("-")
        let parts = s.dropFirst(negative ? 1 : 0).split(separator: ".", omittingEmptySubsequences: false)
        let groups = parts[0].split(separator: ",", omittingEmptySubsequences: false)
        let wholeOK =
            groups.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isPlainDigit) }
            && (groups.count == 1 || (groups[0].count <= 3 && groups.dropFirst().allSatisfy { $0.count == 3 }))
        let fractionOK = parts.count == 1 || (parts.count == 2 && !parts[1].isEmpty && parts[1].allSatisfy(\.isPlainDigit))
        guard wholeOK, fractionOK else {
            fail(f.key, "\(f.label)ต้องเป็นตัวเลข เช่น 1500 หรือ 1,500.50")
            return nil
        }
        guard !negative else {
            fail(f.key, "\(f.label)ต้องไม่ติดลบ")
            return nil
        }
        var whole = String(groups.joined().drop { $0 == "0" })
        if whole.isEmpty { whole = "0" }
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        let limit = "1000000000000"  // 1e12, the largest amount a form takes
        if whole.count > limit.count || (whole.count == limit.count && (whole > limit || fraction.contains { $0 != "0" })) {
            fail(f.key, "\(f.label)ต้องไม่เกิน 1,000,000,000,000")
            return nil
        }
        return .number(fraction.isEmpty ? whole : whole + "." + fraction)
    }

    mutating func date(_ f: FormField) -> AnswerValue? {
        let names = ["day", "month", "year"].map { "\(f.key)_\($0)" }
        let parts = names.map(digits)
        let iso = digits(f.key)
        guard parts.allSatisfy(\.isEmpty) else { return datePartsAnswer(f, names, parts) }
        if iso.isEmpty { return missing(f, at: names.contains { input[$0] != nil } ? names[0] : f.key) }
        let n = iso.split(separator: "-", omittingEmptySubsequences: false)
        guard n.count == 3, n[0].count == 4, n[1].count == 2, n[2].count == 2, n.allSatisfy({ $0.allSatisfy(\.isPlainDigit) }),
            let y = Int(n[0]), let m = Int(n[1]), let d = Int(n[2]), Self.isDate(y, m, d)
        else {
            fail(f.key, "กรุณากรอก\(f.label)เป็นวันที่ที่มีอยู่จริง")
            return nil
        }
        guard PetitionAnswers.buddhistYears.contains(y + 543) else {
            fail(f.key, "\(f.label)ต้องอยู่ระหว่างปี พ.ศ. \(PetitionAnswers.buddhistYears.lowerBound) ถึง \(PetitionAnswers.buddhistYears.upperBound)")
            return nil
        }
        return .date(iso)
    }

    private mutating func datePartsAnswer(_ f: FormField, _ names: [String], _ parts: [String]) -> AnswerValue? {
        if let gap = parts.firstIndex(where: \.isEmpty) {
            fail(names[gap], "กรุณากรอก\(f.label)ให้ครบทั้งวันที่ เดือน และปี พ.ศ.")
            return nil
        }
        let day = parts[0].allSatisfy(\.isPlainDigit) ? Int(parts[0]).flatMap { (1...31).contains($0) ? $0 : nil } : nil
        let month = Self.month(parts[1])
        let year = parts[2].count == 4 && parts[2].allSatisfy(\.isPlainDigit) ? Int(parts[2]) : nil
        if day == nil { fail(names[0], "วันที่ของ\(f.label)ต้องเป็นตัวเลข 1 ถึง 31") }
        if month == nil { fail(names[1], "เดือนของ\(f.label)ต้องเป็น 1 ถึง 12") }
        let years = PetitionAnswers.buddhistYears
        if let year, (1800..<years.lowerBound).contains(year) {
            fail(names[2], "ปีของ\(f.label)ต้องเป็นปีพุทธศักราช (พ.ศ. = ค.ศ. + 543) เช่น \(year + 543)")
        } else if year.map({ years.contains($0) }) != true {
            fail(names[2], "ปีของ\(f.label)ต้องเป็นปี พ.ศ. 4 หลัก ระหว่าง \(years.lowerBound) ถึง \(years.upperBound)")
        }
        guard let day, let month, let year, years.contains(year) else { return nil }
        guard Self.isDate(year - 543, month, day) else {
            fail(names[0], "ไม่มีวันที่นี้ในปฏิทิน กรุณาตรวจสอบ\(f.label)")
            return nil
        }
        return .date(String(format: "%04d-%02d-%02d", year - 543, month, day))
    }

    /// 1–12, or a Thai month name, full ("พฤษภาคม") or short ("พ.ค.").
    static func month(_ s: String) -> Int? {
        if s.allSatisfy(\.isPlainDigit), let m = Int(s), (1...12).contains(m) { return m }
        return (ThaiDate.monthNames.firstIndex(of: s) ?? ThaiDate.shortMonthNames.firstIndex(of: s)).map { $0 + 1 }
    }

    /// Whether the Gregorian year-month-day exists.
    static func isDate(_ y: Int, _ m: Int, _ d: Int) -> Bool {
        guard (1...12).contains(m), d >= 1 else { return false }
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        return d <= [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    }

    mutating func email(_ f: FormField) -> AnswerValue? {
        let s = raw(f.key).trimmingCharacters(in: .whitespacesAndNewlines)
        if s.isEmpty { return missing(f) }
        let at = s.split(separator: "@", omittingEmptySubsequences: false)
        let labels = at.count == 2 ? at[1].split(separator: ".", omittingEmptySubsequences: false) : []
        let plausible =
            s.count <= PetitionAnswers.emailMaxLength && at.count == 2 && (1...64).contains(at[0].count)
            && at[0].unicodeScalars.allSatisfy { $0.isASCII && $0.value > 32 && $0.value < 127 && !"<>()[],;:\\\"@".unicodeScalars.contains($0) }
            && !at[0].hasPrefix(".") && !at[0].hasSuffix(".") && !at[0].contains("..")
            && labels.count >= 2 && (labels.last?.count ?? 0) >= 2 && (labels.last?.allSatisfy(\.isLetter) ?? false)
            && labels.allSatisfy { l in
                (1...63).contains(l.count) && !l.hasPrefix("-") && !l.hasSuffix("-")
                    && l.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
            }
        guard plausible else {
            fail(f.key, "\(f.label)ไม่ถูกต้อง กรุณากรอกอีเมลในรูปแบบ name@example.com")
            return nil
        }
        return .text(String(at[0]) + "@" + at[1].lowercased())
    }

    mutating func tel(_ f: FormField) -> AnswerValue? {
        var s = digits(f.key)
        if s.isEmpty { return missing(f) }
        if s.hasPrefix("+66") { s = "0" + s.dropFirst(3).drop { $0 == " " || $0 == "-" } }
        let d = s.filter(\.isPlainDigit)
        guard s.allSatisfy({ $0.isPlainDigit || $0 == "-" || $0 == " " }), (9...10).contains(d.count), d.hasPrefix("0") else {
            fail(f.key, "\(f.label)ต้องเป็นหมายเลขโทรศัพท์ 9 หรือ 10 หลัก ขึ้นต้นด้วย 0 เช่น 081-234-5678 หรือ 02-123-4567")
            return nil
        }
        return .text(d)
    }

    mutating func choice(_ f: FormField) -> AnswerValue? {
        let v = raw(f.key)
        if v.isEmpty { return missing(f) }
        guard (f.options ?? []).contains(v) else {
            fail(f.key, "กรุณาเลือก\(f.label)จากรายการ")
            return nil
        }
        return .choices([v])
    }

    mutating func checkboxes(_ f: FormField) -> AnswerValue? {
        let chosen = (input[f.key] ?? []).filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        if chosen.isEmpty { return missing(f) }
        let options = f.options ?? []
        if chosen.contains(where: { !options.contains($0) }) {
            fail(f.key, "กรุณาเลือก\(f.label)จากรายการที่มีให้เท่านั้น")
        } else if Set(chosen).count != chosen.count {
            fail(f.key, "เลือกข้อเดียวกันซ้ำใน\(f.label) กรุณาเลือกแต่ละข้อเพียงครั้งเดียว")
        } else {
            return .choices(options.filter(chosen.contains))
        }
        return nil
    }

    mutating func location(_ f: FormField) -> AnswerValue? {
        let (latName, lngName) = ("\(f.key)_lat", "\(f.key)_lng")
        let description = raw(f.key).cleanedText(multiline: false)
        let (latText, lngText) = (digits(latName), digits(lngName))
        if description.isEmpty, latText.isEmpty, lngText.isEmpty { return missing(f) }
        let before = problems.count
        if description.isEmpty, f.isRequired { fail(f.key, "กรุณากรอก\(f.label)") }
        if description.count > PetitionAnswers.locationMaxLength {
            fail(f.key, "\(f.label)ต้องไม่เกิน \(PetitionAnswers.locationMaxLength) ตัวอักษร (ตอนนี้ \(description.count) ตัวอักษร)")
        }
        var lat: Double?, lng: Double?
        if latText.isEmpty != lngText.isEmpty {
            fail(latText.isEmpty ? latName : lngName, "กรุณาระบุทั้งละติจูดและลองจิจูด หรือเว้นว่างทั้งสองช่อง")
        } else if !latText.isEmpty {
            lat = Self.coordinate(latText, in: PetitionAnswers.latitudes)
            lng = Self.coordinate(lngText, in: PetitionAnswers.longitudes)
            if lat == nil { fail(latName, "ละติจูดต้องเป็นตัวเลขระหว่าง 5.0 ถึง 21.0 (ในประเทศไทย)") }
            if lng == nil { fail(lngName, "ลองจิจูดต้องเป็นตัวเลขระหว่าง 97.0 ถึง 106.0 (ในประเทศไทย)") }
            if let lat, let lng, let area, !area.area.contains(lat: lat, lng: lng) {
                fail(
                    latName,
                    "ตำแหน่งที่ระบุ (\(AnswerValue.coordinate(lat)), \(AnswerValue.coordinate(lng))) อยู่นอกเขต\(area.ownerName) "
                        + "กรุณาปักหมุดในเขต\(area.ownerName) หรือแจ้งหน่วยงานที่ดูแลพื้นที่นั้น")
            }
        }
        return problems.count == before ? .location(description: description, lat: lat, lng: lng) : nil
    }

    /// A decimal number ("16.8211", "-5") inside `range`.
    static func coordinate(_ s: String, in range: ClosedRange<Double>) -> Double? {
        BoundedNumber.double(s, in: range)
    }

    mutating func address(_ f: FormField) -> AnswerValue? {
        var a = AddressSelection()
        for part in AddressSelection.Field.allCases { a[part] = raw("\(f.key)_\(part.rawValue)").cleanedText(multiline: false) }
        if a.isEmpty, !f.isRequired { return nil }
        let errors = a.validate(in: geography)
        for part in AddressSelection.Field.allCases { if let m = errors[part.rawValue] { fail("\(f.key)_\(part.rawValue)", m) } }
        return errors.isEmpty ? .address(a) : nil
    }
}

extension Character {
    fileprivate var isPlainDigit: Bool { isASCII && isNumber }
}

extension String {
    /// Trimmed; control characters and bidi overrides removed; tabs made spaces; line breaks (CR LF, CR,
    /// U+2028/9) made "\n" when `multiline`, else spaces.
    fileprivate func cleanedText(multiline: Bool) -> String {
        var out = String.UnicodeScalarView()
        var afterCR = false
        for u in unicodeScalars {
            defer { afterCR = u == "\r" }
            if u == "\n", afterCR { continue }
            if u == "\n" || u == "\r" || u == "\u{2028}" || u == "\u{2029}" {
                out.append(multiline ? "\n" : " ")
            } else if u == "\t" {
                out.append(" ")
            } else if u.properties.generalCategory != .control, !(0x202A...0x202E).contains(u.value), !(0x2066...0x2069).contains(u.value) {
                out.append(u)
            }
        }
        return String(out).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
