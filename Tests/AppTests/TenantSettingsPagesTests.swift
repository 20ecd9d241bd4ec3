import Domain
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

/// The settings pages as an Organization admin uses them, and who may not.
@Suite("Tenant settings pages: Organization admins change their municipality, audited; others may not")
struct TenantSettingsPagesTests {
    static let base = "/backoffice/t/bangkrathum/settings"

    static func get(_ app: Application, _ path: String, as client: StaffClient?) async throws -> (HTTPStatus, String) {
        var out = (HTTPStatus.internalServerError, "")
        try await app.testing().test(.GET, path, headers: client?.headers ?? [:]) { out = ($0.status, $0.body.string) }
        return out
    }

    /// Posts name/value pairs in order (repeated names allowed), with the client's CSRF token.
    static func post(_ app: Application, _ path: String, as client: StaffClient, _ pairs: [(String, String)]) async throws -> TestingHTTPResponse {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = ([("_csrf", client.csrf)] + pairs)
            .map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
            .joined(separator: "&")
        var response: TestingHTTPResponse?
        try await app.testing().test(
            .POST, path,
            headers: [
                "Cookie": client.cookie, "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "text/html",
            ], body: ByteBuffer(string: body)
        ) { response = $0 }
        return try #require(response)
    }

    static func publicPage(_ app: Application, _ path: String) async throws -> (HTTPStatus, String) {
        try await get(app, path, as: nil)
    }

    /// The editor's inputs for a form, as the page would post them back.
    static func editorPairs(_ form: ServiceForm, base: Int, action: String) -> [(String, String)] {
        var out: [(String, String)] = [("base_version", String(base))]
        for (i, f) in form.fields.enumerated() {
            let p = "fields.\(i)."
            out += [
                (p + "key", f.key), (p + "type", f.type.rawValue), (p + "label", f.label), (p + "help", f.help ?? ""),
                (p + "options", (f.options ?? []).joined(separator: "\n")), (p + "max_length", f.maxLength.map(String.init) ?? ""),
            ]
            if f.isRequired { out.append((p + "required", "1")) }
        }
        for (j, a) in form.attachments.enumerated() {
            let p = "attachments.\(j)."
            out += [(p + "key", a.key), (p + "label", a.label), (p + "max_mb", String(a.effectiveMaxMB)), (p + "max_count", String(a.effectiveMaxCount))]
            out += a.types.map { (p + "types", $0.rawValue) }
            if a.isRequired { out.append((p + "required", "1")) }
        }
        return out + [("action", action)]
    }

    static func audit(_ app: Application, _ action: AuditAction) async throws -> [AuditEntry] {
        try await AuditLog.list(.init(tenants: ["bangkrathum"], action: action), on: app.db)
    }

    @Test("an Officer, an admin of another tenant, and nobody signed in cannot see or change the settings", arguments: TestDatabase.all)
    func access(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let otherAdmin = try await signedInStaff(app, tenant: "nakhonpathom", role: .orgAdmin)
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            for client in [officer, otherAdmin] {
                for path in [Self.base, Self.base + "/display", Self.base + "/services/street-light/form", Self.base + "/services/street-light/versions"] {
                    #expect(try await Self.get(app, path, as: client).0 == .forbidden, "\(path)")
                }
                let display = try await Self.post(app, Self.base + "/display", as: client, [("name_th", "ยึดหน่วยงาน")])
                #expect(display.status == .forbidden)
                let retire = try await Self.post(app, Self.base + "/services/street-light/retire", as: client, [])
                #expect(retire.status == .forbidden)
            }
            #expect(try await Self.get(app, Self.base, as: nil).0 == .seeOther, "signed out: to the sign-in page")
            #expect(try Tenant.named("bangkrathum", in: app).service("street-light") != nil)
            #expect(try await TenantSettingRecord.query(on: app.db).count() == 0, "nothing was written")

            let (status, html) = try await Self.get(app, Self.base, as: admin)
            #expect(status == .ok)
            for text in [
                "ตั้งค่าหน่วยงาน", "เมนูบัญชี", "เมนูบริการออนไลน์", "เมนูร้องเรียนร้องทุกข์ออนไลน์", "data-service=\"street-light\"",
                "เลิกให้บริการ", "เลื่อนลง", "name=\"_csrf\"",
            ] {
                #expect(html.contains(text), "\(text)")
            }
            // The admin of nakhonpathom is an admin there.
            #expect(try await Self.get(app, "/backoffice/t/nakhonpathom/settings", as: otherAdmin).0 == .ok)
        }
    }

    @Test("display details: bad input gets Thai messages (422) and changes nothing; good input shows on the site and is audited", arguments: TestDatabase.all)
    func display(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let (status, form) = try await Self.get(app, Self.base + "/display", as: admin)
            #expect(status == .ok)
            #expect(form.contains("value=\"เทศบาลตำบลบางกระทุ่ม\""))
            let tenant = try Tenant.named("bangkrathum", in: app)
            var fields: [(String, String)] = [
                ("name_th", tenant.config.name.th), ("name_en", tenant.config.name.en), ("contact_address", tenant.config.contact.address),
                ("contact_phone", "0 5539 9999"), ("contact_email", "saraban@bangkrathum.go.th"), ("contact_website", "https://www.bangkrathum.go.th"),
                ("contact_hours", tenant.config.contact.hours ?? ""), ("colors_primary", "#0b5d3b"), ("colors_accent", "#f2b705"),
            ]
            var bad = fields
            bad[0].1 = ""
            bad[4].1 = "saraban-at-bangkrathum"
            bad[7].1 = "#ffee00"
            let refused = try await Self.post(app, Self.base + "/display", as: admin, bad)
            #expect(refused.status == .unprocessableEntity)
            let html = refused.body.string
            for text in ["กรุณากรอกชื่อหน่วยงานภาษาไทย", "รูปแบบอีเมลไม่ถูกต้อง", "4.5:1", "error-summary", "href=\"#name_th\"", "value=\"saraban-at-bangkrathum\""] {
                #expect(html.contains(text), "\(text)")
            }
            #expect(try await TenantSettingRecord.query(on: app.db).count() == 0)
            #expect(try await Self.audit(app, .settingsChanged).isEmpty)

            let saved = try await Self.post(app, Self.base + "/display", as: admin, fields)
            #expect(saved.status == .seeOther)
            #expect(saved.headers.first(name: .location) == Self.base)
            #expect(try await Self.get(app, Self.base, as: admin).1.contains("บันทึกรายละเอียดหน่วยงานแล้ว"))
            #expect(try await Self.publicPage(app, "/t/bangkrathum/").1.contains("0 5539 9999"))
            let entries = try await Self.audit(app, .settingsChanged)
            #expect(entries.count == 1)
            #expect(entries.first?.actorName == admin.username)
            #expect(entries.first?.tenantID == "bangkrathum")
            #expect(entries.first?.detail == "แก้ไขรายละเอียดหน่วยงาน: โทรศัพท์: ‘0 5539 1234’ → ‘0 5539 9999’")
            #expect(entries.first?.ip.isEmpty == false)

            // The same details again: nothing to save, nothing audited.
            fields[3].1 = "0 5539 9999"
            #expect(try await Self.post(app, Self.base + "/display", as: admin, fields).status == .seeOther)
            #expect(try await Self.audit(app, .settingsChanged).count == 1)
        }
    }

    @Test("identity policy: labels, watermark and size are saved; blank labels are images not asked for", arguments: TestDatabase.all)
    func identity(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let empty = try await Self.post(app, Self.base + "/identity", as: admin, [("watermark", ""), ("max_file_mb", "99")])
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.body.string.contains("กรุณาระบุภาพที่ต้องแนบอย่างน้อย 1 ภาพ"))
            #expect(empty.body.string.contains("ขนาดไฟล์สูงสุดต้องเป็นตัวเลข 1–50"))
            let saved = try await Self.post(
                app, Self.base + "/identity", as: admin,
                [
                    ("image_0", "หน้าบัตร"), ("image_1", ""), ("image_2", "หลังบัตร"), ("image_3", "ภาพคู่บัตร"), ("image_4", ""),
                    ("watermark", "สำหรับ {ชื่อหน่วยงาน} เท่านั้น"), ("max_file_mb", "8"),
                ])
            #expect(saved.status == .seeOther)
            let identity = try Tenant.named("bangkrathum", in: app).config.identity
            #expect(identity.images.map(\.label) == ["หน้าบัตร", "หลังบัตร", "ภาพคู่บัตร"])
            #expect(identity.maxFileMB == 8)
            #expect(identity.watermarkText(agencyName: "ก") == "สำหรับ ก เท่านั้น")
            #expect(try await Self.audit(app, .settingsChanged).first?.detail.contains("ภาพที่ต้องแนบ (2 → 3 ภาพ)") == true)

            // The citizen's identity step asks for what the admin set, with the new size limit.
            let citizen = try await CitizenFixtures.register(app)
            try await app.testing().test(.GET, "/t/bangkrathum/account/identity", headers: citizen.headers) { res in
                for label in ["หน้าบัตร", "หลังบัตร", "ภาพคู่บัตร"] { #expect(res.body.string.contains(#"">\#(label)</label>"#), "\(label)") }
                #expect(res.body.string.contains("ขนาดไม่เกิน 8 MB"))
            }
            let photo = try TestImages.fixture("id-photo.jpg")
            let (h, b) = CitizenFixtures.identityUpload(citizen, files: [("image_0", "a.jpg", photo), ("image_1", "b.jpg", Data(count: (8 << 20) + 1))])
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { res in
                #expect(res.status == .payloadTooLarge)
                #expect(res.body.string.contains("ใหญ่เกิน 8 MB"))
            }
        }
    }

    @Test("retiring hides a service from the public site and un-retiring brings it back; moving changes the menu order", arguments: TestDatabase.all)
    func retireAndMove(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            #expect(try await Self.publicPage(app, "/t/bangkrathum/").1.contains("/t/bangkrathum/services/street-light\""))
            let retired = try await Self.post(app, Self.base + "/services/street-light/retire", as: admin, [])
            #expect(retired.status == .seeOther)
            #expect(!(try await Self.publicPage(app, "/t/bangkrathum/").1.contains("/t/bangkrathum/services/street-light\"")))
            #expect(try await Self.publicPage(app, "/t/bangkrathum/services/street-light").0 == .notFound)
            let overview = try await Self.get(app, Self.base, as: admin).1
            #expect(overview.contains("data-retired=\"street-light\""))
            #expect(overview.contains("นำกลับมาให้บริการ"))

            #expect(try await Self.post(app, Self.base + "/services/street-light/restore", as: admin, []).status == .seeOther)
            #expect(try await Self.publicPage(app, "/t/bangkrathum/").1.contains("/t/bangkrathum/services/street-light\""))
            #expect(try await Self.publicPage(app, "/t/bangkrathum/services/street-light").0 == .ok)

            // road-repair comes after street-light in the folder; move it up.
            func order() async throws -> [String] {
                try Tenant.named("bangkrathum", in: app).config.menus.complaints.map(\.slug)
            }
            let before = try await order()
            let i = try #require(before.firstIndex(of: "road-repair"))
            try #require(i > 0)
            #expect(try await Self.post(app, Self.base + "/services/road-repair/move", as: admin, [("direction", "up")]).status == .seeOther)
            var expected = before
            expected.swapAt(i, i - 1)
            #expect(try await order() == expected)
            let home = try await Self.publicPage(app, "/t/bangkrathum/").1
            let road = try #require(home.range(of: "services/road-repair\"")), other = try #require(home.range(of: "services/\(before[i - 1])\""))
            #expect(road.lowerBound < other.lowerBound, "the public menu shows the new order")
            let actions = try await Self.audit(app, .serviceChanged).map(\.detail)
            #expect(actions.count == 3)
            #expect(actions.contains { $0.hasPrefix("เลิกให้บริการ street-light") })
        }
    }

    @Test("adding a service and editing one; a code already used is refused", arguments: TestDatabase.all)
    func addAndEdit(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let fields = [
                ("menu", "complaints"), ("slug", "tree-trimming"), ("name", "แจ้งตัดแต่งกิ่งไม้"),
                ("description", "กิ่งไม้บังทางหรือพาดสายไฟ"), ("sla_days", "10"),
            ]
            let added = try await Self.post(app, Self.base + "/services/new", as: admin, fields)
            #expect(added.status == .seeOther)
            #expect(added.headers.first(name: .location) == Self.base + "/services/tree-trimming/form")
            let page = try await Self.publicPage(app, "/t/bangkrathum/services/tree-trimming")
            #expect(page.0 == .ok && page.1.contains("แจ้งตัดแต่งกิ่งไม้") && page.1.contains("รายละเอียดคำร้อง"))
            #expect(try await Self.publicPage(app, "/t/bangkrathum/").1.contains("services/tree-trimming\""))

            for slug in ["tree-trimming", "street-light", "Bad Slug", "new"] {
                var again = fields
                again[1].1 = slug
                let refused = try await Self.post(app, Self.base + "/services/new", as: admin, again)
                #expect(refused.status == .unprocessableEntity, "\(slug)")
                #expect(refused.body.string.contains("รหัสบริการ"), "\(slug)")
            }

            let edited = try await Self.post(
                app, Self.base + "/services/street-light", as: admin,
                [
                    ("menu", "complaints"), ("name", "แจ้งไฟถนนดับ"), ("description", "ไฟถนนดับหรือกะพริบ"), ("sla_days", "5"),
                ])
            #expect(edited.status == .seeOther)
            let service = try #require(try Tenant.named("bangkrathum", in: app).service("street-light"))
            #expect(service.service.name == "แจ้งไฟถนนดับ" && service.service.slaDays == 5)
            let details = try await Self.audit(app, .serviceChanged).map(\.detail)
            #expect(details.contains { $0.hasPrefix("เพิ่มบริการ tree-trimming") })
            #expect(details.contains { $0.contains("ชื่อ: ‘แจ้งซ่อมไฟฟ้าสาธารณะ’ → ‘แจ้งไฟถนนดับ’") && $0.contains("ระยะเวลาดำเนินการ: 7 → 5 วัน") })

            let blank = try await Self.post(app, Self.base + "/services/street-light", as: admin, [("menu", "complaints"), ("sla_days", "0")])
            #expect(blank.status == .unprocessableEntity)
            #expect(blank.body.string.contains("กรุณากรอกชื่อบริการ") && blank.body.string.contains("1–365"))
        }
    }

    @Test("the form editor: buttons rearrange the draft without saving; save makes a new version; history keeps the old one", arguments: TestDatabase.all)
    func formEditor(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let path = Self.base + "/services/street-light/form"
            let (status, page) = try await Self.get(app, path, as: admin)
            #expect(status == .ok)
            #expect(page.contains("แก้ไขจากฉบับที่ 1"))
            let original = ServiceForm(try #require(try Tenant.named("bangkrathum", in: app).service("street-light")).service)
            #expect(page.contains("name=\"fields.\(original.fields.count - 1).key\""))

            // "เพิ่มช่องข้อมูล" adds an empty row; nothing is saved.
            let added = try await Self.post(app, path, as: admin, Self.editorPairs(original, base: 1, action: "add-field"))
            #expect(added.status == .ok)
            #expect(added.body.string.contains("name=\"fields.\(original.fields.count).key\""))
            #expect(added.body.string.contains("ยังไม่ได้บันทึก"))
            // "เลื่อนลง" on the first field swaps it with the second.
            let moved = try await Self.post(app, path, as: admin, Self.editorPairs(original, base: 1, action: "field-down:0"))
            let movedHTML = moved.body.string
            let first = try #require(movedHTML.range(of: "value=\"\(original.fields[1].key)\"")),
                second = try #require(movedHTML.range(of: "value=\"\(original.fields[0].key)\""))
            #expect(first.lowerBound < second.lowerBound)
            #expect(try await FormVersionRecord.query(on: app.db).count() == 0)

            // Saving what is already there makes no version.
            let same = try await Self.post(app, path, as: admin, Self.editorPairs(original, base: 1, action: "save"))
            #expect(same.status == .seeOther)
            #expect(try await Self.get(app, path, as: admin).1.contains("ไม่มีการเปลี่ยนแปลง แบบฟอร์มยังเป็นฉบับที่ 1"))
            #expect(try await FormVersionRecord.query(on: app.db).count() == 0)

            // Saving a broken draft: Thai messages beside the fields, 422, nothing saved.
            var broken = original
            broken.fields.append(FormField(key: "Bad Key", type: .radio, label: "", required: true, help: nil, options: ["ข้อเดียว"], maxLength: nil))
            let refused = try await Self.post(app, path, as: admin, Self.editorPairs(broken, base: 1, action: "save"))
            #expect(refused.status == .unprocessableEntity)
            let n = original.fields.count
            for text in [
                "ช่องที่ \(n + 1): รหัสช่องข้อมูลต้องเป็นภาษาอังกฤษ", "ช่องที่ \(n + 1): กรุณากรอกคำถาม", "อย่างน้อย 2 ข้อ",
                "href=\"#fields-\(n)-key\"", "id=\"fields-\(n)-key\"",
            ] {
                #expect(refused.body.string.contains(text), "\(text)")
            }
            #expect(try await FormVersionRecord.query(on: app.db).count() == 0)
            #expect(try await Self.audit(app, .formChanged).isEmpty)

            // A good draft: version 2 (and the folder's form written down as version 1).
            var changed = original
            changed.fields.append(
                FormField(key: "reporter_address", type: .address, label: "ที่อยู่ผู้แจ้ง", required: true, help: "เลือกจากรายการ", options: nil, maxLength: nil))
            changed.attachments += [AttachmentRule(key: "photo", label: "ภาพถ่ายจุดที่ไฟดับ", required: false, types: [.jpeg, .png], maxMB: 5, maxCount: 3)]
            let saved = try await Self.post(app, path, as: admin, Self.editorPairs(changed, base: 1, action: "save"))
            #expect(saved.status == .seeOther)
            #expect(try await Self.get(app, path, as: admin).1.contains("บันทึกแบบฟอร์มฉบับที่ 2 แล้ว"))
            let served = try Tenant.named("bangkrathum", in: app)
            #expect(served.service("street-light")?.service.fields == changed.fields)
            let publicPage = try await Self.publicPage(app, "/t/bangkrathum/services/street-light").1
            #expect(publicPage.contains("ที่อยู่ผู้แจ้ง") && publicPage.contains(FieldType.address.thaiDescription))
            #expect(try await FormVersions.find(tenant: served, service: "street-light", version: 1, on: app.db)?.form == original)
            let detail = try await Self.audit(app, .formChanged).first?.detail
            #expect(detail == "แบบฟอร์มบริการ street-light ฉบับที่ 2: เพิ่มช่อง reporter_address; เพิ่มเอกสารแนบ photo")

            // Someone else's draft, still based on version 1: refused with a Thai message, kept on screen.
            let other = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let stale = try await Self.post(app, path, as: other, Self.editorPairs(original, base: 1, action: "save"))
            #expect(stale.status == .conflict)
            #expect(stale.body.string.contains("มีผู้อื่นแก้ไขแบบฟอร์มนี้ไปแล้ว (ขณะนี้เป็นฉบับที่ 2)"))
            #expect(try await FormVersionRecord.query(on: app.db).count() == 2)

            let history = try await Self.get(app, Self.base + "/services/street-light/versions", as: admin).1
            #expect(history.contains("data-version=\"2\"") && history.contains("data-version=\"1\"") && history.contains(admin.username))
            let v1 = try await Self.get(app, Self.base + "/services/street-light/versions/1", as: admin).1
            #expect(!v1.contains("reporter_address") && v1.contains("data-field=\"\(original.fields[0].key)\""))
            let v2 = try await Self.get(app, Self.base + "/services/street-light/versions/2", as: admin).1
            #expect(v2.contains("data-field=\"reporter_address\"") && v2.contains("data-attachment=\"photo\""))
            #expect(try await Self.get(app, Self.base + "/services/street-light/versions/3", as: admin).0 == .notFound)
        }
    }
}
