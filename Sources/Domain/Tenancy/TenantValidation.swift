/// One problem in a tenant file, named by the path of the field (e.g. `menus.online[0].fields[2].type`).
public struct TenantFieldProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// The rules a tenant file must satisfy beyond its shape. Returns every problem found, in file order.
public enum TenantRules {
    public static func problems(in config: TenantConfig, slug: String) -> [TenantFieldProblem] {
        var out: [TenantFieldProblem] = []
        func add(_ field: String, _ message: String) { out.append(.init(field: field, message: message)) }

        if !isSlug(slug) { add("(folder name)", "slug '\(slug)' must be lowercase letters, digits and '-'") }
        if config.name.th.trimmed.isEmpty { add("name.th", "must not be empty") }
        if config.name.en.trimmed.isEmpty { add("name.en", "must not be empty") }
        if !(2...5).contains(config.code.count) || !config.code.allSatisfy({ $0.isASCII && $0.isUppercase }) {
            add("code", "must be 2–5 uppercase ASCII letters, got '\(config.code)'")
        }
        if config.hosts.isEmpty { add("hosts", "must list at least one host name") }
        for (i, host) in config.hosts.enumerated() where !isHostName(host) {
            add("hosts[\(i)]", "'\(host)' is not a lowercase host name without port")
        }
        if config.contact.address.trimmed.isEmpty { add("contact.address", "must not be empty") }
        if config.contact.phone.trimmed.isEmpty { add("contact.phone", "must not be empty") }
        for (name, value) in [("colors.primary", config.colors.primary), ("colors.accent", config.colors.accent)] {
            if RGBColor(hex: value) == nil { add(name, "must be a colour like \"#0b5d3b\", got '\(value)'") }
        }
        if let primary = RGBColor(hex: config.colors.primary), primary.contrastRatio(with: .white) < 4.5 {
            add("colors.primary", "white text on it has contrast \(primary.contrastRatio(with: .white).rounded2), below 4.5 (WCAG AA)")
        }
        let images = config.identity.images
        if !(1...5).contains(images.count) { add("identity.images", "must list 1–5 images, got \(images.count)") }
        for (i, image) in images.enumerated() where image.label.trimmed.isEmpty {
            add("identity.images[\(i)].label", "must not be empty")
        }
        if let mb = config.identity.maxFileMB, !(1...50).contains(mb) { add("identity.max_file_mb", "must be 1–50") }
        if let line = config.line {
            for p in line.problems(slug: slug) {
                add("line.\(p.field)", p.field == "channel_id" ? "must be 6–20 digits" : p.message)
            }
        }

        if config.menus.isEmpty { add("menus", "no services: list some, or name a catalogue") }
        out += serviceProblems(in: config.menus)
        var codes = Set<String>()
        for (i, d) in config.divisions.enumerated() {
            if !DivisionConfig.isCode(d.code) { add("divisions[\(i)].code", "'\(d.code)' must be 2–10 uppercase letters or digits") }
            if !codes.insert(d.code).inserted { add("divisions[\(i)].code", "'\(d.code)' is used twice") }
            if d.name.trimmed.isEmpty || d.name.count > 200 { add("divisions[\(i)].name", "must be 1–200 characters") }
        }
        for menu in MenuKey.allCases {
            for (i, service) in config.menus[menu].enumerated() {
                guard let division = service.division, !codes.contains(division) else { continue }
                add(
                    "menus.\(menu.rawValue)[\(i)].division",
                    "service '\(service.slug)' names division '\(division)', which this tenant's divisions do not list")
            }
        }
        return out
    }

    /// Rules for the services of a set of menus (a tenant's, or a shared catalogue's).
    public static func serviceProblems(in menus: Menus) -> [TenantFieldProblem] {
        var out: [TenantFieldProblem] = []
        func add(_ field: String, _ message: String) { out.append(.init(field: field, message: message)) }
        var slugs = Set<String>()
        for menu in MenuKey.allCases {
            for (i, service) in menus[menu].enumerated() {
                let at = "menus.\(menu.rawValue)[\(i)]"
                if !isSlug(service.slug) { add("\(at).slug", "'\(service.slug)' must be lowercase letters, digits and '-'") }
                if !slugs.insert(service.slug).inserted { add("\(at).slug", "'\(service.slug)' is used twice") }
                if service.name.trimmed.isEmpty { add("\(at).name", "must not be empty") }
                if service.description.trimmed.isEmpty { add("\(at).description", "must not be empty") }
                if !(1...365).contains(service.slaDays) { add("\(at).sla_days", "must be 1–365") }
                if service.fields.isEmpty { add("\(at).fields", "must list at least one field") }
                var keys = Set<String>()
                for (j, field) in service.fields.enumerated() {
                    let fat = "\(at).fields[\(j)]"
                    if !isKey(field.key) { add("\(fat).key", "'\(field.key)' must be lowercase letters, digits and '_'") }
                    if !keys.insert(field.key).inserted { add("\(fat).key", "'\(field.key)' is used twice") }
                    if field.label.trimmed.isEmpty { add("\(fat).label", "must not be empty") }
                    let options = field.options ?? []
                    if field.type.hasOptions, options.count < 2 {
                        add("\(fat).options", "a \(field.type.rawValue) field needs at least 2 options")
                    }
                    if !field.type.hasOptions, field.options != nil {
                        add("\(fat).options", "only select, radio and checkboxes fields take options")
                    }
                    if Set(options).count != options.count { add("\(fat).options", "options repeat") }
                    if let max = field.maxLength, !(1...10_000).contains(max) || ![.text, .textarea].contains(field.type) {
                        add("\(fat).max_length", "only text and textarea take max_length (1–10000)")
                    }
                }
                for (j, rule) in (service.attachments ?? []).enumerated() {
                    let aat = "\(at).attachments[\(j)]"
                    if !isKey(rule.key) { add("\(aat).key", "'\(rule.key)' must be lowercase letters, digits and '_'") }
                    if !keys.insert(rule.key).inserted { add("\(aat).key", "'\(rule.key)' is used twice") }
                    if rule.label.trimmed.isEmpty { add("\(aat).label", "must not be empty") }
                    if rule.types.isEmpty { add("\(aat).types", "must list at least one file type") }
                    if let mb = rule.maxMB, !(1...50).contains(mb) { add("\(aat).max_mb", "must be 1–50") }
                    if let n = rule.maxCount, !(1...20).contains(n) { add("\(aat).max_count", "must be 1–20") }
                }
            }
        }
        return out
    }

    public static func isSlug(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 63 && s.first != "-" && s.last != "-"
            && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    static func isKey(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    static func isHostName(_ s: String) -> Bool {
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        return !s.isEmpty && s.count <= 253
            && labels.allSatisfy { label in
                !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                    && label.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
            }
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

extension Double {
    var rounded2: String {
        let v = (self * 100).rounded() / 100
        return "\(v)"
    }
}
