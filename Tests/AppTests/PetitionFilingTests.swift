import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// A citizen files a petition through the real pages: every field type of the form builder, attachments
/// checked by content, one petition however often the form is sent, the identity rule, and nobody else's
/// petitions in sight.
@Suite("Petitions: filing and tracking by the citizen")
struct PetitionFilingTests {
    static let slug = "all-fields"

    /// A service with every field type and two attachment rules, added the way a tenant admin adds one.
    static func addAllFieldsService(_ app: Application, verifiedIdentity: Bool = true) async throws {
        let tenant = try Tenant.named("bangkrathum", in: app)
        let folder = try #require(app.tenantDirectory?.folder.tenant(slug: "bangkrathum")).config.menus
        let form = ServiceForm(
            fields: [
                FormField(key: "subject", type: .text, label: "เรื่อง", required: true, help: nil, options: nil, maxLength: 100),
                FormField(key: "details", type: .textarea, label: "รายละเอียด", required: false, help: nil, options: nil, maxLength: nil),
                FormField(key: "area", type: .number, label: "พื้นที่ (ตารางเมตร)", required: true, help: nil, options: nil, maxLength: nil),
                FormField(key: "start", type: .date, label: "วันที่เริ่ม", required: true, help: nil, options: nil, maxLength: nil),
                FormField(key: "contact_email", type: .email, label: "อีเมลติดต่อ", required: true, help: nil, options: nil, maxLength: nil),
                FormField(key: "contact_tel", type: .tel, label: "โทรศัพท์ติดต่อ", required: true, help: nil, options: nil, maxLength: nil),
                FormField(key: "kind", type: .select, label: "ประเภท", required: true, help: nil, options: ["ก่อสร้างใหม่", "ต่อเติม"], maxLength: nil),
                FormField(key: "owner", type: .radio, label: "ผู้ขอเป็น", required: true, help: nil, options: ["เจ้าของ", "ผู้รับมอบอำนาจ"], maxLength: nil),
                FormField(
                    key: "uses", type: .checkboxes, label: "การใช้อาคาร", required: true, help: nil,
                    options: ["พักอาศัย", "พาณิชย์", "โกดัง"], maxLength: nil),
                FormField(key: "site", type: .location, label: "ที่ตั้ง", required: true, help: nil, options: nil, maxLength: nil),
                FormField(key: "plot", type: .address, label: "ที่อยู่แปลงที่ดิน", required: true, help: nil, options: nil, maxLength: nil),
            ],
            attachments: [
                AttachmentRule(key: "plans", label: "แบบแปลน", required: true, types: [.pdf], maxMB: 1, maxCount: 2),
                AttachmentRule(key: "photos", label: "ภาพถ่าย", required: false, types: [.jpeg, .png], maxMB: 1, maxCount: 1),
            ])
        try await SettingsWrite.perform(app, tenant: tenant) { ctx in
            let entry = CatalogueEntry(
                slug: slug, menu: .online, position: 0, name: "ขออนุญาตทดสอบทุกช่อง", description: "บริการทดสอบ",
                slaDays: 15, verifiedIdentity: verifiedIdentity, retired: false)
            try await CatalogueStore.add(entry, tenant: tenant, folder: folder, now: ctx.now, on: ctx.db)
            try await FormVersions.start(form, tenant: tenant, service: slug, by: nil, now: ctx.now, on: ctx.db)
        }
    }

    static let validAnswers: [(String, String)] = [
        ("subject", "ขอสร้างบ้านพักอาศัย 2 ชั้น"), ("details", "บรรทัดแรก\r\nบรรทัดที่สอง"), ("area", "๑,๒๐๐.๕"),
        ("start_day", "15"), ("start_month", "3"), ("start_year", "2570"),
        ("contact_email", "owner@example.com"), ("contact_tel", "081-234-5678"), ("kind", "ต่อเติม"), ("owner", "เจ้าของ"),
        ("uses", "พักอาศัย"), ("uses", "โกดัง"), ("site", "ข้างวัดบางกระทุ่ม"), ("site_lat", "16.5791"), ("site_lng", "100.3012"),
        ("plot_house", "12/3"), ("plot_moo", "4"), ("plot_village", ""), ("plot_soi", ""), ("plot_road", ""),
        ("plot_province", "65"), ("plot_district", "6505"), ("plot_subdistrict", "650501"), ("plot_postcode", ""),
    ]

    struct Page {
        var csrf: String
        var token: String
        var version: String
        var html: String
    }

    static func open(_ app: Application, _ c: CitizenClient, service: String = slug) async throws -> Page {
        var page = Page(csrf: "", token: "", version: "", html: "")
        try await app.testing().test(.GET, "\(c.base)/services/\(service)/apply", headers: c.headers) { res in
            #expect(res.status == .ok, "\(res.body.string.prefix(500))")
            let hidden = FormSession.hidden(res.body.string)
            page = Page(csrf: hidden["_csrf"] ?? "", token: hidden["_submission"] ?? "", version: hidden["_form_version"] ?? "", html: res.body.string)
        }
        return page
    }

    static func body(
        _ c: CitizenClient, _ page: Page, answers: [(String, String)] = validAnswers,
        files: [(field: String, name: String, data: Data)] = [("file_plans", "plan.pdf", samplePDF)],
        csrf: String? = nil
    ) -> (HTTPHeaders, ByteBuffer) {
        var m = Multipart()
        m.field("_csrf", csrf ?? page.csrf)
        m.field("_submission", page.token)
        m.field("_form_version", page.version)
        for (k, v) in answers { m.field(k, v) }
        for f in files { m.file(f.field, filename: f.name, type: "application/octet-stream", data: f.data) }
        var (headers, body) = m.finished()
        headers.add(name: "Cookie", value: c.cookie)
        return (headers, body)
    }

    static func verify(_ app: Application, _ c: CitizenClient) async throws {
        let hash = try app.nationalIDs.lookupHash(try ThaiNationalID(c.nationalID))
        try await CitizenAccount.query(on: app.db).filter(\.$nationalIDHash == hash).set(\.$verificationStatusRaw, to: "verified").update()
    }

    static func petitionFiles(_ env: TestEnvironment) -> [URL] {
        let dir = env.dataDirectory.appendingPathComponent("files/petitions")
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { !$0.hasDirectoryPath }
    }

    @Test(
        "every field type: the form, a valid filing, สำเร็จ with the number, the receipt, one e-mail; a repeat files nothing new",
        arguments: TestDatabase.all)
    func fileEveryType(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            try await Self.addAllFieldsService(app)
            let c = try await CitizenFixtures.register(app)
            try await Self.verify(app, c)
            let page = try await Self.open(app, c)
            for needle in [
                #"name="subject""#, #"<textarea id="details""#, #"name="start_day""#, #"name="start_month""#, #"name="start_year""#,
                #"type="email""#, #"type="tel""#, #"<select id="kind""#, #"type="radio" value="เจ้าของ""#,
                #"type="checkbox" value="โกดัง""#, #"name="site_lat""#, #"<select id="plot_province""#,
                #"name="file_plans" type="file" multiple"#, #"name="file_photos" type="file" accept"#,
                "ที่ตั้ง</legend>", "ที่อยู่แปลงที่ดิน</legend>", "รายละเอียด (ไม่บังคับ)",
            ] {
                #expect(page.html.contains(needle), "form shows \(needle)")
            }
            #expect(!page.token.isEmpty && page.version == "1")

            let photo = try TestImages.fixture("id-photo.jpg")
            let files: [(field: String, name: String, data: Data)] = [
                ("file_plans", "แปลน-1.pdf", samplePDF), ("file_plans", "plan2.pdf", samplePDF),
                ("file_photos", "site.jpg", photo),
            ]
            var location = ""
            let (h, b) = Self.body(c, page, files: files)
            try await app.testing().test(.POST, "\(c.base)/services/\(Self.slug)/apply", headers: h, body: b) { res in
                #expect(res.status == .seeOther, "\(res.body.string.prefix(3000))")
                location = res.headers.first(name: .location) ?? ""
            }
            let year = ThaiYear.of(Date())
            #expect(location == "\(c.base)/account/petitions/BKT-\(year)-000001/filed")
            try await app.testing().test(.GET, location, headers: c.headers) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("สำเร็จ") && res.body.string.contains("BKT-\(year)-000001"))
                #expect(res.body.string.contains("/account/petitions/BKT-\(year)-000001/receipt"))
            }
            try await app.testing().test(.GET, "\(c.base)/account/petitions/BKT-\(year)-000001/receipt", headers: c.headers) { res in
                #expect(res.status == .ok)
                let html = res.body.string
                for needle in ["ใบรับคำร้อง", "เทศบาลตำบลบางกระทุ่ม", "ขออนุญาตทดสอบทุกช่อง", "BKT-\(year)-000001", "แปลน-1.pdf", "x-xxxx-xxxxx-"] {
                    #expect(html.contains(needle), "receipt shows \(needle)")
                }
                #expect(!html.contains(c.nationalID), "the receipt masks the national ID")
            }

            let petition = try #require(try await PetitionRecord.query(on: app.db).first())
            #expect(petition.status == .submitted && petition.formVersion == 1 && petition.channel == .web)
            let answers = try StoredJSON.decode(PetitionAnswers.self, from: petition.answersJSON)
            #expect(answers["area"]?.value == .number("1200.5"))
            #expect(answers["start"]?.value == .date("2027-03-15"))
            #expect(answers["uses"]?.value == .choices(["พักอาศัย", "โกดัง"]))
            #expect(answers["contact_tel"]?.value == .text("0812345678"))
            #expect(answers["details"]?.value == .text("บรรทัดแรก\nบรรทัดที่สอง"))
            if case .address(let a) = answers["plot"]?.value {
                #expect(a.subdistrictCode == "650501" && a.postcode == "65110")
            } else {
                Issue.record("address answer missing")
            }
            #expect(answers.answers.count == 11)
            let stored = try await PetitionStore.attachments(petition, on: app.db)
            #expect(stored.count == 3)
            #expect(Set(stored.map(\.mimeType)) == ["application/pdf", "image/jpeg"])
            #expect(Self.petitionFiles(env).count == 3)
            for s in stored {
                let data = try Data(contentsOf: env.dataDirectory.appendingPathComponent("files/\(s.fileName)"))
                #expect(Hex.sha256(data) == s.sha256)
            }
            let mails = try await queuedMails(app)
            #expect(mails.count == 1 && mails[0].to == [c.email] && mails[0].subject.contains("BKT-\(year)-000001"))

            // The same form sent again (double click, a retry after a lost answer): the same petition.
            let (h2, b2) = Self.body(c, page, files: files)
            try await app.testing().test(.POST, "\(c.base)/services/\(Self.slug)/apply", headers: h2, body: b2) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == location)
            }
            #expect(try await PetitionRecord.query(on: app.db).count() == 1)
            #expect(try await PetitionAttachmentRecord.query(on: app.db).count() == 3)
            #expect(Self.petitionFiles(env).count == 3, "the repeat's files are not kept")
            #expect(try await queuedMails(app).count == 1)

            // The petition page: answers as people read them, files, timeline, expected completion.
            try await app.testing().test(.GET, "\(c.base)/account/petitions/BKT-\(year)-000001", headers: c.headers) { res in
                #expect(res.status == .ok)
                let html = res.body.string
                for needle in ["ส่งคำร้อง", "1,200.5", "15 มีนาคม 2570", "พักอาศัย, โกดัง", "คาดว่าจะแล้วเสร็จ", "แปลน-1.pdf", "ตำบลบางกระทุ่ม"] {
                    #expect(html.contains(needle), "petition page shows \(needle)")
                }
            }
            let fileID = try #require(stored.first { $0.originalName == "แปลน-1.pdf" }?.id)
            try await app.testing().test(
                .GET, "\(c.base)/account/petitions/BKT-\(year)-000001/files/\(fileID.uuidString.lowercased())?download=1",
                headers: c.headers
            ) { res in
                #expect(res.status == .ok)
                #expect(res.headers.first(name: .contentType) == "application/pdf")
                #expect(res.headers.first(name: "Content-Disposition")?.hasPrefix("attachment;") == true)
                #expect(
                    res.headers.first(name: "Content-Disposition")?.contains("filename*=UTF-8''%E0%B9%81%E0%B8%9B%E0%B8%A5%E0%B8%99-1.pdf") == true,
                    "the Thai name is percent-encoded (RFC 5987)")
                #expect(res.headers.first(name: "X-Content-Type-Options") == "nosniff")
                #expect(Data(buffer: res.body) == samplePDF)
            }
            // คำร้องของฉัน with its filters.
            try await app.testing().test(.GET, "\(c.base)/account/petitions", headers: c.headers) { res in
                #expect(res.status == .ok && res.body.string.contains("BKT-\(year)-000001") && res.body.string.contains("สถานะ"))
            }
            try await app.testing().test(.GET, "\(c.base)/account/petitions?status=completed", headers: c.headers) { res in
                #expect(res.status == .ok && !res.body.string.contains("BKT-\(year)-000001"))
            }
            try await app.testing().test(.GET, "\(c.base)/account/petitions?status=open", headers: c.headers) { res in
                #expect(res.status == .ok && res.body.string.contains("BKT-\(year)-000001"))
            }
        }
    }

    @Test("each invalid answer gets its Thai message beside the field and in the summary; nothing is saved", arguments: TestDatabase.all)
    func invalidAnswers(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            try await Self.addAllFieldsService(app)
            let c = try await CitizenFixtures.register(app)
            try await Self.verify(app, c)
            let page = try await Self.open(app, c)
            let bad: [(String, String)] = [
                ("subject", String(repeating: "ก", count: 101)), ("area", "สิบ"), ("start_day", "31"), ("start_month", "2"), ("start_year", "2570"),
                ("contact_email", "owner@"), ("contact_tel", "12345"), ("kind", "อื่น ๆ"), ("uses", "สนามบิน"),
                ("site", "หน้าบ้าน"), ("site_lat", "16.5"), ("plot_house", "1"), ("plot_province", "99"),
            ]
            let (h, b) = Self.body(c, page, answers: bad)
            try await app.testing().test(.POST, "\(c.base)/services/\(Self.slug)/apply", headers: h, body: b) { res in
                #expect(res.status == .unprocessableEntity)
                let html = res.body.string
                for (input, message) in [
                    ("subject", "ต้องไม่เกิน 100 ตัวอักษร"), ("area", "ต้องเป็นตัวเลข"), ("start_day", "ไม่มีวันที่นี้ในปฏิทิน"),
                    ("contact_email", "อีเมลติดต่อไม่ถูกต้อง"), ("contact_tel", "9 หรือ 10 หลัก"), ("kind", "จากรายการ"),
                    ("owner", "กรุณาเลือกผู้ขอเป็น"), ("uses", "จากรายการที่มีให้เท่านั้น"), ("site_lng", "ลองจิจูด"),
                    ("plot_province", "จังหวัด"),
                ] {
                    #expect(html.contains("id=\"\(input)-error\""), "an error beside \(input)")
                    #expect(html.contains("href=\"#\(input)\""), "the summary links to \(input)")
                    #expect(html.contains(message), "message for \(input): \(message)")
                }
                #expect(html.contains("value=\"หน้าบ้าน\""), "what was typed comes back")
                #expect(html.contains("กรุณาเลือกไฟล์แนบอีกครั้ง"), "the person is told to choose the files again")
            }
            #expect(try await PetitionRecord.query(on: app.db).count() == 0)
            #expect(Self.petitionFiles(env).isEmpty)
            #expect(try await queuedMails(app).isEmpty)
        }
    }

    @Test("attachments: wrong type by content, too large, too many, missing; nothing kept", arguments: TestDatabase.all)
    func badAttachments(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            try await Self.addAllFieldsService(app)
            let c = try await CitizenFixtures.register(app)
            try await Self.verify(app, c)
            let html = Data("<html><script>alert(1)</script></html>".utf8)
            var big = samplePDF
            big.append(Data(repeating: 0x20, count: (1 << 20) + 1 - samplePDF.count + 1))
            let cases: [(String, [(field: String, name: String, data: Data)], HTTPStatus, String)] = [
                ("HTML named .pdf", [("file_plans", "plan.pdf", html)], .unprocessableEntity, "ไม่ใช่ไฟล์ประเภทที่รับ (รับเฉพาะ PDF)"),
                (
                    "a JPEG where only PDF is taken", [("file_plans", "plan.pdf", try TestImages.fixture("id-photo.jpg"))], .unprocessableEntity,
                    "ไม่ใช่ไฟล์ประเภทที่รับ"
                ),
                ("too large", [("file_plans", "plan.pdf", big)], .payloadTooLarge, "มีขนาดเกิน 1 MB"),
                (
                    "too many", [("file_plans", "a.pdf", samplePDF), ("file_plans", "b.pdf", samplePDF), ("file_plans", "c.pdf", samplePDF)],
                    .unprocessableEntity, "แนบแบบแปลนได้ไม่เกิน 2 ไฟล์"
                ),
                ("missing", [], .unprocessableEntity, "กรุณาแนบแบบแปลน"),
                (
                    "PDF under the photo input", [("file_plans", "a.pdf", samplePDF), ("file_photos", "x.jpg", samplePDF)], .unprocessableEntity,
                    "รับเฉพาะ JPEG, PNG"
                ),
            ]
            for (label, files, status, message) in cases {
                let page = try await Self.open(app, c)
                let (h, b) = Self.body(c, page, files: files)
                try await app.testing().test(.POST, "\(c.base)/services/\(Self.slug)/apply", headers: h, body: b) { res in
                    #expect(res.status == status, "\(label)")
                    #expect(res.body.string.contains(message), "\(label): \(message)")
                    #expect(res.body.string.contains("id=\"file_plans-error\"") || res.body.string.contains("id=\"file_photos-error\""), "\(label)")
                }
            }
            // A file input the form does not have, and no CSRF token.
            let page = try await Self.open(app, c)
            let (h1, b1) = Self.body(c, page, files: [("file_plans", "a.pdf", samplePDF), ("file_other", "b.pdf", samplePDF)])
            try await app.testing().test(.POST, "\(c.base)/services/\(Self.slug)/apply", headers: h1, body: b1) { res in
                #expect(res.status == .badRequest)
            }
            let (h2, b2) = Self.body(c, page, csrf: "wrong-token-wrong-token-wrong")
            try await app.testing().test(.POST, "\(c.base)/services/\(Self.slug)/apply", headers: h2, body: b2) { res in
                #expect(res.status == .forbidden)
            }
            #expect(try await PetitionRecord.query(on: app.db).count() == 0)
            #expect(try await PetitionAttachmentRecord.query(on: app.db).count() == 0)
            #expect(Self.petitionFiles(env).isEmpty, "no file is left behind")
        }
    }

    @Test("a service that needs a verified identity refuses an unverified citizen; a complaint does not", arguments: TestDatabase.all)
    func identityRule(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            try await Self.addAllFieldsService(app)
            let c = try await CitizenFixtures.register(app)
            try await app.testing().test(.GET, "\(c.base)/services/\(Self.slug)/apply", headers: c.headers) { res in
                #expect(res.status == .forbidden)
                #expect(res.body.string.contains("ต้องยืนยันตัวตนก่อนยื่นคำร้อง"))
                #expect(res.body.string.contains("\(c.base)/account/identity"))
            }
            // A form kept from before (or crafted) is refused the same way, before anything is read or stored.
            let page = Page(csrf: c.csrf, token: RandomToken.make(), version: "1", html: "")
            let (h, b) = Self.body(c, page)
            try await app.testing().test(.POST, "\(c.base)/services/\(Self.slug)/apply", headers: h, body: b) { res in
                #expect(res.status == .forbidden)
            }
            #expect(try await PetitionRecord.query(on: app.db).count() == 0)
            #expect(Self.petitionFiles(env).isEmpty)

            // Complaints need no verified identity by default.
            let complaint = try await Self.open(app, c, service: "street-light")
            var m = Multipart()
            for (k, v) in [
                ("_csrf", complaint.csrf), ("_submission", complaint.token), ("_form_version", complaint.version),
                ("light_location", "หน้าโรงเรียน"), ("problem", "ไฟดับ"), ("lamp_count", "2"),
            ] { m.field(k, v) }
            var (headers, body) = m.finished()
            headers.add(name: "Cookie", value: c.cookie)
            try await app.testing().test(.POST, "\(c.base)/services/street-light/apply", headers: headers, body: body) { res in
                #expect(res.status == .seeOther, "\(res.body.string.prefix(2000))")
            }
            #expect(try await PetitionRecord.query(on: app.db).count() == 1)
        }
    }

    @Test("nobody sees another's petition: another citizen, another tenant's address, nobody signed in", arguments: TestDatabase.all)
    func isolation(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let a = try await CitizenFixtures.register(app)
            let b = try await CitizenFixtures.register(app)
            let tenant = try Tenant.named("bangkrathum", in: app)
            let account = try #require(
                try await CitizenAccount.query(on: app.db).filter(\.$nationalIDHash == (try app.nationalIDs.lookupHash(try ThaiNationalID(a.nationalID))))
                    .first())
            let (menu, service) = try #require(tenant.service("street-light"))
            let filed = try await PetitionStore.file(
                .init(
                    tenant: tenant, citizenID: try account.requireID(), citizenName: account.fullName, menu: menu, service: service, formVersion: 1,
                    answersJSON: try StoredJSON.encode(PetitionAnswers(answers: [])),
                    attachments: [
                        .init(
                            fieldKey: "photos", fileName: "petitions/bangkrathum/x.jpg", originalName: "x.jpg", mimeType: "image/jpeg",
                            bytes: 1, sha256: "00")
                    ],
                    submissionKey: "k"), linkBase: NoticeTestSupport.linkBase, on: app.db)
            let number = filed.petition.number
            let fileID = try #require(try await PetitionStore.attachments(filed.petition, on: app.db).first?.id).uuidString.lowercased()
            let pages = ["", "/filed", "/receipt", "/files/\(fileID)"]
            for suffix in pages {
                try await app.testing().test(.GET, "\(b.base)/account/petitions/\(number)\(suffix)", headers: b.headers) { res in
                    #expect(res.status == .notFound, "B gets 404 for \(suffix)")
                }
                try await app.testing().test(.GET, "/t/bangrak/account/petitions/\(number)\(suffix)", headers: a.headers) { res in
                    #expect(res.status == .seeOther || res.status == .notFound, "another tenant's address: \(res.status)")
                }
                try await app.testing().test(.GET, "\(a.base)/account/petitions/\(number)\(suffix)") { res in
                    #expect(res.status == .seeOther)
                    #expect(res.headers.first(name: .location)?.hasPrefix("\(a.base)/login") == true)
                }
            }
            try await app.testing().test(.GET, "\(a.base)/account/petitions/\(number)", headers: a.headers) { res in
                #expect(res.status == .ok && res.body.string.contains(number))
            }
            try await app.testing().test(.GET, "\(b.base)/account/petitions", headers: b.headers) { res in
                #expect(res.status == .ok && !res.body.string.contains(number))
            }
            // Filing needs a sign-in: the form sends a visitor to the sign-in page and back.
            try await app.testing().test(.GET, "\(a.base)/services/street-light/apply") { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location)?.contains("next=") == true)
            }
        }
    }

    @Test("the citizen chooses, kind by kind, e-mail and LINE; the completion e-mail cannot be turned off", arguments: TestDatabase.all)
    func emailChoice(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let c = try await CitizenFixtures.register(app)
            let hash = try app.nationalIDs.lookupHash(try ThaiNationalID(c.nationalID))
            func choices() async throws -> NotificationChoices? {
                try await CitizenAccount.query(on: app.db).filter(\.$nationalIDHash == hash).first()?.noticeChoices
            }
            #expect(try await choices() == .all, "everything by both until the citizen chooses")
            try await app.testing().test(.GET, "\(c.base)/account/profile", headers: c.headers) { res in
                let html = res.body.string
                #expect(html.contains(#"name="email_completed" type="checkbox" value="1" aria-label="คำร้องดำเนินการสำเร็จ ทางอีเมล" checked disabled"#))
                #expect(html.contains(#"name="line_statusChanged""#), "bangkrathum has a LINE Official Account")
            }
            let (h, b) = c.form([:])
            try await app.testing().test(.POST, "\(c.base)/account/profile/notifications", headers: h, body: b) { res in
                #expect(res.status == .seeOther)
            }
            #expect(try await choices() == NotificationChoices(email: [], line: []))
            #expect(try await CitizenAccount.query(on: app.db).filter(\.$nationalIDHash == hash).first()?.notifyStatusChanges == false)
            try await app.testing().test(.GET, "\(c.base)/account/profile", headers: c.headers) { res in
                #expect(res.body.string.contains("ท่านจะได้รับเฉพาะอีเมลแจ้งเมื่อคำร้องดำเนินการสำเร็จ"))
                #expect(!res.body.string.contains(#"name="email_statusChanged" type="checkbox" value="1" aria-label="การเปลี่ยนสถานะคำร้อง ทางอีเมล" checked"#))
            }
            let (h2, b2) = c.form(["email_statusChanged": "1", "line_filed": "1", "email_completed": ""])
            try await app.testing().test(.POST, "\(c.base)/account/profile/notifications", headers: h2, body: b2) { res in
                #expect(res.status == .seeOther)
            }
            #expect(try await choices() == NotificationChoices(email: [.statusChanged], line: [.filed]))
            #expect(try await choices()?.wants(.completed, by: .email) == true)
        }
    }
}
