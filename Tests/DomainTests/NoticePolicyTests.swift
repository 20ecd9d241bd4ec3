import Domain
import Testing

@Suite("Notice policy: who is told, and how")
struct NoticePolicyTests {
    static func audience(
        email: Bool = true, line: Bool = true, emailKinds: Set<NoticeKind> = Set(NoticeKind.allCases),
        lineKinds: Set<NoticeKind> = Set(NoticeKind.allCases)
    ) -> NoticePolicy.Audience {
        .init(hasEmail: email, followsOnLine: line, choices: NotificationChoices(email: emailKinds, line: lineKinds))
    }

    @Test("nobody to tell (Open311, a citizen gone): no channel for anything")
    func nobody() {
        let subjects: [NoticePolicy.Subject] = [
            .filed, .moved(to: .accepted), .moved(to: .completed), .documentIssued, .documentWithdrawn, .identity, .infoRequested,
        ]
        for subject in subjects { #expect(NoticePolicy.channels(for: subject, to: nil).isEmpty) }
    }

    @Test("everything chosen: e-mail then LINE; without an address or a following LINE account, that channel drops")
    func everything() {
        #expect(NoticePolicy.channels(for: .filed, to: Self.audience()) == [.email, .line])
        #expect(NoticePolicy.channels(for: .moved(to: .accepted), to: Self.audience(email: false)) == [.line])
        #expect(NoticePolicy.channels(for: .identity, to: Self.audience(line: false)) == [.email])
        #expect(NoticePolicy.channels(for: .filed, to: Self.audience(email: false, line: false)).isEmpty)
    }

    @Test("status changes as chosen; completion always e-mailed (the seed), LINE only as chosen")
    func statusChanges() {
        let quiet = Self.audience(emailKinds: [], lineKinds: [])
        #expect(NoticePolicy.channels(for: .moved(to: .accepted), to: quiet).isEmpty)
        #expect(NoticePolicy.channels(for: .moved(to: .cannotProceed), to: quiet).isEmpty)
        #expect(NoticePolicy.channels(for: .moved(to: .completed), to: quiet) == [.email])
        let lineForCompletion = Self.audience(emailKinds: [], lineKinds: [.completed])
        #expect(NoticePolicy.channels(for: .moved(to: .completed), to: lineForCompletion) == [.email, .line])
        #expect(NoticePolicy.channels(for: .moved(to: .inProgress), to: lineForCompletion).isEmpty)
        #expect(NoticePolicy.channels(for: .moved(to: .inProgress), to: Self.audience(emailKinds: [.statusChanged], lineKinds: [])) == [.email])
    }

    @Test("a withdrawn document: e-mail always; LINE when the citizen takes any petition notice there; an issued one has no notice of its own")
    func documents() {
        #expect(NoticePolicy.channels(for: .documentWithdrawn, to: Self.audience(emailKinds: [], lineKinds: [])) == [.email])
        #expect(NoticePolicy.channels(for: .documentWithdrawn, to: Self.audience(emailKinds: [], lineKinds: [.filed])) == [.email, .line])
        #expect(NoticePolicy.channels(for: .documentWithdrawn, to: Self.audience(emailKinds: [], lineKinds: [.identity])) == [.email])
        #expect(NoticePolicy.channels(for: .documentWithdrawn, to: Self.audience(email: false, lineKinds: [.completed])) == [.line])
        #expect(NoticePolicy.channels(for: .documentIssued, to: Self.audience()).isEmpty)
    }

    @Test("identity results by the channels chosen for them")
    func identity() {
        #expect(NoticePolicy.channels(for: .identity, to: Self.audience(emailKinds: [.filed], lineKinds: [.identity])) == [.line])
        #expect(NoticePolicy.channels(for: .identity, to: Self.audience(emailKinds: [.identity], lineKinds: [.filed])) == [.email])
    }
}
