/// The rules for what an Organization admin types in the back office's settings pages, with Thai messages.
/// Each problem's `field` is the name of the input it is about (`name_th`, `fields.2.key`), so a page can
/// put the message beside it and link to it from the error summary. The same limits as `TenantRules`
/// apply to the folder's files, so anything saved here would also load from a folder.
extension TenantRules {
    public static let limits = (
        name: 200, text: 200, description: 2000, help: 500, hours: 200, phone: 100, watermark: 200,
        maxFields: 50, maxAttachments: 10, maxOptions: 50
    )

    /// Service slugs the back office uses as path words.
    public static let reservedServiceSlugs: Set<String> = ["new"]

    public static func displayProblems(_ d: DisplayDetails) -> [TenantFieldProblem] {
        var out = ProblemList()
        out.required("name_th", d.name.th, "กรุณากรอกชื่อหน่วยงานภาษาไทย", max: limits.name, "ชื่อหน่วยงานภาษาไทย")
        out.required("name_en", d.name.en, "กรุณากรอกชื่อหน่วยงานภาษาอังกฤษ", max: limits.name, "ชื่อหน่วยงานภาษาอังกฤษ")
        out.required("contact_address", d.contact.address, "กรุณากรอกที่อยู่สำนักงาน", max: 500, "ที่อยู่สำนักงาน")
        let phone = d.contact.phone.trimmed
        if phone.isEmpty {
            out.add("contact_phone", "กรุณากรอกหมายเลขโทรศัพท์ของสำนักงาน")
        } else if phone.count > limits.phone || phone.filter(\.isASCIIDigit).count < 9 {
            out.add("contact_phone", "หมายเลขโทรศัพท์ต้องมีตัวเลขอย่างน้อย 9 หลัก เช่น 0 5539 1234")
        }
        if let email = d.contact.email, !isPlausibleEmail(email) {
            out.add("contact_email", "รูปแบบอีเมลไม่ถูกต้อง เช่น saraban@example.go.th")
        }
        if let website = d.contact.website, !isWebAddress(website) {
            out.add("contact_website", "เว็บไซต์ต้องขึ้นต้นด้วย https:// หรือ http:// เช่น https://www.example.go.th")
        }
        if let hours = d.contact.hours, hours.count > limits.hours { out.add("contact_hours", "เวลาทำการยาวเกิน \(limits.hours) ตัวอักษร") }
        if let primary = RGBColor(hex: d.colors.primary) {
            if primary.contrastRatio(with: .white) < 4.5 {
                out.add(
                    "colors_primary",
                    "ตัวอักษรสีขาวบนสีหลักนี้อ่านยาก (ความต่างของสี \(primary.contrastRatio(with: .white).rounded2):1 ต้องไม่น้อยกว่า 4.5:1 ตาม WCAG AA) กรุณาเลือกสีที่เข้มขึ้น")
            }
        } else {
            out.add("colors_primary", "สีหลักต้องเป็นรหัสสีแบบ #RRGGBB เช่น #0b5d3b")
        }
        if RGBColor(hex: d.colors.accent) == nil { out.add("colors_accent", "สีรองต้องเป็นรหัสสีแบบ #RRGGBB เช่น #f2b705") }
        return out.items
    }

    public static func identityProblems(_ policy: IdentityPolicy) -> [TenantFieldProblem] {
        var out = ProblemList()
        if policy.images.isEmpty { out.add("image_0", "กรุณาระบุภาพที่ต้องแนบอย่างน้อย 1 ภาพ") }
        if policy.images.count > 5 { out.add("image_0", "ระบุภาพได้ไม่เกิน 5 ภาพ") }
        for (i, image) in policy.images.enumerated() where image.label.count > limits.text {
            out.add("image_\(i)", "ชื่อภาพที่ \(i + 1) ยาวเกิน \(limits.text) ตัวอักษร")
        }
        let watermark = (policy.watermark ?? "").trimmed
        if watermark.isEmpty {
            out.add("watermark", "กรุณากรอกข้อความลายน้ำ")
        } else if watermark.count > limits.watermark {
            out.add("watermark", "ข้อความลายน้ำยาวเกิน \(limits.watermark) ตัวอักษร")
        }
        if !(1...50).contains(policy.maxFileMB ?? 0) { out.add("max_file_mb", "ขนาดไฟล์สูงสุดต้องเป็นตัวเลข 1–50 (MB)") }
        return out.items
    }

    /// A service's name and details. `newSlug` is checked when the service is being added (`taken`: slugs in use).
    public static func entryProblems(_ e: CatalogueEntry, newSlug: Bool, taken: Set<String>) -> [TenantFieldProblem] {
        var out = ProblemList()
        if newSlug {
            if !isSlug(e.slug) || reservedServiceSlugs.contains(e.slug) {
                out.add("slug", "รหัสบริการต้องเป็นภาษาอังกฤษตัวเล็ก ตัวเลข และขีด (-) เช่น road-repair")
            } else if taken.contains(e.slug) {
                out.add("slug", "รหัสบริการ \(e.slug) มีอยู่แล้ว (รวมบริการที่เลิกให้บริการ) กรุณาใช้รหัสอื่น")
            }
        }
        out.required("name", e.name, "กรุณากรอกชื่อบริการ", max: limits.name, "ชื่อบริการ")
        out.required("description", e.description, "กรุณากรอกคำอธิบายบริการ", max: limits.description, "คำอธิบายบริการ")
        if !(1...365).contains(e.slaDays) { out.add("sla_days", "ระยะเวลาดำเนินการต้องเป็นตัวเลข 1–365 วัน") }
        return out.items
    }

    /// A form as the editor sends it. Fields are named `fields.N.*` and attachments `attachments.N.*` (N from 0).
    public static func formProblems(_ form: ServiceForm) -> [TenantFieldProblem] {
        var out = ProblemList()
        if form.fields.isEmpty { out.add("add-field", "แบบฟอร์มต้องมีช่องข้อมูลอย่างน้อย 1 ช่อง") }
        if form.fields.count > limits.maxFields { out.add("add-field", "แบบฟอร์มมีช่องข้อมูลได้ไม่เกิน \(limits.maxFields) ช่อง") }
        if form.attachments.count > limits.maxAttachments {
            out.add("add-attachment", "แนบเอกสารได้ไม่เกิน \(limits.maxAttachments) รายการ")
        }
        var keys = Set<String>()
        for (i, f) in form.fields.enumerated() {
            let at = "fields.\(i)", n = "ช่องที่ \(i + 1)"
            if !isKey(f.key) || f.key.count > 40 {
                out.add("\(at).key", "\(n): รหัสช่องข้อมูลต้องเป็นภาษาอังกฤษตัวเล็ก ตัวเลข และขีดล่าง (_) ไม่เกิน 40 ตัว เช่น house_no")
            } else if !keys.insert(f.key).inserted {
                out.add("\(at).key", "\(n): รหัสช่องข้อมูล \(f.key) ซ้ำกับช่องอื่น")
            }
            out.required("\(at).label", f.label, "\(n): กรุณากรอกคำถามหรือชื่อช่องข้อมูล", max: limits.text, "\(n): ชื่อช่องข้อมูล")
            if let help = f.help, help.count > limits.help { out.add("\(at).help", "\(n): คำอธิบายยาวเกิน \(limits.help) ตัวอักษร") }
            let options = f.options ?? []
            if f.type.hasOptions {
                if options.count < 2 {
                    out.add("\(at).options", "\(n): ช่องแบบเลือกต้องมีตัวเลือกอย่างน้อย 2 ข้อ (บรรทัดละหนึ่งข้อ)")
                } else if options.count > limits.maxOptions {
                    out.add("\(at).options", "\(n): มีตัวเลือกได้ไม่เกิน \(limits.maxOptions) ข้อ")
                } else if Set(options).count != options.count {
                    out.add("\(at).options", "\(n): ตัวเลือกซ้ำกัน")
                } else if options.contains(where: { $0.count > limits.text }) {
                    out.add("\(at).options", "\(n): ตัวเลือกแต่ละข้อยาวได้ไม่เกิน \(limits.text) ตัวอักษร")
                }
            } else if !options.isEmpty {
                out.add("\(at).options", "\(n): ตัวเลือกใช้ได้เฉพาะช่องแบบเลือกหนึ่งข้อ เลือกจากรายการ หรือเลือกได้หลายข้อ")
            }
            if let max = f.maxLength {
                if ![.text, .textarea].contains(f.type) {
                    out.add("\(at).max_length", "\(n): ความยาวสูงสุดใช้ได้เฉพาะช่องข้อความ")
                } else if !(1...10_000).contains(max) {
                    out.add("\(at).max_length", "\(n): ความยาวสูงสุดต้องเป็นตัวเลข 1–10000")
                }
            }
        }
        for (j, a) in form.attachments.enumerated() {
            let at = "attachments.\(j)", n = "เอกสารแนบที่ \(j + 1)"
            if !isKey(a.key) || a.key.count > 40 {
                out.add("\(at).key", "\(n): รหัสเอกสารต้องเป็นภาษาอังกฤษตัวเล็ก ตัวเลข และขีดล่าง (_) ไม่เกิน 40 ตัว เช่น house_photo")
            } else if !keys.insert(a.key).inserted {
                out.add("\(at).key", "\(n): รหัส \(a.key) ซ้ำกับช่องข้อมูลหรือเอกสารอื่น")
            }
            out.required("\(at).label", a.label, "\(n): กรุณากรอกชื่อเอกสาร", max: limits.text, "\(n): ชื่อเอกสาร")
            if a.types.isEmpty { out.add("\(at).types", "\(n): เลือกชนิดไฟล์ที่รับอย่างน้อย 1 ชนิด") }
            if !(1...50).contains(a.maxMB ?? 0) { out.add("\(at).max_mb", "\(n): ขนาดไฟล์สูงสุดต้องเป็นตัวเลข 1–50 (MB)") }
            if !(1...20).contains(a.maxCount ?? 0) { out.add("\(at).max_count", "\(n): จำนวนไฟล์สูงสุดต้องเป็นตัวเลข 1–20") }
        }
        return out.items
    }

    static func isPlausibleEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            s.count <= 254
        else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 32 && !"<>()[],;:\\\"".unicodeScalars.contains($0) }
    }

    static func isWebAddress(_ s: String) -> Bool {
        let lower = s.lowercased()
        guard s.count <= 300, !s.contains(where: \.isWhitespace) else { return false }
        for scheme in ["https://", "http://"] where lower.hasPrefix(scheme) {
            let host = lower.dropFirst(scheme.count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            return host.contains(".") && isHostName(String(host))
        }
        return false
    }
}

/// Problems in input order, at most one per field (the first found is the one to fix first).
struct ProblemList {
    private(set) var items: [TenantFieldProblem] = []

    mutating func add(_ field: String, _ message: String) {
        guard !items.contains(where: { $0.field == field }) else { return }
        items.append(TenantFieldProblem(field: field, message: message))
    }

    mutating func required(_ field: String, _ value: String, _ missing: String, max: Int, _ what: String) {
        let v = value.trimmed
        if v.isEmpty { add(field, missing) } else if v.count > max { add(field, "\(what)ยาวเกิน \(max) ตัวอักษร") }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
