import Domain
import Foundation

/// A service's form as the filing page draws it: every field type of the form builder, the attachment
/// inputs, the values sent back after a refused submit, and each Thai message beside its input.
/// Input names follow `PetitionAnswers.validate`; attachments are `file_<key>`.
enum PetitionForm {
    static func fileInput(_ rule: AttachmentRule) -> String { "file_\(rule.key)" }

    /// Sections in the form's order: plain fields gather in untitled sections; a date, a location and an
    /// address each get a titled group (`<fieldset>` with the field's label as legend). With `maps`, a location's
    /// group ends with a map whose pin sets its coordinates (opening on the tenant's `area`).
    static func sections(
        fields: [FormField], attachments: [AttachmentRule], input: [String: [String]],
        errors: FormErrors, geography: ThaiGeography, maps: (settings: MapSettings, area: TenantArea?)? = nil
    ) -> [FormSection] {
        var sections: [FormSection] = []
        var plain: [FieldView] = []
        func flush() {
            if !plain.isEmpty { sections.append(FormSection(title: nil, fields: plain)) }
            plain = []
        }
        func value(_ name: String) -> String { input[name]?.last ?? "" }

        for f in fields {
            let label = f.isRequired ? f.label : "\(f.label) (ไม่บังคับ)"
            switch f.type {
            case .text, .email, .tel, .number:
                var v = FieldView(
                    name: f.key, label: label, kind: kind(f.type), value: value(f.key), hint: f.help,
                    maxlength: f.maxLength ?? (f.type == .email ? PetitionAnswers.emailMaxLength : PetitionAnswers.textMaxLength))
                if f.type == .number { v.inputmode = "decimal" }
                if f.type == .tel { v.autocomplete = "tel"; v.inputmode = "tel" }
                if f.type == .email { v.autocomplete = "email" }
                plain.append(v)
            case .textarea:
                plain.append(
                    FieldView(
                        name: f.key, label: label, kind: .textarea, value: value(f.key), hint: f.help,
                        maxlength: f.maxLength ?? PetitionAnswers.textareaMaxLength))
            case .select, .radio, .checkboxes:
                let chosen = Set(input[f.key] ?? [])
                plain.append(
                    FieldView(
                        name: f.key, label: label, kind: f.type == .select ? .select : (f.type == .radio ? .radio : .checkboxes),
                        hint: f.help ?? (f.type == .checkboxes ? "เลือกได้มากกว่าหนึ่งข้อ" : nil),
                        options: (f.options ?? []).map { .init(value: $0, label: $0, selected: chosen.contains($0)) }))
            case .date:
                flush()
                let months = ThaiDate.monthNames.enumerated().map {
                    FieldView.Option(value: "\($0.offset + 1)", label: $0.element, selected: value("\(f.key)_month") == "\($0.offset + 1)")
                }
                sections.append(
                    FormSection(
                        title: label,
                        fields: [
                            FieldView(
                                name: "\(f.key)_day", label: "วันที่", kind: .text, value: value("\(f.key)_day"),
                                hint: f.help, inputmode: "numeric", maxlength: 2),
                            FieldView(name: "\(f.key)_month", label: "เดือน", kind: .select, value: value("\(f.key)_month"), options: months),
                            FieldView(
                                name: "\(f.key)_year", label: "ปี พ.ศ.", kind: .text, value: value("\(f.key)_year"),
                                hint: "เช่น \(ThaiDate.buddhistYear(of: Date()))", inputmode: "numeric", maxlength: 4),
                        ]))
            case .location:
                flush()
                sections.append(
                    FormSection(
                        title: label,
                        fields: [
                            FieldView(
                                name: f.key, label: "บอกตำแหน่งหรือจุดสังเกต", kind: .text, value: value(f.key),
                                hint: f.help ?? "เช่น หน้าบ้านเลขที่ 12 ซอย 3 ใกล้ร้านค้า", maxlength: PetitionAnswers.locationMaxLength),
                            FieldView(
                                name: "\(f.key)_lat", label: "ละติจูด (ถ้าทราบ)", kind: .text, value: value("\(f.key)_lat"),
                                hint: "เช่น 13.7563 ปักหมุดบนแผนที่หรือกดปุ่ม ใช้ตำแหน่งปัจจุบัน เพื่อกรอกให้อัตโนมัติ", inputmode: "decimal",
                                maxlength: 20),
                            FieldView(
                                name: "\(f.key)_lng", label: "ลองจิจูด (ถ้าทราบ)", kind: .text, value: value("\(f.key)_lng"),
                                hint: "เช่น 100.5018", inputmode: "decimal", maxlength: 20),
                        ],
                        map: maps.map {
                            MapView(
                                settings: $0.settings, area: $0.area, field: f.key,
                                label: "แผนที่สำหรับเลือก\(f.label): แตะบนแผนที่หรือลากหมุด ช่องละติจูดและลองจิจูดจะเปลี่ยนตาม")
                        }))
            case .address:
                flush()
                var a = AddressSelection()
                for part in AddressSelection.Field.allCases { a[part] = value(AddressFields.name(part, prefix: f.key)) }
                sections.append(FormSection(title: label, fields: AddressFields.fields(a, geography: geography, prefix: f.key)))
            }
        }
        flush()
        if !attachments.isEmpty {
            sections.append(
                FormSection(
                    title: "เอกสารแนบ",
                    fields: attachments.map { rule in
                        var v = FieldView(
                            name: fileInput(rule), label: rule.isRequired ? rule.label : "\(rule.label) (ไม่บังคับ)", kind: .file,
                            hint: attachmentHint(rule), accept: accept(rule.types))
                        v.multiple = rule.effectiveMaxCount > 1
                        return v
                    }))
        }
        return errors.apply(to: sections)
    }

    static func attachmentHint(_ rule: AttachmentRule) -> String {
        let types = rule.types.map(\.displayName).joined(separator: " ")
        let count = rule.effectiveMaxCount > 1 ? " เลือกได้ไม่เกิน \(rule.effectiveMaxCount) ไฟล์" : ""
        return "ไฟล์ \(types) ขนาดไม่เกิน \(rule.effectiveMaxMB) MB ต่อไฟล์\(count)"
    }

    /// The `accept` attribute: MIME types plus the file name endings phones and PCs use.
    static func accept(_ kinds: [FileKind]) -> String {
        kinds.flatMap { kind -> [String] in
            switch kind {
            case .pdf: ["application/pdf", ".pdf"]
            case .jpeg: ["image/jpeg", ".jpg", ".jpeg"]
            case .png: ["image/png", ".png"]
            case .heic: ["image/heic", "image/heif", ".heic", ".heif"]
            case .webp: ["image/webp", ".webp"]
            }
        }.joined(separator: ",")
    }

    private static func kind(_ type: FieldType) -> FieldView.Kind {
        switch type {
        case .email: .email
        case .tel: .tel
        default: .text
        }
    }
}
