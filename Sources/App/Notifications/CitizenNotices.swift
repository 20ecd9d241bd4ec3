import Domain
import Fluent
import Foundation
import Vapor

/// The citizen a notice is for, read the same way by the notifier (to send) and by a page that says what was
/// sent (the officer's confirmation), so both put the same inputs to the one rule, `NoticePolicy`.
enum CitizenNotices {
    struct Recipient: Sendable {
        /// "นายสมชาย ใจดี", as the e-mails greet them.
        var name: String
        /// As stored (may be blank).
        var emailAddress: String
        var choices: NotificationChoices
        /// The linked LINE user, when it follows the tenant's Official Account.
        var lineUserID: String?

        var email: String? {
            let e = emailAddress.trimmingCharacters(in: .whitespaces)
            return e.isEmpty ? nil : e
        }

        var audience: NoticePolicy.Audience {
            .init(hasEmail: email != nil, followsOnLine: lineUserID != nil, choices: choices)
        }
    }

    /// The citizen and their LINE link; nil for no citizen (an Open311 petition) or one that is gone.
    static func recipient(_ citizenID: UUID?, tenant: Tenant, on db: any Database) async throws -> Recipient? {
        guard let citizenID else { return nil }
        return try await CitizenStore.noticeRecipient(citizenID, tenant: tenant, on: db)
    }

    /// The channels `subject` reaches for this recipient (`NoticePolicy`'s rule, nothing of its own).
    static func channels(_ subject: NoticePolicy.Subject, to r: Recipient?) -> [NoticeChannel] {
        NoticePolicy.channels(for: subject, to: r?.audience)
    }

    /// " ระบบแจ้งผู้ยื่นทางอีเมลและLINE" for a confirmation, or "" when nobody is told.
    static func told(_ channels: [NoticeChannel], who: String = "ผู้ยื่น") -> String {
        channels.isEmpty ? "" : " ระบบแจ้ง\(who)ทาง" + channels.map(\.thai).joined(separator: "และ")
    }
}
