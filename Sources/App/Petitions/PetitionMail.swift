import Domain
import Fluent
import Foundation
import Vapor

/// E-mails to the citizen about their petition, rendered from `emails/citizen-notice` and returned for the
/// caller to enqueue in the transaction that makes the change (`PetitionStore.file` / `move`'s
/// `notifications`). Each has an idempotency key, so a retried transaction or job is one e-mail.
///
/// Who gets a status e-mail:
/// - nobody when the petition has no citizen (filed through Open311) or the citizen has no e-mail;
/// - on `completed` (and any status whose `notifiesAlways` is true) always: the seed requires it;
/// - otherwise only when the citizen left `notifyStatusChanges` on (their `NotificationChoices`; LINE messages
///   are `CitizenNotices`').
enum PetitionMail {
    /// The confirmation a citizen gets when the petition is filed: tracking number, service, when it was
    /// received (Buddhist era, Bangkok time) and a link to the petition's page.
    static func filed(_ req: Request, petition: PetitionRecord, tenant: Tenant, citizen: CitizenAccount) async throws -> [RenderedMail] {
        guard let email = address(citizen), citizen.noticeChoices.wants(.filed, by: .email) else { return [] }
        let id = try petition.requireID()
        let notice = CitizenNotice(
            heading: "ได้รับคำร้องของท่านแล้ว",
            name: citizen.fullName,
            lines: [
                "\(tenant.thaiName)ได้รับคำร้องของท่านทางระบบบริการประชาชนออนไลน์แล้ว",
                "เลขที่คำร้อง: \(petition.number)",
                "บริการ: \(petition.serviceName)",
                "วันและเวลาที่ได้รับ: \(ThaiDate.shortWithTime(petition.createdAt))",
                "สถานะ: \(petition.status.thai)",
                "กรุณาเก็บเลขที่คำร้องไว้เพื่อติดตามสถานะ ระบบจะแจ้งทางอีเมลเมื่อคำร้องดำเนินการสำเร็จ",
            ],
            link: CitizenMail.link(req, tenant: tenant, .petition(petition.number)),
            linkLabel: "ดูคำร้องและติดตามสถานะ",
            tenantName: tenant.thaiName)
        return [try await CitizenMail.render(req, to: email, subject: "ได้รับคำร้องเลขที่ \(petition.number) แล้ว – \(tenant.thaiName)",
                                             notice: notice, key: "petition-filed:\(id.uuidString.lowercased())")]
    }

    /// The citizen to tell about a status change of `petition`, if any: nil for an Open311 petition (no
    /// citizen) or one whose citizen is gone. Read before `PetitionStore.move` so that the `notifications`
    /// closure needs no query of its own.
    static func recipient(of petition: PetitionRecord, tenant: Tenant, on db: any Database) async throws -> CitizenAccount? {
        guard let citizenID = petition.citizenID else { return nil }
        return try await CitizenStore.byID(citizenID, tenant: tenant, on: db)
    }

    /// Whether a move to `status` e-mails this citizen.
    static func wants(_ citizen: CitizenAccount?, status: PetitionStatus) -> Bool {
        guard let citizen, address(citizen) != nil else { return false }
        return status.notifiesAlways || citizen.notifyStatusChanges
    }

    /// The e-mail for the petition's new status (`petition` as it is after the move), with the officer's
    /// note when there is one. Empty when nobody is to be told (see the type's rules).
    static func statusChanged(_ req: Request, petition: PetitionRecord, tenant: Tenant, note: String?,
                              citizen: CitizenAccount?) async throws -> [RenderedMail] {
        let status = petition.status
        guard let citizen, wants(citizen, status: status), let email = address(citizen) else { return [] }
        let id = try petition.requireID()
        var lines = [
            "คำร้องเลขที่ \(petition.number) (\(petition.serviceName)) เปลี่ยนสถานะเป็น “\(status.thai)” เมื่อ \(ThaiDate.shortWithTime(petition.statusChangedAt))",
        ]
        if let note = note?.trimmingCharacters(in: .whitespacesAndNewlines), !note.isEmpty {
            lines.append((status == .cannotProceed ? "เหตุผลจากเจ้าหน้าที่: " : "หมายเหตุจากเจ้าหน้าที่: ") + note)
        }
        switch status {
        case .completed: lines.append("คำร้องของท่านดำเนินการเสร็จสิ้นแล้ว หากมีเอกสารที่ออกให้ เช่น ใบเสร็จรับเงินหรือใบอนุญาต ท่านดูและดาวน์โหลดได้ที่หน้าคำร้อง")
        case .cannotProceed: lines.append("หากมีข้อสงสัย กรุณาติดต่อ\(tenant.thaiName) \(tenant.config.contact.phone)")
        default: break
        }
        if !status.notifiesAlways {
            lines.append("ท่านเลือกได้ว่าจะรับอีเมลแจ้งการเปลี่ยนสถานะหรือไม่ ที่หน้าบัญชีของท่าน (อีเมลแจ้งเมื่อดำเนินการสำเร็จจะส่งเสมอ)")
        }
        let notice = CitizenNotice(heading: "คำร้อง \(petition.number): \(status.thai)", name: citizen.fullName, lines: lines,
                                   link: CitizenMail.link(req, tenant: tenant, .petition(petition.number)),
                                   linkLabel: "ดูคำร้อง", tenantName: tenant.thaiName)
        return [try await CitizenMail.render(req, to: email, subject: "คำร้องเลขที่ \(petition.number): \(status.thai) – \(tenant.thaiName)",
                                             notice: notice, key: "petition-status:\(id.uuidString.lowercased()):\(petition.version)")]
    }

    /// The e-mail that a document issued for the petition was withdrawn, with the officer's reason. Sent
    /// whatever the citizen chose about status e-mails: a document they may be holding no longer counts.
    static func documentWithdrawn(_ req: Request, petition: PetitionRecord, tenant: Tenant, document: PetitionDocumentRecord,
                                  citizen: CitizenAccount?) async throws -> [RenderedMail] {
        guard let citizen, let email = address(citizen), let at = document.withdrawnAt else { return [] }
        let id = try document.requireID()
        let code = PetitionDocuments.displayCode(document.verificationCode)
        var lines = [
            "\(tenant.thaiName)ได้เพิกถอน\(document.kind.thai) “\(document.title)” (รหัสตรวจสอบ \(code)) ที่ออกให้สำหรับคำร้องเลขที่ \(petition.number) (\(petition.serviceName)) เมื่อ \(ThaiDate.shortWithTime(at))",
        ]
        if let reason = document.withdrawnReason, !reason.isEmpty { lines.append("เหตุผล: \(reason)") }
        lines.append("เอกสารฉบับนี้ใช้อ้างอิงไม่ได้แล้ว หน้าตรวจสอบเอกสารจะแสดงว่าถูกเพิกถอน ท่านยังเปิดดูเอกสารนี้ได้ที่หน้าคำร้องเพื่อเป็นหลักฐาน")
        lines.append("หากมีข้อสงสัย กรุณาติดต่อ\(tenant.thaiName) \(tenant.config.contact.phone)")
        let notice = CitizenNotice(heading: "เพิกถอน\(document.kind.thai) คำร้อง \(petition.number)", name: citizen.fullName, lines: lines,
                                   link: CitizenMail.link(req, tenant: tenant, .petition(petition.number)),
                                   linkLabel: "ดูคำร้องและเอกสาร", tenantName: tenant.thaiName)
        return [try await CitizenMail.render(req, to: email, subject: "เพิกถอน\(document.kind.thai) คำร้องเลขที่ \(petition.number) – \(tenant.thaiName)",
                                             notice: notice, key: "petition-document-withdrawn:\(id.uuidString.lowercased())")]
    }

    private static func address(_ citizen: CitizenAccount) -> String? {
        let e = citizen.email.trimmingCharacters(in: .whitespaces)
        return e.isEmpty ? nil : e
    }
}
