import Domain
import Fluent
import FluentKit
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// A multipart/form-data body, as a browser sends a form with a file.
struct Multipart {
    let boundary = "----eservice\(UUID().uuidString.prefix(8))"
    var body = Data()

    mutating func field(_ name: String, _ value: String) {
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
    }

    mutating func file(_ name: String, filename: String, type: String, data: Data) {
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n".utf8))
        body.append(data)
        body.append(Data("\r\n".utf8))
    }

    func finished() -> (HTTPHeaders, ByteBuffer) {
        var b = body
        b.append(Data("--\(boundary)--\r\n".utf8))
        return (["Content-Type": "multipart/form-data; boundary=\(boundary)"], ByteBuffer(data: b))
    }
}

/// A small real PDF.
let samplePDF = Data(
    """
    %PDF-1.4
    1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
    2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
    3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj
    trailer << /Root 1 0 R >>
    %%EOF
    """.utf8)

@Suite("Back office: staff registration, recovery and sessions")
struct StaffAccountTests {
    static func registration(
        nationalID: String, username: String, document: (String, String, Data)? = ("id-card.pdf", "application/pdf", samplePDF),
        csrf: String
    ) -> (HTTPHeaders, ByteBuffer) {
        var m = Multipart()
        let fields = [
            "_csrf": csrf, "tenant": "bangkrathum", "unit2": "palad", "unit3": "palad/admin", "unit4": "palad/admin/saraban",
            "position": "นักจัดการงานทั่วไป", "mobile": "081-234-5678", "titleTH": "นางสาว", "firstNameTH": "สมหญิง", "lastNameTH": "ใจดี",
            "titleEN": "Ms.", "firstNameEN": "Somying", "lastNameEN": "Jaidee", "nationalID": nationalID, "nationality": "ไทย",
            "birthDay": "4", "birthMonth": "3", "birthYear": "2535", "email": "somying@example.go.th", "username": username, "password": "Tambon#Office2569",
            "confirm": "Tambon#Office2569", "consent": "1",
        ]
        // The CSRF token first, as the page's form sends it (the upload is read as it streams).
        m.field("_csrf", csrf)
        for (k, v) in fields.sorted(by: { $0.key < $1.key }) where k != "_csrf" { m.field(k, v) }
        if let (name, type, data) = document { m.file("document", filename: name, type: type, data: data) }
        return m.finished()
    }

    static func documentFiles(_ app: Application) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: app.settings.fileStoreDirectory.appendingPathComponent("staff-documents").path)) ?? []
    }

    @Test(
        "registration streams its document: one byte over 10 MB is refused with 413 and a Thai message, nothing kept, no temporary file",
        arguments: TestDatabase.all)
    func registrationDocumentTooLarge(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            let anon = try await BackOfficeAccessTests.anonymous(app)
            let big = Data(count: StaffRegistrationController.maxDocumentBytes + 1)
            var (headers, body) = Self.registration(
                nationalID: StaffFixtures.nationalID(), username: "big.file",
                document: ("big.pdf", "application/pdf", big), csrf: anon.csrf)
            headers.add(name: "Cookie", value: anon.cookie)
            try await app.testing().test(.POST, "/backoffice/register", headers: headers, body: body) { res in
                #expect(res.status == .payloadTooLarge)
                #expect(res.body.string.contains("ไฟล์มีขนาดเกิน 10 MB"))
            }
            #expect(try await StaffStore.count(on: app.db) == 0)
            #expect(Self.documentFiles(app).isEmpty)
            let spool = app.uploadSpoolDirectory.path
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).isEmpty, "no temporary file left")
            _ = env
        }
    }

    @Test(
        "registration: a number, pending, e-mailed; one account per national ID; the document's type is read from its content",
        arguments: TestDatabase.all)
    func register(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let id = StaffFixtures.nationalID()
            var cookie = "", csrf = ""
            try await app.testing().test(.GET, "/backoffice/register") { res in
                #expect(res.status == .ok)
                let html = res.body.string
                for label in ["สังกัดหน่วยงาน", "กอง / ฝ่าย", "งาน", "ตำแหน่ง", "โทรศัพท์มือถือ", "Title", "Lastname", "เลขประจำตัวประชาชน", "สัญชาติ", "อีเมล", "รหัสผ่าน"] {
                    #expect(html.contains(label), "\(label)")
                }
                let f = try FormSession.from(res)
                (cookie, csrf) = (f.cookie, f.csrf)
            }
            // A text file named .pdf is refused, nothing is written.
            var (headers, body) = Self.registration(
                nationalID: id, username: "somying.j", document: ("fake.pdf", "application/pdf", Data("not a pdf at all".utf8)), csrf: csrf)
            headers.add(name: "Cookie", value: cookie)
            try await app.testing().test(.POST, "/backoffice/register", headers: headers, body: body) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("ไม่ใช่ PDF หรือรูปภาพ"))
            }
            // A bad checksum and a missing document are both named.
            (headers, body) = Self.registration(nationalID: "1101700203451", username: "somying.j", document: nil, csrf: csrf)
            headers.add(name: "Cookie", value: cookie)
            try await app.testing().test(.POST, "/backoffice/register", headers: headers, body: body) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("เลขประจำตัวประชาชนไม่ถูกต้อง") || res.body.string.contains("ไม่ถูกต้อง"))
                #expect(res.body.string.contains("กรุณาแนบสำเนาบัตรประจำตัวประชาชน"))
            }
            #expect(try await StaffStore.count(on: app.db) == 0)
            #expect(Self.documentFiles(app).isEmpty)

            (headers, body) = Self.registration(nationalID: id, username: "somying.j", csrf: csrf)
            headers.add(name: "Cookie", value: cookie)
            try await app.testing().test(.POST, "/backoffice/register", headers: headers, body: body) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == "/backoffice/register/sent")
            }
            try await app.testing().test(.GET, "/backoffice/register/sent", headers: ["Cookie": cookie]) { res in
                #expect(res.body.string.contains("SR-\(ThaiDate.buddhistYear(of: Date()))-000001"))
            }
            let account = try #require(try await StaffStore.find(username: "somying.j", on: app.db))
            #expect(account.status == .pending)
            #expect(account.orgUnit == "bangkrathum/palad/admin/saraban")
            #expect(account.documentType == "pdf")
            #expect(Self.documentFiles(app).count == 1)
            #expect(try await queuedMails(app).contains { $0.to == ["somying@example.go.th"] && $0.subject.contains(account.requestNumber) })
            // Pending accounts cannot sign in.
            let pending = try await passwordStep(app, username: "somying.j", password: "Tambon#Office2569")
            #expect(pending.location == nil)

            // The same person again: refused, and no second file is left behind.
            (headers, body) = Self.registration(nationalID: id, username: "somying.other", csrf: csrf)
            headers.add(name: "Cookie", value: cookie)
            try await app.testing().test(.POST, "/backoffice/register", headers: headers, body: body) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("หนึ่งคนมีได้หนึ่งบัญชี"))
            }
            #expect(Self.documentFiles(app).count == 1)

            // The platform admin sees the document and approves; the applicant is told.
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            try await get(app, "/backoffice/admin/registrations/\(account.id!.uuidString.lowercased())/document", platform) { res in
                #expect(res.status == .ok)
                #expect(res.headers.contentType == .pdf)
                #expect(res.headers.first(name: .contentDisposition)?.contains(account.requestNumber) == true)
            }
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            try await get(app, "/backoffice/admin/registrations/\(account.id!.uuidString.lowercased())/document", officer) { #expect($0.status == .forbidden) }
            try await post(app, "/backoffice/admin/registrations", platform, ["ids[]": account.id!.uuidString, "action": "approve"]) {
                #expect($0.status == .seeOther)
            }
            #expect(try await StaffStore.find(username: "somying.j", on: app.db)?.status == .active)
            #expect(try await queuedMails(app).contains { $0.to == ["somying@example.go.th"] && $0.subject.contains("อนุมัติ") })
            let s = try await passwordStep(app, username: "somying.j", password: "Tambon#Office2569")
            #expect(s.location == "/backoffice/login/enrol")
        }
    }

    @Test("an account an admin creates starts with the birth date (DDMMYYYY, Buddhist era) and must choose a new password", arguments: TestDatabase.all)
    func adminCreated(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            try await post(
                app, "/backoffice/admin/staff/new", platform,
                [
                    "tenant": "bangrak", "unit2": "works", "unit3": "works/publicworks", "unit4": "works/publicworks/lighting", "position": "นายช่างไฟฟ้า",
                    "mobile": "0891112222", "titleTH": "นาย", "firstNameTH": "มานะ", "lastNameTH": "ขยัน", "titleEN": "Mr.", "firstNameEN": "Mana",
                    "lastNameEN": "Khayan", "nationalID": StaffFixtures.nationalID(), "nationality": "ไทย", "birthDay": "1", "birthMonth": "1",
                    "birthYear": "2530",
                    "email": "mana@example.go.th", "username": "mana.k",
                ]
            ) { #expect($0.status == .seeOther) }
            let s = try await passwordStep(app, username: "mana.k", password: "01012530")
            #expect(s.location == "/backoffice/login/new-password")
            // The initial password again, or one that breaks the rule, is refused.
            for bad in ["01012530", "short"] {
                var out: TestingHTTPResponse?
                try await app.testing().test(
                    .POST, "/backoffice/login/new-password", headers: ["Cookie": s.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: formBody(["_csrf": s.csrf, "password": bad, "confirm": bad]))
                ) { out = $0 }
                #expect(out?.status == .unprocessableEntity)
            }
            try await app.testing().test(
                .POST, "/backoffice/login/new-password", headers: ["Cookie": s.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(["_csrf": s.csrf, "password": "Lamp#Post2569", "confirm": "Lamp#Post2569"]))
            ) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == "/backoffice/login/enrol")
            }
            let account = try #require(try await StaffStore.find(username: "mana.k", on: app.db))
            #expect(!account.mustChangePassword)
            #expect(try await passwordStep(app, username: "mana.k", password: "01012530").location == nil)
        }
    }

    @Test("forgot password: one e-mailed link, hashed, single use, ends other sessions; unknown details get the same answer", arguments: TestDatabase.all)
    func forgotPassword(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let (account, secret) = try await StaffFixtures.account(app, username: "forgetful", grants: [("bangkrathum", .officer)])
            let other = try await signIn(app, username: "forgetful", secret: secret)
            let anon = try await BackOfficeAccessTests.anonymous(app)
            var answers: [String] = []
            for (user, mail) in [("forgetful", "forgetful@example.go.th"), ("forgetful", "wrong@example.go.th"), ("ghost", "ghost@example.go.th")] {
                try await app.testing().test(
                    .POST, "/backoffice/forgot-password", headers: ["Cookie": anon.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: formBody(["_csrf": anon.csrf, "username": user, "email": mail]))
                ) { res in
                    #expect(res.status == .ok)
                    answers.append(res.body.string.contains(AccountRecoveryController.sameAnswerPassword) ? "same" : "different")
                }
            }
            #expect(answers == ["same", "same", "same"])
            let mails = try await queuedMails(app).filter { $0.subject.contains("ตั้งรหัสผ่านใหม่") }
            #expect(mails.count == 1)
            let text = try #require(mails.first?.text)
            let range = try #require(text.range(of: #"/backoffice/reset-password/[A-Za-z0-9_-]+"#, options: .regularExpression))
            let path = String(text[range])
            let token = String(path.split(separator: "/").last!)
            let stored = try await SingleUseTokenRecord.query(on: app.db).all().map(\.tokenHash)
            #expect(!stored.contains(token) && stored.contains(RandomToken.hash(token)), "only the hash is stored")

            try await app.testing().test(
                .POST, path, headers: ["Cookie": anon.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(["_csrf": anon.csrf, "password": "New#Secret2569", "confirm": "New#Secret2569"]))
            ) { res in
                #expect(res.status == .seeOther)
            }
            try await app.testing().test(.GET, path, headers: ["Cookie": anon.cookie]) { #expect($0.status == .gone) }
            // The session signed in before the reset has ended.
            try await get(app, "/backoffice/t/bangkrathum/", other) { #expect($0.status == .seeOther) }
            #expect(try await passwordStep(app, username: "forgetful", password: "New#Secret2569").location == "/backoffice/login/otp")
            #expect(account.id != nil)
        }
    }

    @Test("forgot username: e-mail and national ID; the same answer whether or not they match", arguments: TestDatabase.all)
    func forgotUsername(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let (account, _) = try await StaffFixtures.account(app, username: "whoami")
            let anon = try await BackOfficeAccessTests.anonymous(app)
            let known = try app.staffNationalIDs.open(account.nationalIDSealed).formatted  // dashes, as people type it
            for id in [known, StaffFixtures.nationalID()] {
                try await app.testing().test(
                    .POST, "/backoffice/forgot-username", headers: ["Cookie": anon.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: formBody(["_csrf": anon.csrf, "email": "whoami@example.go.th", "nationalID": id]))
                ) { res in
                    #expect(res.status == .ok)
                    #expect(res.body.string.contains(AccountRecoveryController.sameAnswerUsername))
                }
            }
            let mails = try await queuedMails(app).filter { $0.text.contains("whoami") }
            #expect(mails.count == 1)
        }
    }

    @Test(
        "sessions: sign-out ends it on the server; idle 30 minutes or 12 hours in all ends it; disabling ends every session",
        arguments: TestDatabase.all)
    func sessionRules(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let (_, secret) = try await StaffFixtures.account(app, username: "sessions", grants: [("bangkrathum", .officer)])
            // Sign-out: the old cookie is worthless afterwards.
            let a = try await signIn(app, username: "sessions", secret: secret)
            try await post(app, "/backoffice/logout", a, [:]) { #expect($0.status == .seeOther) }
            try await get(app, "/backoffice/t/bangkrathum/", a) { #expect($0.status == .seeOther) }

            // Idle and absolute limits: move the session's clocks back.
            for (key, age) in [("seen", 31.0 * 60), ("started", 12.0 * 3600 + 60)] {
                let b = try await signIn(app, username: "sessions", secret: secret)
                try await get(app, "/backoffice/t/bangkrathum/", b) { #expect($0.status == .ok) }
                let id = String(b.cookie.split(separator: "=", maxSplits: 1)[1])
                let record = try #require(try await SessionRecord.query(on: app.db).filter(\.$key == SessionID(string: id)).first())
                var data = record.data
                var signIn = try #require(SignInSessions.read(data, .staff))
                if key == "seen" { signIn.seen = Date().addingTimeInterval(-age) } else { signIn.started = Date().addingTimeInterval(-age) }
                data[SignInSessions.key(.staff)] = SignInSessions.encode(signIn)
                record.data = data
                try await record.save(on: app.db)
                try await get(app, "/backoffice/t/bangkrathum/", b) { res in
                    #expect(res.status == .seeOther, "\(key)")
                    #expect(res.headers.first(name: .location)?.contains("expired=1") == true)
                }
            }

            // Disabling the account ends its sessions at once.
            let c = try await signIn(app, username: "sessions", secret: secret)
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            try await post(app, "/backoffice/admin/staff/\(c.id.uuidString.lowercased())/status", platform, ["action": "disable"]) {
                #expect($0.status == .seeOther)
            }
            try await get(app, "/backoffice/t/bangkrathum/", c) { #expect($0.status == .seeOther) }
            #expect(try await passwordStep(app, username: "sessions").location == nil)
        }
    }

    @Test("changing the password on the profile page needs the current one and ends the other sessions, not this one", arguments: TestDatabase.all)
    func profilePassword(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let (_, secret) = try await StaffFixtures.account(app, username: "twodevices")
            let phone = try await signIn(app, username: "twodevices", secret: secret)
            let desk = try await signIn(app, username: "twodevices", secret: secret)
            try await post(app, "/backoffice/profile/password", desk, ["current": "wrong", "password": "Desk#Change2569", "confirm": "Desk#Change2569"]) {
                #expect($0.status == .unprocessableEntity)
                #expect($0.body.string.contains("รหัสผ่านปัจจุบันไม่ถูกต้อง"))
            }
            try await post(
                app, "/backoffice/profile/password", desk, ["current": StaffFixtures.password, "password": "Desk#Change2569", "confirm": "Desk#Change2569"]
            ) {
                #expect($0.status == .seeOther)
            }
            try await get(app, "/backoffice/profile", desk) { #expect($0.status == .ok) }
            try await get(app, "/backoffice/profile", phone) { #expect($0.status == .seeOther) }
            // E-mail changes need the current password too.
            try await post(
                app, "/backoffice/profile", desk,
                [
                    "position": "หัวหน้างาน", "mobile": "0812345678", "titleTH": "นาย", "firstNameTH": "ทดสอบ",
                    "lastNameTH": "ระบบงาน", "titleEN": "Mr.", "firstNameEN": "Test", "lastNameEN": "Staff",
                    "email": "new@example.go.th",
                ]
            ) { #expect($0.status == .unprocessableEntity) }
            #expect(try await StaffStore.find(username: "twodevices", on: app.db)?.email == "twodevices@example.go.th")
        }
    }

    @Test("first start: a one-time set-up link makes the first platform admin; no default password; the link works once", arguments: TestDatabase.all)
    func firstAdmin(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let link = try #require(try await PlatformSetupLink.announceIfNeeded(app))
            let start = try #require(link.range(of: "/backoffice/setup/"))
            let path = String(link[start.lowerBound...])
            var cookie = "", csrf = ""
            try await app.testing().test(.GET, path) { res in
                #expect(res.status == .ok)
                let f = try FormSession.from(res)
                (cookie, csrf) = (f.cookie, f.csrf)
            }
            let fields = [
                "_csrf": csrf, "username": "root.admin", "titleTH": "นาย", "firstNameTH": "ผู้ดูแล", "lastNameTH": "ระบบกลาง",
                "nationalID": StaffFixtures.nationalID(), "email": "admin@example.go.th", "mobile": "0800000000",
                "password": "Platform#Admin2569", "confirm": "Platform#Admin2569",
            ]
            try await app.testing().test(
                .POST, path, headers: ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(fields))
            ) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == "/backoffice/login/enrol")
            }
            let admin = try #require(try await StaffStore.find(username: "root.admin", on: app.db))
            #expect(admin.isPlatformAdmin && admin.status == .active)
            try await app.testing().test(.GET, path) { #expect($0.status == .gone) }
            #expect(try await PlatformSetupLink.announceIfNeeded(app) == nil, "no link once an account exists")
        }
    }
}
