import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Registration's e-mail confirmed by its link, and closing an account (reviewed by an officer, then anonymised).
@Suite("Citizens: a confirmed e-mail and closing the account")
struct CitizenClosingTests {
    static func account(_ app: Application, _ c: CitizenClient) async throws -> CitizenAccount {
        try #require(
            try await CitizenAccount.query(on: app.db).filter(\.$tenantID == c.tenant).filter(
                \.$nationalIDHash == app.nationalIDs.lookupHash(digits: c.nationalID)
            ).first())
    }

    static func citizenPost(_ app: Application, _ c: CitizenClient, _ path: String, _ fields: [String: String] = [:]) async throws -> (HTTPStatus, String) {
        let (h, b) = c.form(fields)
        var out: (HTTPStatus, String) = (.ok, "")
        try await app.testing().test(.POST, "\(c.base)\(path)", headers: h, body: b) { out = ($0.status, $0.body.string) }
        return out
    }

    static func page(_ app: Application, _ c: CitizenClient, _ path: String) async throws -> (HTTPStatus, String) {
        var out: (HTTPStatus, String) = (.ok, "")
        try await app.testing().test(.GET, "\(c.base)\(path)", headers: c.headers) { out = ($0.status, $0.body.string) }
        return out
    }

    /// Runs the reset request job for `email` as the worker would.
    static func requestReset(_ app: Application, email: String) async throws {
        let payload = CitizenPasswordReset.Payload(tenant: "bangkrathum", email: email, linkBase: "http://x/t/bangkrathum", requestedAt: Date())
        let job = ClaimedJob(
            id: UUID(), tenantID: "bangkrathum", kind: CitizenPasswordReset.kind,
            payload: String(decoding: try JSONEncoder.outbox.encode(payload), as: UTF8.self),
            idempotencyKey: "citizen-reset-request:\(UUID().uuidString)", attempts: 1, maxAttempts: 5, createdAt: Date())
        try await CitizenResetRequestHandler(app: app).handle(job)
    }

    static func forgot(_ app: Application, email: String) async throws -> (HTTPStatus, String) {
        var session = FormSession(cookie: "", csrf: "", fields: [:])
        try await app.testing().test(.GET, "/t/bangkrathum/forgot-password") { session = try FormSession.from($0) }
        var out: (HTTPStatus, String) = (.ok, "")
        try await app.testing().test(
            .POST, "/t/bangkrathum/forgot-password", headers: ["Cookie": session.cookie, "Content-Type": "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: formBody(["_csrf": session.csrf, "email": email]))
        ) { out = ($0.status, $0.body.string) }
        return out
    }

    @Test(
        "registration's e-mail: nothing but the link goes to it (no notice, no reset) until the link is followed; the link again, limited",
        arguments: TestDatabase.all)
    func registrationEmail(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let c = try await CitizenFixtures.register(app, confirmEmail: false)
            let t = try Tenant.named("bangkrathum", in: app)
            var account = try await Self.account(app, c)
            let id = try account.requireID()
            #expect(account.emailConfirmedAt == nil && account.pendingEmail == c.email && account.confirmedEmail == nil)
            #expect(try await CitizenNotices.recipient(id, tenant: t, on: app.db)?.email == nil, "notices have no e-mail to go to")
            // The profile says the address waits, with the button.
            let (_, profile) = try await Self.page(app, c, "/account/profile")
            #expect(profile.contains("id=\"pending-email\"") && profile.contains("id=\"resend-email\"") && profile.contains("รอการยืนยัน"))

            // "ลืมรหัสผ่าน": the same answer as for an address nobody registered, and no reset mail.
            let (s1, unconfirmed) = try await Self.forgot(app, email: c.email)
            let (s2, unknown) = try await Self.forgot(app, email: "nobody-\(UUID().uuidString.prefix(6))@example.com")
            #expect(s1 == .ok && s2 == .ok)
            #expect(unconfirmed.contains(CitizenPasswordResetController.sameAnswer) && unknown.contains(CitizenPasswordResetController.sameAnswer))
            try await Self.requestReset(app, email: c.email)
            var mails = try await queuedMails(app).filter { $0.to == [c.email] }
            #expect(mails.allSatisfy { !$0.text.contains("reset-password") }, "no reset link to an unconfirmed address")
            #expect(mails.count == 1 && mails[0].text.contains("confirm-email"), "only the registration's link")
            // A petition filed: its notice event runs, and no e-mail goes to the unconfirmed address.
            let (menu, service) = try #require(t.service("street-light"))
            _ = try await PetitionStore.file(
                .init(
                    tenant: t, citizenID: id, citizenName: account.fullName, channel: .web, requesterJSON: nil, menu: menu, service: service,
                    formVersion: 1, answersJSON: try PetitionFixtures.answersJSON(), attachments: [], submissionKey: UUID().uuidString),
                linkBase: NoticeTestSupport.linkBase, now: Date(), on: app.db)
            #expect(try await NoticeTestSupport.run(app) >= 1)
            #expect(try await queuedMails(app).filter { $0.to == [c.email] }.count == 1, "still only the link")

            // The link again: a new one each time (the older stop working), three an hour.
            for _ in 0..<3 { #expect(try await Self.citizenPost(app, c, "/account/profile/contact/resend").0 == .seeOther) }
            #expect(try await Self.citizenPost(app, c, "/account/profile/contact/resend").0 == .seeOther)
            let (_, limited) = try await Self.page(app, c, "/account/profile")
            #expect(limited.contains("บ่อยเกินไป"))
            mails = try await queuedMails(app).filter { $0.to == [c.email] }
            #expect(mails.filter { $0.text.contains("confirm-email") }.count == 4, "the registration's link and three more")
            #expect(
                try await SingleUseTokenRecord.query(on: app.db).filter(\.$kindRaw == SingleUseToken.Kind.citizenEmail.rawValue)
                    .filter(\.$usedAt == nil).all().filter { $0.expiresAt > Date() }.count >= 1)

            // Followed: confirmed; resets and notices go to it now.
            try await CitizenFixtures.confirm(app, c)
            account = try await Self.account(app, c)
            #expect(account.emailConfirmedAt != nil && account.pendingEmail == nil && account.confirmedEmail == c.email)
            #expect(try await CitizenNotices.recipient(id, tenant: t, on: app.db)?.email == c.email)
            try await Self.requestReset(app, email: c.email)
            #expect(try await queuedMails(app).filter { $0.to == [c.email] && $0.text.contains("reset-password") }.count == 1)
            let (_, after) = try await Self.page(app, c, "/account/profile")
            #expect(!after.contains("id=\"pending-email\""))
        }
    }

    /// A citizen with a profile photo and a completed, rated petition whose answers name them.
    static func citizenWithPetition(_ app: Application) async throws -> (CitizenClient, CitizenAccount, PetitionRecord) {
        let c = try await CitizenFixtures.register(app)
        let (ph, pb) = CitizenFixtures.identityUpload(c, files: [("profile_photo", "me.jpg", try TestImages.fixture("id-photo.jpg"))])
        try await app.testing().test(.POST, "\(c.base)/account/profile/photo", headers: ph, body: pb) { #expect($0.status == .seeOther) }
        let account = try await Self.account(app, c)
        // A photo of the matter (kept) and a document of the person (removed), stored as filing stores them.
        var files: [PetitionStore.StoredAttachment] = []
        for (name, mime, data) in [
            ("petitions/bangkrathum/closing-photo.jpg", "image/jpeg", try TestImages.fixture("id-photo.jpg")),
            ("petitions/bangkrathum/closing-house.pdf", "application/pdf", samplePDF),
        ] {
            try await app.fileStore.put(data, name: name)
            files.append(
                .init(
                    fieldKey: "photos", fileName: name, originalName: String(name.split(separator: "/").last!), mimeType: mime,
                    bytes: data.count, sha256: Hex.sha256(data)))
        }
        var p = try await PetitionFixtures.file(app, citizen: account, attachments: files)
        var answers = try JSONDecoder().decode(PetitionAnswers.self, from: Data(p.answersJSON.utf8))
        answers.answers += [
            Answer(key: "contact_phone", label: "โทรศัพท์ติดต่อ", type: .tel, value: .text("0812345678")),
            Answer(key: "contact_email", label: "อีเมลติดต่อ", type: .email, value: .text(c.email)),
            Answer(key: "owner_name", label: "ชื่อเจ้าของบ้าน", type: .text, value: .text("สมศรี ใจดี")),
        ]
        p.answersJSON = String(decoding: try JSONEncoder().encode(answers), as: UTF8.self)
        try await p.save(on: app.db)
        p = try await PetitionFixtures.move(app, p, to: .completed, note: "ซ่อมแล้ว")
        _ = try await PetitionFeedbackStore.rate(
            p, PetitionRating(stars: 4, comment: "ดี"), citizenName: account.fullName, tenant: try Tenant.named("bangkrathum", in: app), on: app.db)
        return (c, account, try #require(try await PetitionRecord.find(p.id, on: app.db)))
    }

    @Test(
        "close: asked with the password → an officer approves → no personal data left, images gone, no sign-in, audited; the ID registers again",
        arguments: TestDatabase.all)
    func approve(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            let (c, account, petition) = try await Self.citizenWithPetition(app)
            let citizenID = try account.requireID()
            #expect(!TestImages.storedFiles(env).isEmpty)
            // The page says what goes and what stays, and why.
            let (status, page) = try await Self.page(app, c, "/account/profile/close")
            #expect(status == .ok && page.contains("ข้อมูลที่หน่วยงานเก็บไว้") && page.contains("งานสารบรรณ") && page.contains("name=\"currentPassword\""))
            // The current password is required.
            #expect(try await Self.citizenPost(app, c, "/account/profile/close", ["currentPassword": "Wrong#Pass2569"]).0 == .unprocessableEntity)
            #expect(try await Self.citizenPost(app, c, "/account/profile/close", ["currentPassword": ""]).0 == .unprocessableEntity)
            #expect(try await Self.citizenPost(app, c, "/account/profile/close", ["currentPassword": c.password, "reason": "ย้ายบ้าน"]).0 == .seeOther)
            #expect(try await Self.page(app, c, "/account/profile/close").1.contains("id=\"closing-pending\""))
            let request = try #require(try await CitizenClosingRequest.query(on: app.db).filter(\.$citizenID == citizenID).first())
            let requestID = try request.requireID().uuidString.lowercased()

            // Officers of another tenant, and staff without a role here, cannot see or decide it.
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let foreign = try await signedInStaff(app, tenant: "bangrak", role: .officer)
            let nobody = try await signedInStaff(app, tenant: nil, role: nil)
            for who in [foreign, nobody] {
                try await get(app, "/backoffice/t/bangkrathum/account-closing", who) { #expect($0.status == .forbidden) }
                try await get(app, "/backoffice/t/bangkrathum/account-closing/\(requestID)", who) { #expect($0.status == .forbidden) }
                try await post(app, "/backoffice/t/bangkrathum/account-closing/\(requestID)", who, ["decision": "approve"]) {
                    #expect($0.status == .forbidden)
                }
            }
            try await get(app, "/backoffice/t/bangrak/account-closing/\(requestID)", foreign) { #expect($0.status == .notFound) }
            try await post(app, "/backoffice/t/bangrak/account-closing/\(requestID)", foreign, ["decision": "approve"]) {
                #expect($0.status == .notFound)
            }
            try await get(app, "/backoffice/t/bangkrathum/account-closing/not-a-uuid", officer) { #expect($0.status == .notFound) }
            #expect(try await Self.account(app, c).closedAt == nil)

            // The officer sees it and approves.
            try await get(app, "/backoffice/t/bangkrathum/account-closing", officer) { res in
                #expect(res.status == .ok && res.body.string.contains(account.fullName))
            }
            try await get(app, "/backoffice/t/bangkrathum/account-closing/\(requestID)", officer) { res in
                #expect(res.status == .ok && res.body.string.contains("ย้ายบ้าน"))
            }
            try await post(app, "/backoffice/t/bangkrathum/account-closing/\(requestID)", officer, ["decision": "bogus"]) {
                #expect($0.status == .unprocessableEntity)
            }
            try await post(app, "/backoffice/t/bangkrathum/account-closing/\(requestID)", officer, ["decision": "approve"]) {
                #expect($0.status == .seeOther)
            }
            // Deciding again: already decided.
            try await post(app, "/backoffice/t/bangkrathum/account-closing/\(requestID)", officer, ["decision": "approve"]) {
                #expect($0.status == .conflict)
            }

            // The account row: empty.
            let closed = try #require(try await CitizenAccount.find(citizenID, on: app.db))
            #expect(closed.closedAt != nil && closed.verificationStatus == .closed)
            #expect(closed.firstName == CitizenClosing.placeholderName && closed.lastName.isEmpty && closed.title.isEmpty)
            #expect(closed.email.isEmpty && closed.pendingEmail == nil && closed.mobile.isEmpty && closed.birthDate.isEmpty && closed.house.isEmpty)
            #expect(closed.nationalIDSealed.isEmpty && closed.nationalIDTail.isEmpty && closed.nationalIDHash.hasPrefix("closed:"))
            #expect(!closed.noticeChoices.wants(.statusChanged, by: .email) && !closed.noticeChoices.wants(.filed, by: .line))
            #expect(!CitizenOwnAccountTests.matches(c.password, closed.passwordHash))
            // The petition stays, with no personal data: read back.
            let kept = try #require(try await PetitionRecord.find(petition.id, on: app.db))
            #expect(kept.number == petition.number && kept.citizenID == citizenID && kept.rating == 4)
            let answers = try JSONDecoder().decode(PetitionAnswers.self, from: Data(kept.answersJSON.utf8))
            #expect(answers["problem"] != nil && answers["light_location"]?.type == .location, "the matter stays")
            #expect(kept.ratingComment == nil, "the citizen's own words go; the rating stays")
            let attachments = try await PetitionStore.attachments(kept, on: app.db)
            #expect(attachments.map(\.fileName) == ["petitions/bangkrathum/closing-photo.jpg"], "the photo of the matter stays, the document goes")
            #expect(FileManager.default.fileExists(atPath: env.dataDirectory.appendingPathComponent("files/petitions/bangkrathum/closing-photo.jpg").path))
            #expect(!FileManager.default.fileExists(atPath: env.dataDirectory.appendingPathComponent("files/petitions/bangkrathum/closing-house.pdf").path))
            for key in ["contact_phone", "contact_email", "owner_name"] {
                #expect(answers[key]?.value == .text(PetitionAnswers.removedOnClosing), "\(key) removed")
            }
            for needle in [c.email, "0812345678", account.firstName, account.lastName, c.nationalID] {
                #expect(!kept.answersJSON.contains(needle), "the answers still have \(needle)")
            }
            let events = try await PetitionEventRecord.query(on: app.db).filter(\.$petitionID == petition.requireID()).all()
            #expect(!events.isEmpty && events.allSatisfy { !$0.actorName.contains(account.firstName) })
            #expect(events.contains { $0.actorName == CitizenClosing.placeholderName })
            // The images: rows and files gone.
            #expect(try await IdentityImageRecord.query(on: app.db).filter(\.$citizenID == citizenID).count() == 0)
            #expect(TestImages.storedFiles(env).isEmpty, "the files left the store")
            // No sign-in, and the session that asked has ended.
            #expect(try await CitizenFixtures.signIn(app, nationalID: c.nationalID) == nil)
            try await app.testing().test(.GET, "\(c.base)/account", headers: c.headers) { #expect($0.status == .seeOther) }
            // Audited, without the person's name.
            let audit = try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.accountClosingApproved.rawValue).all()
            #expect(audit.count == 1 && audit.allSatisfy { !$0.detail.contains(account.firstName) })
            // The citizen was told (before the address went), with what stays and why.
            let told = try await queuedMails(app).filter { $0.to == [c.email] && $0.subject.contains("ปิดบัญชี") }
            #expect(told.count == 1 && told[0].text.contains("งานสารบรรณ") && told[0].text.contains("ข้อมูลที่หน่วยงานเก็บไว้"))
            // The same national ID registers again, as a new account.
            let again = try await CitizenFixtures.register(app, nationalID: c.nationalID, email: "again-\(UUID().uuidString.prefix(6))@example.com")
            #expect(try await Self.account(app, again).id != citizenID)
        }
    }

    @Test("close: refused with a reason the citizen is told; withdrawn; a decided request cannot be decided", arguments: TestDatabase.all)
    func refuseAndWithdraw(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let c = try await CitizenFixtures.register(app)
            let citizenID = try await Self.account(app, c).requireID()
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            #expect(try await Self.citizenPost(app, c, "/account/profile/close", ["currentPassword": c.password]).0 == .seeOther)
            // A second request while one waits: still one.
            #expect(try await Self.citizenPost(app, c, "/account/profile/close", ["currentPassword": c.password]).0 == .seeOther)
            #expect(try await CitizenClosingRequest.query(on: app.db).filter(\.$citizenID == citizenID).count() == 1)
            let first = try #require(try await CitizenClosingRequest.query(on: app.db).filter(\.$citizenID == citizenID).first()).requireID()
            let path = "/backoffice/t/bangkrathum/account-closing/\(first.uuidString.lowercased())"
            try await post(app, path, officer, ["decision": "refuse", "reason": ""]) { #expect($0.status == .unprocessableEntity) }
            try await post(app, path, officer, ["decision": "refuse", "reason": "มีคำร้องค้างชำระค่าธรรมเนียม"]) { #expect($0.status == .seeOther) }
            #expect(try await Self.page(app, c, "/account/profile/close").1.contains("มีคำร้องค้างชำระค่าธรรมเนียม"))
            let told = try await queuedMails(app).filter { $0.to == [c.email] && $0.text.contains("มีคำร้องค้างชำระค่าธรรมเนียม") }
            #expect(told.count == 1)
            #expect(try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.accountClosingRefused.rawValue).count() == 1)

            // Asked again, then withdrawn: the officer can no longer approve it.
            #expect(try await Self.citizenPost(app, c, "/account/profile/close", ["currentPassword": c.password]).0 == .seeOther)
            let second = try #require(
                try await CitizenClosingRequest.query(on: app.db).filter(\.$citizenID == citizenID).filter(\.$statusRaw == "pending").first()
            ).requireID()
            #expect(try await Self.citizenPost(app, c, "/account/profile/close/withdraw").0 == .seeOther)
            #expect(try await CitizenClosingRequest.find(second, on: app.db)?.status == .withdrawn)
            try await post(app, "/backoffice/t/bangkrathum/account-closing/\(second.uuidString.lowercased())", officer, ["decision": "approve"]) {
                #expect($0.status == .conflict)
            }
            let account = try await Self.account(app, c)
            #expect(account.closedAt == nil && account.firstName == "สมศรี")
            #expect(try await CitizenFixtures.signIn(app, nationalID: c.nationalID) != nil)
        }
    }
}
