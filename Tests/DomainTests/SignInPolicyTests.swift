import Domain
import Foundation
import Testing

@Suite("Sign-in policy, single-use tokens and the new-password rule")
struct SignInPolicyTests {
    @Test("session timeouts: the idle limit, then the absolute one")
    func timeouts() {
        let t = SignInPolicy.staffSession
        let start = Date(timeIntervalSince1970: 1_000_000)
        #expect(t.allows(started: start, seen: start, now: start.addingTimeInterval(30 * 60)))
        #expect(!t.allows(started: start, seen: start, now: start.addingTimeInterval(30 * 60 + 1)))
        let late = start.addingTimeInterval(12 * 3600 - 60)
        #expect(t.deadline(started: start, seen: late) == start.addingTimeInterval(12 * 3600), "the absolute limit caps the idle one")
        #expect(SignInPolicy.citizenSession.idle == 60 * 60)
    }

    @Test("tokens: 256 random bits, only the hash kept, lifetime by kind")
    func tokens() {
        let now = Date()
        let a = SingleUseToken(kind: .citizenReset, now: now), b = SingleUseToken(kind: .citizenReset, now: now)
        #expect(a.token != b.token && a.token.count >= 43 && SingleUseToken.looksValid(a.token))
        #expect(a.hash == SingleUseToken.hash(a.token) && a.hash.count == 64 && a.hash != a.token)
        #expect(a.expiresAt == now.addingTimeInterval(10 * 60))
        #expect(SingleUseToken(kind: .staffReset, now: now).expiresAt == now.addingTimeInterval(30 * 60))
        #expect(SingleUseToken(kind: .staffSetup, now: now).expiresAt == now.addingTimeInterval(24 * 3600))
        #expect(!SingleUseToken.looksValid("short") && !SingleUseToken.looksValid(String(repeating: "a", count: 30) + "/"))
    }

    @Test("a new password: given, by the rule, without personal details, confirmed")
    func newPassword() {
        #expect(PasswordPolicy.newPasswordProblems("", confirm: "", personal: []).map(\.field) == [.password, .confirm])
        #expect(
            PasswordPolicy.newPasswordProblems("Somchai#2569x", confirm: "Somchai#2569x", personal: ["somchai"]).first?.thai
                == PasswordPolicy.Problem.containsPersonalInfo.thai)
        #expect(PasswordPolicy.newPasswordProblems("Kr@thum-2569!", confirm: "Kr@thum-2569?", personal: []).map(\.field) == [.confirm])
        #expect(PasswordPolicy.newPasswordProblems("Kr@thum-2569!", confirm: "Kr@thum-2569!", personal: []).isEmpty)
        #expect(PasswordPolicy.ruleThai.contains("8 ตัวอักษร"))
    }
}
