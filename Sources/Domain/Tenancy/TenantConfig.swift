/// A municipality's settings as written in `Tenants/<slug>/tenant.yaml`.
/// Keys in the file are snake_case; see `README.md` ("Adding a tenant").
public struct TenantConfig: Codable, Sendable, Hashable {
    public struct Names: Codable, Sendable, Hashable {
        public var th: String
        public var en: String

        public init(th: String, en: String) {
            self.th = th
            self.en = en
        }
    }

    public struct Contact: Codable, Sendable, Hashable {
        public var address: String
        public var phone: String
        public var email: String?
        public var website: String?
        public var hours: String?

        public init(address: String, phone: String, email: String?, website: String?, hours: String?) {
            self.address = address
            self.phone = phone
            self.email = email
            self.website = website
            self.hours = hours
        }
    }

    public struct Colors: Codable, Sendable, Hashable {
        public var primary: String
        public var accent: String

        public init(primary: String, accent: String) {
            self.primary = primary
            self.accent = accent
        }
    }

    public var name: Names
    public var code: String
    public var hosts: [String]
    public var contact: Contact
    public var colors: Colors
    public var logo: String
    public var terms: String
    public var identity: IdentityPolicy
    /// A shared catalogue in `Tenants/_catalogues/<name>.yaml` whose services this tenant offers.
    public var catalogue: String?
    /// The tenant's own services: added to the catalogue's, or replacing one with the same slug.
    public var menus: Menus
    /// The tenant's LINE Official Account; nil: none.
    public var line: LineChannelSettings?
    /// The divisions (กอง / สำนัก) a tenant starts with; services name them by code. Written to the database
    /// once, for a tenant that has none yet: from then on the back office keeps them.
    public var divisions: [DivisionConfig]
    /// Where the municipality serves: a complaint's pin must fall inside. nil: anywhere in Thailand.
    public var area: TenantArea?

    enum CodingKeys: String, CodingKey { case name, code, hosts, contact, colors, logo, terms, identity, catalogue, menus, line, divisions, area }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(Names.self, forKey: .name)
        code = try c.decode(String.self, forKey: .code)
        hosts = try c.decode([String].self, forKey: .hosts)
        contact = try c.decode(Contact.self, forKey: .contact)
        colors = try c.decode(Colors.self, forKey: .colors)
        logo = try c.decode(String.self, forKey: .logo)
        terms = try c.decode(String.self, forKey: .terms)
        identity = try c.decode(IdentityPolicy.self, forKey: .identity)
        catalogue = try c.decodeIfPresent(String.self, forKey: .catalogue)
        menus = try c.decodeIfPresent(Menus.self, forKey: .menus) ?? Menus()
        line = try c.decodeIfPresent(LineChannelSettings.self, forKey: .line)
        divisions = try c.decodeIfPresent([DivisionConfig].self, forKey: .divisions) ?? []
        area = try c.decodeIfPresent(TenantArea.self, forKey: .area)
    }

    /// The area location answers must fall in, named for refusals.
    public var serviceArea: ServiceArea? { area.map { ServiceArea(area: $0, ownerName: name.th) } }

    public init(
        name: Names, code: String, hosts: [String], contact: Contact, colors: Colors, logo: String, terms: String,
        identity: IdentityPolicy, catalogue: String?, menus: Menus, line: LineChannelSettings? = nil
    ) {
        self.name = name
        self.code = code
        self.hosts = hosts
        self.contact = contact
        self.colors = colors
        self.logo = logo
        self.terms = terms
        self.identity = identity
        self.catalogue = catalogue
        self.menus = menus
        self.line = line
        self.divisions = []
        self.area = nil
    }
}

/// A division as a tenant folder names it: `{code: ENG, name: กองช่าง}`.
public struct DivisionConfig: Codable, Sendable, Hashable {
    public var code: String
    public var name: String

    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }

    /// `[A-Z0-9]{2,10}`.
    public static func isCode(_ s: String) -> Bool {
        (2...10).contains(s.count) && s.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}

public struct IdentityPolicy: Codable, Sendable, Hashable {
    public struct Image: Codable, Sendable, Hashable {
        public var label: String

        public init(label: String) { self.label = label }
    }

    public static let defaultWatermark = "ใช้สำหรับยืนยันตัวตนกับ {ชื่อหน่วยงาน} เท่านั้น"
    public static let defaultMaxFileMB = 10

    public var watermark: String?
    public var maxFileMB: Int?
    public var images: [Image]

    enum CodingKeys: String, CodingKey {
        case watermark, images
        case maxFileMB = "max_file_mb"
    }

    public init(watermark: String?, maxFileMB: Int?, images: [Image]) {
        self.watermark = watermark
        self.maxFileMB = maxFileMB
        self.images = images
    }

    /// The watermark with the agency's Thai name filled in.
    public func watermarkText(agencyName: String) -> String {
        (watermark ?? Self.defaultWatermark).replacingOccurrences(of: "{ชื่อหน่วยงาน}", with: agencyName)
    }
}

/// The three menus of the seed's e-Service: บัญชี ▾ บริการออนไลน์ ▾ ร้องเรียนร้องทุกข์ออนไลน์ ▾
public enum MenuKey: String, Codable, Sendable, CaseIterable {
    case account, online, complaints

    public var thaiTitle: String {
        switch self {
        case .account: "บัญชี"
        case .online: "บริการออนไลน์"
        case .complaints: "ร้องเรียนร้องทุกข์ออนไลน์"
        }
    }

    /// Permits and accounts need a verified identity unless the tenant says otherwise; complaints do not.
    public var requiresVerifiedIdentityByDefault: Bool { self != .complaints }
}

public struct Menus: Codable, Sendable, Hashable {
    public var account: [Service]
    public var online: [Service]
    public var complaints: [Service]

    public init(account: [Service] = [], online: [Service] = [], complaints: [Service] = []) {
        self.account = account
        self.online = online
        self.complaints = complaints
    }

    /// A menu left out of the file is empty (a tenant may take all its services from a catalogue).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        account = try c.decodeIfPresent([Service].self, forKey: .account) ?? []
        online = try c.decodeIfPresent([Service].self, forKey: .online) ?? []
        complaints = try c.decodeIfPresent([Service].self, forKey: .complaints) ?? []
    }

    enum CodingKeys: String, CodingKey { case account, online, complaints }

    /// These menus with `own` laid over them: a service with the same slug is replaced, others are added.
    public func overlaid(with own: Menus) -> Menus {
        func merge(_ base: [Service], _ extra: [Service]) -> [Service] {
            var out = base
            for service in extra {
                if let i = out.firstIndex(where: { $0.slug == service.slug }) { out[i] = service } else { out.append(service) }
            }
            return out
        }
        return Menus(account: merge(account, own.account), online: merge(online, own.online), complaints: merge(complaints, own.complaints))
    }

    public subscript(key: MenuKey) -> [Service] {
        switch key {
        case .account: account
        case .online: online
        case .complaints: complaints
        }
    }

    public var isEmpty: Bool { account.isEmpty && online.isEmpty && complaints.isEmpty }

    public var all: [(menu: MenuKey, service: Service)] {
        MenuKey.allCases.flatMap { key in self[key].map { (key, $0) } }
    }
}

public struct Service: Codable, Sendable, Hashable {
    public var slug: String
    public var name: String
    public var description: String
    public var verifiedIdentity: Bool?
    public var slaDays: Int
    public var fields: [FormField]
    public var attachments: [AttachmentRule]?
    /// The code of the division (กอง / สำนัก) that handles it; petitions are routed there.
    public var division: String?

    enum CodingKeys: String, CodingKey {
        case slug, name, description, fields, attachments, division
        case verifiedIdentity = "verified_identity"
        case slaDays = "sla_days"
    }

    public init(
        slug: String, name: String, description: String, verifiedIdentity: Bool?, slaDays: Int, fields: [FormField],
        attachments: [AttachmentRule]?, division: String? = nil
    ) {
        self.division = division
        self.slug = slug
        self.name = name
        self.description = description
        self.verifiedIdentity = verifiedIdentity
        self.slaDays = slaDays
        self.fields = fields
        self.attachments = attachments
    }

    public func requiresVerifiedIdentity(in menu: MenuKey) -> Bool {
        verifiedIdentity ?? menu.requiresVerifiedIdentityByDefault
    }
}

public enum FieldType: String, Codable, Sendable, CaseIterable {
    case text, textarea, number, date, email, tel, select, radio, checkboxes, location, address

    public var hasOptions: Bool { [.select, .radio, .checkboxes].contains(self) }

    /// How the service page describes the answer a field asks for.
    public var thaiDescription: String {
        switch self {
        case .text: "ข้อความ"
        case .textarea: "ข้อความหลายบรรทัด"
        case .number: "ตัวเลข"
        case .date: "วันที่ (พ.ศ.)"
        case .email: "อีเมล"
        case .tel: "หมายเลขโทรศัพท์"
        case .select: "เลือกจากรายการ"
        case .radio: "เลือกหนึ่งข้อ"
        case .checkboxes: "เลือกได้หลายข้อ"
        case .location: "สถานที่ / ตำแหน่ง"
        case .address: "ที่อยู่ (เลือกจังหวัด อำเภอ ตำบล และรหัสไปรษณีย์จากรายการ)"
        }
    }
}

public struct FormField: Codable, Sendable, Hashable {
    public var key: String
    public var type: FieldType
    public var label: String
    public var required: Bool?
    public var help: String?
    public var options: [String]?
    public var maxLength: Int?

    enum CodingKeys: String, CodingKey {
        case key, type, label, required, help, options
        case maxLength = "max_length"
    }

    public init(key: String, type: FieldType, label: String, required: Bool?, help: String?, options: [String]?, maxLength: Int?) {
        self.key = key
        self.type = type
        self.label = label
        self.required = required
        self.help = help
        self.options = options
        self.maxLength = maxLength
    }

    public var isRequired: Bool { required ?? false }
}

public enum FileKind: String, Codable, Sendable, CaseIterable {
    case pdf, jpeg, png, heic, webp

    /// MIME types libmagic reports for this kind.
    public var mimeTypes: [String] {
        switch self {
        case .pdf: ["application/pdf"]
        case .jpeg: ["image/jpeg"]
        case .png: ["image/png"]
        case .heic: ["image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"]
        case .webp: ["image/webp"]
        }
    }

    /// The ending a stored file of this kind gets ("jpg" for JPEG).
    public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }

    public var displayName: String {
        switch self {
        case .pdf: "PDF"
        case .jpeg: "JPEG"
        case .png: "PNG"
        case .heic: "HEIC"
        case .webp: "WebP"
        }
    }

    public static func from(mimeType: String) -> FileKind? {
        allCases.first { $0.mimeTypes.contains(mimeType) }
    }
}

public struct AttachmentRule: Codable, Sendable, Hashable {
    public static let defaultMaxMB = 10

    public var key: String
    public var label: String
    public var required: Bool?
    public var types: [FileKind]
    public var maxMB: Int?
    public var maxCount: Int?

    enum CodingKeys: String, CodingKey {
        case key, label, required, types
        case maxMB = "max_mb"
        case maxCount = "max_count"
    }

    public init(key: String, label: String, required: Bool?, types: [FileKind], maxMB: Int?, maxCount: Int?) {
        self.key = key
        self.label = label
        self.required = required
        self.types = types
        self.maxMB = maxMB
        self.maxCount = maxCount
    }

    public var isRequired: Bool { required ?? false }
    public var effectiveMaxMB: Int { maxMB ?? Self.defaultMaxMB }
    public var effectiveMaxCount: Int { maxCount ?? 1 }
}
