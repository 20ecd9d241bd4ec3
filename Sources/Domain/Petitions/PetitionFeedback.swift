import Foundation

/// The citizen's say on a finished petition: a rating of 1–5 with an optional comment, given once, and
/// "ยังไม่ได้รับการแก้ไข" within 14 days of ดำเนินการสำเร็จ, which reopens it.
public struct PetitionRating: Sendable, Equatable {
    public static let commentMaxLength = 1000
    public static let stars = 1...5

    public let stars: Int
    public let comment: String?

    /// What each number means, for the form's choices and for the officer's page.
    public static func thai(_ stars: Int) -> String {
        switch stars {
        case 5: "พอใจมากที่สุด"
        case 4: "พอใจมาก"
        case 3: "พอใจปานกลาง"
        case 2: "พอใจน้อย"
        default: "ไม่พอใจ"
        }
    }

    public enum Problem: Error, Sendable, Equatable {
        case starsMissing
        case commentTooLong(Int)
        /// The petition is not at a final status yet.
        case notFinished
        case alreadyRated

        public var thai: String {
            switch self {
            case .starsMissing: "กรุณาเลือกระดับความพึงพอใจ 1 ถึง 5"
            case let .commentTooLong(n):
                "ความคิดเห็นยาวได้ไม่เกิน \(PetitionRating.commentMaxLength.formatted()) ตัวอักษร (ตอนนี้ \(n.formatted()) ตัวอักษร)"
            case .notFinished: "ให้คะแนนได้เมื่อคำร้องดำเนินการเสร็จสิ้นแล้ว"
            case .alreadyRated: "ท่านให้คะแนนคำร้องนี้ไปแล้ว ให้คะแนนได้ครั้งเดียว"
            }
        }
    }

    /// Whether a petition at `status` that has (or has not) been rated may be rated now (nil: yes). Either final
    /// status may be rated: a citizen whose petition was closed as ไม่สามารถดำเนินการได้ has as much to say about it.
    public static func refusal(status: PetitionStatus, rated: Bool) -> Problem? {
        if !status.isFinal { return .notFinished }
        if rated { return .alreadyRated }
        return nil
    }

    /// The form's values: `stars` must be one of 1…5 exactly as sent (no sign, no spaces, no other digits); the
    /// comment is trimmed, nil when blank.
    public static func parse(stars raw: String?, comment: String?) throws(Problem) -> PetitionRating {
        guard let raw, raw.count == 1, let n = Int(raw), Self.stars.contains(n) else { throw .starsMissing }
        let text = comment?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if text.count > commentMaxLength { throw .commentTooLong(text.count) }
        return PetitionRating(stars: n, comment: text.isEmpty ? nil : text)
    }

    public init(stars: Int, comment: String?) {
        self.stars = min(max(stars, Self.stars.lowerBound), Self.stars.upperBound)
        self.comment = comment
    }
}

/// "ยังไม่ได้รับการแก้ไข": the citizen says a completed petition was not really settled. Allowed within
/// `windowDays` of its completion, with a reason; it goes back to กำลังดำเนินการ.
public enum PetitionReopening {
    public static let windowDays = 14
    public static let reasonMaxLength = 2000

    public enum Problem: Error, Sendable, Equatable {
        /// Not at ดำเนินการสำเร็จ (still open, or closed as ไม่สามารถดำเนินการได้).
        case notCompleted(PetitionStatus)
        /// More than `windowDays` since it was completed.
        case windowPassed
        case reasonRequired
        case reasonTooLong(Int)

        public var thai: String {
            switch self {
            case let .notCompleted(status):
                status.isOpen
                    ? "คำร้องนี้ยังอยู่ระหว่างดำเนินการ"
                    : "คำร้องที่ปิดในสถานะ “\(status.thai)” แจ้งว่ายังไม่ได้รับการแก้ไขไม่ได้ หากยังต้องการให้หน่วยงานดำเนินการ กรุณายื่นคำร้องใหม่"
            case .windowPassed:
                "แจ้งว่ายังไม่ได้รับการแก้ไขได้ภายใน \(PetitionReopening.windowDays) วันนับจากวันที่ดำเนินการสำเร็จ ซึ่งเลยกำหนดแล้ว หากยังพบปัญหา กรุณายื่นคำร้องใหม่"
            case .reasonRequired: "กรุณาบอกว่ายังไม่ได้รับการแก้ไขอย่างไร เพื่อให้เจ้าหน้าที่ดำเนินการต่อได้ถูกต้อง"
            case let .reasonTooLong(n):
                "รายละเอียดยาวได้ไม่เกิน \(PetitionReopening.reasonMaxLength.formatted()) ตัวอักษร (ตอนนี้ \(n.formatted()) ตัวอักษร)"
            }
        }
    }

    /// The last moment a petition completed at `completedAt` may be reopened.
    public static func deadline(completedAt: Date) -> Date {
        completedAt.addingTimeInterval(TimeInterval(windowDays) * 86_400)
    }

    /// Whether the petition may be reopened at `now` (nil: yes); the reason is checked by `transition`.
    public static func refusal(status: PetitionStatus, completedAt: Date?, now: Date) -> Problem? {
        guard status == .completed, let completedAt else { return .notCompleted(status) }
        if now > deadline(completedAt: completedAt) { return .windowPassed }
        return nil
    }

    /// The checked move back to กำลังดำเนินการ, with the citizen's reason as its note. Checked in this order: the
    /// status, the window, the reason.
    public static func transition(
        from status: PetitionStatus, completedAt: Date?, now: Date, reason: String?
    ) throws(Problem) -> PetitionStatus.Transition {
        if let refusal = refusal(status: status, completedAt: completedAt, now: now) { throw refusal }
        let text = reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if text.isEmpty { throw .reasonRequired }
        if text.count > reasonMaxLength { throw .reasonTooLong(text.count) }
        return PetitionStatus.Transition(from: status, to: .inProgress, note: text)
    }
}
