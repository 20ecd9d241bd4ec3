import Foundation
import Testing

@testable import Domain

@Suite("Tenant settings: overrides laid over a folder, Thai rules, change descriptions")
struct TenantSettingsRulesTests {
    static func service(_ slug: String, fields: [String] = ["details"]) -> Service {
        Service(
            slug: slug, name: "บริการ \(slug)", description: "คำอธิบาย", verifiedIdentity: nil, slaDays: 7,
            fields: fields.map { FormField(key: $0, type: .text, label: "ช่อง \($0)", required: true, help: nil, options: nil, maxLength: nil) },
            attachments: nil)
    }

    static let folder = Menus(account: [service("a1")], online: [service("o1"), service("o2")], complaints: [service("c1")])

    @Test("no overrides: the folder as it is")
    func nothing() {
        let config = DomainTests.config()
        let (applied, retired) = config.applying(TenantOverrides())
        #expect(applied == config)
        #expect(retired.isEmpty)
    }

    @Test("display details and identity policy replace the folder's; hosts and code stay")
    func displayAndIdentity() {
        let config = DomainTests.config()
        var display = DisplayDetails(config)
        display.name.th = "เทศบาลใหม่"
        display.contact.phone = "0 2111 2222"
        let identity = IdentityPolicy(watermark: "เฉพาะ {ชื่อหน่วยงาน}", maxFileMB: 5, images: [.init(label: "หน้า"), .init(label: "หลัง")])
        let (applied, _) = config.applying(TenantOverrides(display: display, identity: identity))
        #expect(applied.name.th == "เทศบาลใหม่")
        #expect(applied.contact.phone == "0 2111 2222")
        #expect(applied.identity.images.count == 2)
        #expect(applied.identity.watermarkText(agencyName: applied.name.th) == "เฉพาะ เทศบาลใหม่")
        #expect(applied.hosts == config.hosts && applied.code == config.code)
    }

    @Test("the catalogue follows the back office's order and menus, retired apart, new folder services at the end")
    func catalogue() {
        var entries = TenantConfig.entries(active: Self.folder)
        // o2 above o1; c1 retired; a1 moved to the online menu (end); o1 renamed.
        entries[entries.firstIndex { $0.slug == "o2" }!].position = -1
        entries[entries.firstIndex { $0.slug == "c1" }!].retired = true
        let a1 = entries.firstIndex { $0.slug == "a1" }!
        entries[a1].menu = .online
        entries[a1].position = 10
        entries[entries.firstIndex { $0.slug == "o1" }!].name = "ชื่อใหม่"
        var folder = Self.folder
        folder.complaints.append(Self.service("c2"))  // added to the folder after the back office wrote its rows
        let forms = [
            "o1": ServiceForm(
                fields: [FormField(key: "x", type: .address, label: "ที่อยู่", required: true, help: nil, options: nil, maxLength: nil)], attachments: [])
        ]
        let result = TenantConfig.catalogue(folder: folder, entries: entries, forms: forms)
        #expect(result.active.online.map(\.slug) == ["o2", "o1", "a1"])
        #expect(result.active.account.isEmpty)
        #expect(result.active.complaints.map(\.slug) == ["c2"])
        #expect(result.retired.complaints.map(\.slug) == ["c1"])
        let o1 = result.active.online[1]
        #expect(o1.name == "ชื่อใหม่")
        #expect(o1.fields.map(\.key) == ["x"], "the current form version replaces the folder's")
        #expect(result.active.online[0].fields.map(\.key) == ["details"], "no version: the folder's form")
    }

    @Test("display rules: Thai messages by input name, WCAG contrast for the primary colour")
    func displayRules() {
        var d = DisplayDetails(DomainTests.config())
        #expect(TenantRules.displayProblems(d).isEmpty)
        d.name.th = " "
        d.contact.phone = "12"
        d.contact.email = "not-mail"
        d.contact.website = "www.example.go.th"
        d.colors.primary = "#ffff00"
        d.colors.accent = "blue"
        let problems = Dictionary(TenantRules.displayProblems(d).map { ($0.field, $0.message) }) { a, _ in a }
        #expect(problems["name_th"] == "กรุณากรอกชื่อหน่วยงานภาษาไทย")
        #expect(problems["contact_phone"]?.contains("อย่างน้อย 9 หลัก") == true)
        #expect(problems["contact_email"]?.contains("รูปแบบอีเมลไม่ถูกต้อง") == true)
        #expect(problems["contact_website"]?.contains("https://") == true)
        #expect(problems["colors_primary"]?.contains("4.5:1") == true)
        #expect(problems["colors_accent"]?.contains("#RRGGBB") == true)
    }

    @Test("identity rules: 1–5 images, a watermark, 1–50 MB")
    func identityRules() {
        #expect(TenantRules.identityProblems(IdentityPolicy(watermark: "ลายน้ำ", maxFileMB: 10, images: [.init(label: "หน้าบัตร")])).isEmpty)
        let fields = Set(TenantRules.identityProblems(IdentityPolicy(watermark: " ", maxFileMB: 0, images: [])).map(\.field))
        #expect(fields == ["image_0", "watermark", "max_file_mb"])
        let six = IdentityPolicy(watermark: "ลายน้ำ", maxFileMB: 10, images: Array(repeating: .init(label: "ภาพ"), count: 6))
        #expect(TenantRules.identityProblems(six).first?.message == "ระบุภาพได้ไม่เกิน 5 ภาพ")
    }

    @Test("service rules: slug shape, reserved and taken; name, description, days")
    func entryRules() {
        let good = CatalogueEntry(
            slug: "road-repair", menu: .complaints, position: 0, name: "ซ่อมถนน", description: "แจ้งถนนชำรุด",
            slaDays: 15, verifiedIdentity: nil, retired: false)
        #expect(TenantRules.entryProblems(good, newSlug: true, taken: ["street-light"]).isEmpty)
        for (slug, taken) in [("Road Repair", Set<String>()), ("new", []), ("road-repair", ["road-repair"])] {
            var e = good
            e.slug = slug
            #expect(TenantRules.entryProblems(e, newSlug: true, taken: taken).map(\.field) == ["slug"], "\(slug)")
        }
        var bad = good
        bad.name = ""
        bad.description = ""
        bad.slaDays = 0
        #expect(TenantRules.entryProblems(bad, newSlug: false, taken: []).map(\.field) == ["name", "description", "sla_days"])
    }

    @Test("form rules: keys unique and slug-like, options for choices, sane limits, attachments")
    func formRules() {
        let f = { (key: String, type: FieldType, options: [String]?) in
            FormField(key: key, type: type, label: "ป้ายชื่อ", required: nil, help: nil, options: options, maxLength: nil)
        }
        let good = ServiceForm(
            fields: [f("name", .text, nil), f("kind", .radio, ["ก", "ข"]), f("home", .address, nil)],
            attachments: [AttachmentRule(key: "photo", label: "ภาพ", required: true, types: [.jpeg], maxMB: 5, maxCount: 3)])
        #expect(TenantRules.formProblems(good).isEmpty)
        let bad = ServiceForm(
            fields: [f("Bad Key", .text, nil), f("kind", .checkboxes, ["ก"]), f("kind", .select, ["ก", "ก"])],
            attachments: [AttachmentRule(key: "kind", label: "", required: nil, types: [], maxMB: 99, maxCount: 0)])
        let problems = Dictionary(TenantRules.formProblems(bad).map { ($0.field, $0.message) }) { a, _ in a }
        #expect(problems["fields.0.key"]?.hasPrefix("ช่องที่ 1: รหัสช่องข้อมูลต้องเป็นภาษาอังกฤษ") == true)
        #expect(problems["fields.1.options"]?.contains("อย่างน้อย 2 ข้อ") == true)
        #expect(problems["fields.2.key"]?.contains("ซ้ำ") == true)
        #expect(problems["fields.2.options"] == "ช่องที่ 3: ตัวเลือกซ้ำกัน")
        for key in ["attachments.0.key", "attachments.0.label", "attachments.0.types", "attachments.0.max_mb", "attachments.0.max_count"] {
            #expect(problems[key] != nil, "\(key)")
        }
        #expect(TenantRules.formProblems(ServiceForm(fields: [], attachments: [])).map(\.field) == ["add-field"])
        // What the back office saves would also load from a folder.
        let service = Service(
            slug: "s", name: "บริการ", description: "คำอธิบาย", verifiedIdentity: nil, slaDays: 5,
            fields: good.fields, attachments: good.attachments)
        #expect(TenantRules.serviceProblems(in: Menus(online: [service])).isEmpty)
    }

    @Test("the audit says in Thai what changed")
    func changes() {
        let old = ServiceForm(fields: [Self.service("x", fields: ["a", "b", "c"]).fields].flatMap { $0 }, attachments: [])
        var new = old
        new.fields.remove(at: 0)
        new.fields[0].label = "ใหม่"
        new.fields.append(FormField(key: "d", type: .tel, label: "โทร", required: nil, help: nil, options: nil, maxLength: nil))
        let text = SettingsChanges.form(service: "x", version: 3, from: old, to: new)
        #expect(text == "แบบฟอร์มบริการ x ฉบับที่ 3: เพิ่มช่อง d; ลบช่อง a; แก้ไขช่อง b")
        var d = DisplayDetails(DomainTests.config())
        let before = d
        d.contact.phone = "0 2999 9999"
        #expect(SettingsChanges.display(from: before, to: d) == "แก้ไขรายละเอียดหน่วยงาน: โทรศัพท์: ‘0 2000 0000’ → ‘0 2999 9999’")
    }
}
