import Domain
import Foundation
import Testing

@Suite("Petition status transitions")
struct PetitionStatusTests {
    /// What a move should do: allowed (`ok`), allowed only with a reason (`reason`), or which error.
    enum Expect { case ok, reason, same, final, back }

    /// Rows: from; columns: to; both in the order submitted, accepted, inProgress, completed, cannotProceed.
    static let order: [PetitionStatus] = [.submitted, .accepted, .inProgress, .completed, .cannotProceed]
    static let table: [[Expect]] = [
        /* submitted     */ [.same, .ok, .ok, .ok, .reason],
        /* accepted      */ [.back, .same, .ok, .ok, .reason],
        /* inProgress    */ [.back, .back, .same, .ok, .reason],
        /* completed     */ [.final, .final, .final, .same, .final],
        /* cannotProceed */ [.final, .final, .final, .final, .same],
    ]

    static func expected(_ from: PetitionStatus, _ to: PetitionStatus) throws -> Expect {
        let row = try #require(order.firstIndex(of: from)), column = try #require(order.firstIndex(of: to))
        return table[row][column]
    }

    static func attempt(_ from: PetitionStatus, _ to: PetitionStatus, _ note: String?) -> Result<PetitionStatus.Transition, PetitionStatus.TransitionError> {
        do { return .success(try PetitionStatus.transition(from: from, to: to, note: note)) } catch { return .failure(error) }
    }

    @Test("the table covers every status in declaration order")
    func tableShape() {
        #expect(PetitionStatus.allCases == Self.order)
        #expect(Self.table.count == 5 && Self.table.allSatisfy { $0.count == 5 })
    }

    @Test("every pair of statuses, with no note, a blank note and a reason", arguments: PetitionStatus.allCases, PetitionStatus.allCases)
    func everyPair(from: PetitionStatus, to: PetitionStatus) throws {
        let expected = try Self.expected(from, to)
        for note in [nil, "", "  \n\t", "  ไม่พบสถานที่ตามที่แจ้ง  "] {
            let hasReason = note?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == false
            let result = Self.attempt(from, to, note)
            let moved = try? result.get()
            let error: PetitionStatus.TransitionError? = if case let .failure(e) = result { e } else { nil }
            switch (expected, hasReason) {
            case (.ok, _), (.reason, true):
                #expect(moved?.from == from && moved?.to == to)
                #expect(moved?.note == (hasReason ? "ไม่พบสถานที่ตามที่แจ้ง" : nil), "the note is trimmed, nil when blank")
            case (.reason, false): #expect(error == .reasonRequired)
            case (.same, _): #expect(error == .same(from))
            case (.final, _): #expect(error == .final(from))
            case (.back, _): #expect(error == .notForward(from: from, to: to))
            }
        }
        #expect(from.canMove(to: to) == (expected == .ok || expected == .reason))
        #expect(from.allowedMoves.contains(to) == from.canMove(to: to))
    }

    @Test("stored values and Thai names")
    func names() throws {
        #expect(PetitionStatus.allCases.map(\.rawValue) == ["submitted", "accepted", "in_progress", "completed", "cannot_proceed"])
        #expect(PetitionStatus.allCases.map(\.thai) == ["ส่งคำร้อง", "เจ้าหน้าที่รับเรื่อง", "กำลังดำเนินการ", "ดำเนินการสำเร็จ", "ไม่สามารถดำเนินการได้"])
        let json = try JSONEncoder().encode([PetitionStatus.inProgress, .cannotProceed])
        #expect(String(decoding: json, as: UTF8.self) == #"["in_progress","cannot_proceed"]"#)
        #expect(try JSONDecoder().decode([PetitionStatus].self, from: json) == [.inProgress, .cannotProceed])
    }

    @Test("final, open (Open311) and always-notified statuses")
    func flags() {
        #expect(PetitionStatus.allCases.filter(\.isFinal) == [.completed, .cannotProceed])
        #expect(PetitionStatus.allCases.filter(\.isOpen) == [.submitted, .accepted, .inProgress])
        #expect(PetitionStatus.allCases.filter(\.notifiesAlways) == [.completed])
    }

    @Test("the officer's buttons: the next step and cannot-proceed; none when closed")
    func next() {
        #expect(PetitionStatus.submitted.next == [.accepted, .cannotProceed])
        #expect(PetitionStatus.accepted.next == [.inProgress, .cannotProceed])
        #expect(PetitionStatus.inProgress.next == [.completed, .cannotProceed])
        #expect(PetitionStatus.completed.next.isEmpty)
        #expect(PetitionStatus.cannotProceed.next.isEmpty)
        #expect(PetitionStatus.allCases.allSatisfy { s in s.next.allSatisfy(s.canMove(to:)) })
    }

    @Test("skips forward are allowed moves")
    func allowedMoves() {
        #expect(PetitionStatus.submitted.allowedMoves == [.accepted, .inProgress, .completed, .cannotProceed])
        #expect(PetitionStatus.accepted.allowedMoves == [.inProgress, .completed, .cannotProceed])
        #expect(PetitionStatus.inProgress.allowedMoves == [.completed, .cannotProceed])
        #expect(PetitionStatus.completed.allowedMoves.isEmpty)
        #expect(PetitionStatus.cannotProceed.allowedMoves.isEmpty)
    }

    @Test("errors explain themselves in Thai, naming the statuses")
    func messages() {
        #expect(
            PetitionStatus.TransitionError.notForward(from: .inProgress, to: .accepted).thai
                == "เปลี่ยนสถานะย้อนกลับไม่ได้: คำร้องอยู่ในสถานะ “กำลังดำเนินการ” แล้ว จึงเปลี่ยนเป็น “เจ้าหน้าที่รับเรื่อง” ไม่ได้")
        #expect(PetitionStatus.TransitionError.final(.completed).thai == "คำร้องนี้ปิดแล้วในสถานะ “ดำเนินการสำเร็จ” จึงเปลี่ยนสถานะอีกไม่ได้")
        #expect(PetitionStatus.TransitionError.reasonRequired.thai == "กรุณาระบุเหตุผลที่ไม่สามารถดำเนินการได้")
        #expect(PetitionStatus.TransitionError.same(.accepted).thai == "คำร้องอยู่ในสถานะ “เจ้าหน้าที่รับเรื่อง” อยู่แล้ว")
    }
}
