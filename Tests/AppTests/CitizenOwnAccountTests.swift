import Crypto
import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting
import ZIPFoundation

@testable import App

/// The citizen's own account: changing the password while signed in, and downloading their data.
@Suite("Citizens: their own account")
struct CitizenOwnAccountTests {
    static let newPassword = "Nuea#Pass2570"

    static func account(_ app: Application, _ c: CitizenClient) async throws -> CitizenAccount {
        try #require(try await CitizenAccount.query(on: app.db).filter(\.$tenantID == c.tenant).filter(\.$email == c.email).first())
    }

    static func change(_ app: Application, _ c: CitizenClient, _ fields: [String: String]) async throws -> (HTTPStatus, String, String?) {
        let (h, b) = c.form(fields)
        var out: (HTTPStatus, String, String?) = (.ok, "", nil)
        try await app.testing().test(.POST, "\(c.base)/account/profile/password", headers: h, body: b) { res in
            out = (res.status, res.body.string, res.headers.first(name: .setCookie).map { String($0.split(separator: ";")[0]) })
        }
        return out
    }

    static func matches(_ password: String, _ hash: String) -> Bool {
        (try? Bcrypt.verify(Passwords.prepared(password), created: hash)) ?? false
    }

    static func status(_ app: Application, _ c: CitizenClient, _ path: String) async throws -> HTTPStatus {
        var status = HTTPStatus.ok
        try await app.testing().test(.GET, "\(c.base)\(path)", headers: c.headers) { status = $0.status }
        return status
    }

    @Test("change password: the current one is required, the rules apply, other sessions end, this one goes on, an e-mail is sent", arguments: TestDatabase.all)
    func changePassword(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            var c = try await CitizenFixtures.register(app)
            let other = try #require(try await CitizenFixtures.signIn(app, nationalID: c.nationalID, email: c.email))
            #expect(try await Self.status(app, other, "/account") == .ok)
            var html = ""
            try await app.testing().test(.GET, "\(c.base)/account/profile", headers: c.headers) { html = $0.body.string }
            #expect(html.contains("href=\"\(c.base)/account/profile/password\" id=\"change-password\""))
            try await app.testing().test(.GET, "\(c.base)/account/profile/password", headers: c.headers) { res in
                #expect(res.status == .ok && res.body.string.contains("name=\"currentPassword\"") && res.headers.cacheControl?.noStore == true)
            }

            // Refused, with the reason on the field; nothing changes.
            let good = ["currentPassword": c.password, "password": Self.newPassword, "passwordConfirm": Self.newPassword]
            var (status, body, _) = try await Self.change(app, c, good.merging(["currentPassword": "Wrong#Pass2569"]) { $1 })
            #expect(status == .unprocessableEntity && body.contains("รหัสผ่านปัจจุบันไม่ถูกต้อง"))
            (status, body, _) = try await Self.change(app, c, good.merging(["currentPassword": ""]) { $1 })
            #expect(status == .unprocessableEntity && body.contains("กรุณากรอกรหัสผ่านปัจจุบัน"))
            (status, body, _) = try await Self.change(app, c, good.merging(["password": "short", "passwordConfirm": "short"]) { $1 })
            #expect(status == .unprocessableEntity && body.contains("id=\"password-error\""))
            (status, body, _) = try await Self.change(app, c, good.merging(["passwordConfirm": "Other#Pass2570"]) { $1 })
            #expect(status == .unprocessableEntity && body.contains("รหัสผ่านที่ยืนยันไม่ตรงกัน"))
            (status, body, _) = try await Self.change(app, c, good.merging(["password": c.password, "passwordConfirm": c.password]) { $1 })
            #expect(status == .unprocessableEntity && body.contains("รหัสผ่านใหม่ต้องไม่ซ้ำกับรหัสผ่านปัจจุบัน"))
            let (h, _) = c.form([:])
            try await app.testing().test(
                .POST, "\(c.base)/account/profile/password", headers: h,
                body: ByteBuffer(string: formBody(good.merging(["_csrf": "wrong"]) { $1 }))
            ) { #expect($0.status == .forbidden) }
            let before = try await Self.account(app, c)
            #expect(Self.matches(c.password, before.passwordHash))

            let (done, _, cookie) = try await Self.change(app, c, good)
            #expect(done == .seeOther)
            let after = try await Self.account(app, c)
            #expect(after.sessionEpoch == before.sessionEpoch + 1)
            #expect(Self.matches(Self.newPassword, after.passwordHash))
            // This browser goes on under a new session id; the other one is signed out.
            let renewed = try #require(cookie)
            #expect(renewed != c.cookie, "a new session id")
            c.cookie = renewed
            #expect(try await Self.status(app, c, "/account") == .ok)
            #expect(try await Self.status(app, other, "/account") == .seeOther)
            // The old password no longer signs in; the new one does.
            #expect(try await CitizenFixtures.signIn(app, nationalID: c.nationalID) == nil)
            #expect(try await CitizenFixtures.signIn(app, nationalID: c.nationalID, password: Self.newPassword) != nil)
            // One e-mail, to the account's address, without the password.
            let jobs = try await OutboxStore.allJobs(on: app.db).filter { $0.idempotencyKey.hasPrefix("citizen-password-changed:") }
            #expect(jobs.count == 1)
            let payload = try await PetitionInfoRequestTests.payload(app, key: try #require(jobs.first).idempotencyKey)
            #expect(payload.contains(c.email) && !payload.contains(Self.newPassword))
        }
    }

    @Test("guessing the current password is limited like a sign-in", arguments: [TestDatabase.sqlite])
    func changeLimited(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let c = try await CitizenFixtures.register(app)
            let wrong = ["currentPassword": "Wrong#Pass2569", "password": Self.newPassword, "passwordConfirm": Self.newPassword]
            var statuses: [HTTPStatus] = []
            for _ in 0..<(SignInPolicy.passwordsPerAccount.limit + 1) { statuses.append(try await Self.change(app, c, wrong).0) }
            #expect(statuses.dropLast().allSatisfy { $0 == .unprocessableEntity } && statuses.last == .tooManyRequests)
            // Even the right password waits now.
            let right = wrong.merging(["currentPassword": c.password]) { $1 }
            #expect(try await Self.change(app, c, right).0 == .tooManyRequests)
        }
    }

    @Test("download my data: a ZIP with the account, petitions, answers, timeline and every stored file, nothing of anyone else", arguments: TestDatabase.all)
    func myData(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            let c = try await CitizenFixtures.register(app)
            let account = try await Self.account(app, c)
            // A profile photo (stored watermarked), a petition completed with a note and rated.
            let (ph, pb) = CitizenFixtures.identityUpload(c, files: [("profile_photo", "me.jpg", try TestImages.fixture("id-photo.jpg"))])
            try await app.testing().test(.POST, "\(c.base)/account/profile/photo", headers: ph, body: pb) { #expect($0.status == .seeOther) }
            var mine = try await PetitionFixtures.file(app, citizen: account)
            mine = try await PetitionFixtures.move(app, mine, to: .completed, note: "เปลี่ยนหลอดแล้ว")
            _ = try await PetitionFeedbackStore.rate(
                mine, PetitionRating(stars: 5, comment: "เร็วมาก"), citizenName: account.fullName, tenant: try Tenant.named("bangkrathum", in: app),
                on: app.db)
            // Someone else's petition, in the same tenant.
            let stranger = try await PetitionFixtures.citizen(app, first: "สมหมาย", last: "คนอื่น")
            let theirs = try await PetitionFixtures.file(app, citizen: stranger)

            // Signed out: to the sign-in page.
            try await app.testing().test(.GET, "\(c.base)/account/profile/my-data.zip") { #expect($0.status == .seeOther) }

            var zipData = Data()
            try await app.testing().test(.GET, "\(c.base)/account/profile/my-data.zip", headers: c.headers) { res in
                #expect(res.status == .ok && res.headers.contentType?.description == "application/zip")
                #expect(res.headers.first(name: .contentDisposition)?.hasPrefix("attachment; filename=\"my-data-bangkrathum-") == true)
                #expect(res.headers.cacheControl?.noStore == true)
                zipData = Data(res.body.readableBytesView)
            }
            let archive = try Archive(data: zipData, accessMode: .read)
            func read(_ path: String) throws -> Data {
                let entry = try #require(archive[path], "\(path) is in the ZIP")
                var out = Data()
                _ = try archive.extract(entry) { out.append($0) }
                return out
            }
            let json = try #require(try JSONSerialization.jsonObject(with: try read("my-data.json")) as? [String: Any])
            let acc = try #require(json["account"] as? [String: Any])
            #expect(acc["nationalID"] as? String == c.nationalID, "the owner gets the number in full")
            #expect(acc["email"] as? String == c.email && acc["firstName"] as? String == account.firstName)
            let images = try #require(acc["images"] as? [[String: Any]])
            #expect(images.count == 1)
            let petitions = try #require(json["petitions"] as? [[String: Any]])
            #expect(petitions.map { $0["number"] as? String } == [mine.number])
            let p = try #require(petitions.first)
            #expect((p["answers"] as? [[String: Any]])?.contains { $0["label"] as? String == "ลักษณะการชำรุด" } == true)
            #expect((p["timeline"] as? [[String: Any]])?.contains { $0["note"] as? String == "เปลี่ยนหลอดแล้ว" } == true)
            #expect((p["rating"] as? [String: Any])?["stars"] as? Int == 5)
            // Every file the JSON names is in the ZIP, as stored (its SHA-256).
            for file in images {
                let data = try read(try #require(file["path"] as? String))
                #expect(Hex.sha256(data) == file["sha256"] as? String)
                #expect(data.starts(with: [0xFF, 0xD8]), "a JPEG")
            }
            // Nothing of the other citizen anywhere in it.
            for entry in archive {
                var bytes = Data()
                _ = try archive.extract(entry) { bytes.append($0) }
                let text = String(decoding: bytes, as: UTF8.self)
                for foreign in [theirs.number, "สมหมาย", "คนอื่น", stranger.email] { #expect(!text.contains(foreign), "\(entry.path) has \(foreign)") }
            }
            // A stored file gone missing: the rest still comes, the missing one is said to be.
            let image = try #require(
                try await IdentityImages.list(citizenID: try account.requireID(), tenant: try Tenant.named("bangkrathum", in: app), on: app.db).first)
            await app.fileStore.delete(image.fileName)
            try await app.testing().test(.GET, "\(c.base)/account/profile/my-data.zip", headers: c.headers) { res in
                #expect(res.status == .ok)
                let again = try Archive(data: Data(res.body.readableBytesView), accessMode: .read)
                let entry = try #require(again["my-data.json"])
                var bytes = Data()
                _ = try again.extract(entry) { bytes.append($0) }
                #expect(String(decoding: bytes, as: UTF8.self).contains("อ่านจากที่จัดเก็บไม่ได้"))
            }
            // The assembled file is gone once sent.
            let spool = env.dataDirectory.appendingPathComponent("tmp/exports")
            let left = (try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []
            #expect(left.filter { $0.hasPrefix("my-data-") }.isEmpty, "\(left)")
        }
    }

    static func contact(_ app: Application, _ c: CitizenClient, _ fields: [String: String]) async throws -> (HTTPStatus, String) {
        let (h, b) = c.form(fields)
        var out: (HTTPStatus, String) = (.ok, "")
        try await app.testing().test(.POST, "\(c.base)/account/profile/contact", headers: h, body: b) { out = ($0.status, $0.body.string) }
        return out
    }

    @Test(
        "contact details: mobile and address saved at once; a new e-mail waits for its link, the old one keeps the notices until then",
        arguments: TestDatabase.all)
    func contactDetails(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let c = try await CitizenFixtures.register(app)
            let before = try await Self.account(app, c)
            // The registration's own confirmation mail is not this test's.
            let registration = Set(try await OutboxStore.allJobs(on: app.db).map(\.idempotencyKey))
            func allJobs() async throws -> [OutboxJobRecord] {
                try await OutboxStore.allJobs(on: app.db).filter { !registration.contains($0.idempotencyKey) }
            }
            var page = ""
            try await app.testing().test(.GET, "\(c.base)/account/profile/contact", headers: c.headers) { res in
                #expect(res.status == .ok)
                page = res.body.string
            }
            var fields = FormSession.hidden(page).filter { $0.key != "_csrf" }
            for (k, v) in [
                "mobile": before.mobile, "email": before.email, "address_house": before.house, "address_province": before.provinceCode,
                "address_district": before.districtCode, "address_subdistrict": before.subdistrictCode, "address_postcode": before.postcode,
            ] { fields[k] = v }
            // Refused, with the reason on the field.
            var (status, html) = try await Self.contact(app, c, fields.merging(["mobile": "12"]) { $1 })
            #expect(status == .unprocessableEntity && html.contains("id=\"mobile-error\""))
            (status, html) = try await Self.contact(app, c, fields.merging(["email": "not-an-address"]) { $1 })
            #expect(status == .unprocessableEntity && html.contains("รูปแบบอีเมลไม่ถูกต้อง"))
            (status, html) = try await Self.contact(app, c, fields.merging(["address_province": "99"]) { $1 })
            #expect(status == .unprocessableEntity)
            #expect(try await Self.account(app, c).mobile == before.mobile)

            // The mobile number: saved at once, no e-mail.
            (status, _) = try await Self.contact(app, c, fields.merging(["mobile": "089-111-2222", "address_road": "ถนนพิษณุโลก-บางกระทุ่ม"]) { $1 })
            #expect(status == .seeOther)
            var now = try await Self.account(app, c)
            #expect(now.mobile == "0891112222" && now.road == "ถนนพิษณุโลก-บางกระทุ่ม" && now.pendingEmail == nil)
            #expect(try await allJobs().filter { $0.idempotencyKey.contains("citizen-email-") }.isEmpty)

            // A new e-mail: waiting; the link goes to it, a notice to the current one.
            (status, _) = try await Self.contact(app, c, fields.merging(["mobile": "0891112222", "email": "Somsri.New@Example.com"]) { $1 })
            #expect(status == .seeOther)
            now = try await Self.account(app, c)
            #expect(now.email == before.email && now.pendingEmail == "somsri.new@example.com")
            let jobs = try await allJobs().filter { $0.idempotencyKey.contains("citizen-email-") }
            #expect(jobs.count == 2)
            let confirmJob = try #require(jobs.first { $0.idempotencyKey.hasPrefix(OutboxStore.secretKeyPrefix + "citizen-email-confirm:") })
            let confirmMail = try await PetitionInfoRequestTests.payload(app, key: confirmJob.idempotencyKey)
            #expect(confirmMail.contains("somsri.new@example.com"))
            let notice = try await PetitionInfoRequestTests.payload(
                app, key: try #require(jobs.first { $0.idempotencyKey.hasPrefix("citizen-email-change:") }).idempotencyKey)
            #expect(notice.contains(before.email) && !notice.contains("confirm-email"), "the old address is told, without the link")
            let first = String(try #require(confirmMail.firstMatch(of: /confirm-email\\?\/([A-Za-z0-9_-]{20,})/)).output.1)
            // The same new address sent again (the link was lost): a new link, the first one no longer works.
            try await Task.sleep(for: .seconds(1.1))  // the mails' keys carry the second they were asked for
            (status, _) = try await Self.contact(app, c, fields.merging(["mobile": "0891112222", "email": "somsri.new@example.com"]) { $1 })
            #expect(status == .seeOther)
            let resent = try await allJobs().filter {
                $0.idempotencyKey.hasPrefix(OutboxStore.secretKeyPrefix + "citizen-email-confirm:")
            }
            #expect(resent.count == 2)
            let newest = try #require(resent.first { $0.idempotencyKey != confirmJob.idempotencyKey })
            let token = String(
                try #require(
                    try await PetitionInfoRequestTests.payload(app, key: newest.idempotencyKey).firstMatch(of: /confirm-email\\?\/([A-Za-z0-9_-]{20,})/)
                )
                .output.1)
            #expect(token != first)
            try await app.testing().test(.GET, "\(c.base)/confirm-email/\(first)") { #expect($0.status == .gone) }

            // Someone else's tenant, a wrong token: nothing.
            try await app.testing().test(.GET, "/t/bangrak/confirm-email/\(token)") { #expect($0.status == .gone) }
            try await app.testing().test(.GET, "\(c.base)/confirm-email/\(token)x") { #expect($0.status == .gone) }
            // The link opens a page with a button (opening it changes nothing); the button confirms, once.
            var confirmPage = FormSession(cookie: "", csrf: "", fields: [:])
            try await app.testing().test(.GET, "\(c.base)/confirm-email/\(token)") { res in
                #expect(res.status == .ok && res.body.string.contains("somsri.new@example.com"))
                confirmPage = try FormSession.from(res)
            }
            #expect(try await Self.account(app, c).pendingEmail == "somsri.new@example.com")
            for expected in [HTTPStatus.seeOther, .gone] {
                try await app.testing().test(
                    .POST, "\(c.base)/confirm-email/\(token)",
                    headers: ["Cookie": confirmPage.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: formBody(["_csrf": confirmPage.csrf]))
                ) { #expect($0.status == expected) }
            }
            now = try #require(try await CitizenAccount.find(try before.requireID(), on: app.db))
            #expect(now.email == "somsri.new@example.com" && now.pendingEmail == nil)
        }
    }

}
