import Domain
import Foundation
import Testing
import Vapor

@testable import App

/// The petition pages as typed models: the parts both pages share (status form, document card, timeline,
/// attachments) and the builders, checked field by field instead of through the HTML.
@Suite("Petition pages: the typed page models and their shared parts")
struct PetitionPageModelTests {
    static var links: PetitionFileLinks {
        PetitionFileLinks(
            document: { "/doc/\($0.uuidString.lowercased())" }, documentQR: { "/qr/\($0.uuidString.lowercased())" },
            attachment: { "/file/\($0.uuidString.lowercased())" }, verify: { "https://e.example/verify/\($0.verificationCode)" })
    }

    static func document(withdrawn: Bool, validUntil: Date? = nil, issuedAt: Date = Date(timeIntervalSince1970: 1_767_232_800)) -> PetitionDocumentRecord {
        let d = PetitionDocumentRecord()
        d.id = UUID()
        d.tenantID = "bangkrathum"
        d.petitionID = UUID()
        d.kindRaw = PetitionDocumentKind.licence.rawValue
        d.title = "ใบอนุญาตก่อสร้าง 12/2569"
        d.fileName = "x.pdf"
        d.originalName = "x.pdf"
        d.mimeType = "application/pdf"
        d.bytes = 2048
        d.sha256 = String(repeating: "a", count: 64)
        d.verificationCode = "ABCDEFGHJKMN"
        d.validUntil = validUntil
        d.issuedAt = issuedAt
        d.issuedBy = UUID()
        d.issuedByName = "สมชาย ใจดี"
        d.createdAt = issuedAt
        d.submissionKey = UUID().uuidString
        if withdrawn {
            d.withdrawnAt = issuedAt.addingTimeInterval(3600)
            d.withdrawnReason = "ออกผิดฉบับ"
            d.withdrawnBy = UUID()
            d.withdrawnByName = "สมหญิง รักงาน"
        }
        return d
    }

    static func event(_ to: PetitionStatus, from: PetitionStatus?, kind: String, name: String, at seconds: TimeInterval, note: String? = nil)
        -> PetitionEventRecord
    {
        let e = PetitionEventRecord()
        e.id = UUID()
        e.tenantID = "bangkrathum"
        e.petitionID = UUID()
        e.fromStatus = from?.rawValue
        e.toStatus = to.rawValue
        e.note = note
        e.actorKind = kind
        e.actorName = name
        e.createdAt = Date(timeIntervalSince1970: 1_767_232_800 + seconds)
        return e
    }

    @Test("the status form offers each status its forward moves (closing needs a reason); a closed petition offers none")
    func statusFormMoves() {
        let expected: [PetitionStatus: [String]] = [
            .submitted: ["accepted", "in_progress", "completed", "cannot_proceed"],
            .accepted: ["in_progress", "completed", "cannot_proceed"],
            .inProgress: ["completed", "cannot_proceed"],
            .completed: [],
            .cannotProceed: [],
        ]
        for status in PetitionStatus.allCases {
            let form = PetitionStatusForm(status: status, version: 3, action: "/move")
            #expect(form.moves.map(\.value) == expected[status], "\(status)")
            #expect(form.isFinal == (expected[status]?.isEmpty == true), "\(status)")
            #expect(form.moves.filter(\.needsReason).map(\.value) == (form.isFinal ? [] : ["cannot_proceed"]))
            #expect(form.moves.allSatisfy { !$0.checked })
        }
        var errors = FormErrors()
        errors.add("note", "กรุณาระบุเหตุผล")
        let answered = PetitionStatusForm(status: .accepted, version: 3, action: "/move", chosen: "cannot_proceed", note: "ไม่มีงบ", errors: errors)
        #expect(answered.moves.filter(\.checked).map(\.value) == ["cannot_proceed"])
        #expect(answered.note == "ไม่มีงบ" && answered.noteError == "กรุณาระบุเหตุผล" && answered.statusError == nil && answered.version == 3)
    }

    @Test("a withdrawn document's card: when, why, by whom for officers only; no withdrawal form; a standing one has one")
    func withdrawnDocumentCard() async throws {
        try await withApp(.sqlite) { app, _ in
            let t = try Tenant.named("bangkrathum", in: app)
            let now = Date(timeIntervalSince1970: 1_767_232_800 + 86_400 * 400)
            let gone = Self.document(withdrawn: true), standing = Self.document(withdrawn: false, validUntil: now.addingTimeInterval(-86_400 * 2))
            let officer = PetitionDocumentCard(gone, id: try gone.requireID(), audience: .officer, links: Self.links, now: now)
            let citizen = PetitionDocumentCard(gone, id: try gone.requireID(), audience: .citizen, links: Self.links, now: now)
            let withdrawnAt = try #require(gone.withdrawnAt)
            #expect(officer.isWithdrawn && officer.withdrawn == "เพิกถอนแล้วเมื่อ \(ThaiDate.shortWithTime(withdrawnAt))")
            #expect(officer.withdrawnReason == "ออกผิดฉบับ" && officer.withdrawnBy == "สมหญิง รักงาน" && officer.issuedBy == "สมชาย ใจดี")
            #expect(citizen.isWithdrawn && citizen.withdrawn == officer.withdrawn && citizen.withdrawnReason == "ออกผิดฉบับ")
            #expect(citizen.withdrawnBy == nil && citizen.issuedBy == nil, "the citizen's card names no officer")
            #expect(officer.code == "ABCD-EFGH-JKMN" && officer.verifyURL == "https://e.example/verify/ABCDEFGHJKMN")
            #expect(officer.viewURL == "/doc/\(officer.id)" && officer.downloadURL == "/doc/\(officer.id)?download=1" && officer.qrURL == "/qr/\(officer.id)")
            #expect(officer.validity == "ไม่มีวันหมดอายุ" && !officer.expired && officer.validUntil == nil)

            let builder = OfficerPetitionPageBuilder(tenant: t, geography: app.geography, now: now, csrf: "c", verifyURL: { _ in "" })
            #expect(builder.document(officer, number: "BKT-2569-000001", state: .init()).withdraw == nil, "no second withdrawal")
            let card = PetitionDocumentCard(standing, id: try standing.requireID(), audience: .officer, links: Self.links, now: now)
            #expect(card.expired && card.validity.hasPrefix("หมดอายุแล้ว (ใช้ได้ถึง ") && !card.isWithdrawn && card.withdrawn == nil)
            var state = OfficerPetitionPageState()
            state.withdrawing = try standing.requireID()
            state.reason = "พิมพ์ผิด"
            state.errors.add(OfficerPetitionPage.reasonField(try standing.requireID()), "ยาวเกินไป")
            let form = try #require(builder.document(card, number: "BKT-2569-000001", state: state).withdraw)
            #expect(form.action == BackOfficeURL.petitionDocumentWithdraw("bangkrathum", "BKT-2569-000001", try standing.requireID()).path)
            #expect(form.field == "withdraw-reason-\(card.id)" && form.value == "พิมพ์ผิด" && form.error == "ยาวเกินไป")
            let other = try #require(builder.document(card, number: "BKT-2569-000001", state: .init()).withdraw)
            #expect(other.value == "" && other.error == nil, "another card's form keeps nothing")
        }
    }

    @Test("the timeline runs oldest first; officers see who by name, the citizen sees the role")
    func timelineOrder() {
        let events = [
            Self.event(.inProgress, from: .accepted, kind: "staff", name: "สมชาย", at: 200, note: "นัดช่าง"),
            Self.event(.submitted, from: nil, kind: "citizen", name: "สมศรี มีสุข", at: 0),
            Self.event(.accepted, from: .submitted, kind: "staff", name: "สมหญิง", at: 100),
        ]
        let officer = PetitionTimelineEntry.timeline(events, audience: .officer)
        #expect(officer.map(\.statusKey) == ["submitted", "accepted", "in_progress"])
        #expect(officer.map(\.actor) == ["ผู้ยื่น สมศรี มีสุข", "เจ้าหน้าที่ สมหญิง", "เจ้าหน้าที่ สมชาย"])
        #expect(officer.map(\.from) == [nil, "ส่งคำร้อง", "เจ้าหน้าที่รับเรื่อง"] && officer.last?.note == "นัดช่าง")
        let citizen = PetitionTimelineEntry.timeline(events, audience: .citizen)
        #expect(citizen.map(\.status) == ["ส่งคำร้อง", "เจ้าหน้าที่รับเรื่อง", "กำลังดำเนินการ"])
        #expect(citizen.map(\.actor) == ["ผู้ยื่นคำร้อง", "เจ้าหน้าที่", "เจ้าหน้าที่"])
        let api = PetitionTimelineEntry.timeline([Self.event(.submitted, from: nil, kind: "api", name: "FixMyStreet", at: 0)], audience: .officer)
        #expect(api.map(\.actor) == ["ระบบ FixMyStreet (Open311)"])
    }

    @Test("both pages built from a petition's stored records: summary, applicant, moves, timeline, documents", arguments: TestDatabase.all)
    func pagesFromRecords(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let t = try Tenant.named("bangkrathum", in: app)
            let account = try await PetitionFixtures.citizen(app)
            let filed = try await PetitionFixtures.file(app, citizen: account)
            let moved = try await PetitionFixtures.move(app, filed, to: .accepted, note: "รับเรื่องแล้ว")
            let req = Request(application: app, method: .GET, url: "/backoffice/t/bangkrathum/petitions/\(moved.number)", on: app.eventLoopGroup.any())
            let chrome = PageChrome(request: req, title: "คำร้อง")

            let records = try await OfficerPetitionPage.Records.load(moved, tenant: t, on: app.db)
            let page = OfficerPetitionPageBuilder(tenant: t, geography: app.geography, now: Date(), csrf: "token", verifyURL: { _ in "" })
                .build(records, chrome: chrome)
            #expect(page.number == moved.number && page.statusKey == "accepted" && page.csrf == "token")
            #expect(page.citizen.first { $0.label == "ชื่อ–นามสกุล" }?.value == account.fullName)
            #expect(page.citizen.first { $0.label == "เลขประจำตัวประชาชน" }?.value == account.maskedNationalID)
            #expect(page.statusForm.moves.map(\.value) == ["in_progress", "completed", "cannot_proceed"] && page.statusForm.version == moved.version)
            #expect(page.timeline.map(\.statusKey) == ["submitted", "accepted"] && page.timeline.last?.note == "รับเรื่องแล้ว")
            #expect(page.answers.contains { $0.label == "ลักษณะการชำรุด" } && !page.noAnswers && page.answersProblem == nil)
            #expect(page.documents.isEmpty && page.upload.action == BackOfficeURL.petitionDocuments("bangkrathum", moved.number).path)

            let open311 = try await PetitionFixtures.file(app, citizen: nil, requester: #"{"client":"FixMyStreet","email":"a@example.com"}"#)
            let apiPage = OfficerPetitionPageBuilder(tenant: t, geography: app.geography, now: Date(), csrf: "token", verifyURL: { _ in "" })
                .build(try await OfficerPetitionPage.Records.load(open311, tenant: t, on: app.db), chrome: chrome)
            #expect(apiPage.citizen.first?.value == "ยื่นผ่านระบบอื่นทาง Open311 API" && apiPage.channel == "Open311 API")

            let resolved = ResolvedTenant(tenant: t, base: TenantURL.base(slug: "bangkrathum"))
            let mine = CitizenPetitionPageBuilder(tenant: resolved, geography: app.geography, now: Date(), verifyURL: { _ in "" })
                .build(try await CitizenPetitionPage.Records.load(moved, tenant: t, on: app.db), chrome: chrome)
            #expect(mine.events.map(\.actor) == ["ผู้ยื่นคำร้อง", "เจ้าหน้าที่"] && mine.events.map(\.statusKey) == page.timeline.map(\.statusKey))
            #expect(mine.isOpen && mine.statusKey == "accepted" && mine.documents.isEmpty)
        }
    }
}
