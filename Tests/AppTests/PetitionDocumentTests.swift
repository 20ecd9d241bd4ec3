import Crypto
import Domain
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite("Petitions: issued documents and their public verification")
struct PetitionDocumentTests {
    /// The upload form as a browser sends it: the CSRF token first.
    static func upload(
        _ app: Application, _ officer: StaffClient, number: String, kind: String? = "licence", title: String = "",
        validUntil: String = "", file: (name: String, type: String, data: Data)? = ("licence.pdf", "application/pdf", samplePDF),
        csrf: String? = nil, submission: String? = nil, tenant: String = "bangkrathum",
        _ check: (TestingHTTPResponse) async throws -> Void
    ) async throws {
        var m = Multipart()
        m.field("_csrf", csrf ?? officer.csrf)
        if let submission { m.field(PetitionDocuments.tokenField, submission) }
        if let kind { m.field("kind", kind) }
        m.field("title", title)
        m.field("valid_until", validUntil)
        if let file { m.file("file", filename: file.name, type: file.type, data: file.data) }
        var (headers, body) = m.finished()
        headers.add(name: "Cookie", value: officer.cookie)
        try await app.testing().test(.POST, "/backoffice/t/\(tenant)/petitions/\(number)/documents", headers: headers, body: body, afterResponse: check)
    }

    static func storedFiles(_ env: TestEnvironment) -> [URL] {
        let dir = env.dataDirectory.appendingPathComponent("files/petition-documents")
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { !$0.hasDirectoryPath }
    }

    static func sha256(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    @Test("an officer issues a licence; its QR and verification page show the facts and nothing personal", arguments: TestDatabase.all)
    func issueAndVerify(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let citizen = try await PetitionFixtures.citizen(app)
            let p = try await PetitionFixtures.move(app, try await PetitionFixtures.file(app, citizen: citizen), to: .completed)
            let nextYear = ThaiYear.of(Date()) + 1
            try await Self.upload(app, officer, number: p.number, title: "ใบอนุญาตติดตั้งป้าย ที่ 7/2569", validUntil: "31/12/\(nextYear)") { res in
                #expect(res.status == .seeOther, "\(res.status) \(res.body.string.prefix(500))")
                #expect(res.headers.first(name: .location) == "/backoffice/t/bangkrathum/petitions/\(p.number)#documents")
            }
            let doc = try #require(try await PetitionDocuments.list(p, on: app.db).first)
            #expect(doc.kind == .licence && doc.mimeType == "application/pdf" && doc.bytes == samplePDF.count)
            #expect(doc.fileName.hasPrefix("petition-documents/bangkrathum/") && doc.fileName.hasSuffix(".pdf"))
            #expect(doc.verificationCode.count == 12 && doc.verificationCode.allSatisfy { PetitionDocuments.alphabet.contains($0) })
            let files = Self.storedFiles(env)
            #expect(files.count == 1)
            let stored = try Data(contentsOf: try #require(files.first))
            #expect(doc.sha256 == Self.sha256(stored) && stored == samplePDF)
            #expect(try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.petitionDocumentIssued.rawValue).count() == 1)
            let code = PetitionDocuments.displayCode(doc.verificationCode)

            // The officer's page lists it with its QR code; the file and the QR answer with safe headers.
            let base = "/backoffice/t/bangkrathum/petitions/\(p.number)"
            let docPath = "\(base)/documents/\(try doc.requireID().uuidString.lowercased())"
            var html = try await PetitionFixtures.page(app, officer, base).1
            #expect(html.contains(code) && html.contains("ใบอนุญาต: ใบอนุญาตติดตั้งป้าย ที่ 7/2569") && html.contains("\(docPath)/qr.svg"))
            #expect(html.contains("ใช้ได้ถึง 31 ธันวาคม \(nextYear)"))
            try await get(app, docPath, officer) { res in
                #expect(res.status == .ok && res.headers.first(name: .contentType) == "application/pdf")
                #expect(res.headers.first(name: .contentDisposition)?.hasPrefix("inline; filename=\"licence-\(code).pdf\";") == true)
                #expect(res.headers.first(name: "X-Content-Type-Options") == "nosniff")
                #expect(res.headers.first(name: .cacheControl) == "private, no-store")
                #expect(Data(buffer: res.body) == samplePDF)
            }
            try await get(app, docPath + "?download=1", officer) { res in
                #expect(res.headers.first(name: .contentDisposition)?.hasPrefix("attachment;") == true)
            }
            try await get(app, docPath + "/qr.svg", officer) { res in
                #expect(res.status == .ok && res.headers.first(name: .contentType)?.hasPrefix("image/svg+xml") == true)
                #expect(res.body.string.hasPrefix("<svg") && res.body.string.contains(code))
            }
            // The QR encodes the absolute verification address.
            let req = Request(application: app, method: .GET, url: "/", on: app.eventLoopGroup.any())
            req.headers.replaceOrAdd(name: .host, value: "eservice.example")
            #expect(PetitionDocuments.verifyURL(req, doc) == "http://eservice.example/verify/\(code)")
            let expected = try QRCode("http://eservice.example/verify/\(code)").svg(moduleSize: 4, border: 4, label: "x")
            #expect(try PetitionDocuments.qrSVG(req, doc).components(separatedBy: " d=\"")[1] == expected.components(separatedBy: " d=\"")[1])

            // The citizen sees it on their petition page and opens it; another citizen cannot.
            let own = try #require(try await CitizenFixtures.signIn(app, nationalID: try app.nationalIDs.open(citizen.nationalIDSealed).digits))
            let citizenDoc = "/t/bangkrathum/account/petitions/\(p.number)/documents/\(try doc.requireID().uuidString.lowercased())"
            try await app.testing().test(.GET, "/t/bangkrathum/account/petitions/\(p.number)", headers: own.headers) { res in
                #expect(res.status == .ok && res.body.string.contains(code) && res.body.string.contains(citizenDoc))
            }
            try await app.testing().test(.GET, citizenDoc + "?download=1", headers: own.headers) { res in
                #expect(res.status == .ok && Data(buffer: res.body) == samplePDF)
                #expect(res.headers.first(name: .contentDisposition)?.hasPrefix("attachment; filename=\"licence-\(code).pdf\";") == true)
            }
            let stranger = try await CitizenFixtures.register(app)
            try await app.testing().test(.GET, citizenDoc, headers: stranger.headers) { #expect($0.status == .notFound) }

            // The public page, without signing in.
            try await app.testing().test(.GET, "/verify/\(code)") { res in
                #expect(res.status == .ok)
                #expect(res.headers.first(name: "Referrer-Policy") == "no-referrer")
                html = res.body.string
            }
            #expect(html.contains("เอกสารนี้ออกโดยระบบบริการประชาชนออนไลน์จริง"))
            for fact in [
                "เทศบาลตำบลบางกระทุ่ม", "ใบอนุญาต", p.number, "แจ้งซ่อมไฟฟ้าสาธารณะ", ThaiDate.long(doc.issuedAt),
                "ใช้ได้ถึงวันที่ 31 ธันวาคม \(nextYear)", Self.sha256(stored), "sha256sum", "/t/bangkrathum/logo",
            ] {
                #expect(html.contains(fact), "shows \(fact)")
            }
            let nationalID = try app.nationalIDs.open(citizen.nationalIDSealed)
            for secret in [
                citizen.firstName, citizen.lastName, nationalID.digits, nationalID.formatted, citizen.maskedNationalID, citizen.email,
                citizen.mobile, "081-234-5678", citizen.house, "สายบางกระทุ่ม", "หน้าวัดบางกระทุ่ม", "ไฟดับ", "ใบอนุญาตติดตั้งป้าย",
            ] {
                #expect(!html.contains(secret), "must not show \(secret)")
            }
            // Typed in lower case without dashes, or through the form: the same document.
            try await app.testing().test(.GET, "/verify/\(doc.verificationCode.lowercased())") { #expect($0.status == .ok) }
            try await app.testing().test(.GET, "/verify?code=" + " \(code.lowercased()) ".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!) {
                res in
                #expect(res.status == .seeOther && res.headers.first(name: .location) == "/verify/\(code)")
            }
            try await app.testing().test(.GET, "/verify") { res in
                #expect(res.status == .ok && res.body.string.contains("name=\"code\""))
            }
            try await app.testing().test(.GET, "/verify?code=abc") { res in
                #expect(res.status == .badRequest && res.body.string.contains("รหัสตรวจสอบต้องมี 12 ตัวอักษร"))
            }
        }
    }

    @Test("unknown and malformed codes get a Thai 404; expired and open-ended validity; look-ups are rate-limited", arguments: TestDatabase.all)
    func notFoundAndValidity(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            var unknown = PetitionDocuments.newCode()
            while try await PetitionDocuments.byCode(unknown, on: app.db) != nil { unknown = PetitionDocuments.newCode() }
            for code in [PetitionDocuments.displayCode(unknown), "not-a-code", "%3Cscript%3E", String(repeating: "A", count: 300)] {
                try await app.testing().test(.GET, "/verify/\(code)") { res in
                    #expect(res.status == .notFound, "\(code)")
                    #expect(res.body.string.contains("ไม่พบเอกสารที่มีรหัสตรวจสอบนี้"))
                    #expect(!res.body.string.contains("<script>"))
                }
            }
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let p = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app))
            try await Self.upload(app, officer, number: p.number, kind: "receipt", file: ("r.png", "image/png", try TestImages.fixture("id-photo.jpg"))) {
                #expect($0.status == .seeOther, "a JPEG named .png is a JPEG")
            }
            let receipt = try #require(try await PetitionDocuments.list(p, on: app.db).first)
            #expect(receipt.mimeType == "image/jpeg" && receipt.fileName.hasSuffix(".jpg") && receipt.validUntil == nil)
            try await app.testing().test(.GET, "/verify/\(receipt.verificationCode)") { res in
                #expect(res.status == .ok && res.body.string.contains("ใบเสร็จรับเงิน") && res.body.string.contains("ไม่มีกำหนดวันหมดอายุ"))
            }
            // A licence that ran out yesterday (written as if issued long ago).
            receipt.validUntil = Date().addingTimeInterval(-2 * 86_400)
            try await receipt.save(on: app.db)
            try await app.testing().test(.GET, "/verify/\(receipt.verificationCode)") { res in
                #expect(res.status == .ok && res.body.string.contains("หมดอายุแล้ว"))
            }

            // 30 look-ups per address in 10 minutes, then 429.
            var last = HTTPStatus.ok
            for _ in 0..<30 { try await app.testing().test(.GET, "/verify/\(unknown)") { last = $0.status } }
            #expect(last == .tooManyRequests, "the limit counts every look-up from this address")
        }
    }

    @Test("bad uploads: HTML named .pdf, too large, no file, no kind, a bad date, a wrong token; no file is left behind", arguments: TestDatabase.all)
    func badUploads(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let p = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app))
            let html = Data("<!doctype html><html><body><script>alert(1)</script></body></html>".utf8)
            try await Self.upload(app, officer, number: p.number, file: ("licence.pdf", "application/pdf", html)) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("ไม่ใช่ PDF, JPEG หรือ PNG") && res.body.string.contains("href=\"#file\""))
            }
            let big = Data(count: PetitionDocuments.maxBytes + 1024)
            try await Self.upload(app, officer, number: p.number, file: ("big.pdf", "application/pdf", big)) { res in
                #expect(res.status == .payloadTooLarge && res.body.string.contains("ไฟล์ใหญ่เกิน 20 MB"))
            }
            try await Self.upload(app, officer, number: p.number, file: nil) { res in
                #expect(res.status == .unprocessableEntity && res.body.string.contains("กรุณาเลือกไฟล์เอกสาร"))
            }
            try await Self.upload(app, officer, number: p.number, file: ("empty.pdf", "application/pdf", Data())) { res in
                #expect(res.status == .unprocessableEntity && res.body.string.contains("กรุณาเลือกไฟล์เอกสาร"))
            }
            try await Self.upload(app, officer, number: p.number, kind: nil) { res in
                #expect(res.status == .unprocessableEntity && res.body.string.contains("กรุณาเลือกประเภทเอกสาร"))
            }
            try await Self.upload(app, officer, number: p.number, kind: "permit") { res in
                #expect(res.status == .unprocessableEntity && res.body.string.contains("กรุณาเลือกประเภทเอกสาร"))
            }
            try await Self.upload(app, officer, number: p.number, title: "ใบอนุญาต", validUntil: "31/12/2025") { res in
                #expect(res.status == .unprocessableEntity && res.body.string.contains("ปีเป็นพุทธศักราช"))
                #expect(res.body.string.contains("value=\"ใบอนุญาต\""), "what was typed is kept")
            }
            try await Self.upload(app, officer, number: p.number, validUntil: "1/1/2560") { res in
                #expect(res.status == .unprocessableEntity && res.body.string.contains("ต้องไม่ก่อนวันนี้"))
            }
            try await Self.upload(app, officer, number: p.number, csrf: "wrong-token") { res in
                #expect(res.status == .forbidden)
            }
            try await Self.upload(app, officer, number: "BKT-2569-999999") { #expect($0.status == .notFound) }
            #expect(try await PetitionDocumentRecord.query(on: app.db).count() == 0)
            #expect(Self.storedFiles(env).isEmpty, "no file is kept for a refused upload")
        }
    }

    @Test("a failed transaction removes the file it had written", arguments: TestDatabase.all)
    func noOrphanOnFailure(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            let p = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app))
            let t = try Tenant.named("bangkrathum", in: app)
            let staff = StaffPrincipal(id: UUID(), username: "x", displayName: "เจ้าหน้าที่", isPlatformAdmin: false, grants: ["bangkrathum": .officer])
            // The petition is gone by the time the record is written: the foreign key refuses it.
            let ghost = PetitionRecord()
            ghost.id = UUID()
            ghost.tenantID = p.tenantID
            ghost.number = "BKT-0000-000000"
            await #expect(throws: (any Error).self) {
                _ = try await PetitionDocuments.issue(
                    .init(kind: .receipt, title: "", validUntil: nil, originalName: "a.pdf", bytes: Array(samplePDF)),
                    petition: ghost, tenant: t, staff: staff, ip: "127.0.0.1", linkBase: NoticeTestSupport.linkBase, app: app, on: app.db)
            }
            #expect(Self.storedFiles(env).isEmpty)
            #expect(try await PetitionDocumentRecord.query(on: app.db).count() == 0)
            // And the same call for the real petition keeps exactly one file.
            _ = try await PetitionDocuments.issue(
                .init(kind: .receipt, title: "", validUntil: nil, originalName: "a.pdf", bytes: Array(samplePDF)),
                petition: p, tenant: t, staff: staff, ip: "127.0.0.1", linkBase: NoticeTestSupport.linkBase, app: app, on: app.db)
            #expect(Self.storedFiles(env).count == 1)
        }
    }

    // MARK: A repeated upload form

    @Test("a double submit of the upload form issues one document and keeps one file, also when both arrive at once", arguments: TestDatabase.all)
    func doubleSubmit(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let p = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app))
            let base = "/backoffice/t/bangkrathum/petitions/\(p.number)"

            // The form carries a random token right after the CSRF token.
            let html = try await PetitionFixtures.page(app, officer, base).1
            let form = try #require(html.range(of: "enctype=\"multipart/form-data\"").map { String(html[$0.upperBound...]) })
            let csrf = try #require(form.range(of: "name=\"_csrf\"")), token = try #require(form.range(of: "name=\"_submission\""))
            #expect(csrf.lowerBound < token.lowerBound, "_csrf stays the first part")
            let submission = try #require(FormSession.hidden(form)["_submission"])
            #expect(RandomToken.looksValid(submission))

            // Sent twice (a double click): the second gets the first document back.
            try await Self.upload(app, officer, number: p.number, submission: submission) { res in
                #expect(res.status == .seeOther, "\(res.status) \(res.body.string.prefix(300))")
            }
            try await Self.upload(app, officer, number: p.number, submission: submission) { res in
                #expect(res.status == .seeOther && res.headers.first(name: .location) == "\(base)#documents")
            }
            #expect(try await PetitionDocumentRecord.query(on: app.db).count() == 1)
            #expect(Self.storedFiles(env).count == 1, "the repeat's file is deleted")
            #expect(try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.petitionDocumentIssued.rawValue).count() == 1)
            let after = try await PetitionFixtures.page(app, officer, base).1
            #expect(after.contains("ไม่ได้ออกซ้ำ"), "the page says the repeat issued nothing")
            #expect(FormSession.hidden(after)["_submission"] != submission, "a fresh form gets a fresh token")

            // Both at once: the unique index lets one through, the other returns it and drops its file.
            let second = RandomToken.make()
            async let a: HTTPStatus = {
                var s = HTTPStatus.ok; try await Self.upload(app, officer, number: p.number, submission: second) { s = $0.status }; return s
            }()
            async let b: HTTPStatus = {
                var s = HTTPStatus.ok; try await Self.upload(app, officer, number: p.number, submission: second) { s = $0.status }; return s
            }()
            #expect(try await [a, b] == [.seeOther, .seeOther])
            #expect(try await PetitionDocumentRecord.query(on: app.db).count() == 2)
            #expect(Self.storedFiles(env).count == 2)

            // Straight through the store, several at once with one key: one created, one file.
            let racers = database.racers(4)
            let t = try Tenant.named("bangkrathum", in: app)
            let staff = StaffPrincipal(
                id: officer.id, username: officer.username, displayName: "เจ้าหน้าที่", isPlatformAdmin: false, grants: ["bangkrathum": .officer])
            let key = PetitionDocuments.submissionKey(petitionID: try p.requireID(), staffID: officer.id, token: RandomToken.make())
            let results = try await withThrowingTaskGroup(of: (UUID, Bool).self) { group in
                for _ in 0..<racers {
                    group.addTask {
                        let r = try await PetitionDocuments.issue(
                            .init(
                                kind: .receipt, title: "", validUntil: nil, originalName: "a.pdf",
                                bytes: Array(samplePDF), submissionKey: key),
                            petition: p, tenant: t, staff: staff, ip: "127.0.0.1", linkBase: NoticeTestSupport.linkBase, app: app, on: app.db)
                        return (try r.document.requireID(), r.created)
                    }
                }
                return try await group.reduce(into: [(UUID, Bool)]()) { $0.append($1) }
            }
            #expect(results.count == racers && results.filter(\.1).count == 1 && Set(results.map(\.0)).count == 1)
            #expect(try await PetitionDocumentRecord.query(on: app.db).count() == 3)
            #expect(Self.storedFiles(env).count == 3)

            // A token is tied to its petition: the same token on another petition issues that petition's own document.
            let other = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app))
            try await Self.upload(app, officer, number: other.number, submission: submission) { #expect($0.status == .seeOther) }
            #expect(try await PetitionDocuments.list(other, on: app.db).count == 1)
        }
    }

    // MARK: Withdrawing

    static func withdraw(
        _ app: Application, _ client: StaffClient, tenant: String = "bangkrathum", number: String, id: UUID,
        reason: String?, _ check: (TestingHTTPResponse) async throws -> Void
    ) async throws {
        try await post(
            app, "/backoffice/t/\(tenant)/petitions/\(number)/documents/\(id.uuidString.lowercased())/withdraw", client,
            reason.map { ["reason": $0] } ?? [:], check)
    }

    @Test("an officer withdraws a document with a reason: verification says so (no reason), the citizen is told and still has it", arguments: TestDatabase.all)
    func withdrawDocument(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let stranger = try await signedInStaff(app, tenant: "bangrak", role: .officer)
            let citizen = try await PetitionFixtures.citizen(app)
            let p = try await PetitionFixtures.move(app, try await PetitionFixtures.file(app, citizen: citizen), to: .completed)
            try await Self.upload(app, officer, number: p.number, title: "ใบอนุญาตติดตั้งป้าย ที่ 7/2569") { #expect($0.status == .seeOther) }
            let doc = try #require(try await PetitionDocuments.list(p, on: app.db).first)
            let id = try doc.requireID()
            let code = PetitionDocuments.displayCode(doc.verificationCode)
            let base = "/backoffice/t/bangkrathum/petitions/\(p.number)"
            let field = "withdraw-reason-\(id.uuidString.lowercased())"
            let mailsBefore = try await queuedMails(app).count

            // The page offers the form for a standing document.
            var html = try await PetitionFixtures.page(app, officer, base).1
            #expect(html.contains("\(base)/documents/\(id.uuidString.lowercased())/withdraw") && html.contains("id=\"\(field)\""))

            // No reason (or only spaces): 422 with the message beside the field and in the summary.
            for reason in [nil, "   "] {
                try await Self.withdraw(app, officer, number: p.number, id: id, reason: reason) { res in
                    #expect(res.status == .unprocessableEntity)
                    let body = res.body.string
                    #expect(body.contains("กรุณาระบุเหตุผลที่เพิกถอนเอกสาร") && body.contains("href=\"#\(field)\"") && body.contains("id=\"\(field)-error\""))
                    #expect(body.contains("<details class=\"withdraw\" open>"), "the form is open where the error is")
                }
            }
            try await Self.withdraw(app, officer, number: p.number, id: id, reason: String(repeating: "ก", count: PetitionDocuments.reasonMaxLength + 1)) {
                #expect($0.status == .unprocessableEntity && $0.body.string.contains("เหตุผลยาวได้ไม่เกิน"))
            }
            // Another tenant's officer: 403 on this tenant's path, 404 through their own.
            try await Self.withdraw(app, stranger, number: p.number, id: id, reason: "ผิด") { #expect($0.status == .forbidden) }
            try await Self.withdraw(app, stranger, tenant: "bangrak", number: p.number, id: id, reason: "ผิด") { #expect($0.status == .notFound) }
            // Without the CSRF token: 403. An unknown document: 404.
            try await app.testing().test(
                .POST, "\(base)/documents/\(id.uuidString.lowercased())/withdraw",
                headers: ["Cookie": officer.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "reason=x")
            ) { #expect($0.status == .forbidden) }
            try await Self.withdraw(app, officer, number: p.number, id: UUID(), reason: "ผิด") { #expect($0.status == .notFound) }
            #expect(try await PetitionDocuments.find(id, petition: p, on: app.db)?.isWithdrawn == false)
            #expect(try await queuedMails(app).count == mailsBefore)

            // Withdrawn.
            let reason = "ออกผิดฉบับ ชื่อผู้รับอนุญาตสะกดผิด"
            try await Self.withdraw(app, officer, number: p.number, id: id, reason: "  \(reason)\n") { res in
                #expect(res.status == .seeOther && res.headers.first(name: .location) == "\(base)#documents")
            }
            let withdrawn = try #require(try await PetitionDocuments.find(id, petition: p, on: app.db))
            let at = try #require(withdrawn.withdrawnAt)
            #expect(withdrawn.withdrawnReason == reason && withdrawn.withdrawnBy == officer.id && withdrawn.withdrawnByName?.isEmpty == false)
            let audit = try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.petitionDocumentWithdrawn.rawValue).all()
            #expect(audit.count == 1 && audit.first?.detail.contains(code) == true && audit.first?.tenantID == "bangkrathum")

            // The citizen's e-mail, queued in the same transaction.
            let mails = try await queuedMails(app)
            #expect(mails.count == mailsBefore + 1)
            let mail = try #require(mails.last)
            #expect(mail.to == [citizen.email] && mail.subject.contains("เพิกถอนใบอนุญาต") && mail.subject.contains(p.number))
            #expect(mail.text.contains(reason) && mail.text.contains(code) && mail.text.contains("/t/bangkrathum/account/petitions/\(p.number)"))

            // The officer's page: withdrawn, with when, who and why; no form any more.
            html = try await PetitionFixtures.page(app, officer, base).1
            #expect(html.contains("เพิกถอนแล้ว") && html.contains(reason) && html.contains("เพิกถอนสำเร็จ") == false)
            #expect(!html.contains("id=\"\(field)\""), "no withdrawal form for a withdrawn document")
            #expect(html.contains("เพิกถอนใบอนุญาต “ใบอนุญาตติดตั้งป้าย ที่ 7/2569” (รหัสตรวจสอบ \(code)) แล้ว"), "the flash")

            // The public page: withdrawn in red with the date, the facts, no reason and no officer.
            try await app.testing().test(.GET, "/verify/\(code)") { res in
                #expect(res.status == .ok)
                html = res.body.string
            }
            #expect(html.contains("เอกสารนี้ถูกเพิกถอนแล้ว") && html.contains("verify-withdrawn") && html.contains(ThaiDate.long(at)))
            #expect(!html.contains("เอกสารนี้ออกโดยระบบบริการประชาชนออนไลน์จริง"))
            for fact in ["เทศบาลตำบลบางกระทุ่ม", "ใบอนุญาต", p.number, ThaiDate.long(doc.issuedAt), doc.sha256] {
                #expect(html.contains(fact), "shows \(fact)")
            }
            for secret in [reason, "ชื่อผู้รับอนุญาต", withdrawn.withdrawnByName ?? "-", officer.username, "ระบบงาน", citizen.firstName, "ใบอนุญาตติดตั้งป้าย"] {
                #expect(!html.contains(secret), "must not show \(secret)")
            }

            // A second withdrawal: 409 with a Thai message, nothing more recorded or sent.
            try await Self.withdraw(app, officer, number: p.number, id: id, reason: "อีกครั้ง") { res in
                #expect(res.status == .conflict)
                #expect(res.body.string.contains("ถูกเพิกถอนไปแล้ว") && res.body.string.contains("เพิกถอนซ้ำไม่ได้"))
            }
            #expect(try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.petitionDocumentWithdrawn.rawValue).count() == 1)
            #expect(try await queuedMails(app).count == mailsBefore + 1)
            #expect(try await PetitionDocuments.find(id, petition: p, on: app.db)?.withdrawnReason == reason)

            // Still a record: officers and the citizen open it, with the sandboxing policy.
            let docPath = "\(base)/documents/\(id.uuidString.lowercased())"
            try await get(app, docPath, officer) { res in
                #expect(res.status == .ok && Data(buffer: res.body) == samplePDF)
                #expect(res.headers.first(name: "Content-Security-Policy") == "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
            }
            let own = try #require(try await CitizenFixtures.signIn(app, nationalID: try app.nationalIDs.open(citizen.nationalIDSealed).digits))
            let citizenDoc = "/t/bangkrathum/account/petitions/\(p.number)/documents/\(id.uuidString.lowercased())"
            try await app.testing().test(.GET, citizenDoc, headers: own.headers) { res in
                #expect(res.status == .ok && Data(buffer: res.body) == samplePDF)
                #expect(res.headers.first(name: "Content-Security-Policy")?.contains("sandbox") == true)
            }
            // The citizen's petition page keeps it listed; the account's list marks it.
            try await app.testing().test(.GET, "/t/bangkrathum/account/petitions/\(p.number)", headers: own.headers) { res in
                #expect(res.status == .ok && res.body.string.contains(code) && res.body.string.contains(citizenDoc))
                #expect(res.body.string.contains("เพิกถอนแล้ว") && res.body.string.contains(reason), "the citizen sees it withdrawn and why")
            }
            try await app.testing().test(.GET, "/t/bangkrathum/account", headers: own.headers) { res in
                #expect(res.status == .ok && res.body.string.contains("เพิกถอนแล้ว"))
            }
        }
    }

    @Test("the citizen's petition page template marks a withdrawn document, with the reason, and keeps it listed")
    func citizenPageTemplate() async throws {
        try await withApp(.sqlite) { app, _ in
            let t = try Tenant.named("bangkrathum", in: app)
            let p = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app))
            // Two documents as the store keeps them: one withdrawn (with its reason), one standing, issued a day later.
            let gone = PetitionPageModelTests.document(withdrawn: true),
                standing = PetitionPageModelTests.document(
                    withdrawn: false, issuedAt: Date(timeIntervalSince1970: 1_767_232_800 + 86_400))
            gone.verificationCode = "AAAAAAAAAAAA"
            standing.verificationCode = "BBBBBBBBBBBB"
            var records = try await CitizenPetitionPage.Records.load(p, tenant: t, on: app.db)
            records.documents = [standing, gone]
            let resolved = ResolvedTenant(tenant: t, base: TenantURL.base(slug: "bangkrathum"))
            let req = Request(application: app, method: .GET, url: "/t/bangkrathum/account/petitions/\(p.number)", on: app.eventLoopGroup.any())
            let page = CitizenPetitionPageBuilder(tenant: resolved, geography: app.geography, now: Date(), verifyURL: { "/verify/\($0.verificationCode)" })
                .build(records, chrome: PageChrome(request: req, title: "คำร้อง"))
            #expect(page.documents.map(\.code) == ["AAAA-AAAA-AAAA", "BBBB-BBBB-BBBB"] && page.documents.map(\.isWithdrawn) == [true, false])
            let card = try #require(page.documents.first)
            let withdrawnAt = try #require(gone.withdrawnAt)
            #expect(card.withdrawn == "เพิกถอนแล้วเมื่อ \(ThaiDate.shortWithTime(withdrawnAt))" && card.withdrawnReason == "ออกผิดฉบับ" && card.withdrawnBy == nil)

            let view = try await app.view.render("tenant/petition", page).get()
            let html = String(buffer: view.data)
            let cards = html.components(separatedBy: "<li class=\"document")
            #expect(cards.count == 3)
            let withdrawn = try #require(cards.first { $0.contains("AAAA-AAAA-AAAA") }), kept = try #require(cards.first { $0.contains("BBBB-BBBB-BBBB") })
            #expect(withdrawn.hasPrefix(" document-withdrawn") && withdrawn.contains("เพิกถอนแล้ว</strong>"))
            #expect(withdrawn.contains(try #require(card.withdrawn)) && withdrawn.contains("เหตุผล: ออกผิดฉบับ") && withdrawn.contains(card.downloadURL))
            #expect(!withdrawn.contains("สมหญิง"), "the citizen's page names no officer")
            #expect(!kept.contains("เพิกถอน") && kept.contains(page.documents[1].downloadURL) && kept.contains("/verify/BBBBBBBBBBBB"))
            #expect(kept.contains("ออกเมื่อ \(ThaiDate.long(standing.issuedAt))"), "the issue date the page shows")
        }
    }

    @Test("two withdrawals at once: exactly one counts, one e-mail and one audit entry", arguments: TestDatabase.all)
    func withdrawRace(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let p = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app))
            try await Self.upload(app, officer, number: p.number, kind: "receipt") { #expect($0.status == .seeOther) }
            let doc = try #require(try await PetitionDocuments.list(p, on: app.db).first)
            let t = try Tenant.named("bangkrathum", in: app)
            let staff = StaffPrincipal(
                id: officer.id, username: officer.username, displayName: "เจ้าหน้าที่", isPlatformAdmin: false, grants: ["bangkrathum": .officer])
            let before = try await queuedMails(app).count
            let racers = database.racers(4)
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<racers {
                    group.addTask {
                        try await PetitionDocuments.withdraw(
                            doc, petition: p, tenant: t, staff: staff, reason: "เหตุผลที่ \(i)", ip: "127.0.0.1",
                            linkBase: NoticeTestSupport.linkBase, on: app.db)
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.count == racers && outcomes.filter { $0 }.count == 1)
            #expect(try await queuedMails(app).count == before + 1)
            #expect(try await AuditEventRecord.query(on: app.db).filter(\.$action == AuditAction.petitionDocumentWithdrawn.rawValue).count() == 1)
        }
    }

    @Test("verification codes: 12 Crockford characters, typed loosely, grouped for people")
    func codes() {
        let code = PetitionDocuments.newCode()
        #expect(code.count == 12 && Set((0..<200).map { _ in PetitionDocuments.newCode() }).count == 200)
        #expect(PetitionDocuments.displayCode("7KQ2M9XD4HTR") == "7KQ2-M9XD-4HTR")
        #expect(PetitionDocuments.normalizedCode(" 7kq2-m9xd-4htr ") == "7KQ2M9XD4HTR")
        #expect(PetitionDocuments.normalizedCode("7KQ2 M9XD 4HTR") == "7KQ2M9XD4HTR")
        #expect(PetitionDocuments.normalizedCode("oIl2-M9XD-4HTR") == "0112M9XD4HTR", "O, I and L read as digits")
        #expect(PetitionDocuments.normalizedCode("๗KQ2-M9XD-4HTR") == "7KQ2M9XD4HTR", "Thai digits")
        #expect(PetitionDocuments.normalizedCode("7KQ2-M9XD-4HT") == nil)
        #expect(PetitionDocuments.normalizedCode("7KQ2-M9XD-4HTU") == nil, "U is not in the alphabet")
        #expect(PetitionDocuments.normalizedCode("7KQ2-M9XD-4HT%") == nil)
        #expect(BuddhistDateInput.format(BuddhistDateInput.startOfDay(year: 2026, month: 12, day: 31)!) == "31/12/2569")
        if case .success(let d)? = BuddhistDateInput.parse("๓๑/๑๒/๒๕๖๙", label: "x") {
            #expect(ThaiDate.long(d) == "31 ธันวาคม 2569")
        } else {
            Issue.record("Thai digits")
        }
        if case .failure? = BuddhistDateInput.parse("29/2/2569", label: "x") {} else { Issue.record("2026 is not a leap year") }
        #expect(BuddhistDateInput.parse("  ", label: "x") == nil)
    }
}
