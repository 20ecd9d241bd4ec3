import Domain
import Fluent
import Foundation
import Migrations
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// The identity toolkit shared by staff and citizens: one table of single-use links (and the migration that
/// moved the old rows into it), one serialisation of the sign-in session (and the old rows it still reads).
@Suite("Identity toolkit: single-use links and sign-in sessions")
struct IdentityToolkitTests {
    private static func migration(_ app: Application, _ name: String) throws -> any Migration {
        try #require(AllMigrations.list(staffNationalIDs: try app.staffNationalIDs).first { String(describing: type(of: $0)) == name })
    }

    private static func tables(_ app: Application) async throws -> Set<String> {
        let sql = try #require(app.db as? any SQLDatabase)
        let query: SQLQueryString =
            sql.dialect.name == "sqlite"
            ? "SELECT name AS t FROM sqlite_master WHERE type = 'table'"
            : "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema()"
        return Set(try await sql.raw(query).all().map { try $0.decode(column: "t", as: String.self) })
    }

    @Test(
        "links written before the upgrade: a live one still works after it, a used or expired one does not; the revert moves them back",
        arguments: TestDatabase.all)
    func tokensMoved(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let (staff, _) = try await StaffFixtures.account(app, username: "before.upgrade")
            let staffID = try staff.requireID()
            let citizen = try await CitizenFixtures.register(app)
            let account = try #require(try await CitizenAccount.query(on: app.db).filter(\.$tenantID == "bangkrathum").first())
            let citizenID = try account.requireID()
            let sql = try #require(app.db as? any SQLDatabase)

            // Back to the schema before 038, and rows as the old code wrote them.
            try await Self.migration(app, "CreateSingleUseToken").revert(on: app.db).get()
            #expect(try await Self.tables(app).isSuperset(of: ["staff_tokens", "citizen_tokens"]))
            #expect(!(try await Self.tables(app).contains("single_use_tokens")))
            let now = Date()
            func token() -> String { SingleUseToken(kind: .staffReset, now: now).token }
            let (staffLive, staffUsed, staffExpired, setupLive) = (token(), token(), token(), token())
            let (citizenLive, citizenUsed, citizenExpired) = (token(), token(), token())
            for (t, purpose, owner, expires, used) in [
                (staffLive, "reset", Optional(staffID), now.addingTimeInterval(20 * 60), Date?.none),
                (staffUsed, "reset", Optional(staffID), now.addingTimeInterval(20 * 60), Optional(now.addingTimeInterval(-60))),
                (staffExpired, "reset", Optional(staffID), now.addingTimeInterval(-60), Date?.none),
                (setupLive, "setup", UUID?.none, now.addingTimeInterval(3600), Date?.none),
            ] {
                try await sql.raw(
                    """
                    INSERT INTO staff_tokens (id, purpose, staff_id, token_hash, expires_at, used_at, created_at)
                    VALUES (\(bind: UUID()), \(bind: purpose), \(bind: owner), \(bind: RandomToken.hash(t)), \(bind: expires), \(bind: used), \(bind: now.addingTimeInterval(-120)))
                    """
                ).run()
            }
            for (t, expires, used) in [
                (citizenLive, now.addingTimeInterval(5 * 60), Date?.none),
                (citizenUsed, now.addingTimeInterval(5 * 60), Optional(now.addingTimeInterval(-30))),
                (citizenExpired, now.addingTimeInterval(-1), Date?.none),
            ] {
                try await sql.raw(
                    """
                    INSERT INTO citizen_tokens (id, tenant_id, citizen_id, purpose, token_hash, expires_at, used_at, created_at)
                    VALUES (\(bind: UUID()), 'bangkrathum', \(bind: citizenID), 'reset', \(bind: RandomToken.hash(t)), \(bind: expires), \(bind: used), \(bind: now.addingTimeInterval(-120)))
                    """
                ).run()
            }

            // The upgrade.
            try await Self.migration(app, "CreateSingleUseToken").prepare(on: app.db).get()
            let after = try await Self.tables(app)
            #expect(after.contains("single_use_tokens") && !after.contains("staff_tokens") && !after.contains("citizen_tokens"), "old tables dropped")
            #expect(try await SingleUseTokenRecord.query(on: app.db).count() == 7)
            let moved = try #require(try await SingleUseTokenRecord.query(on: app.db).filter(\.$tokenHash == RandomToken.hash(staffLive)).first())
            #expect(moved.kind == .staffReset && moved.staffID == staffID)
            #expect(abs(moved.expiresAt.timeIntervalSince(now.addingTimeInterval(20 * 60))) < 1, "expiry kept")

            // Staff: the live link opens and sets a password; the used and expired ones are gone.
            try await app.testing().test(.GET, "/backoffice/reset-password/\(staffUsed)") { #expect($0.status == .gone) }
            try await app.testing().test(.GET, "/backoffice/reset-password/\(staffExpired)") { #expect($0.status == .gone) }
            var form = FormSession(cookie: "", csrf: "", fields: [:])
            try await app.testing().test(.GET, "/backoffice/reset-password/\(staffLive)") { res in
                #expect(res.status == .ok)
                form = try FormSession.from(res)
            }
            try await app.testing().test(
                .POST, "/backoffice/reset-password/\(staffLive)",
                headers: ["Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(["_csrf": form.csrf, "password": "Moved#Link2569", "confirm": "Moved#Link2569"]))
            ) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == "/backoffice/login?reset=1")
            }
            try await app.testing().test(.GET, "/backoffice/reset-password/\(staffLive)") { #expect($0.status == .gone, "used once") }
            // The set-up link printed before the upgrade still opens (no platform admin exists).
            try await app.testing().test(.GET, "/backoffice/setup/\(setupLive)") { #expect($0.status == .ok) }

            // Citizens: the same, scoped to the tenant.
            try await app.testing().test(.GET, "/t/bangkrathum/reset-password/\(citizenUsed)") { #expect($0.status == .gone) }
            try await app.testing().test(.GET, "/t/bangkrathum/reset-password/\(citizenExpired)") { #expect($0.status == .gone) }
            try await app.testing().test(.GET, "/t/bangrak/reset-password/\(citizenLive)") { #expect($0.status == .gone, "another tenant's site") }
            try await app.testing().test(.GET, "/t/bangkrathum/reset-password/\(citizenLive)") { res in
                #expect(res.status == .ok)
                form = try FormSession.from(res)
            }
            try await app.testing().test(
                .POST, "/t/bangkrathum/reset-password/\(citizenLive)",
                headers: ["Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(["_csrf": form.csrf, "password": "Moved#Link2569", "passwordConfirm": "Moved#Link2569"]))
            ) { res in
                #expect(res.status == .seeOther)
            }
            #expect(try await CitizenFixtures.signIn(app, nationalID: citizen.nationalID, password: "Moved#Link2569") != nil)

            // The revert puts every row back in the old tables.
            try await Self.migration(app, "CreateSingleUseToken").revert(on: app.db).get()
            let staffRows = try await sql.raw("SELECT COUNT(*) AS n FROM staff_tokens").first()?.decode(column: "n", as: Int.self)
            let citizenRows = try await sql.raw("SELECT COUNT(*) AS n FROM citizen_tokens WHERE purpose = 'reset'").first()?.decode(column: "n", as: Int.self)
            #expect(staffRows == 4 && citizenRows == 3)
            try await Self.migration(app, "CreateSingleUseToken").prepare(on: app.db).get()
            #expect(try await SingleUseTokenRecord.query(on: app.db).count() == 7)
        }
    }

    /// A session row as the code before the one format wrote it: staff under five `staff*` keys, a citizen under
    /// `citizen.<slug>` as `id|epoch|started|seen`.
    private static func legacyRow(
        _ app: Application, staff: StaffAccount?, citizen: CitizenAccount?, seen: Date, started: Date,
        staffEpoch: Int? = nil
    ) async throws -> String {
        var data = SessionData()
        if let staff {
            data["staff"] = try staff.requireID().uuidString
            data["staff_stage"] = "ok"
            data["staff_epoch"] = String(staffEpoch ?? staff.sessionEpoch)
            data["staff_login"] = String(started.timeIntervalSince1970)
            data["staff_seen"] = String(seen.timeIntervalSince1970)
        }
        if let citizen {
            data["citizen.bangkrathum"] =
                "\(try citizen.requireID().uuidString)|\(citizen.sessionEpoch)|\(started.timeIntervalSince1970)|\(seen.timeIntervalSince1970)"
        }
        let id = SessionStore.newID()
        try await SessionRow(key: id, data: data, expiresAt: Date().addingTimeInterval(3600)).create(on: app.db)
        return "eservice_session=\(id.string)"
    }

    @Test(
        "a session row written in the old format still signs staff and citizens in, and is rewritten in the one format",
        arguments: TestDatabase.all)
    func oldSessionsStillSignIn(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let (staff, _) = try await StaffFixtures.account(app, username: "old.session", grants: [("bangkrathum", .officer)])
            _ = try await CitizenFixtures.register(app)
            let citizen = try #require(try await CitizenAccount.query(on: app.db).filter(\.$tenantID == "bangkrathum").first())
            let now = Date()
            let cookie = try await Self.legacyRow(
                app, staff: staff, citizen: citizen, seen: now.addingTimeInterval(-5 * 60), started: now.addingTimeInterval(-3600))

            // The same browser, after the upgrade: still signed in to the back office and to the tenant's site.
            try await app.testing().test(.GET, "/backoffice/t/bangkrathum/", headers: ["Cookie": cookie]) { res in
                #expect(res.status == .ok, "staff still signed in: \(res.status)")
            }
            try await app.testing().test(.GET, "/t/bangkrathum/account", headers: ["Cookie": cookie]) { res in
                #expect(res.status == .ok, "citizen still signed in: \(res.status)")
            }
            // The idle clocks moved, so the row was written again: in the one format, without the old keys.
            let row = try #require(
                try await SessionRow.query(on: app.db).filter(\.$key == SessionID(string: String(cookie.dropFirst("eservice_session=".count)))).first())
            let keys = Set(row.data.snapshot.keys)
            #expect(keys.isSuperset(of: ["signin.staff", "signin.citizen.bangkrathum"]), "\(keys)")
            #expect(keys.isDisjoint(with: ["staff", "staff_stage", "staff_epoch", "staff_login", "staff_seen", "citizen.bangkrathum"]), "\(keys)")
            let staffSignIn = try #require(SignInSessions.read(row.data, .staff))
            #expect(
                staffSignIn.accountID == staff.id && staffSignIn.stage == .signedIn
                    && abs(staffSignIn.started.timeIntervalSince(now.addingTimeInterval(-3600))) < 1,
                "the sign-in keeps its start, so the absolute limit still counts from it")
            #expect(abs(row.expiresAt.timeIntervalSince(Date().addingTimeInterval(SignInPolicy.citizenSession.idle))) < 60, "expiry from the longer sign-in")

            // The old format is held to the same rules: a moved epoch, an idle limit passed.
            let stale = try await Self.legacyRow(app, staff: staff, citizen: nil, seen: now, started: now, staffEpoch: staff.sessionEpoch + 1)
            try await app.testing().test(.GET, "/backoffice/t/bangkrathum/", headers: ["Cookie": stale]) { #expect($0.status == .seeOther) }
            let idle = try await Self.legacyRow(
                app, staff: staff, citizen: citizen, seen: now.addingTimeInterval(-61 * 60), started: now.addingTimeInterval(-62 * 60))
            try await app.testing().test(.GET, "/backoffice/t/bangkrathum/", headers: ["Cookie": idle]) { #expect($0.status == .seeOther) }
            try await app.testing().test(.GET, "/t/bangkrathum/account", headers: ["Cookie": idle]) { #expect($0.status == .seeOther) }
        }
    }

    @Test("one serialisation: what is written reads back the same, for staff and for each tenant's citizen")
    func roundTrip() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000.25)
        for person in [SignIn.Person.staff, .citizen(tenant: "bangkrathum"), .citizen(tenant: "a-b")] {
            for stage in [SignIn.Stage.newPassword, .enrol, .otp, .signedIn] {
                let s = SignIn(person: person, accountID: UUID(), stage: stage, epoch: 7, started: now, seen: now.addingTimeInterval(90))
                var data = SessionData()
                data[SignInSessions.key(person)] = SignInSessions.encode(s)
                #expect(SignInSessions.read(data, person) == s)
                #expect(SignInSessions.all(data) == [s])
            }
        }
        #expect(SignInSessions.decode("2|ok|\(UUID().uuidString)|0|1|1", .staff) == nil, "an unknown version is nobody")
        #expect(SignInSessions.decode("1|ok|not-a-uuid|0|1|1", .staff) == nil)
    }
}
