import Domain
import Fluent
import Foundation
import Migrations
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue 12 for staff accounts: first passwords that expire and can be issued again, the birth date asked in
/// the Buddhist era, national IDs sealed with a keyed look-up hash, and set-up that a self-registration does
/// not close.
@Suite("Back office: first passwords, birth dates, sealed national IDs, set-up")
struct StaffHardeningTests {
    /// The admin's create-account form, birth date as day / month / Buddhist-era year.
    static func newStaff(username: String, nationalID: String, day: String = "15", month: String = "6", year: String = "2528") -> [String: String] {
        [
            "tenant": "bangrak", "unit2": "works", "unit3": "works/publicworks", "unit4": "works/publicworks/lighting", "position": "นายช่างไฟฟ้า",
            "mobile": "0891112222", "titleTH": "นาย", "firstNameTH": "มานะ", "lastNameTH": "ขยัน", "titleEN": "Mr.", "firstNameEN": "Mana",
            "lastNameEN": "Khayan", "nationalID": nationalID, "nationality": "ไทย", "birthDay": day, "birthMonth": month, "birthYear": year,
            "email": "\(username)@example.go.th", "username": username,
        ]
    }

    /// One password step: status, page and where it sends the browser.
    static func signInAttempt(_ app: Application, username: String, password: String) async throws -> (status: HTTPStatus, body: String, location: String?) {
        var out: (HTTPStatus, String, String?) = (.internalServerError, "", nil)
        let anon = try await BackOfficeAccessTests.anonymous(app)
        try await app.testing().test(
            .POST, "/backoffice/login", headers: ["Cookie": anon.cookie, "Content-Type": "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: formBody(["_csrf": anon.csrf, "username": username, "password": password]))
        ) { res in
            out = (res.status, res.body.string, res.headers.first(name: .location))
        }
        return out
    }

    static func audits(_ app: Application, _ action: AuditAction) async throws -> [AuditEventRecord] {
        try await AuditEventRecord.query(on: app.db).filter(\.$action == action.rawValue).sort(\.$at).all()
    }

    // MARK: 1. First passwords that expire

    @Test(
        "a first password issued again to someone with an authenticator asks for the code before the new password",
        arguments: TestDatabase.all)
    func codeBeforeNewPassword(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let (account, secret) = try await StaffFixtures.account(app, username: "otp.first", mustChangePassword: true)
            let first = try await passwordStep(app, username: "otp.first")
            #expect(first.location == "/backoffice/login/otp", "the code first, not the new password")
            // Knowing the (birth-date) password is not enough to reach the new-password step.
            try await app.testing().test(
                .POST, "/backoffice/login/new-password", headers: ["Cookie": first.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(["_csrf": first.csrf, "password": "Taken#Over2569", "confirm": "Taken#Over2569"]))
            ) { res in
                #expect(res.headers.first(name: .location) != "/backoffice/")
            }
            #expect(try await StaffStore.find(username: "otp.first", on: app.db)?.passwordHash == account.passwordHash, "password unchanged")
            // Skipping a step starts the sign-in again; the way through is the code, then the new password.
            let s = try await passwordStep(app, username: "otp.first")
            #expect(s.location == "/backoffice/login/otp")
            var csrf = ""
            try await app.testing().test(.GET, "/backoffice/login/otp", headers: ["Cookie": s.cookie]) { res in
                csrf = try FormSession.from(res).csrf
            }
            let code = try await StaffFixtures.code(app, staffID: try account.requireID(), secret: secret)
            try await app.testing().test(
                .POST, "/backoffice/login/otp", headers: ["Cookie": s.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(["_csrf": csrf, "code": code]))
            ) { res in
                #expect(res.headers.first(name: .location) == "/backoffice/login/new-password")
            }
            try await app.testing().test(
                .POST, "/backoffice/login/new-password", headers: ["Cookie": s.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(["_csrf": csrf, "password": "Own#Choice2569", "confirm": "Own#Choice2569"]))
            ) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location)?.hasPrefix("/backoffice") == true && res.headers.first(name: .location) != "/backoffice/login/otp")
            }
            try await app.testing().test(.GET, "/backoffice/", headers: ["Cookie": s.cookie]) { #expect($0.status == .ok, "signed in") }
        }
    }

    @Test(
        "a first password works for 72 hours, is refused after with a Thai message only its holder sees; the admin issues a new one, audited",
        arguments: TestDatabase.all)
    func firstPasswordExpires(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            try await post(app, "/backoffice/admin/staff/new", platform, Self.newStaff(username: "mana.k", nationalID: StaffFixtures.nationalID())) {
                #expect($0.status == .seeOther)
            }
            let account = try #require(try await StaffStore.find(username: "mana.k", on: app.db))
            let id = try account.requireID()
            let issued = try #require(account.initialPasswordIssuedAt)
            #expect(abs(issued.timeIntervalSinceNow) < 60)
            let created = try await Self.audits(app, .staffCreated)
            #expect(created.count == 1 && created[0].detail.contains("mana.k") && created[0].detail.contains("ใช้ได้ถึง"))
            #expect(try await queuedMails(app).contains { $0.to == ["mana.k@example.go.th"] && $0.text.contains("72 ชั่วโมง") })

            // Within 72 hours (71 h 59 min after issue): the birth date (15 June 2528) signs in, to the new-password step.
            try await StaffAccount.query(on: app.db).filter(\.$id == id).set(\.$initialPasswordIssuedAt, to: Date().addingTimeInterval(-(72 * 3600 - 60)))
                .update()
            #expect(try await Self.signInAttempt(app, username: "mana.k", password: "15062528").location == "/backoffice/login/new-password")

            // After 72 hours: refused, with the reason, to whoever typed the right first password.
            try await StaffAccount.query(on: app.db).filter(\.$id == id).set(\.$initialPasswordIssuedAt, to: Date().addingTimeInterval(-(72 * 3600 + 60)))
                .update()
            let expired = try await Self.signInAttempt(app, username: "mana.k", password: "15062528")
            #expect(expired.status == .forbidden)
            #expect(expired.location == nil)
            #expect(expired.body.contains("รหัสผ่านเริ่มต้นหมดอายุแล้ว"))
            #expect(expired.body.contains("ติดต่อผู้ดูแลระบบ"))
            #expect(try await Self.audits(app, .signInFailed).contains { $0.detail.contains("หมดอายุ") && $0.actorID == id })
            // A wrong password for that account and an unknown username get the same answer as each other, without the reason.
            let wrong = try await Self.signInAttempt(app, username: "mana.k", password: "01012530")
            let unknown = try await Self.signInAttempt(app, username: "nobody.here", password: "15062528")
            for other in [wrong, unknown] {
                #expect(other.status == .unauthorized)
                #expect(other.body.contains("ชื่อผู้ใช้งานหรือรหัสผ่านไม่ถูกต้อง"))
                #expect(!other.body.contains("หมดอายุ"))
            }

            // The admin sees it has expired and issues a new one: 72 hours from now, e-mailed and audited.
            let member = BackOfficeURL.adminStaffMember(id).path
            try await get(app, member, platform) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("หมดอายุแล้วเมื่อ"))
                #expect(res.body.string.contains("ออกรหัสผ่านเริ่มต้นใหม่"))
            }
            try await post(app, member + "/initial-password", platform, [:]) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == member)
            }
            let reissued = try #require(try await StaffStore.find(id, on: app.db))
            let reissuedAt = try #require(reissued.initialPasswordIssuedAt)
            #expect(abs(reissuedAt.timeIntervalSinceNow) < 60)
            #expect(reissued.mustChangePassword)
            #expect(reissued.sessionEpoch == account.sessionEpoch + 1)
            let audit = try await Self.audits(app, .initialPasswordIssued)
            #expect(audit.count == 1)
            #expect(audit.first?.actorID == platform.id && audit.first?.detail.contains("mana.k") == true)
            #expect(!(audit.first?.detail.contains("15062528") ?? true), "never the password")
            #expect(try await queuedMails(app).filter { $0.to == ["mana.k@example.go.th"] }.count == 2)
            let signedIn = try await Self.signInAttempt(app, username: "mana.k", password: "15062528")
            #expect(signedIn.location == "/backoffice/login/new-password")

            // Once the person chose their own password, it does not expire.
            let s = try await passwordStep(app, username: "mana.k", password: "15062528")
            try await app.testing().test(
                .POST, "/backoffice/login/new-password", headers: ["Cookie": s.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(["_csrf": s.csrf, "password": "Lamp#Post2569", "confirm": "Lamp#Post2569"]))
            ) {
                #expect($0.status == .seeOther)
            }
            #expect(try await StaffStore.find(id, on: app.db)?.initialPasswordIssuedAt == nil)
            try await StaffAccount.query(on: app.db).filter(\.$id == id).set(\.$passwordChangedAt, to: Date().addingTimeInterval(-30 * 24 * 3600)).update()
            #expect(try await Self.signInAttempt(app, username: "mana.k", password: "Lamp#Post2569").location == "/backoffice/login/enrol")

            // Only platform admins may issue one, and never to themselves.
            let orgAdmin = try await signedInStaff(app, tenant: "bangrak", role: .orgAdmin)
            try await post(app, member + "/initial-password", orgAdmin, [:]) { #expect($0.status == .forbidden) }
            try await post(app, BackOfficeURL.adminStaffMember(platform.id).path + "/initial-password", platform, [:]) { #expect($0.status == .forbidden) }
            #expect(try await Self.audits(app, .initialPasswordIssued).count == 1)
        }
    }

    // MARK: 2. The birth date in the Buddhist era

    @Test(
        "the staff birth date is day, month name and Buddhist-era year, with the first password as a hint; bad dates get Thai field errors",
        arguments: TestDatabase.all)
    func buddhistBirthDate(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            for path in ["/backoffice/admin/staff/new", "/backoffice/register"] {
                try await app.testing().test(.GET, path, headers: platform.headers) { res in
                    let html = res.body.string
                    #expect(res.status == .ok)
                    #expect(!html.contains(#"type="date""#), "\(path): no Gregorian date picker")
                    #expect(html.contains(#"<select id="birthDay" name="birthDay""#), "\(path)")
                    #expect(html.contains(#"<option value="6">มิถุนายน</option>"#), "\(path)")
                    #expect(html.contains(#"id="birthYear" name="birthYear" type="text""#), "\(path)")
                }
            }
            try await get(app, "/backoffice/admin/staff/new", platform) { #expect($0.body.string.contains("15062528"), "the hint's example") }

            let id = StaffFixtures.nationalID()
            let cases: [(day: String, month: String, year: String, message: String)] = [
                ("15", "6", "1985", "ปีพุทธศักราช"),  // the Christian year
                ("31", "2", "2528", "ไม่มีวันที่นี้ในปฏิทิน"),
                ("15", "6", "\(ThaiDate.buddhistYear(of: Date()) + 1)", "อนาคต"),
                ("15", "6", "2300", "ปีพุทธศักราช"),
                ("1", "1", "2399", "ปีพุทธศักราช"),
                ("99999999999999999999", "6", "2528", "ไม่มีวันที่นี้ในปฏิทิน"),
                ("15", "-9223372036854775808", "2528", "ไม่มีวันที่นี้ในปฏิทิน"),
                ("15", "6", "99999999999999999999", "ปีพุทธศักราช"),
                ("15", "6", "", "กรุณากรอกวันเกิดให้ครบ"),
                ("", "", "", "กรุณากรอกวันเกิดให้ครบ"),
            ]
            for c in cases {
                try await post(
                    app, "/backoffice/admin/staff/new", platform, Self.newStaff(username: "mana.k", nationalID: id, day: c.day, month: c.month, year: c.year)
                ) { res in
                    #expect(res.status == .unprocessableEntity, "\(c)")
                    #expect(res.body.string.contains(c.message), "\(c)")
                    #expect(res.body.string.contains(##"href="#birthDay""##), "the error summary links to the field: \(c)")
                }
            }
            #expect(try await StaffStore.find(username: "mana.k", on: app.db) == nil)

            // A good date with another mistake: the page comes back with the date kept and the password it gives.
            var form = Self.newStaff(username: "x", nationalID: id, day: "3", month: "2", year: "๒๕๓๓")
            try await post(app, "/backoffice/admin/staff/new", platform, form) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("รหัสผ่านเริ่มต้นของบัญชีนี้: 03022533"))
                #expect(res.body.string.contains(#"<option value="2" selected>กุมภาพันธ์</option>"#))
            }
            form["username"] = "mana.k"
            try await post(app, "/backoffice/admin/staff/new", platform, form) { #expect($0.status == .seeOther) }
            #expect(try await StaffStore.find(username: "mana.k", on: app.db)?.birthDate == "1990-02-03")
            #expect(try await Self.signInAttempt(app, username: "mana.k", password: "03022533").location == "/backoffice/login/new-password")
        }
    }

    // MARK: 3. Sealed national IDs

    /// Every text value of the account's row, whatever the columns are called. The columns are listed first and
    /// then named: SQLiteNIO reads the names of a `SELECT *` before SQLite notices that another connection
    /// changed the table, so on a connection older than the change they would be the old ones.
    static func rawTexts(_ app: Application, username: String) async throws -> [String: String] {
        let sql = try #require(app.db as? any SQLDatabase)
        let listing: SQLQueryString =
            sql.dialect.name == "sqlite"
            ? "SELECT name FROM pragma_table_info('staff_accounts')"
            : "SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'staff_accounts'"
        let columns = try await sql.raw(listing).all().map { try $0.decode(column: "name", as: String.self) }
        var query = sql.select().from("staff_accounts").where("username", .equal, username)
        for c in columns { query = query.column(c) }
        let row = try #require(try await query.first())
        var texts: [String: String] = [:]
        for column in columns { if let s = try? row.decode(column: column, as: String.self) { texts[column] = s } }
        return texts
    }

    @Test(
        "staff national IDs are stored sealed with a keyed hash: not in the row, still unique, found by forgot-username, shown masked",
        arguments: TestDatabase.all)
    func sealedNationalIDs(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            let digits = StaffFixtures.nationalID()
            let national = try ThaiNationalID(digits)
            try await post(app, "/backoffice/admin/staff/new", platform, Self.newStaff(username: "mana.k", nationalID: digits)) {
                #expect($0.status == .seeOther)
            }
            let texts = try await Self.rawTexts(app, username: "mana.k")
            #expect(texts.count > 10, "the row's text columns were read")
            for (column, value) in texts {
                #expect(!value.contains(digits) && !value.contains(national.formatted), "\(column) holds the national ID")
            }
            let account = try #require(try await StaffStore.find(username: "mana.k", on: app.db))
            let opened = try app.staffNationalIDs.open(account.nationalIDSealed)
            #expect(opened == national)
            let citizenHash = try app.nationalIDs.lookupHash(national)
            #expect(account.nationalIDHash != citizenHash, "staff keys are not the citizens'")
            #expect(try await StaffStore.find(nationalID: national, vault: try app.staffNationalIDs, on: app.db)?.id == account.id)

            // One account per person still: the admin's form and self-registration refuse the same number.
            try await post(app, "/backoffice/admin/staff/new", platform, Self.newStaff(username: "mana.again", nationalID: national.formatted)) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("หนึ่งคนมีได้หนึ่งบัญชี"))
            }
            let anon = try await BackOfficeAccessTests.anonymous(app)
            var (headers, body) = StaffAccountTests.registration(nationalID: digits, username: "mana.self", csrf: anon.csrf)
            headers.add(name: "Cookie", value: anon.cookie)
            try await app.testing().test(.POST, "/backoffice/register", headers: headers, body: body) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("หนึ่งคนมีได้หนึ่งบัญชี"))
            }
            // And the database itself refuses a second row with the same number.
            await #expect(throws: (any Error).self) {
                _ = try await StaffFixtures.account(app, username: "mana.twin", nationalID: digits)
            }

            // Forgot-username finds the account by the number as people type it.
            try await app.testing().test(
                .POST, "/backoffice/forgot-username", headers: ["Cookie": anon.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(["_csrf": anon.csrf, "email": "mana.k@example.go.th", "nationalID": national.formatted]))
            ) {
                #expect($0.status == .ok)
            }
            #expect(try await queuedMails(app).contains { $0.to == ["mana.k@example.go.th"] && $0.text.contains("ชื่อผู้ใช้งานของท่านคือ mana.k") })

            // Shown masked on the account's pages; whole only on the registration page the admin checks against the document.
            let id = try account.requireID()
            try await get(app, BackOfficeURL.adminStaffMember(id).path, platform) { res in
                #expect(!res.body.string.contains(digits) && !res.body.string.contains(national.formatted))
            }
            try await get(app, BackOfficeURL.adminRegistration(id).path, platform) { res in
                #expect(res.body.string.contains(national.formatted))
            }
            let (_, secret) = try await StaffFixtures.account(app, username: "masked.me", nationalID: "1101700203450")
            let me = try await signIn(app, username: "masked.me", secret: secret)
            try await get(app, "/backoffice/profile", me) { res in
                #expect(res.body.string.contains("x-xxxx-xxxxx-45-0"))
                #expect(!res.body.string.contains("1101700203450") && !res.body.string.contains("1-1017-00203-45-0"))
            }
        }
    }

    @Test("the migration seals national IDs already stored in clear, and its revert brings them back", arguments: TestDatabase.all)
    func migrationSealsExistingRows(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let digits = StaffFixtures.nationalID()
            try await StaffFixtures.account(app, username: "before.seal", nationalID: digits)
            let seal = try #require(
                AllMigrations.list(staffNationalIDs: try app.staffNationalIDs)
                    .first { String(describing: type(of: $0)) == "UpdateStaffAccountSealNationalID" })
            let sql = try #require(app.db as? any SQLDatabase)

            // Back to the schema before it: the number in clear, as a database written before this release holds it.
            try await seal.revert(on: app.db).get()
            let clear = try #require(try await sql.select().column("national_id").from("staff_accounts").where("username", .equal, "before.seal").first())
            #expect(try clear.decode(column: "national_id", as: String.self) == digits)
            #expect(try await Self.rawTexts(app, username: "before.seal")["national_id_sealed"] == nil)
            // A row written by the old code.
            let other = StaffFixtures.nationalID()
            try await sql.raw(
                """
                INSERT INTO staff_accounts (id, username, national_id, status, is_platform_admin, request_number, title_th, first_name_th, last_name_th,
                  title_en, first_name_en, last_name_en, nationality, email, mobile, org_unit, position, password_hash, must_change_password,
                  otp_failures, login_failures, session_epoch, created_at, updated_at)
                VALUES (\(bind: UUID()), 'old.row', \(bind: other), 'active', \(bind: false), 'SR-2568-000009', 'นาย', 'เก่า', 'ก่อน', 'Mr.', 'Old', 'Row', 'ไทย',
                  'old.row@example.go.th', '0812345678', 'bangrak/works', 'ช่าง', 'x', \(bind: false), 0, 0, 0, \(bind: Date()), \(bind: Date()))
                """
            ).run()

            try await seal.prepare(on: app.db).get()
            let vault = try app.staffNationalIDs
            for (username, number) in [("before.seal", digits), ("old.row", other)] {
                let texts = try await Self.rawTexts(app, username: username)
                #expect(texts["national_id"] == nil, "no clear column left")
                for (column, value) in texts { #expect(!value.contains(number), "\(username): \(column) holds the national ID") }
                let found = try #require(try await StaffStore.find(nationalID: try ThaiNationalID(number), vault: vault, on: app.db))
                #expect(found.username == username)
                #expect(try vault.open(found.nationalIDSealed).digits == number)
                #expect(found.maskedNationalID == "x-xxxx-xxxxx-\(number.dropFirst(10).prefix(2))-\(number.suffix(1))")
            }
        }
    }

    // MARK: 4. Set-up stays open until a platform admin exists

    @Test(
        "a self-registration or other account before set-up does not close it; the link is printed again on a restart; a platform admin closes it",
        arguments: TestDatabase.all)
    func setupAfterRegistration(database: TestDatabase) async throws {
        let env = try await TestEnvironment.make(database)
        do { try await setupSteps(database, env) } catch {
            await env.cleanUp()
            throw error
        }
        await env.cleanUp()
    }

    private func setupSteps(_ database: TestDatabase, _ env: TestEnvironment) async throws {
        let pendingID = StaffFixtures.nationalID()
        try await withApp(database, environment: env) { app, _ in
            // Someone registers through ลงทะเบียนเจ้าหน้าที่ใหม่ before anyone set the platform up; an officer account exists too.
            let anon = try await BackOfficeAccessTests.anonymous(app)
            var (headers, body) = StaffAccountTests.registration(nationalID: pendingID, username: "early.bird", csrf: anon.csrf)
            headers.add(name: "Cookie", value: anon.cookie)
            try await app.testing().test(.POST, "/backoffice/register", headers: headers, body: body) { #expect($0.status == .seeOther) }
            #expect(try await StaffStore.find(username: "early.bird", on: app.db)?.status == .pending)
            try await StaffFixtures.account(app, username: "plain.officer", grants: [("bangrak", .officer)])
            #expect(try await PlatformSetupLink.announceIfNeeded(app) != nil)
        }
        // A restart on the same database prints a link again, and that link works.
        try await withApp(database, environment: env) { app, _ in
            let link = try #require(try await PlatformSetupLink.announceIfNeeded(app))
            let path = String(link[try #require(link.range(of: "/backoffice/setup/")).lowerBound...])
            var cookie = "", csrf = ""
            try await app.testing().test(.GET, path) { res in
                #expect(res.status == .ok)
                let f = try FormSession.from(res)
                (cookie, csrf) = (f.cookie, f.csrf)
            }
            var fields = [
                "_csrf": csrf, "username": "plain.officer", "titleTH": "นาย", "firstNameTH": "ผู้ดูแล", "lastNameTH": "ระบบกลาง",
                "nationalID": StaffFixtures.nationalID(), "email": "admin@example.go.th", "mobile": "0800000000",
                "password": "Platform#Admin2569", "confirm": "Platform#Admin2569",
            ]
            // An account in use keeps its username: a field error, not a failure.
            try await app.testing().test(
                .POST, path, headers: ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(fields))
            ) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("ชื่อผู้ใช้งานนี้มีผู้ใช้แล้ว"))
            }
            // A registration still waiting does not: anyone could have sent one with the operator's national ID.
            fields["username"] = "root.admin"
            fields["nationalID"] = pendingID
            try await app.testing().test(
                .POST, path, headers: ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(fields))
            ) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == "/backoffice/login/enrol")
            }
            #expect(try await StaffStore.find(username: "root.admin", on: app.db)?.isPlatformAdmin == true)
            #expect(try await StaffStore.find(username: "early.bird", on: app.db) == nil, "the pending registration gave way")
            #expect(try await StaffStore.find(username: "plain.officer", on: app.db) != nil)
            try await app.testing().test(.GET, path) { #expect($0.status == .gone) }
            #expect(try await PlatformSetupLink.announceIfNeeded(app) == nil, "closed once a platform admin exists")
        }
        try await withApp(database, environment: env) { app, _ in
            let link = try await PlatformSetupLink.announceIfNeeded(app)
            #expect(link == nil, "and stays closed after a restart")
        }
    }
}
