import Domain
import Foundation
import Vapor

/// The Thai address block of a form: house number, หมู่, village/building, soi and road typed; province,
/// district and sub-district chosen from lists; the postcode following the sub-district. Inputs are named
/// `<prefix>_house`, `<prefix>_moo`, … `<prefix>_postcode` (`AddressSelection.Field`), so one page can hold
/// two addresses with different prefixes.
///
/// Without JavaScript the district and sub-district lists hold only what belongs to the province and
/// district chosen when the page was drawn. The block therefore carries a submit button
/// "แสดงรายการอำเภอและตำบล" (`_refresh=<prefix>`); a page's controller answers it by drawing the form
/// again with `selection.reconciled(in:)`, no errors and nothing saved (`isRefresh`). With JavaScript,
/// `Public/js/address-picker.js` fills the lists from `/geo/provinces/<code>` and removes the button.
///
/// In a controller:
/// ```swift
/// var address = AddressFields.selection(from: req.content)
/// if AddressFields.isRefresh(req.content) {          // the lists asked for, nothing else
///     return try await render(req, form, address: address.reconciled(in: geo), errors: FormErrors())
/// }
/// var errors = FormErrors()
/// errors.add(address: address.validate(in: geo))     // also fills the postcode in
/// …
/// sections.append(AddressFields.section(address, geography: geo))
/// sections = errors.apply(to: sections)
/// ```
enum AddressFields {
    static let defaultPrefix = "address"
    /// Name of the no-JavaScript "show the lists" button; its value is the block's prefix.
    static let refreshName = "_refresh"
    static let refreshLabel = "แสดงรายการอำเภอและตำบล"

    static func name(_ field: AddressSelection.Field, prefix: String = defaultPrefix) -> String {
        "\(prefix)_\(field.rawValue)"
    }

    /// The block's inputs in order, with the current values, the lists that fit them and `errors`
    /// (keyed by `AddressSelection.Field` raw values, as `AddressSelection.validate` returns them).
    /// `refreshButton: false` leaves out the no-JavaScript button (e.g. on a read-only summary).
    static func fields(
        _ selection: AddressSelection, geography: ThaiGeography, prefix: String = defaultPrefix,
        errors: [String: String] = [:], refreshButton: Bool = true
    ) -> [FieldView] {
        let a = selection
        func field(
            _ f: AddressSelection.Field, _ label: String, kind: FieldView.Kind = .text, value: String? = nil,
            hint: String? = nil, autocomplete: String? = nil, inputmode: String? = nil, maxlength: Int? = nil,
            options: [FieldView.Option] = [], role: String? = nil
        ) -> FieldView {
            var v = FieldView(
                name: name(f, prefix: prefix), label: label, kind: kind, value: value ?? a[f], hint: hint,
                error: errors[f.rawValue], autocomplete: autocomplete, inputmode: inputmode, maxlength: maxlength,
                options: options)
            v.addressRole = role
            return v
        }

        let province = geography.province(code: a.provinceCode)
        let district = province.flatMap { geography.district(code: a.districtCode, inProvince: $0.code) }
        let subdistrict = district.flatMap { geography.subdistrict(code: a.subdistrictCode, inDistrict: $0.code) }

        let provinceOptions = geography.provinces.map {
            FieldView.Option(value: $0.code, label: $0.name, selected: $0.code == province?.code)
        }
        let districtOptions =
            province.map { p in
                geography.districts(inProvince: p.code).map { FieldView.Option(value: $0.code, label: $0.name, selected: $0.code == district?.code) }
            } ?? []
        let subdistrictOptions =
            district.map { d in
                geography.subdistricts(inDistrict: d.code).map { FieldView.Option(value: $0.code, label: $0.name, selected: $0.code == subdistrict?.code) }
            } ?? []

        // The postcode shown: what the person typed, else the sub-district's only one.
        let postcode = a.postcode.isEmpty ? (subdistrict?.postcode ?? "") : a.postcode

        var list = [
            field(.house, "บ้านเลขที่", hint: "เช่น 99/12", maxlength: AddressSelection.houseNumberMaxLength),
            field(.moo, "หมู่ที่ (ถ้ามี)", inputmode: "numeric", maxlength: 10),
            field(.village, "หมู่บ้าน หรือ อาคาร (ถ้ามี)", maxlength: AddressSelection.textMaxLength),
            field(.soi, "ซอย (ถ้ามี)", maxlength: AddressSelection.textMaxLength),
            field(.road, "ถนน (ถ้ามี)", maxlength: AddressSelection.textMaxLength),
            field(.province, "จังหวัด", kind: .select, autocomplete: "address-level1", options: provinceOptions, role: "province"),
            field(.district, "อำเภอ/เขต", kind: .select, autocomplete: "address-level2", options: districtOptions, role: "district"),
            field(.subdistrict, "ตำบล/แขวง", kind: .select, autocomplete: "address-level3", options: subdistrictOptions, role: "subdistrict"),
        ]
        if refreshButton {
            var button = FieldView(name: refreshName, label: refreshLabel, kind: .submit, value: prefix)
            button.addressRole = "refresh"
            list.append(button)
        }
        list.append(
            field(
                .postcode, "รหัสไปรษณีย์", value: postcode, hint: postcodeHint(subdistrict),
                autocomplete: "postal-code", inputmode: "numeric", maxlength: 5, role: "postcode"))
        return list
    }

    /// The block as its own titled group of a form.
    static func section(
        _ selection: AddressSelection, geography: ThaiGeography, title: String = "ที่อยู่",
        prefix: String = defaultPrefix, errors: [String: String] = [:]
    ) -> FormSection {
        FormSection(title: title, fields: fields(selection, geography: geography, prefix: prefix, errors: errors))
    }

    /// The address as posted. Missing inputs read as empty; nothing is judged here (see `AddressSelection.validate`).
    static func selection(from body: [String: String], prefix: String = defaultPrefix) -> AddressSelection {
        var a = AddressSelection()
        for f in AddressSelection.Field.allCases {
            a[f] = Self.clean(body[name(f, prefix: prefix)] ?? "")
        }
        return a
    }

    /// The address from a request's form body (URL-encoded or multipart).
    static func selection(from content: any ContentContainer, prefix: String = defaultPrefix) -> AddressSelection {
        var a = AddressSelection()
        for f in AddressSelection.Field.allCases {
            a[f] = Self.clean((try? content.get(String.self, at: name(f, prefix: prefix))) ?? "")
        }
        return a
    }

    /// True when the person pressed this block's "แสดงรายการอำเภอและตำบล": draw the form again, save nothing.
    static func isRefresh(_ body: [String: String], prefix: String = defaultPrefix) -> Bool {
        body[refreshName] == prefix
    }

    static func isRefresh(_ content: any ContentContainer, prefix: String = defaultPrefix) -> Bool {
        (try? content.get(String.self, at: refreshName)) == prefix
    }

    /// The postcode's hint: says where it comes from, or which postcodes the chosen sub-district has.
    /// `address-picker.js` rewrites the same text when the sub-district changes.
    static func postcodeHint(_ subdistrict: Subdistrict?) -> String {
        guard let s = subdistrict, s.postcodes.count > 1 else { return "กรอกให้ตามตำบล/แขวงที่เลือก" }
        return "ตำบล/แขวงนี้มีรหัสไปรษณีย์ " + s.postcodes.joined(separator: " หรือ ") + " กรุณากรอกรหัสของที่อยู่นี้"
    }

    /// At most 200 characters, control characters (new lines too) made spaces; validation trims and judges the rest.
    private static func clean(_ s: String) -> String {
        let scalars = s.unicodeScalars.prefix(200).map { CharacterSet.controlCharacters.contains($0) ? " " : $0 }
        return String(String.UnicodeScalarView(scalars))
    }
}

extension FormErrors {
    /// Adds an address block's errors (as `AddressSelection.validate` returns them) under the inputs' names,
    /// in the order the block shows them, so the error summary links to each input.
    mutating func add(address errors: [String: String], prefix: String = AddressFields.defaultPrefix) {
        for f in AddressSelection.Field.allCases {
            if let message = errors[f.rawValue] { add(AddressFields.name(f, prefix: prefix), message) }
        }
    }
}
