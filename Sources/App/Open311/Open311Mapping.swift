import Domain
import Foundation
import Vapor

/// How a service form looks through GeoReport v2, and how an API request's parameters become the form's
/// input. The rules (also in `docs/open311-openapi.yaml`):
/// - The form's first `location` field is the request's own location: `lat`/`long` fill its coordinates and
///   `address_string` its description (with only coordinates, the description says "พิกัด lat, long";
///   with only `address_id`, "รหัสที่อยู่ …"). It is not listed as an attribute.
/// - The form's first `textarea` field is the request's `description`; it is not listed as an attribute either.
/// - Every other field is an attribute whose `code` is the field key. An `address` field is split into one
///   string attribute per part (`<key>_house`, `<key>_moo`, …, `<key>_province` as a GeoThai code).
/// - Option lists give each option as both `key` and `name` (the option's text), so a value stays what it
///   says even when a later form version reorders the options.
struct Open311Form: Sendable {
    let fields: [FormField]

    init(fields: [FormField]) { self.fields = fields }

    /// The request's own location.
    var location: FormField? { fields.first { $0.type == .location } }
    /// The request's description.
    var descriptionField: FormField? { fields.first { $0.type == .textarea } }

    struct Attribute: Sendable {
        var code: String
        var datatype: String
        var required: Bool
        var datatypeDescription: String
        var order: Int
        var description: String
        /// Options, for the two list types.
        var values: [String]?
        var fieldType: FieldType
    }

    /// Everything the client answers besides location and description, in the form's order.
    var attributes: [Attribute] {
        var out: [Attribute] = []
        for f in fields where f.key != location?.key && f.key != descriptionField?.key {
            let help = f.help.map { " – \($0)" } ?? ""
            if f.type == .address {
                for part in AddressSelection.Field.allCases {
                    let (label, note) = Self.addressPart(part)
                    let required = f.isRequired && [.house, .province, .district, .subdistrict].contains(part)
                    out.append(
                        Attribute(
                            code: "\(f.key)_\(part.rawValue)", datatype: "string", required: required,
                            datatypeDescription: note, order: out.count + 1, description: "\(f.label): \(label)",
                            values: nil, fieldType: .address))
                }
                continue
            }
            out.append(
                Attribute(
                    code: f.key, datatype: Self.datatype(f.type), required: f.isRequired,
                    datatypeDescription: Self.datatypeDescription(f) + help, order: out.count + 1, description: f.label,
                    values: f.type.hasOptions ? (f.options ?? []) : nil, fieldType: f.type))
        }
        return out
    }

    static func datatype(_ type: FieldType) -> String {
        switch type {
        case .text, .email, .tel, .location, .address: "string"
        case .textarea: "text"
        case .number: "number"
        case .date: "datetime"
        case .select, .radio: "singlevaluelist"
        case .checkboxes: "multivaluelist"
        }
    }

    static func datatypeDescription(_ f: FormField) -> String {
        switch f.type {
        case .text: "ข้อความบรรทัดเดียว ไม่เกิน \(f.maxLength ?? PetitionAnswers.textMaxLength) ตัวอักษร"
        case .textarea: "ข้อความหลายบรรทัด ไม่เกิน \(f.maxLength ?? PetitionAnswers.textareaMaxLength) ตัวอักษร"
        case .number: "ตัวเลขไม่ติดลบ เช่น 1500 หรือ 1500.50"
        case .date: "วันที่แบบ ISO 8601 (ปี ค.ศ.) เช่น 2026-12-01 หรือ 2026-12-01T09:00:00+07:00 (ใช้วันที่ตามเวลาประเทศไทย)"
        case .email: "อีเมล เช่น name@example.com"
        case .tel: "หมายเลขโทรศัพท์ 9 หรือ 10 หลัก ขึ้นต้นด้วย 0 เช่น 0812345678"
        case .select, .radio: "เลือกหนึ่งค่า: ส่ง key ของค่าใน values"
        case .checkboxes: "เลือกได้หลายค่า: ส่ง attribute[\(f.key)][]=key ซ้ำตามจำนวนค่าที่เลือก"
        case .location: "ข้อความบอกสถานที่ ไม่เกิน \(PetitionAnswers.locationMaxLength) ตัวอักษร"
        case .address: "ที่อยู่"
        }
    }

    static func addressPart(_ part: AddressSelection.Field) -> (label: String, note: String) {
        switch part {
        case .house: ("บ้านเลขที่", "ข้อความ เช่น 99/1")
        case .moo: ("หมู่ที่", "ตัวเลข 1 ถึง 99 หรือเว้นว่าง")
        case .village: ("หมู่บ้านหรืออาคาร", "ข้อความ")
        case .soi: ("ซอย", "ข้อความ")
        case .road: ("ถนน", "ข้อความ")
        case .province: ("จังหวัด", "รหัสจังหวัด 2 หลักตาม GeoThai เช่น 65")
        case .district: ("อำเภอ/เขต", "รหัสอำเภอ 4 หลักตาม GeoThai เช่น 6505")
        case .subdistrict: ("ตำบล/แขวง", "รหัสตำบล 6 หลักตาม GeoThai เช่น 650501")
        case .postcode: ("รหัสไปรษณีย์", "5 หลัก ไม่บังคับ (ระบบเติมตามตำบล)")
        }
    }

    // MARK: Input

    /// What a POST sent, as the input names `PetitionAnswers.validate` reads. Problems a form check would not
    /// see (an attribute the form does not have, a malformed name, several values for a one-value list)
    /// come back as error descriptions.
    func input(_ params: Open311Params) -> (input: [String: [String]], problems: [String]) {
        var input: [String: [String]] = [:]
        var problems: [String] = params.malformedAttributes.map { "\($0): ชื่อพารามิเตอร์ไม่ถูกต้อง ใช้ attribute[code] หรือ attribute[code][]" }
        let known = Dictionary(attributes.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        for (code, values) in params.attributes {
            guard let attribute = known[code] else {
                problems.append("attribute[\(code)]: แบบฟอร์มของบริการนี้ไม่มีช่องนี้ (ดูรายการช่องได้ที่ services/{service_code}.json)")
                continue
            }
            switch attribute.fieldType {
            case .select, .radio:
                if values.filter({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }).count > 1 {
                    problems.append("attribute[\(code)]: \(attribute.description) เลือกได้เพียงค่าเดียว")
                } else {
                    input[code] = values
                }
            case .date:
                input[code] = values.map { Open311Time.bangkokDay($0) ?? $0 }
            default:
                input[code] = values
            }
        }
        if let location {
            let lat = params["lat"], long = params["long"]
            var description = params["address_string"] ?? ""
            if description.isEmpty, let id = params["address_id"] { description = "รหัสที่อยู่ \(id)" }
            if description.isEmpty, let lat, let long { description = "พิกัด \(lat), \(long)" }
            input[location.key] = [description]
            input["\(location.key)_lat"] = [lat ?? ""]
            input["\(location.key)_lng"] = [long ?? ""]
        }
        if let descriptionField { input[descriptionField.key] = [params["description"] ?? ""] }
        return (input, problems)
    }

    /// The API's name for a form input a problem is about: `lat`, `long`, `address_string`, `description`
    /// or `attribute[code]`.
    func apiName(ofInput name: String) -> String {
        if let location {
            if name == location.key { return "lat, long หรือ address_string" }
            if name == "\(location.key)_lat" { return "lat" }
            if name == "\(location.key)_lng" { return "long" }
        }
        if name == descriptionField?.key { return "description" }
        // Date parts (`<key>_day`) are not used by the API, which sends one `<key>`.
        for f in fields where f.type == .date && [("\(f.key)_day"), "\(f.key)_month", "\(f.key)_year"].contains(name) {
            return "attribute[\(f.key)]"
        }
        return "attribute[\(name)]"
    }
}

/// A petition as the API shows it. Nothing personal is ever in it: no name, national ID, phone, e-mail or
/// the filer's address, whatever the form asked.
///
/// What a petition says is published only when it was itself sent through this API (`channel == .open311`),
/// by a client that files public reports, and only for services that are reports about public places
/// (services in the ร้องเรียนร้องทุกข์ออนไลน์ menu that need no verified identity). Even then only two answers
/// are used: the first `location` answer (its coordinates and description, as `lat`/`long`/`address`) and the
/// first multi-line text answer (as `description`), and the photo address the client filed with (`media_url`). A
/// petition a citizen filed on the website (or in LINE) shows the
/// number, service, status and dates only: a person writing to the municipality did not publish what they
/// wrote or where they live. Officers' notes are written to the filer and are never published;
/// `status_notes` is the Thai status alone.
enum Open311RequestView {
    static func publishesContent(channel: PetitionChannel, menu: MenuKey?, service: Service?) -> Bool {
        guard channel == .open311, let menu, let service else { return false }
        return menu == .complaints && !service.requiresVerifiedIdentity(in: menu)
    }

    /// The Thai status ("ไม่สามารถดำเนินการได้").
    static func statusNotes(_ status: PetitionStatus) -> String { status.thai }

    static func slaNotice(_ service: Service) -> String {
        "กำหนดแล้วเสร็จภายใน \(service.slaDays) วันทำการ นับจากวันที่ได้รับคำร้อง"
    }

    static func node(_ p: PetitionRecord, tenant: Tenant) -> Open311Node {
        let found = tenant.anyService(p.service)
        let publishes = publishesContent(channel: p.channel, menu: found?.menu ?? MenuKey(rawValue: p.menu), service: found?.service)
        var description: String?
        var place: (description: String, lat: Double?, lng: Double?)?
        if publishes, let answers = try? StoredJSON.decode(PetitionAnswers.self, from: p.answersJSON) {
            for a in answers.answers {
                if place == nil, a.type == .location, case let .location(d, lat, lng) = a.value { place = (d, lat, lng) }
                if description == nil, a.type == .textarea, case let .text(t) = a.value { description = t }
            }
        }
        return .object([
            ("service_request_id", .string(p.number)),
            ("status", .string(p.status.isOpen ? "open" : "closed")),
            ("status_notes", .string(statusNotes(p.status))),
            ("service_name", .string(p.serviceName)),
            ("service_code", .string(p.service)),
            ("description", .string(description)),
            ("agency_responsible", .string(tenant.thaiName)),
            ("service_notice", .string(found.map { slaNotice($0.service) })),
            ("requested_datetime", .string(Open311Time.format(p.createdAt))),
            ("updated_datetime", .string(Open311Time.format(p.updatedAt))),
            ("expected_datetime", .string(Open311Time.format(p.dueAt))),
            ("address", .string(place.flatMap { $0.description.isEmpty ? nil : $0.description })),
            ("address_id", .null),
            ("zipcode", .null),
            ("lat", .number(place?.lat)),
            ("long", .number(place?.lng)),
            ("media_url", .string(publishes ? Open311Requester.publicMedia(in: p.requesterJSON) : nil)),
        ])
    }
}

/// Contact details and other things an API client sent that are not form answers. Kept with the petition
/// (`petitions.requester`) for officers; never returned by the API.
struct Open311Requester: Codable, Sendable {
    var email: String?
    var firstName: String?
    var lastName: String?
    var phone: String?
    var deviceID: String?
    var accountID: String?
    var mediaURL: String?
    /// Filed since `media_url` is published with the request (older requests were promised it stayed private).
    var mediaPublished: Bool?
    var addressID: String?
    /// `description`, `lat`, `long` and `address_string` when the form has no field for them.
    var description: String?
    var lat: String?
    var long: String?
    var addressString: String?
    /// The key's label, so officers know which system filed it.
    var client: String

    /// "first last" as given; nil when neither was.
    var fullName: String? {
        let name = [firstName, lastName].compactMap { $0 }.joined(separator: " ")
        return name.isEmpty ? nil : name
    }

    /// The photo an API client filed with (`media_url`: an http(s) address it chose to give, where it published the
    /// photo), for the published view of a request; nil without one. Only requests whose content is published
    /// (`Open311RequestView.publishesContent`) show it; nothing filed on the website or in LINE has one.
    /// Requests filed before `mediaPublished` was kept were promised their `media_url` stayed private: they keep it so.
    static func publicMedia(in json: String?) -> String? {
        guard let r = json.flatMap({ try? StoredJSON.decode(Open311Requester.self, from: $0) }), r.mediaPublished == true,
            let url = r.mediaURL, isPublishable(url)
        else { return nil }
        return url
    }

    /// An http(s) address exactly as a URL parser writes it back (no character it would have to escape, so no quote or
    /// markup for a consumer to trip on), with a host, without a user or password and without backslashes.
    static func isPublishable(_ url: String) -> Bool {
        guard !url.contains("\\"), let u = URL(string: url), u.absoluteString == url,
            ["http", "https"].contains(u.scheme?.lowercased() ?? ""), u.host?.isEmpty == false, u.user == nil, u.password == nil
        else { return false }
        return true
    }

    /// The name in a petition's stored requester details (nil without details or a name).
    static func name(in json: String?) -> String? {
        json.flatMap { try? StoredJSON.decode(Open311Requester.self, from: $0) }?.fullName
    }

    enum CodingKeys: String, CodingKey {
        case email, phone, description, lat, long, client
        case firstName = "first_name"
        case lastName = "last_name"
        case deviceID = "device_id"
        case accountID = "account_id"
        case mediaURL = "media_url"
        case mediaPublished = "media_published"
        case addressID = "address_id"
        case addressString = "address_string"
    }

    static let maxLength = 200

    /// Reads the optional parameters, checking their length and shape; problems name the parameter.
    static func read(_ params: Open311Params, form: Open311Form, client: String) -> (Open311Requester, [String]) {
        var problems: [String] = []
        func text(_ name: String, max: Int = maxLength) -> String? {
            guard let v = params[name] else { return nil }
            if v.count > max { problems.append("\(name): ต้องไม่เกิน \(max) ตัวอักษร") }
            return String(v.prefix(max))
        }
        var r = Open311Requester(client: client)
        r.email = text("email")
        if let e = r.email, !(e.contains("@") && !e.contains(" ") && e.split(separator: "@").count == 2) {
            problems.append("email: รูปแบบอีเมลไม่ถูกต้อง")
        }
        r.firstName = text("first_name")
        r.lastName = text("last_name")
        r.phone = text("phone", max: 40)
        r.deviceID = text("device_id")
        r.accountID = text("account_id")
        r.addressID = text("address_id")
        if let url = text("media_url", max: 2000) {
            if Open311Requester.isPublishable(url) {
                r.mediaURL = url
                r.mediaPublished = true
            } else {
                problems.append("media_url: ต้องเป็น URL แบบ http หรือ https ที่เข้ารหัสอักขระถูกต้อง ไม่มีชื่อผู้ใช้หรือรหัสผ่าน")
            }
        }
        if form.descriptionField == nil { r.description = text("description", max: PetitionAnswers.textareaMaxLength) }
        if form.location == nil {
            r.lat = text("lat", max: 40)
            r.long = text("long", max: 40)
            r.addressString = text("address_string", max: PetitionAnswers.locationMaxLength)
        }
        return (r, problems)
    }
}
