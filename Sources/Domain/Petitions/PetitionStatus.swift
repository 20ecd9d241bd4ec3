import Foundation

/// Where a petition stands: ส่งคำร้อง → เจ้าหน้าที่รับเรื่อง → กำลังดำเนินการ → ดำเนินการสำเร็จ, or closed as
/// ไม่สามารถดำเนินการได้. Raw values are what the database stores.
///
/// Rules (`transition(from:to:note:)`):
/// - Moves go forward only, never back, never to the same status.
/// - A forward move may skip steps (submitted → inProgress, accepted → completed): a small request that an
///   officer settles on the spot should not need three clicks, and the timeline records the moves that were
///   actually made, so nothing is hidden by a skip.
/// - Any open status may close as `cannotProceed`, and that move needs a reason (the note).
/// - `completed` and `cannotProceed` are final: no officer moves them. The one way out is the citizen's own
///   "ยังไม่ได้รับการแก้ไข" within 14 days of `completed` (`PetitionReopening`), back to `inProgress`.
public enum PetitionStatus: String, Codable, Sendable, CaseIterable {
    case submitted
    case accepted
    case inProgress = "in_progress"
    case completed
    case cannotProceed = "cannot_proceed"

    public var thai: String {
        switch self {
        case .submitted: "ส่งคำร้อง"
        case .accepted: "เจ้าหน้าที่รับเรื่อง"
        case .inProgress: "กำลังดำเนินการ"
        case .completed: "ดำเนินการสำเร็จ"
        case .cannotProceed: "ไม่สามารถดำเนินการได้"
        }
    }

    /// Position on the forward path; `cannotProceed` is off the path.
    private var step: Int? {
        switch self {
        case .submitted: 0
        case .accepted: 1
        case .inProgress: 2
        case .completed: 3
        case .cannotProceed: nil
        }
    }

    /// No move leaves a final status.
    public var isFinal: Bool { self == .completed || self == .cannotProceed }

    /// Open311 `status`: open until final, then closed.
    public var isOpen: Bool { !isFinal }

    /// Reaching this status e-mails the citizen even if they turned status e-mails off (the seed requires
    /// it for ดำเนินการสำเร็จ).
    public var notifiesAlways: Bool { self == .completed }

    /// The officer's buttons: the next step on the path, then `cannotProceed`; empty when final.
    /// Skips are allowed but not offered here (see `allowedMoves`).
    public var next: [PetitionStatus] {
        guard !isFinal, let step else { return [] }
        return [Self.allCases.first { $0.step == step + 1 }, .cannotProceed].compactMap { $0 }
    }

    /// Every status this one may move to, in path order (skips included).
    public var allowedMoves: [PetitionStatus] { Self.allCases.filter(canMove(to:)) }

    /// Whether the move is allowed at all (a move to `cannotProceed` still needs a reason).
    public func canMove(to target: PetitionStatus) -> Bool {
        (try? Self.transition(from: self, to: target, note: "-")) != nil
    }

    /// One checked status change with the officer's note (trimmed; nil when blank). Made only by `transition`.
    public struct Transition: Sendable, Hashable {
        public let from: PetitionStatus
        public let to: PetitionStatus
        public let note: String?
    }

    public enum TransitionError: Error, Sendable, Hashable {
        /// Backwards, e.g. inProgress → accepted.
        case notForward(from: PetitionStatus, to: PetitionStatus)
        /// Out of `completed` or `cannotProceed`.
        case final(PetitionStatus)
        /// `cannotProceed` without a reason.
        case reasonRequired
        /// To the status it already has (e.g. two officers pressing the same button).
        case same(PetitionStatus)

        public var thai: String {
            switch self {
            case let .notForward(from, to): "เปลี่ยนสถานะย้อนกลับไม่ได้: คำร้องอยู่ในสถานะ “\(from.thai)” แล้ว จึงเปลี่ยนเป็น “\(to.thai)” ไม่ได้"
            case let .final(status): "คำร้องนี้ปิดแล้วในสถานะ “\(status.thai)” จึงเปลี่ยนสถานะอีกไม่ได้"
            case .reasonRequired: "กรุณาระบุเหตุผลที่ไม่สามารถดำเนินการได้"
            case let .same(status): "คำร้องอยู่ในสถานะ “\(status.thai)” อยู่แล้ว"
            }
        }
    }

    /// Checks a move and returns it with its note cleaned. Checked in this order: same, final, backwards,
    /// reason missing.
    public static func transition(from: PetitionStatus, to: PetitionStatus, note: String?) throws(TransitionError) -> Transition {
        let note = note?.trimmingCharacters(in: .whitespacesAndNewlines)
        let cleaned = note?.isEmpty == false ? note : nil
        if from == to { throw .same(from) }
        if from.isFinal { throw .final(from) }
        if let a = from.step, let b = to.step, b <= a { throw .notForward(from: from, to: to) }
        if to == .cannotProceed, cleaned == nil { throw .reasonRequired }
        return Transition(from: from, to: to, note: cleaned)
    }
}
