import Domain
import Foundation

/// Every message the Official Account sends (all LINE wording is here), built from the same facts as the e-mails. Each is a Flex bubble
/// with a plain `altText` (what the chat list and notifications show), or a short text.
enum LineNotices {
    struct PetitionLine: Sendable, Equatable {
        var number: String
        var serviceName: String
        var status: PetitionStatus
        var filedAt: Date
    }

    // MARK: Pushes

    /// After filing: "สำเร็จ" with the tracking number, as in the seed.
    static func filed(tenant: Tenant, number: String, serviceName: String, filedAt: Date, dueAt: Date, link: String) -> LineMessage {
        let alt = "ยื่นคำร้องสำเร็จ เลขที่ \(number) (\(serviceName)) – \(tenant.thaiName)"
        return .flex(
            altText: alt,
            contents: bubble(
                tenant: tenant, heading: "ยื่นคำร้องสำเร็จ",
                rows: [
                    ("เลขที่คำร้อง", number), ("บริการ", serviceName), ("วันที่ยื่น", ThaiDate.shortWithTime(filedAt)),
                    ("กำหนดแล้วเสร็จ", ThaiDate.long(dueAt)), ("สถานะ", PetitionStatus.submitted.thai),
                ], note: "กรุณาเก็บเลขที่คำร้องไว้ติดตามสถานะ พิมพ์ “สถานะ” เพื่อดูคำร้องล่าสุดได้ทุกเมื่อ",
                buttons: [.uri(label: "ดูคำร้อง", uri: link)]))
    }

    /// A status change (completion included), with the officer's note.
    static func statusChanged(
        tenant: Tenant, number: String, serviceName: String, status: PetitionStatus, at: Date, note: String?,
        link: String
    ) -> LineMessage {
        let heading = status == .completed ? "คำร้องดำเนินการสำเร็จ" : "คำร้องเปลี่ยนสถานะ"
        var rows = [("เลขที่คำร้อง", number), ("บริการ", serviceName), ("สถานะ", status.thai), ("เมื่อ", ThaiDate.shortWithTime(at))]
        if let note = note?.trimmingCharacters(in: .whitespacesAndNewlines), !note.isEmpty {
            rows.append((status == .cannotProceed ? "เหตุผล" : "หมายเหตุ", String(note.prefix(500))))
        }
        let after = status == .completed ? "หากมีเอกสารที่ออกให้ เช่น ใบเสร็จรับเงินหรือใบอนุญาต ดูและดาวน์โหลดได้ที่หน้าคำร้อง" : nil
        return .flex(
            altText: "คำร้อง \(number): \(status.thai) – \(tenant.thaiName)",
            contents: bubble(tenant: tenant, heading: heading, rows: rows, note: after, buttons: [.uri(label: "ดูคำร้อง", uri: link)]))
    }

    /// The identity check's result.
    static func identity(tenant: Tenant, approved: Bool, reason: String?, link: String) -> LineMessage {
        if approved {
            return .flex(
                altText: "ยืนยันตัวตนแล้ว ใช้บริการออนไลน์ของ\(tenant.thaiName)ได้ทุกบริการ",
                contents: bubble(
                    tenant: tenant, heading: "ยืนยันตัวตนแล้ว", rows: [],
                    note: "เจ้าหน้าที่ตรวจสอบภาพยืนยันตัวตนของท่านแล้ว ท่านใช้บริการออนไลน์ได้ทุกบริการ",
                    buttons: [.uri(label: "เข้าสู่ระบบ e-Service", uri: link)]))
        }
        return .flex(
            altText: "ไม่ผ่านการยืนยันตัวตน กรุณาส่งภาพใหม่ – \(tenant.thaiName)",
            contents: bubble(
                tenant: tenant, heading: "ไม่ผ่านการยืนยันตัวตน", rows: [("เหตุผล", String((reason ?? "-").prefix(500)))],
                note: "กรุณาเข้าสู่ระบบและส่งภาพยืนยันตัวตนใหม่", buttons: [.uri(label: "ส่งภาพยืนยันตัวตนใหม่", uri: link)]))
    }

    /// A document issued for the petition was withdrawn, with the officer's reason.
    static func documentWithdrawn(
        tenant: Tenant, kind: PetitionDocumentKind, title: String, code: String, number: String, at: Date,
        reason: String?, link: String
    ) -> LineMessage {
        var rows = [
            ("เอกสาร", "\(kind.thai) “\(String(title.prefix(200)))”"), ("รหัสตรวจสอบ", code), ("เลขที่คำร้อง", number),
            ("เมื่อ", ThaiDate.shortWithTime(at)),
        ]
        if let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty { rows.append(("เหตุผล", String(reason.prefix(500)))) }
        return .flex(
            altText: "เพิกถอน\(kind.thai) คำร้อง \(number) – \(tenant.thaiName)",
            contents: bubble(
                tenant: tenant, heading: "เพิกถอน\(kind.thai)", rows: rows,
                note: "เอกสารฉบับนี้ใช้อ้างอิงไม่ได้แล้ว ท่านยังเปิดดูได้ที่หน้าคำร้องเพื่อเป็นหลักฐาน",
                buttons: [.uri(label: "ดูคำร้องและเอกสาร", uri: link)]))
    }

    /// An officer asks for more information or a document: the message and where to answer.
    static func infoRequested(tenant: Tenant, number: String, serviceName: String, at: Date, message: String, link: String) -> LineMessage {
        let rows = [("เลขที่คำร้อง", number), ("บริการ", serviceName), ("เมื่อ", ThaiDate.shortWithTime(at)), ("สิ่งที่ขอ", String(message.prefix(500)))]
        return .flex(
            altText: "ขอข้อมูลเพิ่มเติม คำร้อง \(number) – \(tenant.thaiName)",
            contents: bubble(
                tenant: tenant, heading: "ขอข้อมูล/เอกสารเพิ่มเติม", rows: rows,
                note: "กรุณาส่งข้อมูลหรือเอกสารที่หน้าคำร้อง ระหว่างรอ ระบบหยุดนับระยะเวลาดำเนินการ",
                buttons: [.uri(label: "ตอบและแนบเอกสาร", uri: link)]))
    }

    // MARK: Replies

    static func greeting(tenant: Tenant) -> LineMessage {
        .flex(
            altText: "ขอบคุณที่เพิ่ม \(tenant.thaiName) เป็นเพื่อน เชื่อมบัญชี e-Service เพื่อรับแจ้งสถานะคำร้องทาง LINE",
            contents: bubble(
                tenant: tenant, heading: "ยินดีต้อนรับ", rows: [],
                note: "เชื่อมบัญชี LINE กับบัญชี e-Service ของท่าน เพื่อรับการยืนยันเมื่อยื่นคำร้องและแจ้งเมื่อคำร้องเปลี่ยนสถานะ และพิมพ์ “สถานะ” เพื่อดูคำร้องล่าสุด",
                buttons: [linkButton, statusButton]))
    }

    static let linkButton = LineAction.postback(label: "เชื่อมบัญชี e-Service", data: "action=link", displayText: "เชื่อมบัญชี")
    static let statusButton = LineAction.postback(label: "ดูสถานะคำร้อง", data: "action=status", displayText: "สถานะ")

    /// The way to the tenant's sign-in page, which leads on to LINE's account-link dialog.
    static func linkOffer(tenant: Tenant, url: String) -> LineMessage {
        .flex(
            altText: "เข้าสู่ระบบ e-Service ของ\(tenant.thaiName) เพื่อเชื่อมบัญชีกับ LINE (ลิงก์ใช้ได้ 10 นาที)",
            contents: bubble(
                tenant: tenant, heading: "เชื่อมบัญชี e-Service", rows: [],
                note: "แตะปุ่มด้านล่าง เข้าสู่ระบบด้วยเลขประจำตัวประชาชนและรหัสผ่าน แล้วยืนยันการเชื่อมบัญชี ลิงก์นี้ใช้ได้ภายใน 10 นาที",
                buttons: [.uri(label: "เข้าสู่ระบบและเชื่อมบัญชี", uri: url)]))
    }

    static func linked(tenant: Tenant, name: String) -> LineMessage {
        .text("เชื่อมบัญชี LINE กับบัญชี e-Service ของ\(name)เรียบร้อยแล้ว ท่านจะได้รับแจ้งสถานะคำร้องทาง LINE (เลือกช่องทางได้ที่หน้าข้อมูลส่วนตัว) พิมพ์ “สถานะ” เพื่อดูคำร้องล่าสุด")
    }

    static func notLinked(tenant: Tenant) -> LineMessage {
        .flex(
            altText: "ยังไม่ได้เชื่อมบัญชี e-Service กับ LINE นี้ เชื่อมบัญชีก่อนเพื่อดูสถานะคำร้อง",
            contents: bubble(
                tenant: tenant, heading: "ยังไม่ได้เชื่อมบัญชี", rows: [],
                note: "เพื่อความปลอดภัย ระบบแสดงสถานะคำร้องเฉพาะบัญชี LINE ที่เชื่อมกับบัญชี e-Service แล้ว", buttons: [linkButton]))
    }

    /// The citizen's latest petitions with their statuses, newest first.
    static func statusList(tenant: Tenant, petitions: [PetitionLine], listURL: String) -> LineMessage {
        guard !petitions.isEmpty else {
            return .text("ท่านยังไม่มีคำร้องที่\(tenant.thaiName) ยื่นคำร้องได้ที่เว็บไซต์ e-Service ของหน่วยงาน")
        }
        let alt = "คำร้องล่าสุด: " + petitions.map { "\($0.number) \($0.status.thai)" }.joined(separator: ", ")
        var contents: [FlexComponent] = [.text(FlexText("คำร้องล่าสุดของท่าน", size: "md", bold: true))]
        for p in petitions {
            contents.append(.separator)
            contents.append(
                .box(
                    FlexBox(
                        .vertical, spacing: "xs",
                        [
                            .text(FlexText(p.number, size: "sm", bold: true)),
                            .text(FlexText(p.serviceName, size: "sm", color: "#555555")),
                            .text(FlexText("\(p.status.thai) · ยื่น \(ThaiDate.long(p.filedAt))", size: "sm", color: statusColor(p.status))),
                        ])))
        }
        return .flex(
            altText: alt,
            contents: FlexBubble(
                header: header(tenant), body: FlexBox(.vertical, spacing: "md", contents),
                footer: FlexBox([.button(FlexButton(.uri(label: "ดูคำร้องทั้งหมด", uri: listURL), color: tenant.config.colors.primary))])))
    }

    static func petition(tenant: Tenant, petition p: PetitionLine, link: String) -> LineMessage {
        .flex(
            altText: "คำร้อง \(p.number): \(p.status.thai)",
            contents: bubble(
                tenant: tenant, heading: "สถานะคำร้อง",
                rows: [
                    ("เลขที่คำร้อง", p.number), ("บริการ", p.serviceName), ("สถานะ", p.status.thai), ("วันที่ยื่น", ThaiDate.long(p.filedAt)),
                ], note: nil, buttons: [.uri(label: "ดูคำร้อง", uri: link)]))
    }

    static func notFound(number: String) -> LineMessage {
        .text("ไม่พบคำร้องเลขที่ \(number) ในบัญชีของท่าน กรุณาตรวจสอบเลขที่คำร้อง หรือพิมพ์ “สถานะ” เพื่อดูคำร้องล่าสุด")
    }

    static func help(tenant: Tenant) -> LineMessage {
        .quickReply(
            .text(
                "พิมพ์ “สถานะ” เพื่อดูคำร้องล่าสุด หรือพิมพ์เลขที่คำร้อง เช่น \(tenant.config.code)-\(ThaiDate.buddhistYear(of: Date()))-000042 เพื่อดูคำร้องนั้น พิมพ์ “แจ้งเรื่อง” เพื่อแจ้งเรื่องร้องเรียนพร้อมรูปและตำแหน่ง สอบถามเพิ่มเติมโทร \(tenant.config.contact.phone)"
            ), [LineQuickReply("แจ้งเรื่อง", .message(text: "แจ้งเรื่อง")), LineQuickReply("สถานะ", .message(text: "สถานะ"))])
    }

    // MARK: Layout

    private static func header(_ tenant: Tenant) -> FlexBox {
        FlexBox(
            .vertical, spacing: nil, backgroundColor: tenant.config.colors.primary,
            [.text(FlexText(tenant.thaiName, size: "sm", bold: true, color: "#ffffff"))])
    }

    static func bubble(tenant: Tenant, heading: String, rows: [(String, String)], note: String?, buttons: [LineAction]) -> FlexBubble {
        var body: [FlexComponent] = [.text(FlexText(heading, size: "lg", bold: true))]
        for (label, value) in rows {
            body.append(
                .box(
                    FlexBox(
                        .baseline, spacing: "sm",
                        [
                            .text(FlexText(label, size: "sm", color: "#555555", flex: 3)),
                            .text(FlexText(value, size: "sm", flex: 5)),
                        ])))
        }
        if let note { body.append(.text(FlexText(note, size: "sm", color: "#555555"))) }
        let footer =
            buttons.isEmpty
            ? nil
            : FlexBox(
                buttons.enumerated().map { i, action in
                    .button(FlexButton(action, style: i == 0 ? .primary : .secondary, color: i == 0 ? tenant.config.colors.primary : nil))
                })
        return FlexBubble(header: header(tenant), body: FlexBox(.vertical, spacing: "md", body), footer: footer)
    }

    private static func statusColor(_ status: PetitionStatus) -> String {
        switch status {
        case .completed: "#1b5e20"
        case .cannotProceed: "#b71c1c"
        default: "#0d47a1"
        }
    }
}
