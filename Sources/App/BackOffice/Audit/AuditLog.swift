import Fluent
import Foundation
import Vapor

/// What the audit log records. The raw value is stored; `thai` is shown.
public enum AuditAction: String, Codable, Sendable, CaseIterable {
    case signIn = "sign_in"
    case signInFailed = "sign_in_failed"
    case signInThrottled = "sign_in_throttled"
    case otpFailed = "otp_failed"
    case otpThrottled = "otp_throttled"
    case otpEnrolled = "otp_enrolled"
    case recoveryCodeUsed = "recovery_code_used"
    case signOut = "sign_out"
    case passwordChanged = "password_changed"
    case passwordResetRequested = "password_reset_requested"
    case passwordReset = "password_reset"
    case usernameReminder = "username_reminder"
    case profileChanged = "profile_changed"
    case staffRegistered = "staff_registered"
    case staffApproved = "staff_approved"
    case staffRejected = "staff_rejected"
    case staffCreated = "staff_created"
    case initialPasswordIssued = "initial_password_issued"
    case accountDisabled = "account_disabled"
    case accountEnabled = "account_enabled"
    case accessRequested = "access_requested"
    case accessApproved = "access_approved"
    case accessRejected = "access_rejected"
    case rightRemoved = "right_removed"
    case platformSetup = "platform_setup"
    case settingsChanged = "settings_changed"
    case serviceChanged = "service_changed"
    case formChanged = "form_changed"
    case identityImageViewed = "identity_image_viewed"
    case identityApproved = "identity_approved"
    case identityRejected = "identity_rejected"
    case accountClosingApproved = "account_closing_approved"
    case accountClosingRefused = "account_closing_refused"
    // Petitions (officers).
    case petitionStatusChanged = "petition_status_changed"
    case petitionAttachmentViewed = "petition_attachment_viewed"
    case petitionDocumentIssued = "petition_document_issued"
    case petitionDocumentWithdrawn = "petition_document_withdrawn"
    case petitionAssigned = "petition_assigned"
    case petitionNoteAdded = "petition_note_added"
    case divisionChanged = "division_changed"
    case petitionFiledForCitizen = "petition_filed_for_citizen"
    case petitionInfoRequested = "petition_info_requested"
    case petitionsExported = "petitions_exported"
    case open311KeyIssued = "open311_key_issued"
    case open311KeyRevoked = "open311_key_revoked"
    // LINE Official Account.
    case lineLinked = "line_linked"
    case lineUnlinked = "line_unlinked"
    case lineSettingsChanged = "line_settings_changed"
    // The system page (platform admins): failed outbox jobs.
    case outboxJobRetried = "outbox_job_retried"
    case outboxJobDiscarded = "outbox_job_discarded"
    case outboxJobsRetried = "outbox_jobs_retried"

    public var thai: String {
        switch self {
        case .signIn: "เข้าสู่ระบบ"
        case .signInFailed: "เข้าสู่ระบบไม่สำเร็จ"
        case .signInThrottled: "ระงับการเข้าสู่ระบบชั่วคราว"
        case .otpFailed: "รหัส OTP ไม่ถูกต้อง"
        case .otpThrottled: "ระงับการกรอก OTP ชั่วคราว"
        case .otpEnrolled: "ลงทะเบียนแอปยืนยันตัวตน (OTP)"
        case .recoveryCodeUsed: "ใช้รหัสกู้คืน"
        case .signOut: "ออกจากระบบ"
        case .passwordChanged: "เปลี่ยนรหัสผ่าน"
        case .passwordResetRequested: "ขอตั้งรหัสผ่านใหม่"
        case .passwordReset: "ตั้งรหัสผ่านใหม่ทางอีเมล"
        case .usernameReminder: "ขอทราบชื่อผู้ใช้งาน"
        case .profileChanged: "แก้ไขข้อมูลส่วนตัว"
        case .staffRegistered: "ลงทะเบียนเจ้าหน้าที่"
        case .staffApproved: "อนุมัติบัญชีเจ้าหน้าที่"
        case .staffRejected: "ไม่อนุมัติบัญชีเจ้าหน้าที่"
        case .staffCreated: "สร้างบัญชีเจ้าหน้าที่"
        case .initialPasswordIssued: "ออกรหัสผ่านเริ่มต้นใหม่"
        case .accountDisabled: "ระงับบัญชี"
        case .accountEnabled: "เปิดใช้บัญชี"
        case .accessRequested: "ขอสิทธิ์การใช้งาน"
        case .accessApproved: "อนุมัติสิทธิ์การใช้งาน"
        case .accessRejected: "ไม่อนุมัติสิทธิ์การใช้งาน"
        case .rightRemoved: "ถอนสิทธิ์การใช้งาน"
        case .platformSetup: "ตั้งค่าผู้ดูแลระบบกลางคนแรก"
        case .settingsChanged: "แก้ไขการตั้งค่าหน่วยงาน"
        case .serviceChanged: "แก้ไขบริการ"
        case .formChanged: "แก้ไขแบบฟอร์ม"
        case .identityImageViewed: "เปิดดูภาพยืนยันตัวตน"
        case .identityApproved: "อนุมัติการยืนยันตัวตน"
        case .identityRejected: "ไม่อนุมัติการยืนยันตัวตน"
        case .accountClosingApproved: "อนุมัติคำขอปิดบัญชีของประชาชน (ลบข้อมูลส่วนบุคคล)"
        case .accountClosingRefused: "ไม่อนุมัติคำขอปิดบัญชีของประชาชน"
        case .petitionStatusChanged: "เปลี่ยนสถานะคำร้อง"
        case .petitionAttachmentViewed: "เปิดดูไฟล์แนบของคำร้อง"
        case .petitionDocumentIssued: "ออกเอกสารให้คำร้อง"
        case .petitionDocumentWithdrawn: "เพิกถอนเอกสารของคำร้อง"
        case .petitionAssigned: "มอบหมายผู้รับผิดชอบคำร้อง"
        case .petitionNoteAdded: "เพิ่มบันทึกภายในของคำร้อง"
        case .divisionChanged: "แก้ไขกอง/ฝ่ายของหน่วยงาน"
        case .petitionFiledForCitizen: "ยื่นคำร้องแทนประชาชน"
        case .petitionInfoRequested: "ขอข้อมูล/เอกสารเพิ่มเติมจากผู้ยื่น"
        case .petitionsExported: "ส่งออกรายการคำร้อง"
        case .open311KeyIssued: "ออกคีย์ Open311 API"
        case .open311KeyRevoked: "เพิกถอนคีย์ Open311 API"
        case .lineLinked: "ประชาชนเชื่อมบัญชี LINE"
        case .lineUnlinked: "ประชาชนยกเลิกการเชื่อมบัญชี LINE"
        case .lineSettingsChanged: "แก้ไขการตั้งค่าช่องทาง LINE"
        case .outboxJobRetried: "สั่งส่งงานที่ล้มเหลวใหม่"
        case .outboxJobDiscarded: "ยกเลิกงานที่ล้มเหลว"
        case .outboxJobsRetried: "สั่งส่งงานที่ล้มเหลวใหม่ทั้งประเภท"
        }
    }
}

final class AuditEventRecord: Model, @unchecked Sendable {
    static let schema = "audit_events"

    @ID(key: .id) var id: UUID?
    @Field(key: "at") var at: Date
    @OptionalField(key: "actor_id") var actorID: UUID?
    @Field(key: "actor_name") var actorName: String
    @OptionalField(key: "tenant_id") var tenantID: String?
    @Field(key: "action") var action: String
    @Field(key: "detail") var detail: String
    @Field(key: "ip") var ip: String

    init() {}
}

/// Who acted: a signed-in staff member, or someone not (yet) signed in, named by what they typed.
public struct AuditActor: Sendable {
    public var id: UUID?
    public var name: String

    public init(id: UUID?, name: String) {
        self.id = id
        self.name = name
    }

    public init(_ staff: StaffPrincipal) {
        self.init(id: staff.id, name: staff.username)
    }
}

public struct AuditEntry: Sendable {
    public var at: Date
    public var actorName: String
    public var tenantID: String?
    public var action: AuditAction?
    public var actionRaw: String
    public var detail: String
    public var ip: String
}

/// Writes and reads the audit log. `detail` must never carry a password, code, token or full national ID.
public enum AuditLog {
    public static func record(
        _ action: AuditAction, actor: AuditActor, tenant: String?, detail: String, ip: String,
        at: Date = Date(), on db: any Database
    ) async throws {
        let e = AuditEventRecord()
        e.at = at
        e.actorID = actor.id
        e.actorName = String(actor.name.prefix(120))
        e.tenantID = tenant
        e.action = action.rawValue
        e.detail = String(detail.prefix(1000))
        e.ip = String(ip.prefix(64))
        try await e.create(on: db)
    }

    /// Records for the request's signed-in staff member (or `actor` when given), from the request's address.
    public static func record(
        _ action: AuditAction, on req: Request, actor: AuditActor? = nil, tenant: String?, detail: String,
        db: (any Database)? = nil
    ) async throws {
        guard let who = actor ?? req.signedInStaff.map(AuditActor.init) else { return }
        try await record(action, actor: who, tenant: tenant, detail: detail, ip: req.clientAddress, on: db ?? req.db)
    }

    public struct Filter: Sendable {
        /// nil: every tenant and the platform's own events (platform admins only).
        public var tenants: [String]?
        public var action: AuditAction?
        public var actor: String?
        public var from: Date?
        public var to: Date?
        public var limit = 200

        public init(tenants: [String]? = nil, action: AuditAction? = nil, actor: String? = nil, from: Date? = nil, to: Date? = nil) {
            self.tenants = tenants
            self.action = action
            self.actor = actor
            self.from = from
            self.to = to
        }
    }

    public static func list(_ filter: Filter, on db: any Database) async throws -> [AuditEntry] {
        let query = AuditEventRecord.query(on: db)
        if let tenants = filter.tenants { query.filter(\.$tenantID ~~ tenants) }
        if let action = filter.action { query.filter(\.$action == action.rawValue) }
        if let actor = filter.actor, !actor.isEmpty { query.filter(\.$actorName == actor) }
        if let from = filter.from { query.filter(\.$at >= from) }
        if let to = filter.to { query.filter(\.$at < to) }
        return try await query.sort(\.$at, .descending).limit(filter.limit).all().map {
            AuditEntry(
                at: $0.at, actorName: $0.actorName, tenantID: $0.tenantID, action: AuditAction(rawValue: $0.action),
                actionRaw: $0.action, detail: $0.detail, ip: $0.ip)
        }
    }
}
