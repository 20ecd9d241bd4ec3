import Domain
import Foundation

/// The e-mails the back office sends staff, rendered from `Views/emails/<template>.{html,txt}.leaf` (each extends
/// `emails/staff-frame`): the Thai wording is in the templates, where a designer edits it; here are only the typed
/// contexts and the subjects. Dates are already in Thai (`ThaiDate`); links are absolute (`StaffMail.absolute`).
protocol StaffMessage: Encodable, Sendable {
    /// `Views/emails/<template>.html.leaf` and `.txt.leaf`.
    static var template: String { get }
    var subject: String { get }
}

enum StaffMessages {
    /// Shared by every staff e-mail (`emails/staff-frame`): the greeting, the link (when there is one) and the footer.
    struct Frame: Encodable, Sendable {
        var name: String
        var link: String?
    }

    /// `emails/staff-registration-received`: a new registration is waiting for an administrator.
    struct RegistrationReceived: StaffMessage {
        static let template = "staff-registration-received"
        var frame: Frame
        var number: String
        var submittedAt: String
        var username: String
        var subject: String { "ได้รับคำขอลงทะเบียนเจ้าหน้าที่แล้ว (\(number))" }
    }

    /// `emails/staff-registration-decided`: the administrator approved the registration (with the sign-in link), or not and why.
    struct RegistrationDecided: StaffMessage {
        static let template = "staff-registration-decided"
        var frame: Frame
        var number: String
        var approved: Bool
        var decidedAt: String
        var username: String
        var reason: String?
        var subject: String { "ผลการลงทะเบียนเจ้าหน้าที่ \(number): \(approved ? "อนุมัติ" : "ไม่อนุมัติ")" }
    }

    /// `emails/staff-initial-password`: an administrator created the account (`newAccount`) or issued the first
    /// password again; how the password is made (never the password itself) and until when it works.
    struct InitialPassword: StaffMessage {
        static let template = "staff-initial-password"
        var frame: Frame
        var newAccount: Bool
        var username: String
        var validUntil: String
        /// How long a first password works (`StaffInitialPassword.lifetime`).
        var hours = Int(StaffInitialPassword.lifetime / 3600)
        var subject: String { newAccount ? "บัญชีผู้ใช้งานระบบงานเจ้าหน้าที่ e-Service" : "รหัสผ่านเริ่มต้นใหม่ ระบบงานเจ้าหน้าที่ e-Service" }
    }

    /// `emails/staff-access-decided`: a request for a right in a tenant was approved, or not and why.
    struct AccessDecided: StaffMessage {
        static let template = "staff-access-decided"
        var frame: Frame
        var number: String
        var role: String
        var tenantName: String
        var approved: Bool
        var decidedAt: String
        var reason: String?
        var subject: String { "ผลการขอสิทธิ์ \(number): \(approved ? "อนุมัติ" : "ไม่อนุมัติ")" }
    }

    /// `emails/staff-password-reset`: the single-use link to choose a new password.
    struct PasswordResetLink: StaffMessage {
        static let template = "staff-password-reset"
        var frame: Frame
        var username: String
        var requestedAt: String
        /// How long the link works (`SingleUseToken.Kind.staffReset`).
        var minutes = Int(SingleUseToken.Kind.staffReset.lifetime / 60)
        var subject: String { "ลิงก์ตั้งรหัสผ่านใหม่ ระบบงานเจ้าหน้าที่ e-Service" }
    }

    /// `emails/staff-password-changed`: the password was set through the link; other sessions ended.
    struct PasswordChanged: StaffMessage {
        static let template = "staff-password-changed"
        var frame: Frame
        var username: String
        var changedAt: String
        var subject: String { "รหัสผ่านของท่านถูกเปลี่ยนแล้ว" }
    }

    /// `emails/staff-username`: the username reminder.
    struct UsernameReminder: StaffMessage {
        static let template = "staff-username"
        var frame: Frame
        var username: String
        var status: String
        var subject: String { "ชื่อผู้ใช้งานระบบงานเจ้าหน้าที่ e-Service" }
    }
}
