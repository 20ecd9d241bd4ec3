/// Who is told about a change, and how: the one place the rules live. The notifier asks it once per change to
/// decide what to send, and the officer's confirmation ("ระบบแจ้งผู้ยื่นทางอีเมลและ LINE") asks it with the same
/// inputs, so what the officer reads is what was sent.
///
/// - Nobody is told when there is no citizen (a petition filed through Open311) or the citizen is gone.
/// - E-mail needs an address; LINE needs a linked LINE account that still follows the Official Account.
/// - Filing and identity results go by the channels the citizen chose (`NotificationChoices`).
/// - A status change goes by the channels the citizen chose for it, except that a status whose
///   `notifiesAlways` is true (ดำเนินการสำเร็จ) is always e-mailed, as the seed requires.
/// - A withdrawn document is always e-mailed (a document the citizen may be holding no longer counts), and
///   goes to LINE when the citizen takes any petition notice there.
/// - A request for more information (ขอข้อมูล/เอกสารเพิ่มเติม) is always e-mailed (the petition waits for the
///   citizen's answer), and goes to LINE when the citizen takes status changes there.
/// - An issued document has no notice of its own: the completion notice already points to the documents.
public enum NoticePolicy {
    /// What happened, as far as the rules care.
    public enum Subject: Sendable, Equatable {
        case filed
        case moved(to: PetitionStatus)
        case documentIssued
        case documentWithdrawn
        case identity
        case infoRequested
    }

    /// The citizen as the rules see them.
    public struct Audience: Sendable, Equatable {
        public var hasEmail: Bool
        /// Linked to a LINE account that follows the tenant's Official Account.
        public var followsOnLine: Bool
        public var choices: NotificationChoices

        public init(hasEmail: Bool, followsOnLine: Bool, choices: NotificationChoices) {
            self.hasEmail = hasEmail
            self.followsOnLine = followsOnLine
            self.choices = choices
        }
    }

    /// The channels `subject` reaches for `audience` (nil: nobody to tell), e-mail first.
    public static func channels(for subject: Subject, to audience: Audience?) -> [NoticeChannel] {
        guard let audience else { return [] }
        let wanted: (email: Bool, line: Bool)
        switch subject {
        case .filed:
            wanted = (audience.choices.wants(.filed, by: .email), audience.choices.wants(.filed, by: .line))
        case .moved(let status):
            let kind = NoticeKind.of(status)
            wanted = (status.notifiesAlways || audience.choices.wants(kind, by: .email), audience.choices.wants(kind, by: .line))
        case .documentIssued:
            wanted = (false, false)
        case .documentWithdrawn:
            wanted = (true, [NoticeKind.filed, .statusChanged, .completed].contains { audience.choices.wants($0, by: .line) })
        case .identity:
            wanted = (audience.choices.wants(.identity, by: .email), audience.choices.wants(.identity, by: .line))
        case .infoRequested:
            wanted = (true, audience.choices.wants(.statusChanged, by: .line))
        }
        var out: [NoticeChannel] = []
        if wanted.email, audience.hasEmail { out.append(.email) }
        if wanted.line, audience.followsOnLine { out.append(.line) }
        return out
    }
}
