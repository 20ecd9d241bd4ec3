import Domain
import Foundation

/// Checks shared by the forms people fill in about themselves (staff registration, citizen registration),
/// each adding one Thai message for its field.
enum FieldChecks {
    static func required(_ v: String, _ field: String, _ message: String, max: Int, _ errors: inout FormErrors) {
        if v.isEmpty { errors.add(field, message) } else if v.count > max { errors.add(field, "ยาวเกิน \(max) ตัวอักษร") }
    }

    static func thaiName(_ v: String, _ field: String, _ label: String, _ errors: inout FormErrors) {
        if v.isEmpty {
            errors.add(field, "กรุณากรอก\(label)")
        } else if v.count > 100 {
            errors.add(field, "\(label)ยาวเกิน 100 ตัวอักษร")
        } else if !v.unicodeScalars.allSatisfy({ (0x0E00...0x0E7F).contains($0.value) || $0 == " " || $0 == "-" || $0 == "." }) {
            errors.add(field, "\(label)ต้องเป็นภาษาไทย")
        }
    }

    static func englishName(_ v: String, _ field: String, _ label: String, _ errors: inout FormErrors) {
        if v.isEmpty {
            errors.add(field, "กรุณากรอก\(label)")
        } else if v.count > 100 {
            errors.add(field, "\(label)ยาวเกิน 100 ตัวอักษร")
        } else if !v.allSatisfy({ ($0.isASCII && $0.isLetter) || $0 == " " || $0 == "-" || $0 == "." || $0 == "'" }) {
            errors.add(field, "\(label)ต้องเป็นตัวอักษรภาษาอังกฤษ")
        }
    }

    /// A Thai mobile number: 10 digits starting with 0; dashes and spaces allowed.
    static func mobile(_ raw: String, _ field: String, _ errors: inout FormErrors) {
        let v = raw.arabicDigits
        let digits = v.filter(\.isNumber)
        if digits.isEmpty {
            errors.add(field, "กรุณากรอกหมายเลขโทรศัพท์มือถือ")
        } else if digits.count != 10 || !digits.hasPrefix("0") || !v.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "-" || $0 == " " }) {
            errors.add(field, "หมายเลขโทรศัพท์มือถือต้องเป็นตัวเลข 10 หลัก ขึ้นต้นด้วย 0 เช่น 081-234-5678")
        }
    }

    static func email(_ v: String, _ field: String, example: String, _ errors: inout FormErrors) {
        if v.isEmpty { errors.add(field, "กรุณากรอกอีเมล") } else if !MailAddress.isPlausible(v) { errors.add(field, "รูปแบบอีเมลไม่ถูกต้อง เช่น \(example)") }
    }
}
