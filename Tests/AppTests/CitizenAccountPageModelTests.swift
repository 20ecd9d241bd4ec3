import Domain
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

/// The citizen's own pages (account, identity step, profile) as typed models: which banner and next step each
/// identity status gives, the notice choices as chosen, the LINE link, checked field by field; the templates are
/// rendered from the same models where their words depend on a model's key.
@Suite("Citizens: the account, identity and profile page models")
struct CitizenAccountPageModelTests {
    static func resolved(_ app: Application, _ slug: String = "bangkrathum") throws -> ResolvedTenant {
        ResolvedTenant(tenant: try Tenant.named(slug, in: app), base: TenantURL.base(slug: slug))
    }

    /// A request for the tenant's page, for the page chrome (no database).
    static func chrome(_ app: Application, _ t: ResolvedTenant, path: String, title: String = "หน้า") -> PageChrome {
        let req = Request(application: app, method: .GET, url: URI(string: t.base + path), on: app.eventLoopGroup.any())
        req.storage[ResolvedTenantKey.self] = t
        return PageChrome(request: req, title: title)
    }

    /// An account in memory, never stored.
    static func account(_ status: VerificationStatus, reason: String? = nil) -> CitizenAccount {
        let a = CitizenAccount()
        a.id = UUID()
        a.tenantID = "bangkrathum"
        a.title = "นางสาว"
        a.firstName = "สมศรี"
        a.lastName = "ใจดี"
        a.birthDate = "1990-05-17"
        a.mobile = "0812345678"
        a.email = "somsri@example.com"
        a.house = "99/1"
        (a.moo, a.village, a.soi, a.road) = ("3", nil, nil, nil)
        (a.provinceCode, a.districtCode, a.subdistrictCode, a.postcode) = ("65", "6505", "650501", "65000")
        a.createdAt = Date(timeIntervalSince1970: 1_767_232_800)
        a.verificationStatusRaw = status.rawValue
        a.verificationReason = reason
        a.noticeChoices = .all
        return a
    }

    @Test("each identity status: its banner, the officer's reason only when refused, and the next step (none once verified)")
    func bannerPerStatus() {
        let expected: [VerificationStatus: VerificationBanner.NextStep?] = [
            .awaitingImages: .attach, .pending: .replace, .rejected: .resend, .verified: nil,
        ]
        for status in VerificationStatus.allCases {
            let banner = VerificationBanner(status: status, reason: "ภาพบัตรไม่ชัด", identityURL: "/t/x/account/identity")
            #expect(banner.statusKey == status.rawValue && banner.status == status.thai, "\(status)")
            #expect(banner.nextStep == expected[status] ?? nil, "\(status)")
            #expect(banner.reason == (status == .rejected ? "ภาพบัตรไม่ชัด" : nil), "a stale reason is not shown: \(status)")
            #expect(banner.identityURL == "/t/x/account/identity")
        }
        let fromAccount = VerificationBanner(Self.account(.rejected, reason: "ไม่ใช่บัตรประชาชน"), identityURL: "/id")
        #expect(fromAccount.nextStep == .resend && fromAccount.reason == "ไม่ใช่บัตรประชาชน")
    }

    @Test("the account page and the identity step say each status's next step in Thai; the step counter only right after registration")
    func bannerRendered() async throws {
        try await withApp(.sqlite) { app, _ in
            let t = try Self.resolved(app)
            let words: [VerificationStatus: String?] = [
                .awaitingImages: "แนบภาพยืนยันตัวตน", .pending: "เปลี่ยนภาพที่ส่ง", .rejected: "ส่งภาพยืนยันตัวตนใหม่", .verified: nil,
            ]
            for status in VerificationStatus.allCases {
                let account = Self.account(status, reason: "ภาพบัตรไม่ชัด")
                let records = CitizenWelcomePage.Records(account: account, images: [], documents: [])
                let page = CitizenWelcomePageBuilder(tenant: t).build(records, chrome: Self.chrome(app, t, path: "/account"), notice: "บันทึกแล้ว")
                #expect(page.name == "นางสาวสมศรี ใจดี" && page.notice == "บันทึกแล้ว" && page.profileURL == "/t/bangkrathum/account/profile")
                let html = String(buffer: try await app.view.render("tenant/account", page).get().data)
                #expect(html.contains("data-status=\"\(status.rawValue)\"><strong>\(status.thai)</strong>"), "\(status)")
                if let label = words[status] ?? nil {
                    #expect(html.contains("<a class=\"button\" href=\"/t/bangkrathum/account/identity\">\(label)</a>"), "\(status)")
                } else {
                    #expect(!html.contains("/account/identity\""), "a verified citizen is not sent to send images")
                }
                #expect(html.contains("<strong class=\"reason\">ภาพบัตรไม่ชัด</strong>") == (status == .rejected), "\(status)")

                let identity = CitizenIdentityPageBuilder(tenant: t, csrf: "c").build(account, chrome: Self.chrome(app, t, path: "/account/identity"))
                #expect(identity.registrationStep == (status == .awaitingImages) && identity.verification == page.verification)
                let form = String(buffer: try await app.view.render("tenant/identity", identity).get().data)
                #expect(form.contains("<p class=\"step\">ขั้นตอนที่ 3 จาก 3</p>") == (status == .awaitingImages), "\(status)")
                #expect(form.contains("ไม่ผ่านการยืนยันตัวตน เพราะ <strong>ภาพบัตรไม่ชัด</strong>") == (status == .rejected), "\(status)")
            }
        }
    }

    @Test("the identity step: one required field per image the tenant asks for, then the optional photo; errors stay on their field")
    func identitySlots() async throws {
        try await withApp(.sqlite) { app, _ in
            let t = try Self.resolved(app)
            let policy = t.tenant.config.identity
            try #require(policy.images.count >= 2)
            var errors = FormErrors()
            errors.add("image_1", "กรุณาแนบ\(policy.images[1].label)")
            errors.add("profile_photo", "ไฟล์นี้ไม่ใช่รูปภาพ")
            let page = CitizenIdentityPageBuilder(tenant: t, csrf: "token")
                .build(Self.account(.awaitingImages), errors: errors, chrome: Self.chrome(app, t, path: "/account/identity"))
            #expect(page.slots.map(\.name) == policy.images.indices.map { "image_\($0)" } + ["profile_photo"])
            #expect(page.slots.map(\.label).prefix(policy.images.count) == ArraySlice(policy.images.map(\.label)))
            #expect(page.slots.map(\.required) == policy.images.map { _ in true } + [false])
            #expect(
                page.slots.map(\.error) == [nil, "กรุณาแนบ\(policy.images[1].label)"] + Array(repeating: nil, count: policy.images.count - 2) + ["ไฟล์นี้ไม่ใช่รูปภาพ"]
            )
            #expect(page.errors.count == 2 && page.csrf == "token" && page.action == "/t/bangkrathum/account/identity")
            let maxMB = policy.maxFileMB ?? IdentityPolicy.defaultMaxFileMB
            #expect(page.upload == ImageUploadLimits(tenant: t.tenant) && page.upload.maxMB == maxMB && page.upload.maxBytes == maxMB * 1_048_576)
        }
    }

    @Test("notice choices: the boxes sent become the choices, the profile shows them ticked; the completion e-mail stays on")
    func noticeChoices() throws {
        let sent: Set<String> = [NoticeChoicesForm.field(.email, .filed), NoticeChoicesForm.field(.line, .statusChanged), "line_completed"]
        let form = NoticeChoicesForm { sent.contains(NoticeChoicesForm.field($0, $1)) }
        #expect(form.choices.email == [.filed, .completed], "completion by e-mail cannot be turned off")
        #expect(form.choices.line == [.statusChanged, .completed])
        #expect(form.confirmation == "บันทึกช่องทางการแจ้งเตือนแล้ว")
        let rows = CitizenProfilePage.NoticeRow.rows(form.choices)
        #expect(rows.map(\.kind) == NoticeKind.allCases.map(\.rawValue) && rows.map(\.label) == NoticeKind.allCases.map(\.thai))
        for row in rows {
            let kind = try #require(NoticeKind(rawValue: row.kind))
            #expect(row.email == sent.contains(NoticeChoicesForm.field(.email, kind)) || kind == .completed, "\(kind)")
            #expect(row.line == sent.contains(NoticeChoicesForm.field(.line, kind)), "\(kind)")
            #expect(row.emailFixed == (row.kind == NoticeKind.completed.rawValue))
        }
        let nothing = NoticeChoicesForm { _, _ in false }
        #expect(nothing.choices.email == NotificationChoices.fixedEmail && nothing.choices.line.isEmpty)
        #expect(nothing.confirmation == "บันทึกช่องทางการแจ้งเตือนแล้ว ท่านจะได้รับเฉพาะอีเมลแจ้งเมื่อคำร้องดำเนินการสำเร็จ")
        #expect(CitizenProfilePage.NoticeRow.rows(nothing.choices).filter { $0.email || $0.line }.map(\.kind) == [NoticeKind.completed.rawValue])
    }

    @Test("the LINE link: offered only where the tenant has a LINE Official Account; linked, with when, or not")
    func lineLink() async throws {
        let settings = ["LINE_BANGKRATHUM_CHANNEL_SECRET": LINEServer.secret, "LINE_BANGKRATHUM_ACCESS_TOKEN": LINEServer.token]
        try await withApp(.sqlite, settings: settings) { app, _ in
            let linkedAt = Date(timeIntervalSince1970: 1_767_232_800)
            func page(_ slug: String, line: LineStore.LineUser?) throws -> CitizenProfilePage {
                let t = try Self.resolved(app, slug)
                let records = CitizenProfilePage.Records(account: Self.account(.verified), nationalID: "1-1017-00203-45-0", images: [], line: line)
                return CitizenProfilePageBuilder(tenant: t, geography: app.geography, csrf: "c").build(
                    records, chrome: Self.chrome(app, t, path: "/account/profile"))
            }
            let user = LineStore.LineUser(userID: LineWebhookFixture.user(1), following: true, citizenID: UUID(), linkedAt: linkedAt)
            let linked = try page("bangkrathum", line: user).line
            #expect(linked.available && linked.linked && linked.linkedAt == ThaiDate.shortWithTime(linkedAt))
            #expect(linked.unlinkAction == "/t/bangkrathum/account/profile/line/unlink")
            let following = try page("bangkrathum", line: .init(userID: user.userID, following: true, citizenID: nil, linkedAt: nil)).line
            #expect(following.available && !following.linked && following.linkedAt == nil, "following the account is not a link")
            let elsewhere = try page("bangrak", line: nil)
            #expect(!elsewhere.line.available && !elsewhere.line.linked)
            let html = String(buffer: try await app.view.render("tenant/profile", elsewhere).get().data)
            #expect(!html.contains("บัญชี LINE") && !html.contains("line_filed"), "no LINE column or section without an Official Account")
        }
    }

    @Test("the three pages built from a citizen's stored records: images, documents, choices, LINE link, refusal", arguments: TestDatabase.all)
    func pagesFromRecords(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let t = try Self.resolved(app)
            let client = try await CitizenFixtures.register(app)
            let photo = try TestImages.fixture("id-photo.jpg")
            let (h, b) = CitizenFixtures.identityUpload(
                client,
                files: [
                    ("image_0", "front.jpg", photo), ("image_1", "selfie.jpg", photo),
                    ("profile_photo", "me.jpg", photo),
                ])
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { #expect($0.status == .seeOther) }
            var account = try #require(
                try await CitizenStore.byNationalIDHash(app.nationalIDs.lookupHash(digits: client.nationalID), tenant: t.tenant, on: app.db))
            let id = try account.requireID()
            let petition = try await PetitionFixtures.file(app, citizen: account)
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            try await PetitionDocumentTests.upload(app, officer, number: petition.number, title: "ใบอนุญาต 1/2569") { #expect($0.status == .seeOther) }
            let document = try #require(try await PetitionDocuments.list(petition, on: app.db).first)

            let welcome = CitizenWelcomePageBuilder(tenant: t).build(
                try await CitizenWelcomePage.Records.load(account, tenant: t.tenant, on: app.db),
                chrome: Self.chrome(app, t, path: "/account"))
            #expect(welcome.verification.statusKey == "pending" && welcome.verification.nextStep == .replace)
            let stored = try await IdentityImages.list(citizenID: id, tenant: t.tenant, on: app.db)
            #expect(stored.count == 3)
            #expect(welcome.images.map(\.label) == stored.filter { $0.slot >= 0 }.map(\.label), "the profile photo is not an identity image")
            #expect(welcome.images.allSatisfy { $0.url.hasPrefix("/t/bangkrathum/account/images/") })
            let docID = try document.requireID()
            #expect(
                welcome.documents == [
                    .init(
                        kind: PetitionDocumentKind.licence.thai, title: "ใบอนุญาต 1/2569", number: petition.number,
                        issued: ThaiDate.long(document.issuedAt), url: t.url(.petitionDocument(petition.number, docID)),
                        petitionURL: t.url(.petition(petition.number)), withdrawn: false)
                ])

            // Choices through the store, a LINE link, an officer's refusal: the pages read them back from the rows.
            try await CitizenStore.setNoticeChoices(
                NotificationChoices(email: [], line: [.statusChanged]), of: account, tenant: t.tenant, now: Date(), on: app.db)
            let nonce = try await LineStore.makeNonce(tenant: t.tenant.id, citizenID: id, now: Date(), on: app.db)
            #expect(try await LineStore.link(tenant: t.tenant.id, nonce: nonce, userID: LineWebhookFixture.user(7), now: Date(), on: app.db) == id)
            let staffID = officer.id
            #expect(
                try await CitizenStore.decide(
                    account, identityVersion: account.identityVersion, verified: false, reason: "ภาพบัตรไม่ชัด",
                    staffID: staffID, tenant: t.tenant, linkBase: "", on: app.db))
            account = try #require(try await CitizenStore.byID(id, tenant: t.tenant, on: app.db))

            let profile = CitizenProfilePageBuilder(tenant: t, geography: app.geography, csrf: "c").build(
                try await CitizenProfilePage.Records.load(account, tenant: t.tenant, nationalIDs: app.nationalIDs, on: app.db),
                chrome: Self.chrome(app, t, path: "/account/profile"))
            #expect(profile.rows.first { $0.label == "เลขประจำตัวประชาชน" }?.value == (try ThaiNationalID(client.nationalID)).formatted)
            #expect(profile.rows.first { $0.label == "สถานะการยืนยันตัวตน" }?.value == VerificationStatus.rejected.thai)
            let photoID = try #require(stored.first { $0.slot == IdentityImages.profileSlot }?.id)
            #expect(profile.photo == t.url(.accountImage(photoID)))
            #expect(profile.notices.filter(\.email).map(\.kind) == [NoticeKind.completed.rawValue])
            #expect(profile.notices.filter(\.line).map(\.kind) == [NoticeKind.statusChanged.rawValue])
            #expect(profile.line.linked && profile.line.linkedAt != nil)

            let refused = CitizenWelcomePageBuilder(tenant: t).build(
                try await CitizenWelcomePage.Records.load(account, tenant: t.tenant, on: app.db),
                chrome: Self.chrome(app, t, path: "/account"))
            #expect(refused.verification.statusKey == "rejected" && refused.verification.reason == "ภาพบัตรไม่ชัด" && refused.verification.nextStep == .resend)
        }
    }
}
