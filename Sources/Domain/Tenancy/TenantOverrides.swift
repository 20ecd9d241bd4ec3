/// What a municipality's Organization admins changed in the back office, laid over its folder
/// (`Tenants/<slug>/tenant.yaml`). Anything not overridden comes from the folder.
public struct TenantOverrides: Sendable, Hashable {
    /// Names, contact details and colours; nil: the folder's.
    public var display: DisplayDetails?
    /// The identity image policy; nil: the folder's.
    public var identity: IdentityPolicy?
    /// Every service of the tenant in menu order, once an admin has changed the catalogue; empty: the folder's menus.
    public var catalogue: [CatalogueEntry]
    /// The current form of each service whose form was edited, by service slug.
    public var forms: [String: ServiceForm]
    /// The LINE channel as set in the back office; nil: the folder's.
    public var line: LineChannelSettings?

    public init(
        display: DisplayDetails? = nil, identity: IdentityPolicy? = nil, catalogue: [CatalogueEntry] = [],
        forms: [String: ServiceForm] = [:]
    ) {
        self.display = display
        self.identity = identity
        self.catalogue = catalogue
        self.forms = forms
    }

    public var isEmpty: Bool { display == nil && identity == nil && catalogue.isEmpty && forms.isEmpty && line == nil }
}

/// The parts of a tenant's settings shown on every page: names, contact details, colours.
public struct DisplayDetails: Codable, Sendable, Hashable {
    public var name: TenantConfig.Names
    public var contact: TenantConfig.Contact
    public var colors: TenantConfig.Colors

    public init(name: TenantConfig.Names, contact: TenantConfig.Contact, colors: TenantConfig.Colors) {
        self.name = name
        self.contact = contact
        self.colors = colors
    }

    public init(_ config: TenantConfig) {
        self.init(name: config.name, contact: config.contact, colors: config.colors)
    }
}

/// One service in a tenant's catalogue as the back office keeps it: where it is, what it is called,
/// and whether it has been retired (hidden from the public site, kept for the petitions filed with it).
public struct CatalogueEntry: Sendable, Hashable {
    public var slug: String
    public var menu: MenuKey
    public var position: Int
    public var name: String
    public var description: String
    public var slaDays: Int
    public var verifiedIdentity: Bool?
    public var retired: Bool
    /// The code of the division that handles it; nil: none.
    public var division: String?

    public init(
        slug: String, menu: MenuKey, position: Int, name: String, description: String, slaDays: Int,
        verifiedIdentity: Bool?, retired: Bool, division: String? = nil
    ) {
        self.slug = slug
        self.menu = menu
        self.position = position
        self.name = name
        self.description = description
        self.slaDays = slaDays
        self.verifiedIdentity = verifiedIdentity
        self.retired = retired
        self.division = division
    }

    public init(_ service: Service, menu: MenuKey, position: Int, retired: Bool = false) {
        self.init(
            slug: service.slug, menu: menu, position: position, name: service.name, description: service.description,
            slaDays: service.slaDays, verifiedIdentity: service.verifiedIdentity, retired: retired, division: service.division)
    }

    /// Whether citizens must have a verified identity before filing (the menu's default when not set).
    public var needsIdentity: Bool { verifiedIdentity ?? menu.requiresVerifiedIdentityByDefault }

    /// The same service as citizens see it (place in the menu and retirement aside).
    public func sameOffer(as other: CatalogueEntry) -> Bool {
        slug == other.slug && menu == other.menu && name == other.name && description == other.description
            && slaDays == other.slaDays && needsIdentity == other.needsIdentity
    }

    public func service(form: ServiceForm) -> Service {
        Service(
            slug: slug, name: name, description: description, verifiedIdentity: verifiedIdentity, slaDays: slaDays,
            fields: form.fields, attachments: form.attachments.isEmpty ? nil : form.attachments, division: division)
    }
}

/// What a service's form asks for: the fields and the attachments. Each saved change is a new version.
public struct ServiceForm: Codable, Sendable, Hashable {
    public var fields: [FormField]
    public var attachments: [AttachmentRule]

    public init(fields: [FormField], attachments: [AttachmentRule]) {
        self.fields = fields
        self.attachments = attachments
    }

    public init(_ service: Service) {
        self.init(fields: service.fields, attachments: service.attachments ?? [])
    }

    /// The same form written one way: defaults spelt out, empty optional values left out. Two forms that
    /// ask the same are equal once normalised (the folder may say `required: false`, the editor leaves it out).
    public var normalized: ServiceForm {
        ServiceForm(
            fields: fields.map {
                FormField(
                    key: $0.key, type: $0.type, label: $0.label, required: $0.isRequired ? true : nil,
                    help: ($0.help ?? "").isEmpty ? nil : $0.help, options: ($0.options ?? []).isEmpty ? nil : $0.options,
                    maxLength: $0.maxLength)
            },
            attachments: attachments.map {
                AttachmentRule(
                    key: $0.key, label: $0.label, required: $0.isRequired ? true : nil, types: $0.types,
                    maxMB: $0.effectiveMaxMB, maxCount: $0.effectiveMaxCount)
            })
    }

    /// The form a service added in the back office starts with, before its admin edits it.
    public static let starter = ServiceForm(
        fields: [
            FormField(
                key: "details", type: .textarea, label: "รายละเอียดคำร้อง", required: true,
                help: "อธิบายเรื่องที่ต้องการให้หน่วยงานดำเนินการ", options: nil, maxLength: 2000)
        ],
        attachments: [])
}

/// A tenant's services once the overrides are applied: those offered on the public site, and the retired ones.
public struct EffectiveCatalogue: Sendable, Hashable {
    public var active: Menus
    public var retired: Menus
}

extension TenantConfig {
    /// This folder configuration with `overrides` laid over it. Hosts, code, logo and terms stay the folder's.
    public func applying(_ overrides: TenantOverrides) -> (config: TenantConfig, retired: Menus) {
        var config = self
        if let display = overrides.display {
            config.name = display.name
            config.contact = display.contact
            config.colors = display.colors
        }
        if let identity = overrides.identity { config.identity = identity }
        // The back office sets the channel ID only: the variables' names stay the folder's (or the derived ones).
        if let line = overrides.line { config.line = self.line?.withChannelID(line.channelID) ?? LineChannelSettings(channelID: line.channelID) }
        let catalogue = Self.catalogue(folder: menus, entries: overrides.catalogue, forms: overrides.forms)
        config.menus = catalogue.active
        return (config, catalogue.retired)
    }

    /// The menus: the back office's entries in their order (each with its current form, else the folder's),
    /// then any folder service the back office has never seen (added to the folder later), at the end of its menu.
    public static func catalogue(folder: Menus, entries: [CatalogueEntry], forms: [String: ServiceForm]) -> EffectiveCatalogue {
        func withForm(_ service: Service) -> Service {
            guard let form = forms[service.slug] else { return service }
            var s = service
            s.fields = form.fields
            s.attachments = form.attachments.isEmpty ? nil : form.attachments
            return s
        }
        guard !entries.isEmpty else {
            return EffectiveCatalogue(
                active: Menus(
                    account: folder.account.map(withForm), online: folder.online.map(withForm),
                    complaints: folder.complaints.map(withForm)),
                retired: Menus())
        }
        var folderServices: [String: Service] = [:]
        for (_, service) in folder.all where folderServices[service.slug] == nil { folderServices[service.slug] = service }
        let known = Set(entries.map(\.slug))
        var active: [MenuKey: [Service]] = [:]
        var retired: [MenuKey: [Service]] = [:]
        for entry in entries.sorted(by: { ($0.position, $0.slug) < ($1.position, $1.slug) }) {
            let form = forms[entry.slug] ?? folderServices[entry.slug].map(ServiceForm.init) ?? ServiceForm(fields: [], attachments: [])
            let service = entry.service(form: form)
            if entry.retired { retired[entry.menu, default: []].append(service) } else { active[entry.menu, default: []].append(service) }
        }
        for (menu, service) in folder.all where !known.contains(service.slug) {
            active[menu, default: []].append(withForm(service))
        }
        func menus(_ m: [MenuKey: [Service]]) -> Menus {
            Menus(account: m[.account] ?? [], online: m[.online] ?? [], complaints: m[.complaints] ?? [])
        }
        return EffectiveCatalogue(active: menus(active), retired: menus(retired))
    }

    /// The catalogue as entries, in menu order: what the back office writes down the first time it changes it.
    public static func entries(active: Menus, retired: Menus = Menus()) -> [CatalogueEntry] {
        var out: [CatalogueEntry] = []
        for menu in MenuKey.allCases {
            for (i, service) in active[menu].enumerated() { out.append(CatalogueEntry(service, menu: menu, position: i)) }
            let start = active[menu].count
            for (i, service) in retired[menu].enumerated() {
                out.append(CatalogueEntry(service, menu: menu, position: start + i, retired: true))
            }
        }
        return out
    }
}
