import Domain
import Testing

@Suite("Outbox job kinds")
struct JobKindTests {
    @Test("a kind is at most 64 ASCII letters, digits, dots, underscores and dashes")
    func plain() {
        for kind in ["email", "line.push", "petition.filed", "notice_v2-a", String(repeating: "k", count: 64)] {
            #expect(JobKind.isPlain(kind), "\(kind)")
        }
        for kind in ["", String(repeating: "k", count: 65), "line push", "อีเมล", "a\"b", "a{b}", "é", "a/b", "a\nb"] {
            #expect(!JobKind.isPlain(kind), "\(kind)")
        }
    }
}
