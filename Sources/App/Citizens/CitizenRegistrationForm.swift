import Domain
import Foundation
import Vapor

/// The seed's registration form ("กรอกข้อมูลให้ครบทุกช่อง"): every field required but the parts of the
/// address that a house may not have (หมู่ที่, หมู่บ้าน, ซอย, ถนน). The national ID is the username; the
/// birth date is asked in the Buddhist-era calendar as day, month and year, never a Gregorian picker.
struct CitizenRegistrationForm: Content, Sendable {
    static let titles = ["นาย", "นาง", "นางสาว", "เด็กชาย", "เด็กหญิง"]
    static let addressPrefix = "address"

    var title = ""
    var firstName = ""
    var lastName = ""
    var nationalID = ""
    var birthDay = ""
    var birthMonth = ""
    var birthYear = ""
    var mobile = ""
    var email = ""
    var password = ""
    var passwordConfirm = ""
    var address = AddressSelection()

    enum CodingKeys: String, CodingKey {
        case title, firstName, lastName, nationalID, birthDay, birthMonth, birthYear, mobile, email, password, passwordConfirm
    }

    /// What passed the checks, ready to store.
    struct Valid {
        var nationalID: ThaiNationalID
        var birthDate: String
        var mobile: String
        var email: String
        var address: AddressSelection
    }

    static func decode(_ req: Request) throws -> CitizenRegistrationForm {
        var f = try req.content.decode(CitizenRegistrationForm.self)
        f.title = f.title.trimmingCharacters(in: .whitespaces)
        f.firstName = f.firstName.trimmingCharacters(in: .whitespaces)
        f.lastName = f.lastName.trimmingCharacters(in: .whitespaces)
        f.nationalID = f.nationalID.trimmingCharacters(in: .whitespaces)
        f.mobile = f.mobile.trimmingCharacters(in: .whitespaces)
        f.email = f.email.trimmingCharacters(in: .whitespaces)
        f.birthYear = f.birthYear.trimmingCharacters(in: .whitespaces)
        f.address = AddressFields.selection(from: req.content, prefix: addressPrefix)
        return f
    }

    func validate(geography: ThaiGeography, now: Date = Date(), errors: inout FormErrors) -> Valid? {
        if !Self.titles.contains(title) { errors.add("title", "กรุณาเลือกคำนำหน้าชื่อ") }
        FieldChecks.thaiName(firstName, "firstName", "ชื่อ", &errors)
        FieldChecks.thaiName(lastName, "lastName", "นามสกุล", &errors)
        var id: ThaiNationalID?
        do { id = try ThaiNationalID(nationalID) } catch {
            errors.add("nationalID", nationalID.isEmpty ? "กรุณากรอกเลขประจำตัวประชาชน 13 หลัก" : error.thai)
        }
        let birth = ThaiBirthDate.iso(day: birthDay, month: birthMonth, buddhistYear: birthYear, now: now)
        switch birth {
        case .success: break
        case .failure(let problem): errors.add("birthDay", problem.thai)
        }
        FieldChecks.mobile(mobile, "mobile", &errors)
        FieldChecks.email(email, "email", example: "somchai@gmail.com", &errors)
        var checkedAddress = address
        for (field, message) in checkedAddress.validate(in: geography) {
            errors.add("\(Self.addressPrefix)_\(field)", message)
        }
        if password.isEmpty {
            errors.add("password", "กรุณาตั้งรหัสผ่าน")
        } else if let problem = PasswordPolicy.problems(password, personal: [nationalID.filter(\.isNumber), firstName, lastName]).first {
            errors.add("password", problem.thai)
        }
        if passwordConfirm.isEmpty {
            errors.add("passwordConfirm", "กรุณายืนยันรหัสผ่าน")
        } else if passwordConfirm != password {
            errors.add("passwordConfirm", "รหัสผ่านทั้งสองช่องไม่ตรงกัน")
        }
        guard errors.isEmpty, let id, case .success(let iso) = birth else { return nil }
        return Valid(nationalID: id, birthDate: iso, mobile: mobile.arabicDigits.filter(\.isNumber), email: email.lowercased(), address: checkedAddress)
    }

    /// The page's sections, with what was typed (never the passwords) and each field's error.
    func sections(geography: ThaiGeography, errors: FormErrors) -> [FormSection] {
        let months = ThaiDate.monthNames.enumerated().map {
            FieldView.Option(value: String($0.offset + 1), label: $0.element, selected: birthMonth == String($0.offset + 1))
        }
        let days = (1...31).map { FieldView.Option(value: String($0), label: String($0), selected: birthDay == String($0)) }
        let person = FormSection(
            title: "ข้อมูลผู้ลงทะเบียน",
            fields: [
                FieldView(
                    name: "title", label: "คำนำหน้าชื่อ", kind: .select,
                    options: Self.titles.map { .init(value: $0, label: $0, selected: title == $0) }),
                FieldView(name: "firstName", label: "ชื่อ", kind: .text, value: firstName, autocomplete: "given-name", maxlength: 100),
                FieldView(name: "lastName", label: "นามสกุล", kind: .text, value: lastName, autocomplete: "family-name", maxlength: 100),
                FieldView(
                    name: "nationalID", label: "เลขประจำตัวประชาชน 13 หลัก (ใช้เป็นชื่อผู้ใช้งาน)", kind: .text, value: nationalID,
                    hint: "ตัวเลข 13 หลักบนบัตรประจำตัวประชาชน จะเว้นวรรคหรือใส่ขีดก็ได้", autocomplete: "username",
                    inputmode: "numeric", maxlength: 17),
                FieldView(
                    name: "birthDay", label: "วันเกิด: วันที่", kind: .select, hint: "วัน เดือน และปีเกิดตามบัตรประจำตัวประชาชน (ปีพุทธศักราช)",
                    autocomplete: "bday-day", options: days),
                FieldView(name: "birthMonth", label: "วันเกิด: เดือน", kind: .select, autocomplete: "bday-month", options: months),
                FieldView(
                    name: "birthYear", label: "วันเกิด: ปี พ.ศ.", kind: .text, value: birthYear, hint: "เช่น 2530",
                    inputmode: "numeric", maxlength: 4),
                FieldView(
                    name: "mobile", label: "หมายเลขโทรศัพท์มือถือ", kind: .tel, value: mobile, hint: "เช่น 081-234-5678",
                    autocomplete: "tel", inputmode: "tel", maxlength: 12),
                FieldView(
                    name: "email", label: "อีเมลส่วนตัว", kind: .email, value: email,
                    hint: "ใช้สำหรับรับแจ้งผลการดำเนินการและลิงก์เปลี่ยนรหัสผ่าน", autocomplete: "email", maxlength: 254),
            ])
        let address = FormSection(
            title: "ที่อยู่ตามทะเบียนบ้าน",
            fields: AddressFields.fields(address.reconciled(in: geography), geography: geography, prefix: Self.addressPrefix))
        let secret = FormSection(
            title: "ตั้งรหัสผ่าน",
            fields: [
                FieldView(
                    name: "password", label: "รหัสผ่าน", kind: .password, hint: PasswordPolicy.ruleThai, autocomplete: "new-password",
                    maxlength: PasswordPolicy.maxLength, meter: true),
                FieldView(
                    name: "passwordConfirm", label: "ยืนยันรหัสผ่าน", kind: .password, autocomplete: "new-password",
                    maxlength: PasswordPolicy.maxLength),
            ])
        return errors.apply(to: [person, address, secret])
    }
}
