import Domain
import Foundation
import Testing

@Suite("The citizen's rating and reopening")
struct PetitionFeedbackRulesTests {
    static func rating(_ stars: String?, _ comment: String? = nil) -> Result<PetitionRating, PetitionRating.Problem> {
        do { return .success(try PetitionRating.parse(stars: stars, comment: comment)) } catch { return .failure(error) }
    }

    @Test("stars are exactly one of 1…5 as sent; anything else is refused, never trapped")
    func stars() throws {
        for n in 1...5 { #expect(try Self.rating("\(n)").get().stars == n) }
        for bad in [nil, "", "0", "6", "-1", "+3", " 3", "3 ", "03", "3.0", "๓", "٣", "99999999999999999999999", "\u{0}"] as [String?] {
            #expect(Self.rating(bad) == .failure(.starsMissing), "\(String(describing: bad))")
        }
    }

    @Test("the comment is trimmed, nil when blank, at most 1,000 characters")
    func comment() throws {
        #expect(try Self.rating("4", "  ดีมาก \n").get().comment == "ดีมาก")
        #expect(try Self.rating("4", "   ").get().comment == nil)
        #expect(try Self.rating("4", String(repeating: "ก", count: 1000)).get().comment?.count == 1000)
        #expect(Self.rating("4", String(repeating: "ก", count: 1001)) == .failure(.commentTooLong(1001)))
        #expect(PetitionRating.Problem.commentTooLong(1001).thai.contains("1,001"))
    }

    @Test("only a final petition may be rated, and only once")
    func whenRated() {
        for s in PetitionStatus.allCases {
            #expect(PetitionRating.refusal(status: s, rated: false) == (s.isFinal ? nil : .notFinished))
            if s.isFinal { #expect(PetitionRating.refusal(status: s, rated: true) == .alreadyRated) }
        }
    }

    @Test("reopening: only ดำเนินการสำเร็จ, within 14 days (to the second), with a reason; back to กำลังดำเนินการ")
    func reopening() throws {
        let done = Date(timeIntervalSince1970: 1_800_000_000)
        let edge = done.addingTimeInterval(14 * 86_400)
        let t = try PetitionReopening.transition(from: .completed, completedAt: done, now: edge, reason: "  ไฟยังดับ ")
        #expect(t.from == .completed && t.to == .inProgress && t.note == "ไฟยังดับ")
        #expect(throws: PetitionReopening.Problem.windowPassed) {
            try PetitionReopening.transition(from: .completed, completedAt: done, now: edge.addingTimeInterval(1), reason: "x")
        }
        for s in PetitionStatus.allCases where s != .completed {
            #expect(throws: PetitionReopening.Problem.notCompleted(s)) {
                try PetitionReopening.transition(from: s, completedAt: done, now: done, reason: "x")
            }
        }
        #expect(throws: PetitionReopening.Problem.notCompleted(.completed)) {
            try PetitionReopening.transition(from: .completed, completedAt: nil, now: done, reason: "x")
        }
        #expect(throws: PetitionReopening.Problem.reasonRequired) {
            try PetitionReopening.transition(from: .completed, completedAt: done, now: done, reason: " \n ")
        }
        #expect(throws: PetitionReopening.Problem.reasonTooLong(2001)) {
            try PetitionReopening.transition(from: .completed, completedAt: done, now: done, reason: String(repeating: "ข", count: 2001))
        }
        // The officers' rule is unchanged: nothing an officer does moves a petition out of ดำเนินการสำเร็จ.
        #expect(!PetitionStatus.completed.canMove(to: .inProgress))
        #expect(PetitionReopening.Problem.notCompleted(.cannotProceed).thai.contains("ยื่นคำร้องใหม่"))
    }

    @Test("the dashboard's tally: count, average to one decimal, unhappy ones; out-of-range rows left out")
    func tally() {
        var r = RatingTally()
        #expect(r.total == 0 && r.average == nil && r.averageText == nil)
        r.add(stars: 5, count: 3)
        r.add(stars: 4, count: 1)
        r.add(stars: 1, count: 1)
        r.add(stars: 2, count: 1)
        r.add(stars: 9, count: 100)
        r.add(stars: 3, count: -4)
        #expect(r.total == 6 && r.unhappy == 2)
        #expect(r.averageText == "3.7", "(15 + 4 + 1 + 2) / 6 = 3.67")
        var half = RatingTally()
        half.add(stars: 5, count: 1)
        half.add(stars: 4, count: 3)
        #expect(half.averageText == "4.3", "17 / 4 = 4.25 rounds half up")
    }
}
