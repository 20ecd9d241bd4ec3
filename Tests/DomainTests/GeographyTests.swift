import Foundation
import Testing

@testable import Domain

@Suite("Thai geography and addresses")
struct GeographyTests {
    /// `Resources/geothai/` of this repository, loaded once for the suite.
    static let geography: ThaiGeography = {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Resources/geothai", isDirectory: true)
        do { return try ThaiGeography(directory: directory) } catch { fatalError("cannot load \(directory.path): \(error)") }
    }()
    var geo: ThaiGeography { Self.geography }

    /// พิษณุโลก → บางกระทุ่ม → บางกระทุ่ม, 65110.
    static let phitsanulok = AddressSelection(
        houseNumber: "99/12", moo: "4", provinceCode: "65", districtCode: "6505",
        subdistrictCode: "650501", postcode: "65110")

    // MARK: the data

    @Test("all of Thailand is there: 77 provinces, 928 districts, 7,436 sub-districts")
    func counts() {
        #expect(geo.provinces.count == 77)
        #expect(geo.districtCount == 928)
        #expect(geo.subdistrictCount == 7_436)
        #expect(geo.provinces.reduce(0) { $0 + geo.districts(inProvince: $1.code).count } == 928)
    }

    @Test("a known chain: จังหวัดพิษณุโลก → อำเภอบางกระทุ่ม → ตำบลบางกระทุ่ม, 65110")
    func knownChain() throws {
        let province = try #require(geo.province(code: "65"))
        #expect(province.name == "พิษณุโลก")
        #expect(province.nameEN == "Phitsanulok")
        let district = try #require(geo.districts(inProvince: "65").first { $0.name == "บางกระทุ่ม" })
        #expect(district.code == "6505")
        #expect(district.provinceCode == "65")
        let subdistrict = try #require(geo.subdistricts(inDistrict: "6505").first { $0.name == "บางกระทุ่ม" })
        #expect(subdistrict.code == "650501")
        #expect(subdistrict.districtCode == "6505")
        #expect(geo.postcode(ofSubdistrict: "650501") == "65110")
        #expect(geo.subdistricts(inDistrict: "6505").count == 9)
    }

    @Test("one postcode serves several sub-districts; one district spans several postcodes; some sub-districts have two")
    func postcodesAreNotOneToOne() throws {
        #expect(geo.subdistricts(withPostcode: "65110").map(\.code) == ["650501", "650502", "650503", "650504", "650505", "650506", "650507"])
        #expect(Set(geo.subdistricts(inDistrict: "6505").flatMap(\.postcodes)) == ["65110", "65210"])
        let huaMak = try #require(geo.subdistrict(code: "100608"))
        #expect(huaMak.name == "หัวหมาก")
        #expect(huaMak.postcodes == ["10240", "10250"])
        #expect(huaMak.postcode == nil)
        #expect(geo.postcodes(ofSubdistrict: "100608") == ["10240", "10250"])
        #expect(geo.postcode(ofSubdistrict: "999999") == nil)
        #expect(geo.postcodes(ofSubdistrict: "999999").isEmpty)
    }

    @Test("lookups by code refuse unknown and misplaced codes")
    func lookups() {
        #expect(geo.province(code: "99") == nil)
        #expect(geo.district(code: "6505")?.name == "บางกระทุ่ม")
        #expect(geo.district(code: "6505", inProvince: "65") != nil)
        #expect(geo.district(code: "6505", inProvince: "50") == nil)
        #expect(geo.subdistrict(code: "650501", inDistrict: "6505") != nil)
        #expect(geo.subdistrict(code: "650501", inDistrict: "6501") == nil)
        #expect(geo.districts(inProvince: "99").isEmpty)
        #expect(geo.subdistricts(inDistrict: "").isEmpty)
    }

    @Test("Bangkok's districts carry เขต in the data; no other name carries its prefix")
    func namePrefixes() {
        let bangkok = geo.districts(inProvince: "10")
        #expect(bangkok.count == 50)
        #expect(bangkok.allSatisfy { $0.name.hasPrefix("เขต") })
        for p in geo.provinces where !p.isBangkok {
            #expect(!p.name.hasPrefix("จังหวัด"))
            #expect(geo.districts(inProvince: p.code).allSatisfy { !$0.name.hasPrefix("เขต") && !$0.name.hasPrefix("อำเภอ") })
        }
    }

    // MARK: Thai ordering

    @Test("provinces are in Thai dictionary order: names with a leading vowel are filed under their consonant")
    func thaiOrder() throws {
        let names = geo.provinces.map(\.name)
        func index(_ name: String) throws -> Int { try #require(names.firstIndex(of: name)) }
        #expect(names.first == "กระบี่")
        // Consonant first, then the vowel in dictionary order (none, ะ ั า … ู, then เ แ โ ใ ไ): เชียงใหม่ is
        // filed under ช after ชัยนาท, not after อุบลราชธานี where plain String < would put it.
        let ch = try index("ฉะเชิงเทรา")
        #expect(Array(names[ch...ch + 7]) == ["ฉะเชิงเทรา", "ชลบุรี", "ชัยนาท", "ชัยภูมิ", "ชุมพร", "เชียงราย", "เชียงใหม่", "ตรัง"])
        let ph = try index("พระนครศรีอยุธยา")
        #expect(Array(names[ph...ph + 9]) == ["พระนครศรีอยุธยา", "พะเยา", "พังงา", "พัทลุง", "พิจิตร", "พิษณุโลก", "เพชรบุรี", "เพชรบูรณ์", "แพร่", "ภูเก็ต"])
        // Tone marks only break ties: อ่างทอง (อ + า) before อุดรธานี (อ + ุ).
        #expect(try index("อ่างทอง") < index("อุดรธานี"))
        #expect(names.last == "อุบลราชธานี")
        // Plain String < is not good enough: it puts every leading-vowel name after อ.
        #expect(names.sorted().last == "แม่ฮ่องสอน")
    }

    @Test("districts and sub-districts come sorted too")
    func listsSorted() {
        #expect(
            geo.districts(inProvince: "65").map(\.name) == [
                "ชาติตระการ", "นครไทย", "เนินมะปราง", "บางกระทุ่ม", "บางระกำ", "พรหมพิราม", "เมืองพิษณุโลก", "วังทอง", "วัดโบสถ์",
            ])
        #expect(
            geo.subdistricts(inDistrict: "6505").map(\.name) == [
                "โคกสลุด", "ท่าตาล", "นครป่าหมาก", "เนินกุ่ม", "บางกระทุ่ม", "บ้านไร่", "ไผ่ล้อม", "วัดตายม", "สนามคลี",
            ])
    }

    @Test("collation details: consonant before vowel, marks as tie-breakers")
    func collation() {
        #expect(ThaiCollation.areInIncreasingOrder("กง", "กา"))
        #expect(ThaiCollation.areInIncreasingOrder("เกา", "ขา"))
        #expect(ThaiCollation.areInIncreasingOrder("กา", "ก่า"))
        #expect(!ThaiCollation.areInIncreasingOrder("ก่า", "กา"))
        #expect(ThaiCollation.primaryKey("เชียง") == ThaiCollation.primaryKey("ชเียง"))
        #expect(ThaiCollation.sorted(["ไก่", "ขวด", "กบ", "เกาะ"], by: { $0 }) == ["กบ", "เกาะ", "ไก่", "ขวด"])
    }

    // MARK: validating an address

    @Test("a good address has no problems and keeps its postcode")
    func good() {
        var a = Self.phitsanulok
        #expect(a.validate(in: geo).isEmpty)
        #expect(a.postcode == "65110")
    }

    @Test("the postcode is derived on the server when left blank")
    func postcodeDerived() {
        var a = Self.phitsanulok
        a.postcode = ""
        #expect(a.validate(in: geo).isEmpty)
        #expect(a.postcode == "65110")

        var b = Self.phitsanulok
        b.subdistrictCode = "650508"  // เนินกุ่ม, same district, other postcode
        b.postcode = ""
        #expect(b.validate(in: geo).isEmpty)
        #expect(b.postcode == "65210")
    }

    @Test("a postcode that belongs to another sub-district is refused")
    func postcodeMismatch() {
        var a = Self.phitsanulok
        a.postcode = "65210"
        #expect(a.validate(in: geo)["postcode"] == "รหัสไปรษณีย์ไม่ตรงกับตำบล/แขวงที่เลือก (ต้องเป็น 65110)")
        #expect(a.postcode == "65210")
        a.postcode = "6511"
        #expect(a.validate(in: geo)["postcode"] == "รหัสไปรษณีย์ต้องเป็นตัวเลข 5 หลัก")
        a.postcode = "๖๕๑๑๐"  // Thai digits are fine
        #expect(a.validate(in: geo).isEmpty)
        #expect(a.postcode == "65110")
    }

    @Test("a sub-district with two postcodes: either is accepted, a blank one must be filled in")
    func twoPostcodes() {
        var a = AddressSelection(houseNumber: "1", provinceCode: "10", districtCode: "1006", subdistrictCode: "100608")
        #expect(a.validate(in: geo)["postcode"] == "กรุณากรอกรหัสไปรษณีย์ (ตำบล/แขวงนี้ใช้ 10240 หรือ 10250)")
        a.postcode = "10250"
        #expect(a.validate(in: geo).isEmpty)
        a.postcode = "10240"
        #expect(a.validate(in: geo).isEmpty)
        a.postcode = "10310"
        #expect(a.validate(in: geo)["postcode"] == "รหัสไปรษณีย์ไม่ตรงกับตำบล/แขวงที่เลือก (ต้องเป็น 10240 หรือ 10250)")
    }

    @Test("mismatched chains are refused at the first wrong level")
    func mismatchedChains() {
        var districtElsewhere = Self.phitsanulok
        districtElsewhere.districtCode = "5001"  // เมืองเชียงใหม่
        let e1 = districtElsewhere.validate(in: geo)
        #expect(e1 == ["district": "กรุณาเลือกอำเภอ/เขตในจังหวัดที่เลือก"])

        var subdistrictElsewhere = Self.phitsanulok
        subdistrictElsewhere.subdistrictCode = "650101"  // ในเมือง, อำเภอเมืองพิษณุโลก
        #expect(subdistrictElsewhere.validate(in: geo) == ["subdistrict": "กรุณาเลือกตำบล/แขวงในอำเภอ/เขตที่เลือก"])

        var unknown = Self.phitsanulok
        unknown.provinceCode = "99"
        #expect(unknown.validate(in: geo) == ["province": "กรุณาเลือกจังหวัดจากรายการ"])
    }

    @Test("bad and missing inputs each name their field")
    func badInputs() {
        var empty = AddressSelection()
        #expect(
            empty.validate(in: geo) == [
                "house": "กรุณากรอกบ้านเลขที่", "province": "กรุณาเลือกจังหวัด", "district": "กรุณาเลือกอำเภอ/เขต",
                "subdistrict": "กรุณาเลือกตำบล/แขวง",
            ])

        var a = Self.phitsanulok
        a.houseNumber = String(repeating: "1", count: 31)
        a.moo = "100"
        a.road = String(repeating: "ก", count: 101)
        let e = a.validate(in: geo)
        #expect(e["house"] == "บ้านเลขที่ต้องไม่เกิน 30 ตัวอักษร")
        #expect(e["moo"] == "หมู่ที่ต้องเป็นตัวเลข 1 ถึง 99 หรือเว้นว่างไว้")
        #expect(e["road"] == "ชื่อถนนต้องไม่เกิน 100 ตัวอักษร")
        #expect(e.count == 3)

        for bad in ["0", "-1", "4ก", "1.5", "๐"] {
            var m = Self.phitsanulok
            m.moo = bad
            #expect(m.validate(in: geo)["moo"] != nil, "moo \(bad)")
        }
        for good in ["4", "04", "๔", "หมู่ 4", "ม.4", " 4 "] {
            var m = Self.phitsanulok
            m.moo = good
            #expect(m.validate(in: geo).isEmpty, "moo \(good)")
            #expect(m.moo == "4")
        }

        var spaces = Self.phitsanulok
        spaces.houseNumber = "   "
        spaces.soi = "  สุข\n ใจ "
        #expect(spaces.validate(in: geo) == ["house": "กรุณากรอกบ้านเลขที่"])
        #expect(spaces.soi == "สุข ใจ")
    }

    // MARK: refreshing the lists

    @Test("reconciling drops what no longer fits and lets the postcode follow the sub-district")
    func reconciled() {
        var moved = Self.phitsanulok
        moved.provinceCode = "50"
        let r = moved.reconciled(in: geo)
        #expect(r.provinceCode == "50")
        #expect(r.districtCode == "")
        #expect(r.subdistrictCode == "")
        #expect(r.postcode == "")
        #expect(r.houseNumber == "99/12")

        var otherSubdistrict = Self.phitsanulok
        otherSubdistrict.subdistrictCode = "650508"
        #expect(otherSubdistrict.reconciled(in: geo).postcode == "65210")
        #expect(Self.phitsanulok.reconciled(in: geo) == Self.phitsanulok)

        let twoCodes = AddressSelection(houseNumber: "1", provinceCode: "10", districtCode: "1006", subdistrictCode: "100608", postcode: "65110")
        #expect(twoCodes.reconciled(in: geo).postcode == "")
    }

    // MARK: one line

    @Test("outside Bangkok: ตำบล อำเภอ จังหวัด, or ต. อ. จ.")
    func formattedProvince() {
        var a = Self.phitsanulok
        a.soi = "สุขใจ"
        a.road = "ถนนพิษณุโลก-หล่มสัก"
        #expect(a.formatted(in: geo) == "99/12 หมู่ที่ 4 ซอยสุขใจ ถนนพิษณุโลก-หล่มสัก ตำบลบางกระทุ่ม อำเภอบางกระทุ่ม จังหวัดพิษณุโลก 65110")
        #expect(a.formatted(in: geo, style: .abbreviated) == "99/12 ม.4 ซ.สุขใจ ถนนพิษณุโลก-หล่มสัก ต.บางกระทุ่ม อ.บางกระทุ่ม จ.พิษณุโลก 65110")
    }

    @Test("Bangkok: แขวง and เขต (not doubled), no จังหวัด")
    func formattedBangkok() {
        let a = AddressSelection(
            houseNumber: "1/2", village: "อาคารสุขสันต์", soi: "ซ.รามคำแหง 24", road: "รามคำแหง",
            provinceCode: "10", districtCode: "1006", subdistrictCode: "100608", postcode: "10240")
        #expect(a.formatted(in: geo) == "1/2 อาคารสุขสันต์ ซ.รามคำแหง 24 ถนนรามคำแหง แขวงหัวหมาก เขตบางกะปิ กรุงเทพมหานคร 10240")
        #expect(a.formatted(in: geo, style: .abbreviated) == "1/2 อาคารสุขสันต์ ซ.รามคำแหง 24 ถ.รามคำแหง แขวงหัวหมาก เขตบางกะปิ กรุงเทพมหานคร 10240")
    }

    // MARK: loading

    @Test("broken data is refused with a message naming the file")
    func loading() throws {
        let p = Data(#"[["65","พิษณุโลก","Phitsanulok"]]"#.utf8)
        let d = Data(#"[["6505","บางกระทุ่ม","Bang Krathum"]]"#.utf8)
        let s = Data(#"[["650501","บางกระทุ่ม","Bang Krathum","65110"]]"#.utf8)
        let small = try ThaiGeography(provinces: p, districts: d, subdistricts: s)
        #expect(small.postcode(ofSubdistrict: "650501") == "65110")

        #expect(throws: ThaiGeography.LoadError.self) {
            try ThaiGeography(provinces: p, districts: Data(#"[["5001","เมืองเชียงใหม่","Mueang Chiang Mai"]]"#.utf8), subdistricts: Data("[]".utf8))
        }
        #expect(throws: ThaiGeography.LoadError.self) {
            try ThaiGeography(provinces: p, districts: d, subdistricts: Data(#"[["650501","บางกระทุ่ม","Bang Krathum","651"]]"#.utf8))
        }
        #expect(throws: ThaiGeography.LoadError.self) {
            try ThaiGeography(provinces: Data(#"{"65":"พิษณุโลก"}"#.utf8), districts: d, subdistricts: s)
        }
        #expect(throws: ThaiGeography.LoadError.self) {
            try ThaiGeography(directory: URL(fileURLWithPath: "/nonexistent"))
        }
    }
}
