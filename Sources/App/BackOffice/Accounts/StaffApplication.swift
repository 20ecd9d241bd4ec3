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
    /// The birth date as typed: day, month (1–12) and Buddhist-era year, as the citizens' form asks it.
    var birthDay = ""
    var birthMonth = ""
    var birthYear = ""
    /// "YYYY-MM-DD" (Gregorian, as stored), set when the three parts make a real date.
    var birthDate = ""
    var email = ""
    var username = ""

    static let titlesTH = ["นาย", "นาง", "นางสาว"]
    static let titlesEN = ["Mr.", "Mrs.", "Ms.", "Miss"]
    static let nationalities = ["ไทย", "อื่น ๆ"]

    /// The stored organisation unit: "tenant/l2/l3/l4".
    var orgUnit: String { [tenant, unit4].joined(separator: "/") }

    /// The stored birth date from the three parts, or the Thai message for the field.
    func checkedBirthDate(now: Date = Date()) -> Result<String, ThaiBirthDate.Problem> {
        ThaiBirthDate.iso(day: birthDay, month: birthMonth, buddhistYear: birthYear, now: now)
    }

    func validate(tenants: Set<String>, units: OrgUnitTree, now: Date = Date(), errors: inout FormErrors) {
        if !tenants.contains(tenant) { errors.add("tenant", "กรุณาเลือกหน่วยงานที่สังกัด") }
        if units.level(2).first(where: { $0.code == unit2 }) == nil { errors.add("unit2", "กรุณาเลือกกอง / ฝ่าย") }
        if units.level(3).first(where: { $0.code == unit3 && $0.parent == unit2 }) == nil { errors.add("unit3", "กรุณาเลือกฝ่าย / กลุ่มงาน ที่อยู่ในกองที่เลือก") }
        if units.level(4).first(where: { $0.code == unit4 && $0.parent == unit3 }) == nil { errors.add("unit4", "กรุณาเลือกงาน ที่อยู่ในฝ่ายที่เลือก") }
        FieldChecks.required(position, "position", "กรุณากรอกตำแหน่ง", max: 120, &errors)
        FieldChecks.mobile(mobile, "mobile", &errors)
        if !Self.titlesTH.contains(titleTH) { errors.add("titleTH", "กรุณาเลือกคำนำหน้าชื่อ") }
        FieldChecks.thaiName(firstNameTH, "firstNameTH", "ชื่อ (ภาษาไทย)", &errors)
        FieldChecks.thaiName(lastNameTH, "lastNameTH", "นามสกุล (ภาษาไทย)", &errors)
        if !Self.titlesEN.contains(titleEN) { errors.add("titleEN", "กรุณาเลือกคำนำหน้าชื่อภาษาอังกฤษ (Title)") }
        FieldChecks.englishName(firstNameEN, "firstNameEN", "ชื่อภาษาอังกฤษ (Name)", &errors)
        FieldChecks.englishName(lastNameEN, "lastNameEN", "นามสกุลภาษาอังกฤษ (Lastname)", &errors)
        do { _ = try ThaiNationalID(nationalID) } catch {
            errors.add("nationalID", nationalID.isEmpty ? "กรุณากรอกเลขประจำตัวประชาชน 13 หลัก" : error.thai)
        }
        if !Self.nationalities.contains(nationality) { errors.add("nationality", "กรุณาเลือกสัญชาติ") }
        if case .failure(let problem) = checkedBirthDate(now: now) { errors.add("birthDay", problem.thai) }
        FieldChecks.email(email, "email", example: "somchai@bangkrathum.go.th", &errors)
        if username.isEmpty {
            errors.add("username", "กรุณาตั้งชื่อผู้ใช้งาน")
        } else if !Self.isUsername(username) {
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
            parts[0] >= 1900, d <= Date()
        else { return nil }
        return d
    }
}
