/// A Thai postal address as a person gives it: a few typed parts (house number, หมู่, village or
/// building, soi, road) and the area chosen from lists (province → district → sub-district), with the
/// postcode that belongs to the sub-district. Codes are GeoThai codes (`ThaiGeography`); an empty string
/// means "not given". Used by citizen registration and by the `address` field type of petition forms.
public struct AddressSelection: Sendable, Hashable, Codable {
    /// บ้านเลขที่, e.g. "99/12". Required.
    public var houseNumber: String
    /// หมู่ที่: 1–99, optional (towns have no หมู่).
    public var moo: String
    /// หมู่บ้าน or อาคาร, as typed.
    public var village: String
    public var soi: String
    public var road: String
    public var provinceCode: String
    public var districtCode: String
    public var subdistrictCode: String
    public var postcode: String

    public init(
        houseNumber: String = "", moo: String = "", village: String = "", soi: String = "", road: String = "",
        provinceCode: String = "", districtCode: String = "", subdistrictCode: String = "", postcode: String = ""
    ) {
        self.houseNumber = houseNumber
        self.moo = moo
        self.village = village
        self.soi = soi
        self.road = road
        self.provinceCode = provinceCode
        self.districtCode = districtCode
        self.subdistrictCode = subdistrictCode
        self.postcode = postcode
    }

    /// The parts of an address, in the order a form shows them. `validate` keys its messages by the raw
    /// values; a page names its inputs `<prefix>_<rawValue>`.
    public enum Field: String, CaseIterable, Sendable {
        case house, moo, village, soi, road, province, district, subdistrict, postcode
    }

    public static let houseNumberMaxLength = 30
    public static let textMaxLength = 100

    public var isEmpty: Bool {
        [houseNumber, moo, village, soi, road, provinceCode, districtCode, subdistrictCode, postcode]
            .allSatisfy { $0.collapsingWhitespace.isEmpty }
    }

    public subscript(field: Field) -> String {
        get {
            switch field {
            case .house: houseNumber
            case .moo: moo
            case .village: village
            case .soi: soi
            case .road: road
            case .province: provinceCode
            case .district: districtCode
            case .subdistrict: subdistrictCode
            case .postcode: postcode
            }
        }
        set {
            switch field {
            case .house: houseNumber = newValue
            case .moo: moo = newValue
            case .village: village = newValue
            case .soi: soi = newValue
            case .road: road = newValue
            case .province: provinceCode = newValue
            case .district: districtCode = newValue
            case .subdistrict: subdistrictCode = newValue
            case .postcode: postcode = newValue
            }
        }
    }

    /// Whitespace trimmed and runs of it (new lines too) made one space; Thai digits (๐–๙) in หมู่ and the
    /// postcode made Arabic; codes trimmed. Leaves the house number's digits as typed.
    public var normalized: AddressSelection {
        var a = self
        for f in Field.allCases { a[f] = a[f].collapsingWhitespace }
        a.moo = a.moo.arabicDigits
        a.postcode = a.postcode.arabicDigits
        // "หมู่ 4", "ม.4": people often type the word the label already says.
        for word in ["หมู่ที่", "หมู่", "ม."] where a.moo.hasPrefix(word) {
            a.moo = String(a.moo.dropFirst(word.count)).collapsingWhitespace
            break
        }
        return a
    }

    /// Normalises the address, fills in the postcode from the sub-district when it is blank and the
    /// sub-district has only one, and returns what is wrong: field (`Field.rawValue`) → Thai message.
    /// Empty means the address can be saved as it now stands.
    ///
    /// Rules: house number required, at most 30 characters; หมู่ optional, 1–99; village, soi and road at
    /// most 100 characters; province, district and sub-district required, each inside the one above it;
    /// the postcode must be one of the sub-district's (the server derives it, never trusts it).
    public mutating func validate(in geography: ThaiGeography) -> [String: String] {
        self = normalized
        var errors: [String: String] = [:]
        func fail(_ field: Field, _ message: String) { errors[field.rawValue] = errors[field.rawValue] ?? message }

        if houseNumber.isEmpty {
            fail(.house, "กรุณากรอกบ้านเลขที่")
        } else if houseNumber.count > Self.houseNumberMaxLength {
            fail(.house, "บ้านเลขที่ต้องไม่เกิน \(Self.houseNumberMaxLength) ตัวอักษร")
        }
        if !moo.isEmpty {
            if let n = Int(moo), moo.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }), (1...99).contains(n) {
                moo = String(n)
            } else {
                fail(.moo, "หมู่ที่ต้องเป็นตัวเลข 1 ถึง 99 หรือเว้นว่างไว้")
            }
        }
        for (field, label) in [(Field.village, "ชื่อหมู่บ้านหรืออาคาร"), (.soi, "ชื่อซอย"), (.road, "ชื่อถนน")]
        where self[field].count > Self.textMaxLength {
            fail(field, "\(label)ต้องไม่เกิน \(Self.textMaxLength) ตัวอักษร")
        }

        let province = geography.province(code: provinceCode)
        if provinceCode.isEmpty {
            fail(.province, "กรุณาเลือกจังหวัด")
        } else if province == nil {
            fail(.province, "กรุณาเลือกจังหวัดจากรายการ")
        }

        var district: District?
        if districtCode.isEmpty {
            fail(.district, "กรุณาเลือกอำเภอ/เขต")
        } else if let province {
            district = geography.district(code: districtCode, inProvince: province.code)
            if district == nil { fail(.district, "กรุณาเลือกอำเภอ/เขตในจังหวัดที่เลือก") }
        }

        var subdistrict: Subdistrict?
        if subdistrictCode.isEmpty {
            fail(.subdistrict, "กรุณาเลือกตำบล/แขวง")
        } else if let district {
            subdistrict = geography.subdistrict(code: subdistrictCode, inDistrict: district.code)
            if subdistrict == nil { fail(.subdistrict, "กรุณาเลือกตำบล/แขวงในอำเภอ/เขตที่เลือก") }
        }

        if !postcode.isEmpty, !Self.isPostcodeShaped(postcode) {
            fail(.postcode, "รหัสไปรษณีย์ต้องเป็นตัวเลข 5 หลัก")
        } else if let subdistrict {
            let codes = subdistrict.postcodes
            if postcode.isEmpty {
                if let only = subdistrict.postcode {
                    postcode = only
                } else {
                    fail(.postcode, "กรุณากรอกรหัสไปรษณีย์ (ตำบล/แขวงนี้ใช้ \(Self.orList(codes)))")
                }
            } else if !codes.contains(postcode) {
                fail(.postcode, "รหัสไปรษณีย์ไม่ตรงกับตำบล/แขวงที่เลือก (ต้องเป็น \(Self.orList(codes)))")
            }
        }
        return errors
    }

    /// The address made consistent without judging it, for re-showing a form after the person picked a
    /// province or district ("แสดงรายการอำเภอและตำบล"): a district outside the province and a sub-district
    /// outside the district are dropped, and the postcode follows the sub-district (kept if it is one of
    /// the sub-district's, else its only postcode, else blank).
    public func reconciled(in geography: ThaiGeography) -> AddressSelection {
        var a = normalized
        if geography.province(code: a.provinceCode) == nil { a.provinceCode = "" }
        if geography.district(code: a.districtCode, inProvince: a.provinceCode) == nil { a.districtCode = "" }
        if let s = geography.subdistrict(code: a.subdistrictCode, inDistrict: a.districtCode) {
            if !s.postcodes.contains(a.postcode) { a.postcode = s.postcode ?? "" }
        } else {
            a.subdistrictCode = ""
            a.postcode = ""
        }
        return a
    }

    public enum Style: Sendable {
        /// "99/12 หมู่ที่ 4 ซอยสุขใจ ถนนพิษณุโลก-หล่มสัก ตำบลบางกระทุ่ม อำเภอบางกระทุ่ม จังหวัดพิษณุโลก 65110"
        case full
        /// "99/12 ม.4 ซ.สุขใจ ถ.พิษณุโลก-หล่มสัก ต.บางกระทุ่ม อ.บางกระทุ่ม จ.พิษณุโลก 65110"
        case abbreviated
    }

    /// The address on one line, the way Thai letters write it. Bangkok has แขวง and เขต and no "จังหวัด"
    /// ("แขวงหัวหมาก เขตบางกะปิ กรุงเทพมหานคร 10240"); elsewhere ตำบล, อำเภอ, จังหวัด. The data's Bangkok
    /// district names already start with "เขต" and no other name carries its prefix, so none is doubled;
    /// a soi or road typed with its own "ซอย"/"ซ." or "ถนน"/"ถ." keeps it and gets no second one.
    /// Parts that are blank or unknown are left out.
    public func formatted(in geography: ThaiGeography, style: Style = .full) -> String {
        let a = normalized
        let short = style == .abbreviated
        var parts: [String] = []
        if !a.houseNumber.isEmpty { parts.append(a.houseNumber) }
        if !a.moo.isEmpty { parts.append(short ? "ม.\(a.moo)" : "หมู่ที่ \(a.moo)") }
        if !a.village.isEmpty { parts.append(a.village) }
        if !a.soi.isEmpty { parts.append(Self.prefixed(a.soi, short ? "ซ." : "ซอย", unless: ["ซอย", "ซ."])) }
        if !a.road.isEmpty { parts.append(Self.prefixed(a.road, short ? "ถ." : "ถนน", unless: ["ถนน", "ถ."])) }

        let province = geography.province(code: a.provinceCode)
        let bangkok = province?.isBangkok ?? false
        if let s = geography.subdistrict(code: a.subdistrictCode) {
            parts.append(Self.prefixed(s.name, bangkok ? "แขวง" : (short ? "ต." : "ตำบล"), unless: bangkok ? ["แขวง"] : ["ตำบล", "ต."]))
        }
        if let d = geography.district(code: a.districtCode) {
            parts.append(Self.prefixed(d.name, bangkok ? "เขต" : (short ? "อ." : "อำเภอ"), unless: bangkok ? ["เขต"] : ["อำเภอ", "อ.", "กิ่งอำเภอ"]))
        }
        if let province {
            parts.append(bangkok ? province.name : Self.prefixed(province.name, short ? "จ." : "จังหวัด", unless: ["จังหวัด", "จ."]))
        }
        if !a.postcode.isEmpty { parts.append(a.postcode) }
        return parts.joined(separator: " ")
    }

    static func prefixed(_ name: String, _ prefix: String, unless existing: [String]) -> String {
        existing.contains(where: { name.hasPrefix($0) }) ? name : prefix + name
    }

    static func orList(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " หรือ " + items[items.count - 1]
    }

    /// Five ASCII digits.
    public static func isPostcodeShaped(_ s: String) -> Bool {
        s.unicodeScalars.count == 5 && s.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
    }
}

extension String {
    /// Trimmed, with every run of whitespace (new lines too) made one space.
    fileprivate var collapsingWhitespace: String {
        split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
