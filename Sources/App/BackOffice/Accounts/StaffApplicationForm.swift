import Domain
import Foundation
import Vapor

/// The staff registration form as posted, and the sections that draw it.
struct StaffApplicationForm: Content {
    var tenant: String?
    var unit2: String?
    var unit3: String?
    var unit4: String?
    var position: String?
    var mobile: String?
    var titleTH: String?
    var firstNameTH: String?
    var lastNameTH: String?
    var titleEN: String?
    var firstNameEN: String?
    var lastNameEN: String?
    var nationalID: String?
    var nationality: String?
    var birthDay: String?
    var birthMonth: String?
    var birthYear: String?
    var email: String?
    var username: String?
    var password: String?
    var confirm: String?
    var consent: String?
    var document: File?

    var application: StaffApplication {
        var a = StaffApplication(
            tenant: tenant.clean, unit2: unit2.clean, unit3: unit3.clean, unit4: unit4.clean, position: position.clean,
            mobile: mobile.clean, titleTH: titleTH.clean, firstNameTH: firstNameTH.clean, lastNameTH: lastNameTH.clean,
            titleEN: titleEN.clean, firstNameEN: firstNameEN.clean, lastNameEN: lastNameEN.clean,
            nationalID: nationalID.clean.filter { $0.isNumber }, nationality: nationality.clean.isEmpty ? "ไทย" : nationality.clean,
            birthDay: birthDay.clean, birthMonth: birthMonth.clean, birthYear: birthYear.clean,
            email: email.clean.lowercased(), username: username.clean.lowercased()
        )
        if case .success(let iso) = a.checkedBirthDate() { a.birthDate = iso }
        return a
    }

    /// The hint under the birth year: on the admin's page, the first password the date gives.
    static func birthYearHint(_ a: StaffApplication, initialPassword: Bool) -> String {
        guard initialPassword else { return "วัน เดือน และปีเกิดตามบัตรประจำตัวประชาชน ปีเป็นพุทธศักราช เช่น 2530" }
        if let password = Passwords.initialPassword(birthDate: a.birthDate) {
            return "รหัสผ่านเริ่มต้นของบัญชีนี้: \(password) (วัน เดือน ปี พ.ศ. 8 หลัก ใช้ได้ 72 ชั่วโมง)"
        }
        return "ปีพุทธศักราช เช่น 2528 รหัสผ่านเริ่มต้นคือวัน เดือน ปีเกิด 8 หลัก เช่น เกิด 15 มิถุนายน 2528 ได้รหัสผ่าน 15062528 (ใช้ได้ 72 ชั่วโมง)"
    }

    static func sections(_ a: StaffApplication, tenants: [Tenant], units: OrgUnitTree, withPassword: Bool, withDocument: Bool) -> [FormSection] {
        func options(_ values: [String], selected: String) -> [FieldView.Option] {
            values.map { FieldView.Option(value: $0, label: $0, selected: $0 == selected) }
        }
        func unitOptions(_ level: Int, selected: String) -> [FieldView.Option] {
            units.level(level).map { FieldView.Option(value: $0.code, label: $0.name, selected: $0.code == selected, parent: $0.parent) }
        }
        var sections = [
            FormSection(
                title: "สังกัดหน่วยงาน",
                fields: [
                    FieldView(
                        name: "tenant", label: OrgUnitTree.levelTitles[0], kind: .select,
                        options: tenants.map { .init(value: $0.slug, label: $0.thaiName, selected: $0.slug == a.tenant) }),
                    FieldView(name: "unit2", label: OrgUnitTree.levelTitles[1], kind: .select, options: unitOptions(2, selected: a.unit2)),
                    FieldView(name: "unit3", label: OrgUnitTree.levelTitles[2], kind: .select, options: unitOptions(3, selected: a.unit3), dependsOn: "unit2"),
                    FieldView(name: "unit4", label: OrgUnitTree.levelTitles[3], kind: .select, options: unitOptions(4, selected: a.unit4), dependsOn: "unit3"),
                    FieldView(
                        name: "position", label: "ตำแหน่ง", kind: .text, value: a.position, hint: "เช่น นักวิชาการคอมพิวเตอร์ปฏิบัติการ",
                        autocomplete: "organization-title", maxlength: 120),
                    FieldView(
                        name: "mobile", label: "โทรศัพท์มือถือ", kind: .tel, value: a.mobile, hint: "สำหรับติดต่อเรื่องบัญชีผู้ใช้งาน เช่น 081-234-5678", autocomplete: "tel",
                        inputmode: "tel", maxlength: 20),
                ]),
            FormSection(
                title: "ชื่อ-นามสกุล ภาษาไทย",
                fields: [
                    FieldView(name: "titleTH", label: "คำนำหน้าชื่อ", kind: .select, options: options(StaffApplication.titlesTH, selected: a.titleTH)),
                    FieldView(name: "firstNameTH", label: "ชื่อ", kind: .text, value: a.firstNameTH, autocomplete: "given-name", maxlength: 100),
                    FieldView(name: "lastNameTH", label: "นามสกุล", kind: .text, value: a.lastNameTH, autocomplete: "family-name", maxlength: 100),
                ]),
            FormSection(
                title: "ชื่อ-นามสกุล ภาษาอังกฤษ",
                fields: [
                    FieldView(name: "titleEN", label: "Title", kind: .select, options: options(StaffApplication.titlesEN, selected: a.titleEN)),
                    FieldView(name: "firstNameEN", label: "Name", kind: .text, value: a.firstNameEN, maxlength: 100),
                    FieldView(name: "lastNameEN", label: "Lastname", kind: .text, value: a.lastNameEN, maxlength: 100),
                ]),
            FormSection(
                title: "ข้อมูลบุคคล",
                fields: [
                    FieldView(
                        name: "nationalID", label: "เลขประจำตัวประชาชน", kind: .text, value: a.nationalID, hint: "13 หลัก ไม่ต้องใส่ขีด", autocomplete: "off",
                        inputmode: "numeric", maxlength: 17),
                    FieldView(name: "nationality", label: "สัญชาติ", kind: .select, options: options(StaffApplication.nationalities, selected: a.nationality)),
                    FieldView(
                        name: "birthDay", label: "วันเกิด: วันที่", kind: .select, autocomplete: "bday-day",
                        options: (1...31).map { .init(value: String($0), label: String($0), selected: a.birthDay == String($0)) }),
                    FieldView(
                        name: "birthMonth", label: "วันเกิด: เดือน", kind: .select, autocomplete: "bday-month",
                        options: ThaiDate.monthNames.enumerated().map {
                            .init(value: String($0.offset + 1), label: $0.element, selected: a.birthMonth == String($0.offset + 1))
                        }),
                    FieldView(
                        name: "birthYear", label: "วันเกิด: ปี พ.ศ.", kind: .text, value: a.birthYear, hint: birthYearHint(a, initialPassword: !withPassword),
                        inputmode: "numeric", maxlength: 4),
                    FieldView(
                        name: "email", label: "อีเมล", kind: .email, value: a.email, hint: "ระบบจะแจ้งผลการอนุมัติและลิงก์ตั้งรหัสผ่านใหม่ทางอีเมลนี้", autocomplete: "email",
                        inputmode: "email", maxlength: 254),
                ]),
        ]
        var account = [
            FieldView(
                name: "username", label: "ชื่อผู้ใช้งาน (Username)", kind: .text, value: a.username,
                hint: "ตัวอักษรภาษาอังกฤษพิมพ์เล็ก ตัวเลข จุด หรือขีด 4–32 ตัว เช่น somchai.j", autocomplete: "username", maxlength: 32)
        ]
        if withPassword {
            account.append(
                FieldView(
                    name: "password", label: "รหัสผ่าน", kind: .password, hint: PasswordPolicy.ruleThai, autocomplete: "new-password", maxlength: 128, meter: true
                ))
            account.append(FieldView(name: "confirm", label: "ยืนยันรหัสผ่าน", kind: .password, autocomplete: "new-password", maxlength: 128))
        }
        sections.append(FormSection(title: "บัญชีผู้ใช้งาน", fields: account))
        if withDocument {
            sections.append(
                FormSection(
                    title: "เอกสารประกอบการขอใช้งาน",
                    fields: [
                        FieldView(
                            name: "document", label: "สำเนาบัตรประจำตัวประชาชน หรือหนังสือรับรองการปฏิบัติงาน",
                            kind: .file, hint: "ไฟล์ PDF หรือรูปภาพ (JPEG, PNG, HEIC, WebP) ขนาดไม่เกิน 10 MB",
                            accept: "application/pdf,image/jpeg,image/png,image/heic,image/heif,image/webp"),
                        FieldView(
                            name: "consent",
                            label: "ข้าพเจ้าจะเก็บรักษาชื่อผู้ใช้งานและรหัสผ่านไว้เป็นความลับ ไม่เปิดเผยหรือมอบให้ผู้อื่น และจะปฏิบัติตามพระราชบัญญัติว่าด้วยการกระทำความผิดเกี่ยวกับคอมพิวเตอร์",
                            kind: .checkbox),
                    ]))
        }
        return sections
    }
}
