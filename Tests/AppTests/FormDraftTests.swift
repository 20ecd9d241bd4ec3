import Domain
import Testing

@testable import App

/// The form editor's draft: read from the posted pairs, rearranged by its buttons, turned into a form.
@Suite("Form editor draft")
struct FormDraftTests {
    static let form = ServiceForm(
        fields: [
            FormField(key: "kind", type: .radio, label: "ประเภท", required: true, help: nil, options: ["ก", "ข"], maxLength: nil),
            FormField(key: "detail", type: .textarea, label: "รายละเอียด", required: nil, help: "เล่าให้ฟัง", options: nil, maxLength: 500),
        ],
        attachments: [AttachmentRule(key: "photo", label: "ภาพ", required: true, types: [.jpeg, .png], maxMB: 5, maxCount: 3)])

    static func pairs(_ draft: FormDraft) -> String {
        var out: [String] = ["base_version=\(draft.baseVersion ?? 0)"]
        func enc(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
        for (i, f) in draft.fields.enumerated() {
            out += [
                "fields.\(i).key=\(enc(f.key))", "fields.\(i).type=\(f.type)", "fields.\(i).label=\(enc(f.label))",
                "fields.\(i).help=\(enc(f.help))", "fields.\(i).options=\(enc(f.options))", "fields.\(i).max_length=\(f.maxLength)",
            ]
            if f.required { out.append("fields.\(i).required=1") }
        }
        for (j, a) in draft.attachments.enumerated() {
            out +=
                [
                    "attachments.\(j).key=\(a.key)", "attachments.\(j).label=\(enc(a.label))", "attachments.\(j).max_mb=\(a.maxMB)",
                    "attachments.\(j).max_count=\(a.maxCount)",
                ] + a.types.map { "attachments.\(j).types=\($0)" }
            if a.required { out.append("attachments.\(j).required=1") }
        }
        return out.joined(separator: "&")
    }

    @Test(
        "a button's row index from a crafted post is only ever one a draft can have (no overflow on ±1)",
        arguments: [
            "field-down:9223372036854775807", "field-up:-9223372036854775808", "attachment-down:9223372036854775807",
            "attachment-up:-9223372036854775808", "field-remove:99999999999999999999", "field-up:-1", "field-down:100", "field-up:๙๙",
        ])
    func extremeRowIndex(action: String) {
        var draft = FormDraft(Self.form, version: 1)
        let parsed = FormDraft.Action(action)
        #expect(
            parsed == .refresh || { if case .moveField(let i, _) = parsed { return (0..<FormDraft.maxRows).contains(i) } else { return false } }(),
            "\(action) → \(parsed)")
        draft.apply(parsed)
        #expect(draft.fields.count == 2)
    }

    @Test("a form goes through the page and back unchanged")
    func roundTrip() {
        let draft = FormDraft(Self.form, version: 3)
        let read = FormDraft(FormPairs(Self.pairs(draft)))
        #expect(read == draft)
        let (form, problems) = read.form()
        #expect(problems.isEmpty)
        #expect(form.normalized == Self.form.normalized)
        #expect(read.baseVersion == 3)
    }

    @Test("buttons add, move and remove rows; out-of-range buttons do nothing")
    func actions() {
        var draft = FormDraft(Self.form, version: 1)
        #expect(FormDraft.Action("field-down:0") == .moveField(0, up: false))
        #expect(FormDraft.Action("nonsense") == .refresh && FormDraft.Action(nil) == .refresh)
        let moved = draft.apply(.moveField(0, up: false))
        #expect(moved)
        #expect(draft.fields.map(\.key) == ["detail", "kind"])
        let top = draft.apply(.moveField(0, up: true)), missing = draft.apply(.removeField(9))
        #expect(!top && !missing)
        draft.apply(.addField)
        #expect(draft.fields.count == 3 && draft.fields[2].key.isEmpty)
        draft.apply(.addAttachment)
        #expect(draft.attachments.last?.types == ["pdf", "jpeg", "png"])
        draft.apply(.removeAttachment(0))
        #expect(draft.attachments.count == 1)
        let problems = draft.form().problems.map(\.field)
        #expect(problems.first == "fields.2.key", "the new empty row needs a key and a label: \(problems)")
    }

    @Test("what cannot be read is said in Thai; options left from another type are dropped; keys are lower-cased")
    func unreadable() {
        let read = FormDraft(
            FormPairs(
                "fields.0.key=Name&fields.0.type=bogus&fields.0.label=%E0%B8%8A%E0%B8%B7%E0%B9%88%E0%B8%AD&fields.0.max_length=abc"
                    + "&fields.1.key=n&fields.1.type=number&fields.1.label=x&fields.1.options=a%0Ab"))
        let (form, problems) = read.form()
        let messages = Dictionary(problems.map { ($0.field, $0.message) }) { a, _ in a }
        #expect(messages["fields.0.type"] == "ช่องที่ 1: กรุณาเลือกชนิดช่องข้อมูล")
        #expect(messages["fields.0.max_length"] == "ช่องที่ 1: ความยาวสูงสุดต้องเป็นตัวเลข")
        #expect(form.fields[0].key == "name" && form.fields[0].label == "ชื่อ")
        #expect(form.fields[1].options == nil)
    }

    @Test("the pair reader decodes + and percent escapes and keeps repeated names")
    func pairs() {
        let p = FormPairs("a=1+2&b=%E0%B8%81&t=pdf&t=png&empty=&flag")
        #expect(p["a"] == "1 2" && p["b"] == "ก" && p.all("t") == ["pdf", "png"] && p["empty"] == "" && p["flag"] == "")
        #expect(p["missing"] == nil)
    }
}
