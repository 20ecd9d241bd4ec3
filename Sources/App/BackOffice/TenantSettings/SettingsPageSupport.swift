import Domain
import Vapor

extension Request {
    /// The signed-in admin as the author of a form version.
    var formEditor: FormEditor {
        get throws {
            let staff = try backOffice.staff
            return FormEditor(id: staff.id, username: staff.username)
        }
    }

    /// The `:service` of the path, when it names a service of this tenant (retired ones included).
    func settingsService(in tenant: Tenant) throws -> (menu: MenuKey, service: Service, retired: Bool) {
        guard let slug = parameters.get("service"), let found = tenant.anyService(slug) else { throw Abort(.notFound) }
        return found
    }

    /// Redirects after a successful change, with a one-time message for the next page.
    func settingsRedirect(to path: String, flash message: String) -> Response {
        flash(message)
        return redirect(to: path, redirectType: .normal)
    }
}

/// A page's form content without JSON: `application/x-www-form-urlencoded` name/value pairs in order, repeated
/// names kept (the form editor's checkboxes and numbered inputs).
struct FormPairs: Sendable {
    private(set) var pairs: [(name: String, value: String)] = []

    init(_ req: Request) {
        self.init(req.body.data.map { String(decoding: $0.readableBytesView, as: UTF8.self) } ?? "")
    }

    init(_ text: String) {
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            pairs.append((decode(kv[0]), kv.count > 1 ? decode(kv[1]) : ""))
        }
    }

    subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }

    func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }
}

extension FieldType {
    /// How the form editor names each kind of field for an admin.
    var editorTitle: String {
        switch self {
        case .text: "ข้อความสั้น"
        case .textarea: "ข้อความยาว (หลายบรรทัด)"
        case .number: "ตัวเลข"
        case .date: "วันที่"
        case .email: "อีเมล"
        case .tel: "หมายเลขโทรศัพท์"
        case .radio: "เลือกหนึ่งข้อ (ปุ่มตัวเลือก)"
        case .select: "เลือกหนึ่งข้อ (รายการให้เลือก)"
        case .checkboxes: "เลือกได้หลายข้อ"
        case .address: "ที่อยู่ (จังหวัด อำเภอ ตำบล)"
        case .location: "สถานที่ / ตำแหน่งบนแผนที่"
        }
    }

    /// The editor's order: the common kinds first.
    static let editorOrder: [FieldType] = [.text, .textarea, .number, .date, .email, .tel, .radio, .select, .checkboxes, .address, .location]
}

/// A problem from the Domain rules as the page shows it: the input's id (`fields.0.key` → `fields-0-key`).
extension TenantFieldProblem {
    var inputID: String { field.replacingOccurrences(of: ".", with: "-") }
}

/// One settings form on `backoffice/settings/edit`: display details, identity policy, a service entry.
struct SettingsEditPage: Encodable {
    var page: PageChrome
    var heading: String
    var lead: String
    var csrf: String
    var action: String
    var cancelURL: String
    var submitTitle: String
    var errors: [ErrorLink]
    var sections: [FormSection]
    var preview: String?
}
