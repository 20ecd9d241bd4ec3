import Domain
import Fluent
import Foundation
import Migrations
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// The petition store on its own (the pages come with the rest of issue 5): numbers, one petition per
/// submission, the timeline, and two officers moving the same petition at once.
@Suite("Petitions: the store")
struct PetitionStoreTests {
    static func citizen(_ app: Application, tenant: String = "bangkrathum") async throws -> CitizenAccount {
        _ = try await CitizenFixtures.register(app, tenant: tenant)
        return try #require(try await CitizenAccount.query(on: app.db).filter(\.$tenantID == tenant).sort(\.$createdAt, .descending).first())
    }

    static func filing(_ app: Application, _ account: CitizenAccount, key: String, tenant: String = "bangkrathum") throws -> PetitionStore.Filing {
        let t = try Tenant.named(tenant, in: app)
        let (menu, service) = try #require(t.service("street-light") ?? t.config.menus.all.first)
        return PetitionStore.Filing(
            tenant: t, citizenID: try account.requireID(), citizenName: account.fullName, menu: menu, service: service,
            formVersion: 1, answersJSON: #"{"problem":"ไฟดับ"}"#, attachments: [], submissionKey: key)
    }

    @Test("numbers run per tenant and Buddhist-era year; the same submission files one petition, even at once", arguments: TestDatabase.all)
    func filing(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let a = try await Self.citizen(app)
            let year = ThaiYear.of(Date())
            let first = try await PetitionStore.file(try Self.filing(app, a, key: "k1"), linkBase: NoticeTestSupport.linkBase, on: app.db)
            #expect(first.created && first.petition.number == "BKT-\(year)-000001")
            #expect(first.petition.status == .submitted)
            let again = try await PetitionStore.file(try Self.filing(app, a, key: "k1"), linkBase: NoticeTestSupport.linkBase, on: app.db)
            #expect(!again.created && again.petition.id == first.petition.id, "a repeated submit is the same petition")

            // A double click: two requests with one key at the same moment.
            async let x = PetitionStore.file(try Self.filing(app, a, key: "k2"), linkBase: NoticeTestSupport.linkBase, on: app.db)
            async let y = PetitionStore.file(try Self.filing(app, a, key: "k2"), linkBase: NoticeTestSupport.linkBase, on: app.db)
            let (px, py) = try await (x, y)
            #expect(px.petition.id == py.petition.id)
            #expect([px.created, py.created].filter { $0 }.count == 1)
            #expect(try await PetitionRecord.query(on: app.db).count() == 2)
            #expect(try await PetitionEventRecord.query(on: app.db).count() == 2, "one timeline entry per petition")

            // Another tenant counts on its own.
            let b = try await Self.citizen(app, tenant: "bangrak")
            let other = try await PetitionStore.file(try Self.filing(app, b, key: "k1", tenant: "bangrak"), linkBase: NoticeTestSupport.linkBase, on: app.db)
            #expect(other.created && other.petition.number.hasSuffix("-\(year)-000001"))
            #expect(other.petition.number != first.petition.number)

            // Each citizen sees their own.
            let bkt = try Tenant.named("bangkrathum", in: app)
            #expect(try await PetitionStore.mine(citizenID: try a.requireID(), tenant: bkt, on: app.db).count == 2)
            #expect(try await PetitionStore.mine(citizenID: try b.requireID(), tenant: bkt, on: app.db).isEmpty)
            #expect(try await PetitionStore.byNumber(first.petition.number, tenant: try Tenant.named("bangrak", in: app), on: app.db) == nil)
        }
    }

    @Test("the notice event is written with the filing, and not again for a repeat: one e-mail", arguments: TestDatabase.all)
    func notifications(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let a = try await Self.citizen(app)
            let before = try await queuedMails(app).count
            let first = try await PetitionStore.file(try Self.filing(app, a, key: "n1"), linkBase: NoticeTestSupport.linkBase, on: app.db)
            _ = try await PetitionStore.file(try Self.filing(app, a, key: "n1"), linkBase: NoticeTestSupport.linkBase, on: app.db)
            let events = try await NoticeTestSupport.events(app, kind: PetitionFiled.kind)
            #expect(events.map(\.idempotencyKey) == ["event:petition-filed:\(try first.petition.requireID().uuidString.lowercased())"])
            let mails = try await queuedMails(app)
            #expect(mails.count == before + 1)
            #expect(mails.last?.to == [a.email] && mails.last?.subject.contains(first.petition.number) == true)
        }
    }

    @Test("status: forward only; two officers at once: one wins, the timeline stays whole", arguments: TestDatabase.all)
    func moves(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let t = try Tenant.named("bangkrathum", in: app)
            let a = try await Self.citizen(app)
            let filed = try await PetitionStore.file(try Self.filing(app, a, key: "m1"), linkBase: NoticeTestSupport.linkBase, on: app.db).petition
            let officer = PetitionStore.Actor(kind: .staff, id: UUID(), name: "officer1")
            let other = PetitionStore.Actor(kind: .staff, id: UUID(), name: "officer2")

            // Both read version 1 and act at once.
            async let one = PetitionStore.move(
                filed, to: .accepted, note: "รับเรื่อง", expectedVersion: 1, actor: officer, tenant: t,
                linkBase: NoticeTestSupport.linkBase, on: app.db)
            async let two = PetitionStore.move(
                filed, to: .accepted, note: "รับเรื่องเช่นกัน", expectedVersion: 1, actor: other, tenant: t,
                linkBase: NoticeTestSupport.linkBase, on: app.db)
            let outcomes = try await [one, two]
            let winners = outcomes.compactMap { if case .moved(let p) = $0 { p } else { nil } }
            #expect(winners.count == 1)
            let accepted = try #require(winners.first)
            #expect(accepted.status == .accepted && accepted.version == 2)
            #expect(try await PetitionStore.timeline(accepted, on: app.db).map(\.toStatus) == ["submitted", "accepted"])

            // Backwards, and closing without a reason, are refused before anything is written.
            #expect(throws: (any Error).self) {
                _ = try PetitionStatus.transition(from: .accepted, to: .submitted, note: nil)
            }
            await #expect(throws: (any Error).self) {
                _ = try await PetitionStore.move(
                    accepted, to: .cannotProceed, note: "  ", expectedVersion: 2, actor: officer, tenant: t,
                    linkBase: NoticeTestSupport.linkBase, on: app.db)
            }
            guard
                case .moved(let working) = try await PetitionStore.move(
                    accepted, to: .inProgress, note: nil, expectedVersion: 2, actor: officer,
                    tenant: t, linkBase: NoticeTestSupport.linkBase, on: app.db)
            else {
                Issue.record("in progress")
                return
            }
            guard
                case .moved(let done) = try await PetitionStore.move(
                    working, to: .completed, note: "ซ่อมแล้ว", expectedVersion: 3, actor: officer,
                    tenant: t, linkBase: NoticeTestSupport.linkBase, on: app.db)
            else {
                Issue.record("completed")
                return
            }
            let timeline = try await PetitionStore.timeline(done, on: app.db)
            #expect(timeline.map(\.toStatus) == ["submitted", "accepted", "in_progress", "completed"])
            #expect(timeline.last?.note == "ซ่อมแล้ว" && timeline.last?.actorName == "officer1")
            // A stale version after completion is a conflict, not a change.
            if case .moved = try await PetitionStore.move(
                working, to: .completed, note: nil, expectedVersion: 3, actor: other, tenant: t,
                linkBase: NoticeTestSupport.linkBase, on: app.db)
            {
                Issue.record("a stale version must not move the petition")
            }
            // A final state does not move again; another tenant cannot move a petition at all.
            #expect(throws: (any Error).self) { _ = try PetitionStatus.transition(from: .completed, to: .cannotProceed, note: "x") }
            let fresh = try await PetitionStore.file(try Self.filing(app, a, key: "m2"), linkBase: NoticeTestSupport.linkBase, on: app.db).petition
            let bangrak = try Tenant.named("bangrak", in: app)
            let foreign = try await PetitionStore.move(
                fresh, to: .accepted, note: nil, expectedVersion: 1, actor: other, tenant: bangrak,
                linkBase: NoticeTestSupport.linkBase, on: app.db)
            if case .moved = foreign { Issue.record("another tenant moved it") }
            #expect(try await PetitionStore.byID(try fresh.requireID(), tenant: t, on: app.db)?.status == .submitted)
            // The kept counts agree with the petitions after the race, the refusals and the stale moves.
            #expect(try await PetitionCounts.stored(tenant: t.id, on: app.db) == PetitionCounts.recount(tenant: t.id, on: app.db))
            #expect(try await PetitionCounts.storedMonths(tenant: t.id, on: app.db) == PetitionCounts.recountMonths(tenant: t.id, on: app.db))
            #expect(try await PetitionCounts.read(tenant: t.id, service: nil, on: app.db) == [.completed: 1, .submitted: 1])
        }
    }

    /// Many writers at once on one SQLite file: each waits for the lock on a thread of the blocking pool, so
    /// the pool must keep a thread for the one holding it (see `configure`); before, this hung until timeouts.
    @Test("a move from a record whose status is behind the row is refused, even with the row's version", arguments: TestDatabase.all)
    func staleStatus(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let a = try await Self.citizen(app)
            let t = try Tenant.named("bangkrathum", in: app)
            let filed = try await PetitionStore.file(try Self.filing(app, a, key: "stale"), linkBase: NoticeTestSupport.linkBase, on: app.db).petition
            let accepted = try await PetitionFixtures.move(app, filed, to: .accepted)
            // `filed` still says submitted; the row is accepted at version 2.
            let outcome = try await PetitionStore.move(
                filed, to: .completed, note: nil, expectedVersion: accepted.version, actor: .init(kind: .staff, id: nil, name: "x"), tenant: t,
                linkBase: NoticeTestSupport.linkBase, on: app.db)
            guard case .conflict = outcome else {
                Issue.record("a stale record moved the petition")
                return
            }
            #expect(try await PetitionStore.byID(try filed.requireID(), tenant: t, on: app.db)?.status == .accepted)
            #expect(try await PetitionCounts.stored(tenant: t.id, on: app.db) == PetitionCounts.recount(tenant: t.id, on: app.db))
        }
    }

    @Test("sixteen filings at the same moment all complete, with sixteen numbers", arguments: TestDatabase.all)
    func manyWritersAtOnce(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let a = try await Self.citizen(app)
            let filings = try (0..<16).map { try Self.filing(app, a, key: "burst-\($0)") }
            let numbers = try await withThrowingTaskGroup(of: String.self) { group in
                for f in filings {
                    group.addTask { try await PetitionStore.file(f, linkBase: NoticeTestSupport.linkBase, on: app.db).petition.number }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(numbers).count == 16)
            #expect(try await PetitionRecord.query(on: app.db).count() == 16)
            let t = try Tenant.named("bangkrathum", in: app)
            #expect(try await PetitionCounts.read(tenant: t.id, service: nil, on: app.db) == [.submitted: 16], "no filing lost its count")
            #expect(try await PetitionCounts.stored(tenant: t.id, on: app.db) == PetitionCounts.recount(tenant: t.id, on: app.db))
            let months = try await PetitionCounts.storedMonths(tenant: t.id, on: app.db)
            #expect(months == (try await PetitionCounts.recountMonths(tenant: t.id, on: app.db)), "no filing lost its month")
            #expect(months.filter { $0.key.hasPrefix("received|") }.values.reduce(0, +) == 16)

            // A database that had petitions before the counts existed gets them from its petitions.
            let counts = try #require(
                AllMigrations.list(staffNationalIDs: try app.staffNationalIDs).first { String(describing: type(of: $0)) == "CreatePetitionCount" })
            try await counts.revert(on: app.db).get()
            try await counts.prepare(on: app.db).get()
            #expect(try await PetitionCounts.read(tenant: t.id, service: nil, on: app.db) == [.submitted: 16])
        }
    }
}
