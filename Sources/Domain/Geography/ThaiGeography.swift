import Foundation

/// A province (จังหวัด). Code: two digits, e.g. "65" พิษณุโลก; "10" is กรุงเทพมหานคร.
public struct Province: Sendable, Hashable, Identifiable {
    public var code: String
    /// Thai name without "จังหวัด", e.g. "พิษณุโลก".
    public var name: String
    public var nameEN: String
    public var id: String { code }
    public var isBangkok: Bool { code == ThaiGeography.bangkokCode }
}

/// A district: อำเภอ, or เขต in Bangkok. Code: the province's code and two digits, e.g. "6505".
public struct District: Sendable, Hashable, Identifiable {
    public var code: String
    /// Thai name as the Department of Provincial Administration writes it: "บางกระทุ่ม" (no "อำเภอ"),
    /// but in Bangkok with its "เขต", e.g. "เขตพระนคร".
    public var name: String
    public var nameEN: String
    public var id: String { code }
    public var provinceCode: String { String(code.prefix(2)) }
}

/// A sub-district: ตำบล, or แขวง in Bangkok. Code: the district's code and two digits, e.g. "650501".
public struct Subdistrict: Sendable, Hashable, Identifiable {
    public var code: String
    /// Thai name without "ตำบล" / "แขวง", e.g. "บางกระทุ่ม".
    public var name: String
    public var nameEN: String
    /// Thailand Post codes. Most sub-districts have one; a few (160 in the data, mostly in Bangkok) have
    /// two or three because parts of them are served by different post offices. The first is the base one.
    public var postcodes: [String]
    public var id: String { code }
    public var districtCode: String { String(code.prefix(4)) }
    public var provinceCode: String { String(code.prefix(2)) }
    /// The postcode when the sub-district has exactly one; nil when the person has to say which.
    public var postcode: String? { postcodes.count == 1 ? postcodes[0] : nil }
}

/// Thailand's provinces → districts → sub-districts → postcodes, from the GeoThai data
/// (`Resources/geothai/`, CC BY 4.0, see its NOTICE). Loaded once at start-up; immutable afterwards.
/// Every list it hands out is in Thai dictionary order (`ThaiCollation`), not code order.
public struct ThaiGeography: Sendable {
    public static let bangkokCode = "10"
    public static let fileNames = (provinces: "provinces.json", districts: "districts.json", subdistricts: "subdistricts.json")

    public struct LoadError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// All 77 provinces, in Thai order.
    public let provinces: [Province]
    private let provinceByCode: [String: Province]
    private let districtByCode: [String: District]
    private let subdistrictByCode: [String: Subdistrict]
    private let districtsByProvince: [String: [District]]
    private let subdistrictsByDistrict: [String: [Subdistrict]]
    private let subdistrictsByPostcode: [String: [Subdistrict]]

    public var districtCount: Int { districtByCode.count }
    public var subdistrictCount: Int { subdistrictByCode.count }

    /// Reads `provinces.json`, `districts.json` and `subdistricts.json` from `directory`.
    public init(directory: URL) throws {
        func read(_ name: String) throws -> Data {
            let url = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw LoadError(description: "cannot read \(url.path)")
            }
            return data
        }
        try self.init(
            provinces: read(Self.fileNames.provinces), districts: read(Self.fileNames.districts),
            subdistricts: read(Self.fileNames.subdistricts))
    }

    /// From the three JSON files: arrays of rows `[code, name_th, name_en]`, sub-districts with a fourth
    /// column of postcodes separated by spaces. Every row is checked: code shape, parent present, no duplicates.
    public init(provinces: Data, districts: Data, subdistricts: Data) throws {
        func rows(_ data: Data, _ file: String, columns: Int) throws -> [[String]] {
            let decoded: [[String]]
            do { decoded = try JSONDecoder().decode([[String]].self, from: data) } catch {
                throw LoadError(description: "\(file): not an array of string rows (\(error))")
            }
            for (i, row) in decoded.enumerated() where row.count != columns {
                throw LoadError(description: "\(file) row \(i): expected \(columns) columns, found \(row.count)")
            }
            return decoded
        }
        func checkCode(_ code: String, digits: Int, _ file: String) throws {
            guard code.count == digits, code.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) else {
                throw LoadError(description: "\(file): code '\(code)' is not \(digits) digits")
            }
        }

        var provinceByCode: [String: Province] = [:]
        for row in try rows(provinces, Self.fileNames.provinces, columns: 3) {
            try checkCode(row[0], digits: 2, Self.fileNames.provinces)
            guard provinceByCode[row[0]] == nil else { throw LoadError(description: "provinces.json: code \(row[0]) twice") }
            provinceByCode[row[0]] = Province(code: row[0], name: row[1], nameEN: row[2])
        }

        var districtByCode: [String: District] = [:]
        var districtsByProvince: [String: [District]] = [:]
        for row in try rows(districts, Self.fileNames.districts, columns: 3) {
            try checkCode(row[0], digits: 4, Self.fileNames.districts)
            let d = District(code: row[0], name: row[1], nameEN: row[2])
            guard provinceByCode[d.provinceCode] != nil else { throw LoadError(description: "districts.json: \(d.code) has no province") }
            guard districtByCode[d.code] == nil else { throw LoadError(description: "districts.json: code \(d.code) twice") }
            districtByCode[d.code] = d
            districtsByProvince[d.provinceCode, default: []].append(d)
        }

        var subdistrictByCode: [String: Subdistrict] = [:]
        var subdistrictsByDistrict: [String: [Subdistrict]] = [:]
        var subdistrictsByPostcode: [String: [Subdistrict]] = [:]
        for row in try rows(subdistricts, Self.fileNames.subdistricts, columns: 4) {
            try checkCode(row[0], digits: 6, Self.fileNames.subdistricts)
            let postcodes = row[3].split(whereSeparator: \.isWhitespace).map(String.init)
            guard !postcodes.isEmpty, postcodes.allSatisfy(AddressSelection.isPostcodeShaped) else {
                throw LoadError(description: "subdistricts.json: \(row[0]) has postcode '\(row[3])'")
            }
            let s = Subdistrict(code: row[0], name: row[1], nameEN: row[2], postcodes: postcodes)
            guard districtByCode[s.districtCode] != nil else { throw LoadError(description: "subdistricts.json: \(s.code) has no district") }
            guard subdistrictByCode[s.code] == nil else { throw LoadError(description: "subdistricts.json: code \(s.code) twice") }
            subdistrictByCode[s.code] = s
            subdistrictsByDistrict[s.districtCode, default: []].append(s)
            for p in postcodes { subdistrictsByPostcode[p, default: []].append(s) }
        }

        // Code order first, so that equal names (there are many: every province has its own "ในเมือง") keep it.
        self.provinces = ThaiCollation.sorted(provinceByCode.values.sorted { $0.code < $1.code }, by: \.name)
        self.provinceByCode = provinceByCode
        self.districtByCode = districtByCode
        self.subdistrictByCode = subdistrictByCode
        self.districtsByProvince = districtsByProvince.mapValues { ThaiCollation.sorted($0.sorted { $0.code < $1.code }, by: \.name) }
        self.subdistrictsByDistrict = subdistrictsByDistrict.mapValues { ThaiCollation.sorted($0.sorted { $0.code < $1.code }, by: \.name) }
        self.subdistrictsByPostcode = subdistrictsByPostcode.mapValues { $0.sorted { $0.code < $1.code } }
    }

    public func province(code: String) -> Province? { provinceByCode[code] }
    public func district(code: String) -> District? { districtByCode[code] }
    public func subdistrict(code: String) -> Subdistrict? { subdistrictByCode[code] }

    /// The province's districts in Thai order; empty for an unknown code.
    public func districts(inProvince code: String) -> [District] { districtsByProvince[code] ?? [] }
    /// The district's sub-districts in Thai order; empty for an unknown code.
    public func subdistricts(inDistrict code: String) -> [Subdistrict] { subdistrictsByDistrict[code] ?? [] }
    /// Every sub-district served by `postcode`, in code order (one postcode often covers several).
    public func subdistricts(withPostcode postcode: String) -> [Subdistrict] { subdistrictsByPostcode[postcode] ?? [] }

    /// All postcodes of a sub-district (usually one); empty for an unknown code.
    public func postcodes(ofSubdistrict code: String) -> [String] { subdistrictByCode[code]?.postcodes ?? [] }
    /// The sub-district's postcode when it has exactly one; nil when unknown or when it has several.
    public func postcode(ofSubdistrict code: String) -> String? { subdistrictByCode[code]?.postcode }

    /// The district, if `code` names one inside province `provinceCode`.
    public func district(code: String, inProvince provinceCode: String) -> District? {
        guard let d = districtByCode[code], d.provinceCode == provinceCode else { return nil }
        return d
    }

    /// The sub-district, if `code` names one inside district `districtCode`.
    public func subdistrict(code: String, inDistrict districtCode: String) -> Subdistrict? {
        guard let s = subdistrictByCode[code], s.districtCode == districtCode else { return nil }
        return s
    }
}
