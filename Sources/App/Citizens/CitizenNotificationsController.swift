import Domain
import Foundation
import Vapor

/// The notice choices sent from the profile page: which notices by e-mail and which by LINE (the completion
/// e-mail is always sent).
struct CitizenNotificationsController {
    func save(_ req: Request) async throws -> Response {
        let t = try req.tenant
        let form = NoticeChoicesForm { channel, kind in
            (try? req.content.get(String.self, at: NoticeChoicesForm.field(channel, kind))) == "1"
        }
        try await CitizenStore.setNoticeChoices(form.choices, of: try req.citizen, tenant: t.tenant, now: Date(), on: req.db)
        req.flash(form.confirmation)
        return req.redirect(to: t.url(.profile))
    }
}

/// The boxes of the profile page's notice table, as choices (no request, no database).
struct NoticeChoicesForm: Equatable {
    var choices: NotificationChoices

    /// The box of one kind of notice by one channel: `email_filed`, `line_status_changed`, …
    static func field(_ channel: NoticeChannel, _ kind: NoticeKind) -> String { "\(channel.rawValue)_\(kind.rawValue)" }

    init(ticked: (NoticeChannel, NoticeKind) -> Bool) {
        choices = NotificationChoices(
            email: Set(NoticeKind.allCases.filter { ticked(.email, $0) }),
            line: Set(NoticeKind.allCases.filter { ticked(.line, $0) }))
    }

    /// What the citizen is told once saved: the only e-mail left is said so.
    var confirmation: String {
        "บันทึกช่องทางการแจ้งเตือนแล้ว"
            + (choices.email.count == NotificationChoices.fixedEmail.count && choices.line.isEmpty
                ? " ท่านจะได้รับเฉพาะอีเมลแจ้งเมื่อคำร้องดำเนินการสำเร็จ" : "")
    }
}
