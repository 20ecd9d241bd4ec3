import Domain
import Foundation

/// What a person fills in to register as staff (the BMA form of seed 002), checked field by field with Thai
/// messages. The same checks serve an admin creating an account, minus the password and the document.
struct StaffApplication: Sendable {
    var tenant = ""
    var unit2 = ""
    var unit3 = ""
    var unit4 = ""
    var position = ""
    var mobile = ""
    var titleTH = ""
    var firstNameTH = ""
    var lastNameTH = ""
    var titleEN = ""
    var firstNameEN = ""
    var lastNameEN = ""
    var nationalID = ""
    var nationality = "ไทย"
    var birthDate = ""
    var email = ""
    var username = ""

    static let titlesTH = ["นาย", "นาง", "นางสาว"]
    static let titlesEN = ["Mr.", "Mrs.", "Ms.", "Miss"]
    static let nationalities = ["ไทย", "อื่น ๆ"]

    /// The stored organisation unit: "tenant/l2/l3/l4".
    var orgUnit: String { [tenant, unit4].joined(separator: "/") }

    func validate(tenants: Set<String>, units: OrgUnitTree, errors: inout FormErrors) {
        if !tenants.contains(tenant) { errors.add("tenant", "กรุณาเลือกหน่วยงานที่สังกัด") }
        if units.level(2).first(where: { $0.code == unit2 }) == nil { errors.add("unit2", "กรุณาเลือกกอง / ฝ่าย") }
        if units.level(3).first(where: { $0.code == unit3 && $0.parent == unit2 }) == nil { errors.add("unit3", "กรุณาเลือกฝ่าย / กลุ่มงาน ที่อยู่ในกองที่เลือก") }
        if units.level(4).first(where: { $0.code == unit4 && $0.parent == unit3 }) == nil { errors.add("unit4", "กรุณาเลือกงาน ที่อยู่ในฝ่ายที่เลือก") }
        Self.required(position, "position", "กรุณากรอกตำแหน่ง", max: 120, &errors)
        let digits = mobile.filter(\.isNumber)
        if digits.isEmpty { errors.add("mobile", "กรุณากรอกหมายเลขโทรศัพท์มือถือ") }
        else if digits.count != 10 || !digits.hasPrefix("0") || !mobile.allSatisfy({ $0.isNumber || $0 == "-" || $0 == " " }) {
            errors.add("mobile", "หมายเลขโทรศัพท์มือถือต้องเป็นตัวเลข 10 หลัก ขึ้นต้นด้วย 0 เช่น 081-234-5678")
        }
        if !Self.titlesTH.contains(titleTH) { errors.add("titleTH", "กรุณาเลือกคำนำหน้าชื่อ") }
        Self.thaiName(firstNameTH, "firstNameTH", "ชื่อ (ภาษาไทย)", &errors)
        Self.thaiName(lastNameTH, "lastNameTH", "นามสกุล (ภาษาไทย)", &errors)
        if !Self.titlesEN.contains(titleEN) { errors.add("titleEN", "กรุณาเลือกคำนำหน้าชื่อภาษาอังกฤษ (Title)") }
        Self.englishName(firstNameEN, "firstNameEN", "ชื่อภาษาอังกฤษ (Name)", &errors)
        Self.englishName(lastNameEN, "lastNameEN", "นามสกุลภาษาอังกฤษ (Lastname)", &errors)
        do { _ = try ThaiNationalID(nationalID) } catch {
            errors.add("nationalID", nationalID.isEmpty ? "กรุณากรอกเลขประจำตัวประชาชน 13 หลัก" : error.thai)
        }
        if !Self.nationalities.contains(nationality) { errors.add("nationality", "กรุณาเลือกสัญชาติ") }
        if birthDate.isEmpty { errors.add("birthDate", "กรุณากรอกวันเกิด") }
        else if Self.isoDate(birthDate) == nil { errors.add("birthDate", "วันเกิดไม่ถูกต้อง กรุณาเลือกวันที่จากปฏิทิน") }
        if email.isEmpty { errors.add("email", "กรุณากรอกอีเมล") }
        else if !MailAddress.isPlausible(email) { errors.add("email", "รูปแบบอีเมลไม่ถูกต้อง เช่น somchai@bangkrathum.go.th") }
        if username.isEmpty { errors.add("username", "กรุณาตั้งชื่อผู้ใช้งาน") }
        else if !Self.isUsername(username) {
            errors.add("username", "ชื่อผู้ใช้งานต้องเป็นตัวอักษรภาษาอังกฤษพิมพ์เล็ก ตัวเลข จุด หรือขีด 4–32 ตัว และขึ้นต้นด้วยตัวอักษร")
        }
    }

    static func isUsername(_ s: String) -> Bool {
        (4...32).contains(s.count) && s.first.map { $0.isASCII && $0.isLetter } == true
            && s.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "." || $0 == "-" || $0 == "_" }
    }

    /// A real calendar date between 1900 and today, as "YYYY-MM-DD" (what `<input type=date>` sends).
    static func isoDate(_ s: String) -> Date? {
        let parts = s.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, s.count == 10 else { return nil }
        var c = DateComponents()
        c.year = parts[0]; c.month = parts[1]; c.day = parts[2]
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = ThaiDate.bangkok
        guard let d = cal.date(from: c), cal.component(.day, from: d) == parts[2], cal.component(.month, from: d) == parts[1],
              parts[0] >= 1900, d <= Date() else { return nil }
        return d
    }

    private static func required(_ v: String, _ field: String, _ message: String, max: Int, _ errors: inout FormErrors) {
        if v.isEmpty { errors.add(field, message) } else if v.count > max { errors.add(field, "ยาวเกิน \(max) ตัวอักษร") }
    }

    private static func thaiName(_ v: String, _ field: String, _ label: String, _ errors: inout FormErrors) {
        if v.isEmpty { errors.add(field, "กรุณากรอก\(label)") }
        else if v.count > 100 { errors.add(field, "\(label)ยาวเกิน 100 ตัวอักษร") }
        else if !v.unicodeScalars.allSatisfy({ (0x0E00...0x0E7F).contains($0.value) || $0 == " " || $0 == "-" || $0 == "." }) {
            errors.add(field, "\(label)ต้องเป็นภาษาไทย")
        }
    }

    private static func englishName(_ v: String, _ field: String, _ label: String, _ errors: inout FormErrors) {
        if v.isEmpty { errors.add(field, "กรุณากรอก\(label)") }
        else if v.count > 100 { errors.add(field, "\(label)ยาวเกิน 100 ตัวอักษร") }
        else if !v.allSatisfy({ ($0.isASCII && $0.isLetter) || $0 == " " || $0 == "-" || $0 == "." || $0 == "'" }) {
            errors.add(field, "\(label)ต้องเป็นตัวอักษรภาษาอังกฤษ")
        }
    }
}
