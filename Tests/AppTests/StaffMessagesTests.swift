import Domain
import Foundation
import Testing
import Vapor

@testable import App

/// The e-mails to staff: Thai copy in `Views/emails/staff-*.leaf` (one shared `staff-frame`), typed contexts and
/// subjects in `StaffMessages`.
@Suite("Staff e-mails: templates from typed contexts")
struct StaffMessagesTests {
    @Test("each staff e-mail renders its subject, Thai text and absolute link from its typed context")
    func templates() async throws {
        try await withApp(.sqlite) { app, _ in
            let name = "นางสมหญิง ใจงาม", to = "somying.j@example.go.th"
            let login = "https://eservice.example.go.th/backoffice/login"
            let at = ThaiDate.shortWithTime(Date(timeIntervalSince1970: 1_767_225_600))  // 1 ม.ค. 2569 07:00 Bangkok
            // Said by an administrator: escaped in the HTML part, as typed in the text part.
            let reason = "สำเนาบัตร <ไม่ชัด> & \"หมดอายุ\""
            func render(_ message: some StaffMessage) async throws -> RenderedMail {
                try await StaffMail.render(app.view, from: app.settings.mailFrom, to: to, message, key: "test")
            }
            func check(_ mail: RenderedMail, subject: String, heading: String, _ texts: [String], link: (label: String, url: String)?, not: [String] = []) {
                #expect(mail.mail.to == [to] && mail.mail.subject == subject, "\(subject)")
                if let link {
                    #expect(mail.mail.text.contains("\(link.label): \(link.url)"), "text link: \(subject)")
                    #expect(mail.mail.html.contains("<a href=\"\(HTMLText.escaped(link.url))\">\(HTMLText.escaped(link.label))</a>"), "html link: \(subject)")
                } else {
                    #expect(!mail.mail.html.contains("<a "), "no link: \(subject)")
                    #expect(!mail.mail.text.contains("http"), "no link: \(subject)")
                }
                #expect(mail.mail.html.contains("<title>\(heading)</title>") && mail.mail.html.contains(">\(heading)</h1>"), "heading: \(subject)")
                #expect(mail.mail.text.hasPrefix("\(heading)\n\nเรียน \(name)\n\n"), "heading and greeting: \(subject)")
                for text in texts + ["เรียน \(name)", "อีเมลนี้ส่งจากระบบงานเจ้าหน้าที่ e-Service โดยอัตโนมัติ"] {
                    #expect(mail.mail.text.contains(text), "text part of \(subject): \(text)")
                    #expect(mail.mail.html.contains(HTMLText.escaped(text)), "html part of \(subject): \(text)")
                }
                for text in not { #expect(!mail.mail.text.contains(text), "not in \(subject): \(text)") }
                #expect(!mail.mail.text.contains("#(") && !mail.mail.html.contains("#("), "no Leaf left over")
            }

            check(
                try await render(
                    StaffMessages.RegistrationReceived(frame: .init(name: name), number: "SR-2569-000007", submittedAt: at, username: "somying.j")),
                subject: "ได้รับคำขอลงทะเบียนเจ้าหน้าที่แล้ว (SR-2569-000007)", heading: "ได้รับคำขอลงทะเบียนผู้ใช้งานระบบงานเจ้าหน้าที่แล้ว",
                ["เลขที่คำขอ SR-2569-000007 ยื่นเมื่อ \(at)", "ชื่อผู้ใช้งาน: somying.j", "ผู้ดูแลระบบจะตรวจสอบเอกสารประกอบ และแจ้งผลการอนุมัติทางอีเมลนี้"],
                link: nil)

            check(
                try await render(
                    StaffMessages.RegistrationDecided(
                        frame: .init(name: name, link: login), number: "SR-2569-000007", approved: true,
                        decidedAt: at, username: "somying.j", reason: nil)),
                subject: "ผลการลงทะเบียนเจ้าหน้าที่ SR-2569-000007: อนุมัติ", heading: "ผลการลงทะเบียนผู้ใช้งานระบบงานเจ้าหน้าที่",
                [
                    "คำขอลงทะเบียนเลขที่ SR-2569-000007 ได้รับการอนุมัติเมื่อ \(at)",
                    "ชื่อผู้ใช้งานของท่านคือ somying.j เข้าสู่ระบบด้วยรหัสผ่านที่ตั้งไว้ตอนลงทะเบียน แล้วลงทะเบียนแอปยืนยันตัวตน (OTP)",
                    "จากนั้นกด \"เปลี่ยนแปลงสิทธิ์การใช้งาน\" เพื่อขอสิทธิ์ในระบบงานของหน่วยงาน",
                ],
                link: ("เข้าสู่ระบบ", login), not: ["ไม่ได้รับการอนุมัติ", "เหตุผล"])
            check(
                try await render(
                    StaffMessages.RegistrationDecided(
                        frame: .init(name: name, link: nil), number: "SR-2569-000007", approved: false,
                        decidedAt: at, username: "somying.j", reason: reason)),
                subject: "ผลการลงทะเบียนเจ้าหน้าที่ SR-2569-000007: ไม่อนุมัติ", heading: "ผลการลงทะเบียนผู้ใช้งานระบบงานเจ้าหน้าที่",
                ["คำขอลงทะเบียนเลขที่ SR-2569-000007 ไม่ได้รับการอนุมัติ", "เหตุผล: \(reason)", "หากต้องการยื่นใหม่ โปรดติดต่อผู้ดูแลระบบ"],
                link: nil, not: ["ได้รับการอนุมัติเมื่อ", "somying.j"])

            let rule = "รหัสผ่านเริ่มต้นคือวัน เดือน ปีเกิดของท่าน 8 หลัก ปีเป็นพุทธศักราช (เช่น เกิด 1 มกราคม 2530 ให้กรอก 01012530)"
            check(
                try await render(StaffMessages.InitialPassword(frame: .init(name: name, link: login), newAccount: true, username: "somying.j", validUntil: at)),
                subject: "บัญชีผู้ใช้งานระบบงานเจ้าหน้าที่ e-Service", heading: "ผู้ดูแลระบบสร้างบัญชีผู้ใช้งานให้ท่านแล้ว",
                [
                    "ชื่อผู้ใช้งาน: somying.j", rule, "รหัสผ่านเริ่มต้นใช้ได้ 72 ชั่วโมง ถึง \(at) หากเลยกำหนด โปรดขอรหัสผ่านเริ่มต้นใหม่จากผู้ดูแลระบบ",
                    "เมื่อเข้าสู่ระบบครั้งแรก ระบบจะให้ตั้งรหัสผ่านใหม่และลงทะเบียนแอปยืนยันตัวตน (OTP)",
                ],
                link: ("เข้าสู่ระบบ", login), not: ["รหัสผ่านนี้ใช้ได้", "ออกรหัสผ่านเริ่มต้นใหม่"])
            check(
                try await render(
                    StaffMessages.InitialPassword(frame: .init(name: name, link: login), newAccount: false, username: "somying.j", validUntil: at)),
                subject: "รหัสผ่านเริ่มต้นใหม่ ระบบงานเจ้าหน้าที่ e-Service", heading: "ผู้ดูแลระบบออกรหัสผ่านเริ่มต้นใหม่ให้ท่านแล้ว",
                ["ชื่อผู้ใช้งาน: somying.j", rule, "รหัสผ่านนี้ใช้ได้ 72 ชั่วโมง ถึง \(at) เมื่อเข้าสู่ระบบ ระบบจะให้ตั้งรหัสผ่านใหม่"],
                link: ("เข้าสู่ระบบ", login), not: ["เมื่อเข้าสู่ระบบครั้งแรก", "สร้างบัญชี"])

            let home = "https://eservice.example.go.th/backoffice"
            check(
                try await render(
                    StaffMessages.AccessDecided(
                        frame: .init(name: name, link: home), number: "AR-2569-000003", role: "เจ้าหน้าที่",
                        tenantName: "เทศบาลตำบลบางกระทุ่ม", approved: true, decidedAt: at, reason: nil)),
                subject: "ผลการขอสิทธิ์ AR-2569-000003: อนุมัติ", heading: "ผลการขอสิทธิ์การใช้งาน",
                ["คำขอเลขที่ AR-2569-000003: เจ้าหน้าที่ ในเทศบาลตำบลบางกระทุ่ม", "ผลการพิจารณา: อนุมัติ เมื่อ \(at)"],
                link: ("เข้าสู่ระบบงานเจ้าหน้าที่", home), not: ["เหตุผล", "ไม่อนุมัติ"])
            check(
                try await render(
                    StaffMessages.AccessDecided(
                        frame: .init(name: name, link: home), number: "AR-2569-000003", role: "ผู้ดูแลหน่วยงาน",
                        tenantName: "เทศบาลตำบลบางกระทุ่ม", approved: false, decidedAt: at, reason: reason)),
                subject: "ผลการขอสิทธิ์ AR-2569-000003: ไม่อนุมัติ", heading: "ผลการขอสิทธิ์การใช้งาน",
                ["คำขอเลขที่ AR-2569-000003: ผู้ดูแลหน่วยงาน ในเทศบาลตำบลบางกระทุ่ม", "ผลการพิจารณา: ไม่อนุมัติ เมื่อ \(at)", "เหตุผล: \(reason)"],
                link: ("เข้าสู่ระบบงานเจ้าหน้าที่", home))

            // A link with a query string: the HTML attribute is escaped, the text part has it as it is.
            let reset = "https://eservice.example.go.th/backoffice/reset-password/AbC123?from=mail&x=1"
            let resetMail = try await render(StaffMessages.PasswordResetLink(frame: .init(name: name, link: reset), username: "somying.j", requestedAt: at))
            check(
                resetMail, subject: "ลิงก์ตั้งรหัสผ่านใหม่ ระบบงานเจ้าหน้าที่ e-Service", heading: "ตั้งรหัสผ่านใหม่",
                ["มีการขอตั้งรหัสผ่านใหม่สำหรับชื่อผู้ใช้งาน somying.j เมื่อ \(at)", "ลิงก์นี้ใช้ได้ครั้งเดียว ภายใน 30 นาที หากท่านไม่ได้ขอ ไม่ต้องทำอะไร รหัสผ่านเดิมยังใช้ได้"],
                link: ("ตั้งรหัสผ่านใหม่", reset))
            #expect(resetMail.mail.html.contains(HTMLText.escaped("หากกดลิงก์ไม่ได้ ให้คัดลอกที่อยู่นี้ไปเปิดในเบราว์เซอร์: \(reset)")))
            check(
                try await render(StaffMessages.PasswordChanged(frame: .init(name: name), username: "somying.j", changedAt: at)),
                subject: "รหัสผ่านของท่านถูกเปลี่ยนแล้ว", heading: "รหัสผ่านถูกเปลี่ยนแล้ว",
                [
                    "รหัสผ่านของชื่อผู้ใช้งาน somying.j ถูกตั้งใหม่ทางลิงก์ในอีเมลเมื่อ \(at)",
                    "การเข้าสู่ระบบอื่นทั้งหมดของท่านถูกยกเลิกแล้ว หากท่านไม่ได้ทำรายการนี้ โปรดแจ้งผู้ดูแลระบบทันที",
                ],
                link: nil)
            check(
                try await render(
                    StaffMessages.UsernameReminder(frame: .init(name: name, link: login), username: "somying.j", status: StaffAccountStatus.active.thai)),
                subject: "ชื่อผู้ใช้งานระบบงานเจ้าหน้าที่ e-Service", heading: "ชื่อผู้ใช้งานของท่าน",
                ["ชื่อผู้ใช้งานของท่านคือ somying.j", "สถานะบัญชี: \(StaffAccountStatus.active.thai)"],
                link: ("เข้าสู่ระบบ", login))
            let petitionLink = "https://eservice.example.go.th/backoffice/t/bangkrathum/petitions/BKT-2569-000042"
            check(
                try await render(
                    SLAMessages.Reopened(
                        frame: .init(name: name, link: petitionLink), number: "BKT-2569-000042", serviceName: "แจ้งไฟฟ้าสาธารณะชำรุด",
                        tenantName: "เทศบาลตำบลบางกระทุ่ม", at: at, due: "15 มกราคม 2570",
                        role: PetitionFeedbackStore.Recipient.divisionHead.thai)),
                subject: "ผู้ยื่นแจ้งว่ายังไม่ได้รับการแก้ไข คำร้อง BKT-2569-000042", heading: "ผู้ยื่นแจ้งว่ายังไม่ได้รับการแก้ไข คำร้อง BKT-2569-000042",
                [
                    "ผู้ยื่นคำร้องเลขที่ BKT-2569-000042 (แจ้งไฟฟ้าสาธารณะชำรุด) ของเทศบาลตำบลบางกระทุ่ม แจ้งเมื่อ \(at) ว่ายังไม่ได้รับการแก้ไข คำร้องจึงกลับมาอยู่ในสถานะ “กำลังดำเนินการ”",
                    PetitionFeedbackStore.Recipient.divisionHead.thai,
                    "กำหนดเสร็จใหม่: ภายใน 15 มกราคม 2570 กรุณาอ่านเหตุผลของผู้ยื่นในคำร้องและดำเนินการต่อ",
                ],
                link: ("เปิดคำร้อง", petitionLink))
        }
    }
}
