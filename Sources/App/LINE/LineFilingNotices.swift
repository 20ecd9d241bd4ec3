import Domain
import Foundation

/// What the Official Account says while a citizen files a complaint in the chat: short, polite Thai, with quick
/// replies for each choice.
extension LineNotices {
    static let cancelReply = LineQuickReply("ยกเลิก", .postback(data: "action=file-cancel", displayText: "ยกเลิก"))

    static func chooseService(_ services: [Service]) -> LineMessage {
        let items = services.prefix(12).map { s in
            LineQuickReply(s.name, .postback(data: "action=file-service&s=\(s.slug)", displayText: s.name))
        }
        let list = services.prefix(12).map { "• \($0.name)" }.joined(separator: "\n")
        return .quickReply(.text("แจ้งเรื่องร้องเรียน กรุณาเลือกประเภทเรื่องที่ต้องการแจ้ง\n\(list)"), items + [cancelReply])
    }

    static func noServices(tenant: Tenant) -> LineMessage {
        .text("ขออภัย ขณะนี้ยังไม่มีเรื่องที่แจ้งทาง LINE ได้ กรุณาแจ้งที่เว็บไซต์ e-Service หรือโทร \(tenant.config.contact.phone)")
    }

    /// A postback's `at`: the step its button belongs to, so a button tapped after the chat moved on does nothing.
    static func at(_ step: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.:")
        return step.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    static func askPhotos(service: String, max: Int, have: Int, required: Bool) -> LineMessage {
        let next = LineQuickReply(
            have == 0 && !required ? "ข้าม (ไม่มีรูป)" : "ถัดไป",
            .postback(data: "action=file-next&at=photos", displayText: have == 0 ? "ข้าม" : "ถัดไป"))
        let text =
            have == 0
            ? "\(service)\nกรุณาส่งรูปถ่ายจุดที่พบปัญหา ได้ไม่เกิน \(max) รูป" + (required ? "" : " (ไม่มีรูปแตะ “ข้าม”)")
            : "ได้รับรูปแล้ว \(have) จาก \(max) รูป ส่งเพิ่มได้ หรือแตะ “ถัดไป”"
        return .quickReply(
            .text(text),
            [LineQuickReply("ถ่ายรูป", .camera), LineQuickReply("เลือกรูป", .cameraRoll)] + (required && have == 0 ? [] : [next]) + [cancelReply])
    }

    static func askLocation(label: String) -> LineMessage {
        .quickReply(
            .text("กรุณาส่งตำแหน่ง: \(label)\nแตะ “ส่งตำแหน่ง” แล้วเลือกจุดบนแผนที่"),
            [LineQuickReply("ส่งตำแหน่ง", .location), cancelReply])
    }

    static func ask(_ field: FormField) -> LineMessage {
        var items: [LineQuickReply] = []
        if field.type.hasOptions {
            for (i, option) in (field.options ?? []).prefix(11).enumerated() {
                items.append(LineQuickReply(option, .postback(data: "action=file-answer&at=\(at("q:" + field.key))&i=\(i)", displayText: option)))
            }
        }
        if !field.isRequired {
            items.append(LineQuickReply("ข้าม", .postback(data: "action=file-next&at=\(at("q:" + field.key))", displayText: "ข้าม")))
        }
        let how = field.type.hasOptions ? "กรุณาเลือก" : "กรุณาพิมพ์"
        var text = "\(how)\(field.label)"
        if let help = field.help, !help.isEmpty { text += " (\(help))" }
        if !field.isRequired { text += "\nไม่มีแตะ “ข้าม”" }
        return .quickReply(.text(text), items + [cancelReply])
    }

    /// A chat's short tag on its "ยืนยัน" button: an earlier chat's button confirms nothing in this one.
    static func chatTag(_ id: UUID) -> String { String(id.uuidString.lowercased().prefix(8)) }

    static func confirm(chat: UUID, serviceName: String, photos: Int, place: LinePlace?, answers: [(String, String)]) -> LineMessage {
        var lines = ["กรุณาตรวจสอบก่อนยืนยัน", "เรื่อง: \(serviceName)", "รูปถ่าย: \(photos) รูป"]
        if let place { lines.append("ตำแหน่ง: \(place.description)") }
        for (label, value) in answers { lines.append("\(label): \(String(value.prefix(200)))") }
        return .quickReply(
            .text(lines.joined(separator: "\n")),
            [LineQuickReply("ยืนยัน", .postback(data: "action=file-confirm&c=\(chatTag(chat))", displayText: "ยืนยัน")), cancelReply])
    }

    static func photoTaken(have: Int, max: Int) -> LineMessage {
        .text("ได้รับรูปแล้ว \(have) จาก \(max) รูป")
    }

    static let photoRefusedPrefix = "ไม่สามารถรับรูปนี้ได้"

    static func photoRefused(_ reason: String) -> LineMessage { .text("\(photoRefusedPrefix): \(reason)") }

    static func photosFull(max: Int) -> LineMessage { .text("ครบ \(max) รูปแล้ว รูปที่ส่งเพิ่มจะไม่ถูกแนบ") }

    static func invalidAnswer(_ message: String) -> LineMessage { .text(message) }

    static let photoBusy = "ระบบกำลังประมวลผลรูปภาพจำนวนมาก กรุณาส่งรูปนี้อีกครั้งในอีกสักครู่"

    static let ownerChanged = "บัญชีที่เชื่อมกับ LINE นี้เปลี่ยนไประหว่างแจ้งเรื่อง จึงยกเลิกเรื่องที่แจ้งค้างไว้ กรุณาเริ่มแจ้งใหม่"

    static let cancelled = LineMessage.text("ยกเลิกการแจ้งเรื่องแล้ว หากต้องการแจ้งใหม่ พิมพ์ “แจ้งเรื่อง”")

    static let expired = LineMessage.text("เรื่องที่แจ้งค้างไว้เกิน 30 นาทีจึงถูกยกเลิก ขออภัยในความไม่สะดวก กรุณาเริ่มแจ้งใหม่อีกครั้ง")

    static let nothingOpen = LineMessage.text("ขณะนี้ไม่มีเรื่องที่กำลังแจ้ง หากต้องการแจ้งเรื่อง พิมพ์ “แจ้งเรื่อง”")

    static func verifyFirst(tenant: Tenant, status: String, url: String) -> LineMessage {
        .flex(
            altText: "กรุณายืนยันตัวตนที่เว็บไซต์ e-Service ให้เรียบร้อยก่อน จึงจะแจ้งเรื่องทาง LINE ได้",
            contents: bubble(
                tenant: tenant, heading: "ต้องยืนยันตัวตนก่อน", rows: [("สถานะ", status)],
                note: "การแจ้งเรื่องทาง LINE ใช้ได้เมื่อยืนยันตัวตนแล้ว กรุณาส่งภาพยืนยันตัวตนที่เว็บไซต์ และรอเจ้าหน้าที่ตรวจสอบ",
                buttons: [.uri(label: "ยืนยันตัวตน", uri: url)]))
    }

    static func refiledNumber(_ number: String) -> LineMessage {
        .text("เรื่องนี้ยื่นแล้ว เลขที่คำร้อง \(number)")
    }
}
