/// What a citizen is told about, and how: by e-mail, in LINE (once their LINE account is linked), or both.
public enum NoticeKind: String, CaseIterable, Sendable {
    /// The petition was received ("สำเร็จ" with the tracking number).
    case filed
    /// Any other status change (accepted, in progress, cannot proceed).
    case statusChanged
    /// ดำเนินการสำเร็จ: the e-mail always goes, as the seed requires.
    case completed
    /// The result of the identity check.
    case identity

    /// The kind of notice a petition's move to `status` is.
    public static func of(_ status: PetitionStatus) -> NoticeKind { status == .completed ? .completed : .statusChanged }

    public var thai: String {
        switch self {
        case .filed: "ยืนยันเมื่อยื่นคำร้องสำเร็จ"
        case .statusChanged: "การเปลี่ยนสถานะคำร้อง"
        case .completed: "คำร้องดำเนินการสำเร็จ"
        case .identity: "ผลการยืนยันตัวตน"
        }
    }
}

public enum NoticeChannel: String, CaseIterable, Sendable {
    case email, line

    public var thai: String {
        switch self {
        case .email: "อีเมล"
        case .line: "LINE"
        }
    }
}

public struct NotificationChoices: Sendable, Equatable {
    public var email: Set<NoticeKind>
    public var line: Set<NoticeKind>

    /// Everything by both: what a new citizen gets until they choose.
    public static let all = NotificationChoices(email: Set(NoticeKind.allCases), line: Set(NoticeKind.allCases))

    public init(email: Set<NoticeKind>, line: Set<NoticeKind>) {
        self.email = email.union(Self.fixedEmail)
        self.line = line
    }

    /// Kinds whose e-mail cannot be turned off.
    public static let fixedEmail: Set<NoticeKind> = [.completed]

    public func wants(_ kind: NoticeKind, by channel: NoticeChannel) -> Bool {
        switch channel {
        case .email: email.contains(kind) || Self.fixedEmail.contains(kind)
        case .line: line.contains(kind)
        }
    }
}
