import Foundation

/// One input as a page shows it: label, hint, current value and the Thai error beside it.
/// Pages list these in `FormSection`s and `Views/partials/fields.leaf` draws them, so every form
/// gets the same labels, error summary links, `aria-describedby` and autocomplete hints.
struct FieldView: Encodable, Sendable {
    struct Option: Encodable, Sendable {
        var value: String
        var label: String
        var selected: Bool
        /// For dependent lists: the option belongs to this value of the previous list.
        var parent: String?
    }

    enum Kind: String, Encodable, Sendable {
        case text, email, tel, password, number, date, textarea, select, file, checkbox, checkboxes, radio
        /// A submit button inside the field list (`name`=`value`), e.g. the address block's "show the lists".
        case submit
    }

    var name: String
    var label: String
    var kind: Kind
    var value: String = ""
    var hint: String?
    var error: String?
    var autocomplete: String?
    var inputmode: String?
    var maxlength: Int?
    var options: [Option] = []
    var accept: String?
    /// Id of the list this one depends on (organisation unit levels).
    var dependsOn: String?
    var checked = false
    var meter = false
    /// A file input that takes several files.
    var multiple = false
    /// Marks the inputs of an address block for `Public/js/address-picker.js` (`data-address-role`).
    var addressRole: String?

    var id: String { name }

    func with(error: String?) -> FieldView {
        var f = self
        f.error = error
        return f
    }

    enum CodingKeys: String, CodingKey {
        case name, label, kind, value, hint, error, autocomplete, inputmode, maxlength, options, accept, dependsOn, checked, meter, multiple, addressRole
        case describedBy, isText
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(label, forKey: .label)
        try c.encode(kind, forKey: .kind)
        try c.encode(value, forKey: .value)
        try c.encodeIfPresent(hint, forKey: .hint)
        try c.encodeIfPresent(error, forKey: .error)
        try c.encodeIfPresent(autocomplete, forKey: .autocomplete)
        try c.encodeIfPresent(inputmode, forKey: .inputmode)
        try c.encodeIfPresent(maxlength, forKey: .maxlength)
        try c.encode(options, forKey: .options)
        try c.encodeIfPresent(accept, forKey: .accept)
        try c.encodeIfPresent(dependsOn, forKey: .dependsOn)
        try c.encode(checked, forKey: .checked)
        try c.encode(meter, forKey: .meter)
        try c.encode(multiple, forKey: .multiple)
        try c.encodeIfPresent(addressRole, forKey: .addressRole)
        let described = [hint == nil ? nil : "\(name)-hint", error == nil ? nil : "\(name)-error"].compactMap { $0 }
        try c.encode(described.joined(separator: " "), forKey: .describedBy)
        try c.encode([.text, .email, .tel, .password, .number, .date].contains(kind), forKey: .isText)
    }
}

struct FormSection: Encodable, Sendable {
    var title: String?
    var fields: [FieldView]
    /// A location field's map, drawn after its inputs.
    var map: MapView? = nil
}

/// The error summary at the top of a form: each message links to its field.
struct ErrorLink: Encodable, Sendable {
    var field: String
    var message: String
}

/// Thai messages keyed by field name, collected while validating a form.
struct FormErrors: Sendable {
    private(set) var items: [ErrorLink] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func add(_ field: String, _ message: String) {
        guard self[field] == nil else { return }
        items.append(ErrorLink(field: field, message: message))
    }

    subscript(field: String) -> String? { items.first { $0.field == field }?.message }

    /// The sections with each field's error filled in.
    func apply(to sections: [FormSection]) -> [FormSection] {
        sections.map { FormSection(title: $0.title, fields: $0.fields.map { $0.with(error: self[$0.name]) }, map: $0.map) }
    }
}
