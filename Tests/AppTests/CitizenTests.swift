import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

private func count(_ app: Application, _ table: String) async throws -> Int {
    let sql = try #require(app.db as? any SQLDatabase)
    return try #require(try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()).decode(column: "n", as: Int.self)
}

@Suite("Citizens: registration, identity images, officers' decision")
struct CitizenRegistrationTests {
    @Test("terms → form → two images → pending welcome → an officer approves → ยืนยันตัวตนแล้ว", arguments: TestDatabase.all)
    func journey(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            // The terms must be accepted with the checkbox.
            var s = FormSession(cookie: "", csrf: "", fields: [:])
            try await app.testing().test(.GET, "/t/bangkrathum/register") { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("ข้อตกลงและเงื่อนไขการให้บริการ"))
                s = try FormSession.from(res)
            }
            try await app.testing().test(
                .POST, "/t/bangkrathum/register", headers: ["Cookie": s.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(["_csrf": s.csrf]))
            ) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("กรุณาทำเครื่องหมายยอมรับ"))
            }
            // The form cannot be reached before the terms.
            try await app.testing().test(.GET, "/t/bangkrathum/register/details", headers: ["Cookie": s.cookie]) { res in
                #expect(res.status == .seeOther)
            }

            let client = try await CitizenFixtures.register(app)
            #expect(try await count(app, "citizens") == 1)
            try await app.testing().test(.GET, "/t/bangkrathum/account", headers: client.headers) { res in
                #expect(res.body.string.contains("ยินดีต้อนรับเข้าสู่ระบบบริการประชาชนออนไลน์"))
                #expect(res.body.string.contains("ยังไม่ได้ส่งภาพยืนยันตัวตน"))
            }

            // Two identity images, as the tenant asks.
            let photo = try TestImages.fixture("id-photo.jpg")
            let (h, b) = CitizenFixtures.identityUpload(client, files: [("image_0", "front.jpg", photo), ("image_1", "selfie.jpg", photo)])
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { res in
                #expect(res.status == .seeOther, "\(res.status) \(res.body.string.prefix(1500))")
            }
            let stored = TestImages.storedFiles(env)
            #expect(stored.count == 2)
            for file in stored {
                let bytes = Array(try Data(contentsOf: file))
                #expect(bytes.starts(with: [0xFF, 0xD8, 0xFF]), "stored as JPEG")
                #expect(bytes != Array(photo), "only the marked image is stored")
                #expect(!Data(bytes).contains(Data("Exif".utf8)), "no metadata")
            }
            try await app.testing().test(.GET, "/t/bangkrathum/account", headers: client.headers) { res in
                #expect(res.body.string.contains("กำลังตรวจสอบการยืนยันตัวตน"))
            }

            // Sign out, sign in again with the number written with dashes.
            let id = try ThaiNationalID(client.nationalID)
            let again = try #require(try await CitizenFixtures.signIn(app, nationalID: id.formatted))

            // The officer's queue, the review page (full ID for the tenant's officer), an audited image view.
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let account = try #require(try await CitizenAccount.query(on: app.db).first())
            let citizenID = try account.requireID()
            #expect(!account.nationalIDSealed.contains(client.nationalID), "sealed at rest")
            try await get(app, "/backoffice/t/bangkrathum/identity", officer) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains(account.maskedNationalID))
                #expect(!res.body.string.contains(client.nationalID), "the list shows the masked number")
                #expect(res.body.string.contains(#"กำลังตรวจสอบการยืนยันตัวตน <span class="count">(1)</span>"#), "the tab counts the queue")
            }
            var imageURL = ""
            try await get(app, "/backoffice/t/bangkrathum/identity/\(citizenID.uuidString.lowercased())", officer) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains(id.formatted))
                let match = try #require(
                    res.body.string.range(of: #"/backoffice/t/bangkrathum/identity/[0-9a-f-]+/images/[0-9a-f-]+"#, options: .regularExpression))
                imageURL = String(res.body.string[match])
            }
            try await get(app, imageURL, officer) { res in
                #expect(res.status == .ok)
                #expect(res.headers.contentType == .jpeg)
                #expect(res.headers.first(name: "X-Content-Type-Options") == "nosniff")
                #expect(res.headers.first(name: "Content-Disposition")?.hasPrefix("inline") == true)
                #expect(res.headers.first(name: .cacheControl)?.contains("no-store") == true)
            }
            let audit = try await AuditLog.list(AuditLog.Filter(tenants: ["bangkrathum"], action: .identityImageViewed), on: app.db)
            #expect(audit.count == 1)
            #expect(!(audit.first?.detail.contains(client.nationalID) ?? true))

            // Reject needs a reason; approve decides once.
            let reviewPath = "/backoffice/t/bangkrathum/identity/\(citizenID.uuidString.lowercased())"
            try await post(app, reviewPath, officer, ["decision": "reject", "reason": "", "identityVersion": "1"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("กรุณาระบุเหตุผล"))
            }
            try await post(app, reviewPath, officer, ["decision": "approve", "identityVersion": "1"]) { res in #expect(res.status == .seeOther) }
            try await post(app, reviewPath, officer, ["decision": "reject", "reason": "ภาพไม่ชัด", "identityVersion": "1"]) { res in
                #expect(res.status == .conflict, "a second decision loses")
            }
            let mails = try await queuedMails(app).filter { $0.to.contains(client.email) }
            #expect(mails.count == 1)
            #expect(mails.first?.subject.contains("ยืนยันตัวตนแล้ว") == true)
            try await app.testing().test(.GET, "/t/bangkrathum/account", headers: again.headers) { res in
                #expect(res.body.string.contains("ยืนยันตัวตนแล้ว"))
            }
        }
    }

    @Test("bad registration input gets Thai messages beside the fields and saves nothing", arguments: TestDatabase.all)
    func badDetails(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            var s = FormSession(cookie: "", csrf: "", fields: [:])
            try await app.testing().test(.GET, "/t/bangkrathum/register") { res in s = try FormSession.from(res) }
            try await app.testing().test(
                .POST, "/t/bangkrathum/register", headers: ["Cookie": s.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(["_csrf": s.csrf, "accept": "1"]))
            ) { _ in }
            var fields = CitizenFixtures.details(nationalID: "1234567890123", email: "not-an-email")
            fields["birthYear"] = "1990"
            fields["address_district"] = "1001"  // Bangkok's district under Phitsanulok
            fields["password"] = "P@ssw0rd"
            fields["passwordConfirm"] = "different"
            fields["_csrf"] = s.csrf
            try await app.testing().test(
                .POST, "/t/bangkrathum/register/details", headers: ["Cookie": s.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(fields))
            ) { res in
                #expect(res.status == .unprocessableEntity)
                let html = res.body.string
                #expect(html.contains("เลขประจำตัวประชาชนไม่ถูกต้อง"))
                #expect(html.contains("ปีพุทธศักราช"))
                #expect(html.contains("รูปแบบอีเมลไม่ถูกต้อง"))
                #expect(html.contains("ถูกใช้กันทั่วไป"))
                #expect(html.contains("ไม่ตรงกัน"))
                #expect(html.contains(##"href="#address_district""##), "the summary links to the address field")
                #expect(html.contains("สมศรี"), "what was typed is kept")
                #expect(!html.contains("P@ssw0rd"), "never the password")
            }
            #expect(try await count(app, "citizens") == 0)

            // A national ID registers once per tenant, and may register with another tenant.
            let first = try await CitizenFixtures.register(app)
            let second = CitizenFixtures.details(nationalID: first.nationalID, email: "other@example.com")
            try await app.testing().test(.GET, "/t/bangkrathum/register") { res in s = try FormSession.from(res) }
            try await app.testing().test(
                .POST, "/t/bangkrathum/register", headers: ["Cookie": s.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(["_csrf": s.csrf, "accept": "1"]))
            ) { _ in }
            try await app.testing().test(
                .POST, "/t/bangkrathum/register/details", headers: ["Cookie": s.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: formBody(second.merging(["_csrf": s.csrf]) { $1 }))
            ) { res in
                #expect(res.status == .conflict)
                #expect(res.body.string.contains("ลงทะเบียนกับเทศบาลตำบลบางกระทุ่มแล้ว"))
            }
            _ = try await CitizenFixtures.register(app, tenant: "bangrak", nationalID: first.nationalID)
            #expect(try await count(app, "citizens") == 2)
        }
    }

    @Test(
        "a PDF or HTML named .jpg, a truncated JPEG, a 50,000 × 50,000 PNG header, one byte over the limit: refused, nothing kept",
        arguments: TestDatabase.all)
    func badUploads(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            let client = try await CitizenFixtures.register(app)
            let photo = try TestImages.fixture("id-photo.jpg")
            let html = Data("<!doctype html><html><body><script>alert(1)</script></body></html>".utf8)
            let truncated = photo.prefix(photo.count / 2)
            let cases: [(String, Data, HTTPStatus, String)] = [
                ("PDF named .jpg", samplePDF, .unprocessableEntity, "ไม่ใช่ภาพที่รองรับ"),
                ("HTML named .jpg", html, .unprocessableEntity, "ไม่ใช่ภาพที่รองรับ"),
                ("truncated JPEG", Data(truncated), .unprocessableEntity, "เสียหายหรือไม่สมบูรณ์"),
                ("50,000 × 50,000 PNG", hugePNGHeader(width: 50_000, height: 50_000), .unprocessableEntity, "ใหญ่เกินกว่าที่รับได้"),
                ("10 MB + 1 byte", Data(count: (10 << 20) + 1), .payloadTooLarge, "ใหญ่เกิน 10 MB"),
            ]
            for (name, bad, status, message) in cases {
                let (h, b) = CitizenFixtures.identityUpload(client, files: [("image_0", "front.jpg", photo), ("image_1", "card.jpg", bad)])
                try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { res in
                    #expect(res.status == status, "\(name)")
                    #expect(res.body.string.contains(message), "\(name): \(res.body.string.prefix(400))")
                    #expect(res.body.string.contains(##"href="#image_1""##), "\(name): the summary names the field")
                }
                #expect(try await count(app, "identity_images") == 0, "\(name): no row")
                #expect(TestImages.storedFiles(env).isEmpty, "\(name): no file")
            }
            // A missing image is named too.
            let (h1, b1) = CitizenFixtures.identityUpload(client, files: [("image_0", "front.jpg", photo)])
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h1, body: b1) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("กรุณาแนบภาพถ่ายตนเองคู่กับบัตรประจำตัวประชาชน"))
            }
            // Without the CSRF token (or with a wrong one) nothing is read past the first part.
            for token in ["", "wrong-token"] {
                var m = Multipart()
                if !token.isEmpty { m.field("_csrf", token) }
                m.file("image_0", filename: "a.jpg", type: "image/jpeg", data: photo)
                var (h, b) = m.finished()
                h.add(name: "Cookie", value: client.cookie)
                try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { res in
                    #expect(res.status == .forbidden)
                }
            }
            // A file under a name the form does not have, and a body cut off in the middle of a part: 400.
            var stray = Multipart()
            stray.field("_csrf", client.csrf)
            stray.file("x1", filename: "x.jpg", type: "image/jpeg", data: photo)
            var (hs, bs) = stray.finished()
            hs.add(name: "Cookie", value: client.cookie)
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: hs, body: bs) { res in #expect(res.status == .badRequest) }
            var cut = Multipart()
            cut.field("_csrf", client.csrf)
            cut.file("image_0", filename: "a.jpg", type: "image/jpeg", data: photo)
            var (hc, bc) = cut.finished()
            hc.add(name: "Cookie", value: client.cookie)
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: hc, body: bc.getSlice(at: 0, length: bc.readableBytes - 200)!) {
                res in
                #expect(res.status == .badRequest)
            }
            #expect(try await count(app, "identity_images") == 0)
            let account = try #require(try await CitizenAccount.query(on: app.db).first())
            #expect(account.verificationStatus == .awaitingImages)
        }
    }

    @Test("an identity image is served to its owner and the tenant's officers only", arguments: TestDatabase.all)
    func imageAccess(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let owner = try await CitizenFixtures.register(app)
            let other = try await CitizenFixtures.register(app)
            let photo = try TestImages.fixture("id-photo.jpg")
            let (h, b) = CitizenFixtures.identityUpload(owner, files: [("image_0", "a.jpg", photo), ("image_1", "b.jpg", photo)])
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { res in #expect(res.status == .seeOther) }
            let image = try #require(try await IdentityImageRecord.query(on: app.db).first())
            let imageID = try image.requireID().uuidString.lowercased()
            let citizenID = image.citizenID.uuidString.lowercased()

            try await app.testing().test(.GET, "/t/bangkrathum/account/images/\(imageID)", headers: owner.headers) { res in
                #expect(res.status == .ok)
                #expect(res.headers.first(name: "X-Content-Type-Options") == "nosniff")
            }
            try await app.testing().test(.GET, "/t/bangkrathum/account/images/\(imageID)", headers: other.headers) { res in
                #expect(res.status == .notFound, "another citizen")
            }
            try await app.testing().test(.GET, "/t/bangkrathum/account/images/\(imageID)") { res in
                #expect(res.status == .seeOther, "nobody signed in: to the sign-in page")
                #expect(res.headers.first(name: .location)?.hasPrefix("/t/bangkrathum/login") == true)
            }
            // The owner's session does not reach another tenant's account pages.
            try await app.testing().test(.GET, "/t/bangrak/account/images/\(imageID)", headers: owner.headers) { res in
                #expect(res.status == .seeOther)
            }
            let foreign = try await signedInStaff(app, tenant: "bangrak", role: .officer)
            try await get(app, "/backoffice/t/bangkrathum/identity/\(citizenID)/images/\(imageID)", foreign) { res in
                #expect(res.status == .forbidden, "another tenant's officer")
            }
            try await get(app, "/backoffice/t/bangrak/identity/\(citizenID)/images/\(imageID)", foreign) { res in
                #expect(res.status == .notFound, "through their own tenant's path")
            }
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            try await get(app, "/backoffice/t/bangkrathum/identity/\(citizenID)/images/\(imageID)", officer) { res in
                #expect(res.status == .ok)
            }
        }
    }

    @Test(
        "rejected with a reason → the citizen sees it and sends new images; old files go, a double submit keeps one set",
        arguments: TestDatabase.all)
    func rejectAndResend(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            let client = try await CitizenFixtures.register(app)
            let photo = try TestImages.fixture("id-photo.jpg")
            func upload() async throws -> HTTPStatus {
                let (h, b) = CitizenFixtures.identityUpload(client, files: [("image_0", "a.jpg", photo), ("image_1", "b.jpg", photo)])
                var status = HTTPStatus.internalServerError
                try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { res in status = res.status }
                return status
            }
            #expect(try await upload() == .seeOther)
            let first = Set(TestImages.storedFiles(env).map(\.lastPathComponent))
            #expect(first.count == 2)

            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let citizenID = try #require(try await CitizenAccount.query(on: app.db).first()).requireID().uuidString.lowercased()
            try await post(
                app, "/backoffice/t/bangkrathum/identity/\(citizenID)", officer,
                ["decision": "reject", "reason": "ภาพหน้าบัตรไม่ชัด", "identityVersion": "1"]
            ) { res in
                #expect(res.status == .seeOther)
            }
            #expect(try await queuedMails(app).contains { $0.subject.contains("ไม่ผ่านการยืนยันตัวตน") && $0.text.contains("ภาพหน้าบัตรไม่ชัด") })
            try await app.testing().test(.GET, "/t/bangkrathum/account", headers: client.headers) { res in
                #expect(res.body.string.contains("ไม่ผ่านการยืนยันตัวตน"))
                #expect(res.body.string.contains("ภาพหน้าบัตรไม่ชัด"))
                #expect(res.body.string.contains("ส่งภาพยืนยันตัวตนใหม่"))
            }

            // Two submits at once (a double click): both succeed, one set of images remains, no file is orphaned.
            async let a = upload()
            async let b = upload()
            let statuses = try await [a, b]
            #expect(statuses == [.seeOther, .seeOther])
            let now = Set(TestImages.storedFiles(env).map(\.lastPathComponent))
            #expect(now.count == 2, "\(now)")
            #expect(now.isDisjoint(with: first), "the rejected images are deleted")
            #expect(try await count(app, "identity_images") == 2)
            let rows = Set(try await IdentityImageRecord.query(on: app.db).all().map { URL(fileURLWithPath: $0.fileName).lastPathComponent })
            #expect(rows == now, "every row has its file and every file its row")
            let account = try #require(try await CitizenAccount.query(on: app.db).first())
            #expect(account.verificationStatus == .pending && account.verificationReason == nil)
            #expect(account.identityVersion == 3)

            // An officer who opened the page before the new images cannot approve images they never saw.
            try await post(app, "/backoffice/t/bangkrathum/identity/\(citizenID)", officer, ["decision": "approve", "identityVersion": "1"]) { res in
                #expect(res.status == .conflict)
                #expect(res.body.string.contains("ส่งภาพชุดใหม่"))
            }
            try await post(app, "/backoffice/t/bangkrathum/identity/\(citizenID)", officer, ["decision": "approve", "identityVersion": "3"]) { res in
                #expect(res.status == .seeOther)
            }
            // Once verified, a late upload changes nothing.
            #expect(try await upload() == .seeOther)
            let verified = try #require(try await CitizenAccount.query(on: app.db).first())
            #expect(verified.verificationStatus == .verified && verified.identityVersion == 3)
            #expect(Set(TestImages.storedFiles(env).map(\.lastPathComponent)) == now, "the approved images stay")
        }
    }

    @Test("the pages answer on the tenant's own host name too, and every account page needs a signed-in citizen", arguments: TestDatabase.all)
    func hostNameAndGuards(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            for path in ["/register", "/login", "/forgot-password"] {
                try await app.testing().test(.GET, path, headers: ["Host": "bangkrathum.localhost"]) { res in
                    #expect(res.status == .ok, "\(path)")
                    #expect(res.body.string.contains("action=\"\(path)\""), "\(path): the form posts to the host's own path")
                }
            }
            let routes = app.routes.all.filter { r in r.path.contains { $0.description == "account" } }
            #expect(
                routes.count == 2 * 27,
                """
                twenty-seven account routes (sixteen of the account: the password's and contact details' pages and forms, the data \
                download, the confirmation link sent again, and the closing request's page, form and withdrawal among them; eleven of \
                petitions: the answer to a request for more, the rating and the reopening), by path and by host name
                """)
            for route in routes {
                let path = route.path.map { c -> String in
                    switch c.description {
                    case ":tenant": "bangkrathum"
                    case ":image", ":file", ":document": UUID().uuidString
                    case ":number": "BKT-2569-000001"
                    default: c.description
                    }
                }.joined(separator: "/")
                let host = route.path.first?.description == "t" ? "localhost" : "bangkrathum.localhost"
                try await app.testing().test(route.method, "/" + path, headers: ["Host": host]) { res in
                    // A plain form post without a session has no CSRF token either: refused before it gets that far.
                    if route.method == .POST, res.status == .forbidden,
                        ["notifications", "unlink", "rating", "reopen", "password", "contact", "resend", "close", "withdraw"].contains(
                            route.path.last?.description ?? "")
                    {
                        return
                    }
                    #expect(res.status == .seeOther, "\(route.method) /\(path) gave \(res.status)")
                    #expect(res.headers.first(name: .location)?.contains("/login") == true, "to the sign-in page")
                }
            }
        }
    }

    @Test("files a crash left without a record are swept at start-up; recorded and recent files stay", arguments: TestDatabase.all)
    func sweep(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            let client = try await CitizenFixtures.register(app)
            let photo = try TestImages.fixture("id-photo.jpg")
            let (h, b) = CitizenFixtures.identityUpload(client, files: [("image_0", "a.jpg", photo), ("image_1", "b.jpg", photo)])
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { res in #expect(res.status == .seeOther) }
            let kept = Set(TestImages.storedFiles(env).map(\.path))
            let old = try await app.fileStore.save(Data(photo), folder: "identity/bangkrathum", ext: "jpg")
            let recent = try await app.fileStore.save(Data(photo), folder: "identity/bangkrathum", ext: "jpg")
            let hourAgo = Date().addingTimeInterval(-7200)
            let oldURL = app.settings.fileStoreDirectory.appendingPathComponent(old)
            try FileManager.default.setAttributes([.modificationDate: hourAgo], ofItemAtPath: oldURL.path)
            for url in kept { try FileManager.default.setAttributes([.modificationDate: hourAgo], ofItemAtPath: url) }
            #expect(try await IdentityImages.sweepOrphans(app: app) == 1)
            let left = Set(TestImages.storedFiles(env).map(\.path))
            #expect(!left.contains(oldURL.path), "the stray file is gone")
            #expect(left.isSuperset(of: kept), "recorded images stay, however old")
            #expect(left.contains(app.settings.fileStoreDirectory.appendingPathComponent(recent).path), "a file still being written stays")
        }
    }

    /// A PNG signature and IHDR (with its CRC) claiming the given size, then a tiny IDAT.
    func hugePNGHeader(width: UInt32, height: UInt32) -> Data {
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in body {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = (crc & 1) == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return be(UInt32(data.count)) + body + be(crc ^ 0xFFFF_FFFF)
        }
        let ihdr = be(width) + be(height) + [8, 2, 0, 0, 0]
        return Data(
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
                + chunk("IEND", []))
    }
}
