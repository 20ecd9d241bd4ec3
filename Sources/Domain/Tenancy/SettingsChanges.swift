/// What changed in a tenant's settings, said in Thai for the audit log ("ชื่อภาษาไทย: ‘ก’ → ‘ข’").
/// Settings hold no secrets; long values are shortened.
public enum SettingsChanges {
    public static func display(from old: DisplayDetails, to new: DisplayDetails) -> String {
        var parts: [String] = []
        func compare(_ what: String, _ a: String?, _ b: String?) {
            if (a ?? "") != (b ?? "") { parts.append("\(what): \(quote(a)) → \(quote(b))") }
        }
        compare("ชื่อภาษาไทย", old.name.th, new.name.th)
        compare("ชื่อภาษาอังกฤษ", old.name.en, new.name.en)
        compare("ที่อยู่", old.contact.address, new.contact.address)
        compare("โทรศัพท์", old.contact.phone, new.contact.phone)
        compare("อีเมล", old.contact.email, new.contact.email)
        compare("เว็บไซต์", old.contact.website, new.contact.website)
        compare("เวลาทำการ", old.contact.hours, new.contact.hours)
        compare("สีหลัก", old.colors.primary, new.colors.primary)
        compare("สีรอง", old.colors.accent, new.colors.accent)
        return summary("แก้ไขรายละเอียดหน่วยงาน", parts)
    }

    public static func identity(from old: IdentityPolicy, to new: IdentityPolicy) -> String {
        var parts: [String] = []
        let a = old.images.map(\.label), b = new.images.map(\.label)
        if a != b { parts.append("ภาพที่ต้องแนบ (\(a.count) → \(b.count) ภาพ): \(b.map { quote($0) }.joined(separator: ", "))") }
        if (old.watermark ?? IdentityPolicy.defaultWatermark) != (new.watermark ?? IdentityPolicy.defaultWatermark) {
            parts.append("ข้อความลายน้ำ: \(quote(old.watermark ?? IdentityPolicy.defaultWatermark)) → \(quote(new.watermark))")
        }
        let mbA = old.maxFileMB ?? IdentityPolicy.defaultMaxFileMB, mbB = new.maxFileMB ?? IdentityPolicy.defaultMaxFileMB
        if mbA != mbB { parts.append("ขนาดไฟล์สูงสุด: \(mbA) → \(mbB) MB") }
        return summary("แก้ไขนโยบายภาพยืนยันตัวตน", parts)
    }

    public static func entry(from old: CatalogueEntry, to new: CatalogueEntry) -> String {
        var parts: [String] = []
        if old.menu != new.menu { parts.append("ย้ายเมนู: \(old.menu.thaiTitle) → \(new.menu.thaiTitle)") }
        if old.name != new.name { parts.append("ชื่อ: \(quote(old.name)) → \(quote(new.name))") }
        if old.description != new.description { parts.append("คำอธิบาย: \(quote(new.description))") }
        if old.slaDays != new.slaDays { parts.append("ระยะเวลาดำเนินการ: \(old.slaDays) → \(new.slaDays) วัน") }
        if old.needsIdentity != new.needsIdentity { parts.append(new.needsIdentity ? "ต้องยืนยันตัวตน" : "ไม่ต้องยืนยันตัวตน") }
        return summary("แก้ไขบริการ \(new.slug)", parts)
    }

    public static func added(_ e: CatalogueEntry) -> String {
        "เพิ่มบริการ \(e.slug) \(quote(e.name)) ในเมนู\(e.menu.thaiTitle) (แบบฟอร์มฉบับที่ 1)"
    }

    public static func form(service: String, version: Int, from old: ServiceForm, to new: ServiceForm) -> String {
        let old = old.normalized, new = new.normalized
        var parts: [String] = []
        let oldFields = Dictionary(old.fields.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let newKeys = Set(new.fields.map(\.key))
        let added = new.fields.filter { oldFields[$0.key] == nil }.map(\.key)
        let removed = old.fields.map(\.key).filter { !newKeys.contains($0) }
        let changed = new.fields.filter { f in oldFields[f.key].map { $0 != f } ?? false }.map(\.key)
        if !added.isEmpty { parts.append("เพิ่มช่อง " + added.joined(separator: ", ")) }
        if !removed.isEmpty { parts.append("ลบช่อง " + removed.joined(separator: ", ")) }
        if !changed.isEmpty { parts.append("แก้ไขช่อง " + changed.joined(separator: ", ")) }
        let kept = new.fields.map(\.key).filter { oldFields[$0] != nil }
        if kept != old.fields.map(\.key).filter(newKeys.contains) { parts.append("เปลี่ยนลำดับช่อง") }
        let oldAtt = Dictionary(old.attachments.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let newAtt = Set(new.attachments.map(\.key))
        let attAdded = new.attachments.filter { oldAtt[$0.key] == nil }.map(\.key)
        let attRemoved = old.attachments.map(\.key).filter { !newAtt.contains($0) }
        let attChanged = new.attachments.filter { a in oldAtt[a.key].map { $0 != a } ?? false }.map(\.key)
        if !attAdded.isEmpty { parts.append("เพิ่มเอกสารแนบ " + attAdded.joined(separator: ", ")) }
        if !attRemoved.isEmpty { parts.append("ลบเอกสารแนบ " + attRemoved.joined(separator: ", ")) }
        if !attChanged.isEmpty { parts.append("แก้ไขเอกสารแนบ " + attChanged.joined(separator: ", ")) }
        if old.attachments.map(\.key).filter(newAtt.contains) != new.attachments.map(\.key).filter({ oldAtt[$0] != nil }) {
            parts.append("เปลี่ยนลำดับเอกสารแนบ")
        }
        return summary("แบบฟอร์มบริการ \(service) ฉบับที่ \(version)", parts)
    }

    static func summary(_ head: String, _ parts: [String]) -> String {
        parts.isEmpty ? "\(head): ไม่มีการเปลี่ยนแปลง" : "\(head): " + parts.joined(separator: "; ")
    }

    static func quote(_ s: String?) -> String {
        guard let s, !s.isEmpty else { return "(ว่าง)" }
        let short = s.count > 80 ? String(s.prefix(77)) + "…" : s
        return "‘\(short)’"
    }
}
