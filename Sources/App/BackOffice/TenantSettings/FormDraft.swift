import Domain

/// A service form being edited, exactly as typed: the whole draft travels in each post of the editor page
/// (moving, adding and removing fields work without JavaScript and without keeping anything on the server);
/// only "save" turns it into a new version.
struct FormDraft: Sendable, Equatable {
    struct Field: Sendable, Equatable {
        var key = ""
        var type = FieldType.text.rawValue
        var label = ""
        var help = ""
        var required = false
        var options = ""
        var maxLength = ""
    }

    struct Attachment: Sendable, Equatable {
        var key = ""
        var label = ""
        var types: [String] = []
        var required = false
        var maxMB = String(AttachmentRule.defaultMaxMB)
        var maxCount = "1"
    }

    /// What a button of the editor asks for.
    enum Action: Equatable {
        case save, refresh, addField, addAttachment
        case moveField(Int, up: Bool), removeField(Int)
        case moveAttachment(Int, up: Bool), removeAttachment(Int)

        init(_ raw: String?) {
            let parts = (raw ?? "").split(separator: ":").map(String.init)
            // A row index from the page: only an index a draft can have, so `i ± 1` below cannot overflow.
            let index = parts.count == 2 ? BoundedNumber.int(parts[1], in: 0...(FormDraft.maxRows - 1)) : nil
            switch (parts.first ?? "", index) {
            case ("save", _): self = .save
            case ("add-field", _): self = .addField
            case ("add-attachment", _): self = .addAttachment
            case ("field-up", let i?): self = .moveField(i, up: true)
            case ("field-down", let i?): self = .moveField(i, up: false)
            case ("field-remove", let i?): self = .removeField(i)
            case ("attachment-up", let i?): self = .moveAttachment(i, up: true)
            case ("attachment-down", let i?): self = .moveAttachment(i, up: false)
            case ("attachment-remove", let i?): self = .removeAttachment(i)
            default: self = .refresh
            }
        }
    }

    /// More than any sane form; stops a crafted post from making a huge page.
    static let maxRows = 100

    var fields: [Field] = []
    var attachments: [Attachment] = []
    /// The version the admin started from; a save refuses if someone saved another since.
    var baseVersion: Int?

    init(_ form: ServiceForm, version: Int) {
        fields = form.fields.map {
            Field(
                key: $0.key, type: $0.type.rawValue, label: $0.label, help: $0.help ?? "", required: $0.isRequired,
                options: ($0.options ?? []).joined(separator: "\n"), maxLength: $0.maxLength.map(String.init) ?? "")
        }
        attachments = form.attachments.map {
            Attachment(
                key: $0.key, label: $0.label, types: $0.types.map(\.rawValue), required: $0.isRequired,
                maxMB: String($0.effectiveMaxMB), maxCount: String($0.effectiveMaxCount))
        }
        baseVersion = version
    }

    /// Reads `fields.N.*` and `attachments.N.*` in the order of N.
    init(_ pairs: FormPairs) {
        func rows(_ prefix: String) -> [Int] {
            Set(
                pairs.pairs.compactMap { pair -> Int? in
                    let parts = pair.name.split(separator: ".")
                    guard parts.count == 3, parts[0] == prefix, let i = BoundedNumber.int(String(parts[1]), in: 0...(Self.maxRows - 1)) else { return nil }
                    return i
                }
            ).sorted()
        }
        fields = rows("fields").map { i in
            let p = "fields.\(i)."
            return Field(
                key: pairs[p + "key"] ?? "", type: pairs[p + "type"] ?? "", label: pairs[p + "label"] ?? "",
                help: pairs[p + "help"] ?? "", required: pairs[p + "required"] == "1", options: pairs[p + "options"] ?? "",
                maxLength: pairs[p + "max_length"] ?? "")
        }
        attachments = rows("attachments").map { i in
            let p = "attachments.\(i)."
            return Attachment(
                key: pairs[p + "key"] ?? "", label: pairs[p + "label"] ?? "", types: pairs.all(p + "types"),
                required: pairs[p + "required"] == "1", maxMB: pairs[p + "max_mb"] ?? "", maxCount: pairs[p + "max_count"] ?? "")
        }
        baseVersion = BoundedNumber.int(pairs["base_version"], in: 1...Int(Int32.max))
    }

    /// Applies a button other than save. Returns false when it asked for nothing this draft can do.
    @discardableResult
    mutating func apply(_ action: Action) -> Bool {
        switch action {
        case .save, .refresh: return true
        case .addField: fields.append(Field()); return true
        case .addAttachment: attachments.append(Attachment(types: [FileKind.pdf.rawValue, FileKind.jpeg.rawValue, FileKind.png.rawValue])); return true
        case .moveField(let i, let up): return Self.move(&fields, i, up: up)
        case .removeField(let i):
            guard fields.indices.contains(i) else { return false }
            fields.remove(at: i)
            return true
        case .moveAttachment(let i, let up): return Self.move(&attachments, i, up: up)
        case .removeAttachment(let i):
            guard attachments.indices.contains(i) else { return false }
            attachments.remove(at: i)
            return true
        }
    }

    private static func move<T>(_ list: inout [T], _ i: Int, up: Bool) -> Bool {
        let j = up ? i - 1 : i + 1
        guard list.indices.contains(i), list.indices.contains(j) else { return false }
        list.swapAt(i, j)
        return true
    }

    /// The form this draft describes, and every problem with it (what could not be read, then the rules).
    func form() -> (form: ServiceForm, problems: [TenantFieldProblem]) {
        var unreadable: [TenantFieldProblem] = []
        let fields = self.fields.enumerated().map { i, f -> FormField in
            let type = FieldType(rawValue: f.type)
            if type == nil { unreadable.append(.init(field: "fields.\(i).type", message: "ช่องที่ \(i + 1): กรุณาเลือกชนิดช่องข้อมูล")) }
            let maxLength = f.maxLength.trimmed.isEmpty ? nil : BoundedNumber.int(f.maxLength, in: 0...1_000_000)
            if !f.maxLength.trimmed.isEmpty, maxLength == nil {
                unreadable.append(.init(field: "fields.\(i).max_length", message: "ช่องที่ \(i + 1): ความยาวสูงสุดต้องเป็นตัวเลข"))
            }
            let resolved = type ?? .text
            let options = f.options.split(whereSeparator: \.isNewline).map { String($0).trimmed }.filter { !$0.isEmpty }
            return FormField(
                key: f.key.trimmed.lowercased(), type: resolved, label: f.label.trimmed,
                required: f.required ? true : nil, help: f.help.trimmed.isEmpty ? nil : f.help.trimmed,
                options: resolved.hasOptions ? options : nil,  // left over from another type: dropped
                maxLength: [.text, .textarea].contains(resolved) ? maxLength : nil)
        }
        let attachments = self.attachments.enumerated().map { j, a -> AttachmentRule in
            let kinds = FileKind.allCases.filter { a.types.contains($0.rawValue) }
            return AttachmentRule(
                key: a.key.trimmed.lowercased(), label: a.label.trimmed, required: a.required ? true : nil,
                types: kinds, maxMB: BoundedNumber.int(a.maxMB, in: 0...1_000) ?? 0, maxCount: BoundedNumber.int(a.maxCount, in: 0...1_000) ?? 0)
        }
        let form = ServiceForm(fields: fields, attachments: attachments)
        var seen = Set(unreadable.map(\.field))
        var problems = unreadable
        for p in TenantRules.formProblems(form) where seen.insert(p.field).inserted { problems.append(p) }
        return (form, problems.sorted { Self.order($0.field).lexicographicallyPrecedes(Self.order($1.field)) })
    }

    /// Problems in page order: fields, then attachments, each row's inputs top to bottom.
    private static func order(_ field: String) -> [Int] {
        let parts = field.split(separator: ".")
        let group = parts.first == "fields" ? 1 : parts.first == "attachments" ? 3 : field == "add-field" ? 2 : 4
        let row = parts.count > 1 ? BoundedNumber.int(String(parts[1]), in: 0...Self.maxRows) ?? 0 : 0
        let inputs = ["key", "label", "type", "required", "help", "options", "max_length", "types", "max_mb", "max_count"]
        let input = parts.count > 2 ? inputs.firstIndex(of: String(parts[2])) ?? 0 : 0
        return [group, row, input]
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
