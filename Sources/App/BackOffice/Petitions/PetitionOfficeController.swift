import Domain
import Fluent
import Foundation
import Vapor

/// Officers of a tenant work on its petitions: the queue (filters, search, pages), one petition (the
/// citizen, answers, attachments, timeline, SLA), its status moves, and the documents issued for it.
struct PetitionOfficeController {
    // MARK: Queue

    struct QueuePage: Encodable {
        struct Tab: Encodable {
            var key: String
            var title: String
            /// "(12)"; nil for tabs of closed petitions (not counted).
            var count: String?
            var url: String
            var current: Bool
        }

        var page: PageChrome
        var tenantName: String
        var tabs: [Tab]
        var tab: String
        var tabTitle: String
        var sections: [FormSection]
        var errors: [ErrorLink]
        var action: String
        var clearURL: String
        /// The table's rows, escaped (`PetitionQueueRows`).
        var rowsHTML: String
        var showing: String
        var pageNumber: Int
        /// "หน้า 2 จาก 7", or "หน้า 2" when the tab is not counted.
        var pageLabel: String
        var showList: Bool
        var previousURL: String?
        var nextURL: String?
        var order: String
        var notice: String?
    }

    func queue(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let now = Date()
        let q = QueueQuery(req)
        var errors = FormErrors()
        var filter = PetitionQueue.Filter()
        filter.tab = q.status.flatMap(PetitionQueue.Tab.init(key:)) ?? .open
        let services = Self.services(of: t)
        if let s = q.service, services.contains(where: { $0.slug == s }) { filter.service = s }
        switch BuddhistDateInput.parse(q.from, label: "วันที่ยื่นตั้งแต่") {
        case .success(let d)?: filter.from = d
        case .failure(let p)?: errors.add("from", p.message)
        case nil: break
        }
        switch BuddhistDateInput.parse(q.to, label: "วันที่ยื่นถึง") {
        case .success(let d)?: filter.until = d.addingTimeInterval(86_400)
        case .failure(let p)?: errors.add("to", p.message)
        case nil: break
        }
        if let from = filter.from, let until = filter.until, from >= until {
            errors.add("to", "วันที่ยื่นถึงต้องไม่ก่อนวันที่ยื่นตั้งแต่")
            filter.until = nil
        }
        filter.overdue = q.overdue == "1"
        let search = PetitionQueue.normalizedSearch(q.q ?? "")
        filter.search = search.isEmpty ? nil : search
        filter.newestFirst = q.sort != "oldest"
        filter.size = min(max(q.size ?? PetitionQueue.defaultSize, 1), PetitionQueue.maxSize)
        filter.page = max(q.page ?? 1, 1)
        if let n = PetitionQueue.Cursor.number(q.after) {
            filter.cursor = .after(n)
            filter.page = max(filter.page, 2)
        } else if let n = PetitionQueue.Cursor.number(q.before) {
            filter.cursor = .before(n)
        }

        let counts = try await PetitionQueue.counts(tenant: t, filter: filter, now: now, on: req.db)
        let (rows, more) = try await PetitionQueue.page(tenant: t, filter: filter, now: now, on: req.db)
        var backwards = false
        if case .before? = filter.cursor { backwards = true }
        let total = counts.count(filter.tab, overdueOnly: filter.overdue)
        let pages = total.map { max(1, ($0 + filter.size - 1) / filter.size) }
        let base = BackOfficeURL.petitionQueue(t.slug).path
        func link(tab: PetitionQueue.Tab? = nil, page: Int? = nil, cursor: PetitionQueue.Cursor? = nil) -> String {
            var items: [URLQueryItem] = [URLQueryItem(name: "status", value: (tab ?? filter.tab).key)]
            if let s = filter.service { items.append(.init(name: "service", value: s)) }
            if filter.from != nil, let v = q.from { items.append(.init(name: "from", value: v)) }
            if filter.until != nil, let v = q.to { items.append(.init(name: "to", value: v)) }
            if filter.overdue { items.append(.init(name: "overdue", value: "1")) }
            if let s = filter.search { items.append(.init(name: "q", value: s)) }
            if !filter.newestFirst { items.append(.init(name: "sort", value: "oldest")) }
            if filter.size != PetitionQueue.defaultSize { items.append(.init(name: "size", value: String(filter.size))) }
            if let page, page > 1 {
                items.append(.init(name: "page", value: String(page)))
                switch cursor {
                case .after(let n)?: items.append(.init(name: "after", value: n))
                case .before(let n)?: items.append(.init(name: "before", value: n))
                case nil: break
                }
            }
            var c = URLComponents()
            c.path = base
            c.queryItems = items
            return c.string ?? base
        }
        let first = (filter.page - 1) * filter.size + 1
        let last = (filter.page - 1) * filter.size + rows.count
        let showing = rows.isEmpty ? (filter.page > 1 ? "ไม่มีรายการในหน้านี้" : "ไม่พบคำร้อง")
            : "แสดงรายการที่ \(first.formatted())–\(last.formatted())" + (total.map { " จาก \($0.formatted()) รายการ" } ?? "")
        let context = QueuePage(
            page: PageChrome(request: req, title: "คำร้อง – \(t.thaiName)"), tenantName: t.thaiName,
            tabs: PetitionQueue.Tab.order.map { tab in
                .init(key: tab.key, title: tab.thai, count: counts.count(tab, overdueOnly: filter.overdue).map { "(\($0.formatted()))" }, url: link(tab: tab),
                      current: tab == filter.tab)
            },
            tab: filter.tab.key, tabTitle: filter.tab.thai + (filter.overdue ? " (เกินกำหนด)" : ""),
            sections: errors.apply(to: [FormSection(title: nil, fields: Self.filterFields(q, services: services, filter: filter))]),
            errors: errors.items, action: base, clearURL: base + "?status=\(filter.tab.key)",
            rowsHTML: PetitionQueueRows.html(rows, tenant: t, now: now),
            showing: showing, pageNumber: filter.page,
            pageLabel: "หน้า \(filter.page.formatted())" + (pages.map { " จาก \($0.formatted())" } ?? ""), showList: !rows.isEmpty || filter.page > 1,
            // Next and previous walk from the page's last and first rows (a cursor), so a deep page costs what
            // the first does; a page asked for backwards knows from `more` whether an earlier one exists.
            previousURL: filter.page <= 1 ? nil : filter.page == 2 ? link(page: 1)
                : backwards && !more ? link(page: 1) : link(page: filter.page - 1, cursor: rows.first.map { .before($0.number) }),
            nextURL: (backwards ? !rows.isEmpty : more) ? link(page: filter.page + 1, cursor: rows.last.map { .after($0.number) }) : nil,
            order: filter.newestFirst ? "เรียงจากยื่นล่าสุดก่อน" : "เรียงจากยื่นก่อนก่อน (ลำดับงานที่ต้องทำ)",
            notice: req.takeFlash())
        return try await req.view.render("backoffice/petitions/queue", context)
            .encodeResponse(status: errors.isEmpty ? .ok : .badRequest, for: req)
    }

    /// The queue's query string.
    struct QueueQuery {
        var status, service, from, to, overdue, q, sort, after, before: String?
        var page, size: Int?

        init(_ req: Request) {
            func text(_ key: String) -> String? {
                let v = (req.query[String.self, at: key] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                return v.isEmpty ? nil : String(v.prefix(100))
            }
            status = text("status"); service = text("service"); from = text("from"); to = text("to")
            overdue = text("overdue"); q = text("q"); sort = text("sort")
            after = text("after"); before = text("before")
            page = text("page").map { BoundedNumber.page($0, last: 1_000_000) }
            size = BoundedNumber.int(text("size"), in: 1...PetitionQueue.maxSize)
        }
    }

    /// Services now offered and retired ones (old petitions still name them).
    static func services(of t: Tenant) -> [(slug: String, name: String)] {
        var seen = Set<String>()
        var out: [(String, String)] = []
        for (_, s) in t.config.menus.all + t.retired.all where seen.insert(s.slug).inserted { out.append((s.slug, s.name)) }
        return out
    }

    static func filterFields(_ q: QueueQuery, services: [(slug: String, name: String)], filter: PetitionQueue.Filter) -> [FieldView] {
        let sizes = Set([20, 50, 100, 200, filter.size]).sorted()
        return [
            FieldView(name: "q", label: "ค้นหาเลขที่คำร้องหรือชื่อผู้ยื่น", kind: .text, value: filter.search ?? "",
                      hint: "เลขที่คำร้อง เช่น BKT-2569-000042, 2569-42 หรือ 42 (ลำดับที่ของปี) หรือชื่อ–นามสกุลผู้ยื่น", maxlength: 100),
            FieldView(name: "service", label: "บริการ", kind: .select,
                      options: services.map { .init(value: $0.slug, label: $0.name, selected: $0.slug == filter.service) }),
            FieldView(name: "from", label: "ยื่นตั้งแต่วันที่", kind: .text, value: q.from ?? "", hint: BuddhistDateInput.hint, inputmode: "numeric", maxlength: 10),
            FieldView(name: "to", label: "ยื่นถึงวันที่", kind: .text, value: q.to ?? "", hint: BuddhistDateInput.hint, inputmode: "numeric", maxlength: 10),
            FieldView(name: "overdue", label: "เฉพาะคำร้องที่เกินกำหนดเวลาแล้วและยังไม่ปิด", kind: .checkbox, checked: filter.overdue),
            FieldView(name: "sort", label: "ลำดับ", kind: .select, options: [
                .init(value: "newest", label: "ยื่นล่าสุดก่อน", selected: filter.newestFirst),
                .init(value: "oldest", label: "ยื่นก่อนก่อน (ลำดับงานที่ต้องทำ)", selected: !filter.newestFirst),
            ]),
            FieldView(name: "size", label: "จำนวนต่อหน้า", kind: .select,
                      options: sizes.map { .init(value: String($0), label: "\($0) รายการ", selected: $0 == filter.size) }),
        ]
    }

    // MARK: One petition

    struct PetitionPage: Encodable {
        struct Row: Encodable {
            var label: String
            var value: String
        }

        struct Attachment: Encodable {
            var label: String
            var name: String
            var type: String
            var size: String
            var url: String
        }

        struct Event: Encodable {
            var when: String
            var status: String
            var statusKey: String
            var from: String?
            var actor: String
            var note: String?
        }

        struct Move: Encodable {
            var value: String
            var label: String
            var checked: Bool
            var needsReason: Bool
        }

        struct Document: Encodable {
            /// The lower-case id, for the withdrawal form's field ids.
            var id: String
            var kind: String
            var title: String
            var issued: String
            var issuedBy: String
            var validity: String
            var expired: Bool
            var code: String
            var verifyURL: String
            var fileURL: String
            var downloadURL: String
            var qrURL: String
            var sha256: String
            var size: String
            var type: String
            var isWithdrawn: Bool
            /// "เพิกถอนแล้วเมื่อ …" once withdrawn, with who and why.
            var withdrawn: String?
            var withdrawnBy: String?
            var withdrawnReason: String?
            var withdrawAction: String
            var reasonValue: String
            var reasonError: String?
        }

        var page: PageChrome
        var queueURL: String
        var selfURL: String
        var number: String
        var service: String
        var status: String
        var statusKey: String
        var filed: String
        var due: String
        var overdue: Bool
        var channel: String
        var citizen: [Row]
        var answers: [Row]
        var answersProblem: String?
        var noAnswers: Bool
        var attachments: [Attachment]
        var timeline: [Event]
        var moves: [Move]
        var isFinal: Bool
        var version: Int
        var csrf: String
        var moveAction: String
        var note: String
        var statusError: String?
        var noteError: String?
        var conflict: String?
        var errors: [ErrorLink]
        var documents: [Document]
        var uploadAction: String
        /// The upload form's submission token: a repeat of the same form gives back the document it issued.
        var submission: String
        var tokenField: String
        var reasonMaxLength: Int
        var kinds: [FieldView.Option]
        var titleValue: String
        var validUntilValue: String
        var fileError: String?
        var kindError: String?
        var titleError: String?
        var validUntilError: String?
        var uploadErrors: [ErrorLink]
        var maxMB: Int
        var maxBytes: Int
        var accept: String
        var dateHint: String
        var notice: String?
    }

    /// What a re-rendered page keeps of what the officer sent, and what went wrong.
    struct PageState {
        var note = ""
        var chosen: String?
        var errors = FormErrors()
        var conflict: String?
        var kind: String?
        var title = ""
        var validUntil = ""
        var uploadErrors = FormErrors()
        var submission: String?
        /// The document whose withdrawal form is answered, and the reason typed.
        var withdrawing: UUID?
        var reason = ""
    }

    func show(_ req: Request) async throws -> Response {
        try await render(req, petition: try await load(req), state: PageState(), status: .ok)
    }

    // MARK: Status

    struct MoveForm: Content {
        var status: String?
        var note: String?
        var version: Int?
    }

    static let conflictMessage = "ยังไม่ได้บันทึก: มีเจ้าหน้าที่ท่านอื่นเปลี่ยนสถานะหรือแก้ไขคำร้องนี้ระหว่างที่ท่านเปิดหน้านี้อยู่ ด้านล่างคือข้อมูลล่าสุด กรุณาตรวจสอบสถานะและลำดับเหตุการณ์แล้วดำเนินการอีกครั้งหากยังจำเป็น"

    func move(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let petition = try await load(req)
        let form = try req.content.decode(MoveForm.self)
        var state = PageState()
        state.note = (form.note ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        state.chosen = form.status
        guard let version = form.version else { throw Abort(.badRequest) }
        guard version == petition.version else {
            state.conflict = Self.conflictMessage
            return try await render(req, petition: petition, state: state, status: .conflict)
        }
        guard let raw = form.status, !raw.isEmpty else {
            state.errors.add("status", "กรุณาเลือกสถานะใหม่ของคำร้อง")
            return try await render(req, petition: petition, state: state, status: .unprocessableEntity)
        }
        guard let target = PetitionStatus(rawValue: raw) else {
            state.errors.add("status", "สถานะที่เลือกไม่ถูกต้อง")
            return try await render(req, petition: petition, state: state, status: .unprocessableEntity)
        }
        guard state.note.count <= 2000 else {
            state.errors.add("note", "หมายเหตุยาวได้ไม่เกิน 2,000 ตัวอักษร (ตอนนี้ \(state.note.count.formatted()) ตัวอักษร)")
            return try await render(req, petition: petition, state: state, status: .unprocessableEntity)
        }
        let recipient = try await CitizenNotices.recipient(of: petition, tenant: t, on: req.db)
        let staff = scope.staff
        let note = state.note.isEmpty ? nil : state.note
        let actor = PetitionStore.Actor(kind: .staff, id: staff.id, name: staff.displayName)
        let ip = req.clientAddress
        let from = petition.status
        let outcome: PetitionStore.MoveOutcome
        do {
            // The audit entry joins the move's transaction (`move` runs inside this one).
            outcome = try await req.db.writeTransaction { db in
                let outcome = try await PetitionStore.move(petition, to: target, note: note, expectedVersion: version, actor: actor, tenant: t,
                                                           on: db) { moved in
                    try await CitizenNotices.statusChanged(req, petition: moved, tenant: t, note: note, to: recipient)
                }
                if case .moved = outcome {
                    try await AuditLog.record(.petitionStatusChanged, actor: AuditActor(staff), tenant: t.slug,
                                              detail: "คำร้อง \(petition.number): \(from.thai) → \(target.thai)" + (note.map { " หมายเหตุ: \($0)" } ?? ""),
                                              ip: ip, on: db)
                }
                return outcome
            }
        } catch let error as PetitionStatus.TransitionError {
            state.errors.add(error == .reasonRequired ? "note" : "status", error.thai)
            return try await render(req, petition: petition, state: state, status: .unprocessableEntity)
        }
        switch outcome {
        case .conflict:
            state.conflict = Self.conflictMessage
            let fresh = try await PetitionStore.byID(try petition.requireID(), tenant: t, on: req.db) ?? petition
            return try await render(req, petition: fresh, state: state, status: .conflict)
        case .moved(let moved):
            req.application.outboxWakeUp.poke()
            let channels = CitizenNotices.channels(for: target, to: recipient)
            req.flash("เปลี่ยนสถานะคำร้อง \(moved.number) เป็น “\(target.thai)” แล้ว"
                      + (channels.isEmpty ? "" : " ระบบแจ้งผู้ยื่นทาง" + channels.map(\.thai).joined(separator: "และ")))
            return req.redirect(to: BackOfficeURL.petition(t.slug, moved.number).path)
        }
    }

    // MARK: Files

    /// A file the citizen attached, for the tenant's officers only; each view is audited.
    func attachment(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let petition = try await load(req)
        guard let raw = req.parameters.get("attachment"), let id = UUID(uuidString: raw),
              let record = try await PetitionAttachmentRecord.query(on: req.db).filter(\.$id == id).filter(\.$tenantID == scope.tenant.id)
                .filter(\.$petitionID == (try petition.requireID())).first() else { throw Abort(.notFound) }
        try await AuditLog.record(.petitionAttachmentViewed, on: req, tenant: scope.tenant.slug,
                                  detail: "ไฟล์แนบ “\(record.originalName)” ของคำร้อง \(petition.number)")
        return try await PetitionAttachments.response(record, download: req.query[String.self, at: "download"] == "1", app: req.application)
    }

    /// An issued document's file (`?download=1` to save it).
    func document(_ req: Request) async throws -> Response {
        let petition = try await load(req)
        let document = try await loadDocument(req, petition: petition)
        return try await PetitionDocuments.fileResponse(req, document, download: req.query[String.self, at: "download"] == "1")
    }

    func documentQR(_ req: Request) async throws -> Response {
        let petition = try await load(req)
        return try PetitionDocuments.qrResponse(req, try await loadDocument(req, petition: petition))
    }

    /// Issues a document: a streamed multipart form (the CSRF token first), the file checked by content.
    func upload(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let petition = try await load(req)
        var state = PageState()
        let upload: StreamedUpload
        do {
            upload = try await StreamedUpload.read(req, maxFileBytes: PetitionDocuments.maxBytes, files: ["file"])
        } catch StreamedUpload.Problem.fileTooLarge, StreamedUpload.Problem.bodyTooLarge {
            state.uploadErrors.add("file", PetitionDocuments.Refused.tooLarge.message)
            return try await render(req, petition: petition, state: state, status: .payloadTooLarge)
        } catch StreamedUpload.Problem.csrf {
            throw Abort(.forbidden, reason: "csrf")
        } catch is StreamedUpload.Problem {
            throw Abort(.badRequest)
        }
        state.kind = upload.fields["kind"]
        let token = upload.fields[PetitionDocuments.tokenField].flatMap { RandomToken.looksValid($0) ? $0 : nil } ?? RandomToken.make()
        state.submission = token
        state.title = (upload.fields["title"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        state.validUntil = (upload.fields["valid_until"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let file = upload.files["file"]
        if file == nil || file?.isEmpty == true { state.uploadErrors.add("file", PetitionDocuments.Refused.noFile.message) }
        let kind = state.kind.flatMap(PetitionDocumentKind.init(rawValue:))
        if kind == nil { state.uploadErrors.add("kind", "กรุณาเลือกประเภทเอกสาร") }
        if state.title.count > PetitionDocuments.titleMaxLength {
            state.uploadErrors.add("title", "ชื่อเอกสารยาวได้ไม่เกิน \(PetitionDocuments.titleMaxLength) ตัวอักษร")
        }
        var validUntil: Date?
        switch BuddhistDateInput.parse(state.validUntil, label: "ใช้ได้ถึงวันที่") {
        case .success(let d)?:
            if d.addingTimeInterval(86_400) <= Date() { state.uploadErrors.add("valid_until", "วันที่ใช้ได้ถึงต้องไม่ก่อนวันนี้") }
            validUntil = d
        case .failure(let p)?: state.uploadErrors.add("valid_until", p.message)
        case nil: break
        }
        guard state.uploadErrors.isEmpty, let kind, let file else {
            return try await render(req, petition: petition, state: state, status: .unprocessableEntity)
        }
        let issued: PetitionDocumentRecord
        let created: Bool
        do {
            let key = PetitionDocuments.submissionKey(petitionID: try petition.requireID(), staffID: scope.staff.id, token: token)
            (issued, created) = try await PetitionDocuments.issue(
                .init(kind: kind, title: state.title, validUntil: validUntil, originalName: file.filename, bytes: try await file.read(req.application), submissionKey: key),
                petition: petition, tenant: t, staff: scope.staff, ip: req.clientAddress, app: req.application, on: req.db)
        } catch let refused as PetitionDocuments.Refused {
            state.uploadErrors.add("file", refused.message)
            return try await render(req, petition: petition, state: state, status: refused == .tooLarge ? .payloadTooLarge : .unprocessableEntity)
        }
        let code = PetitionDocuments.displayCode(issued.verificationCode)
        req.flash(created ? "ออก\(issued.kind.thai) “\(issued.title)” แล้ว รหัสตรวจสอบ \(code)"
            : "แบบฟอร์มนี้ถูกส่งซ้ำ ระบบออก\(issued.kind.thai) “\(issued.title)” ไว้แล้วเพียงฉบับเดียว รหัสตรวจสอบ \(code) (ไม่ได้ออกซ้ำ)")
        return req.redirect(to: BackOfficeURL.petition(t.slug, petition.number).path + "#documents")
    }

    // MARK: Withdrawing

    struct WithdrawForm: Content {
        var reason: String?
    }

    /// Withdraws a document issued by mistake: a reason is required; the citizen is e-mailed in the same
    /// transaction; a document already withdrawn (by someone else meanwhile) gets 409 and the latest page.
    func withdraw(_ req: Request) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let petition = try await load(req)
        let document = try await loadDocument(req, petition: petition)
        let id = try document.requireID()
        var state = PageState()
        state.withdrawing = id
        state.reason = ((try? req.content.decode(WithdrawForm.self))?.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let field = Self.reasonField(id)
        guard !document.isWithdrawn else {
            state.conflict = Self.alreadyWithdrawn(document)
            return try await render(req, petition: petition, state: state, status: .conflict)
        }
        if state.reason.isEmpty {
            state.errors.add(field, "กรุณาระบุเหตุผลที่เพิกถอนเอกสาร ผู้ยื่นจะได้รับแจ้งเหตุผลนี้ทางอีเมล")
        } else if state.reason.count > PetitionDocuments.reasonMaxLength {
            state.errors.add(field, "เหตุผลยาวได้ไม่เกิน \(PetitionDocuments.reasonMaxLength.formatted()) ตัวอักษร (ตอนนี้ \(state.reason.count.formatted()) ตัวอักษร)")
        }
        guard state.errors.isEmpty else { return try await render(req, petition: petition, state: state, status: .unprocessableEntity) }
        let citizen = try await PetitionMail.recipient(of: petition, tenant: t, on: req.db)
        let done = try await PetitionDocuments.withdraw(document, petition: petition, tenant: t, staff: scope.staff, reason: state.reason,
                                                        ip: req.clientAddress, on: req.db) { withdrawn in
            try await PetitionMail.documentWithdrawn(req, petition: petition, tenant: t, document: withdrawn, citizen: citizen)
        }
        guard done else {
            let fresh = try await PetitionDocuments.find(id, petition: petition, on: req.db) ?? document
            state.conflict = Self.alreadyWithdrawn(fresh)
            return try await render(req, petition: petition, state: state, status: .conflict)
        }
        let mailed = citizen.map { !$0.email.trimmingCharacters(in: .whitespaces).isEmpty } ?? false
        req.flash("เพิกถอน\(document.kind.thai) “\(document.title)” (รหัสตรวจสอบ \(PetitionDocuments.displayCode(document.verificationCode))) แล้ว"
            + (mailed ? " ระบบแจ้งผู้ยื่นทางอีเมลพร้อมเหตุผล" : ""))
        return req.redirect(to: BackOfficeURL.petition(t.slug, petition.number).path + "#documents")
    }

    static func reasonField(_ id: UUID) -> String { "withdraw-reason-\(id.uuidString.lowercased())" }

    static func alreadyWithdrawn(_ d: PetitionDocumentRecord) -> String {
        "ยังไม่ได้บันทึก: \(d.kind.thai) “\(d.title)” (รหัสตรวจสอบ \(PetitionDocuments.displayCode(d.verificationCode))) ถูกเพิกถอนไปแล้ว"
            + (d.withdrawnAt.map { " เมื่อ \(ThaiDate.shortWithTime($0))" } ?? "") + (d.withdrawnByName.map { " โดย \($0)" } ?? "")
            + " เพิกถอนซ้ำไม่ได้ ด้านล่างคือข้อมูลล่าสุด"
    }

    // MARK: Loading and rendering

    private func load(_ req: Request) async throws -> PetitionRecord {
        let scope = try req.backOffice
        guard let number = req.parameters.get("number"), (1...40).contains(number.count),
              let petition = try await PetitionStore.byNumber(number, tenant: scope.tenant, on: req.db) else { throw Abort(.notFound) }
        return petition
    }

    private func loadDocument(_ req: Request, petition: PetitionRecord) async throws -> PetitionDocumentRecord {
        guard let raw = req.parameters.get("document"), let id = UUID(uuidString: raw),
              let document = try await PetitionDocuments.find(id, petition: petition, on: req.db) else { throw Abort(.notFound) }
        return document
    }

    private func render(_ req: Request, petition p: PetitionRecord, state: PageState, status httpStatus: HTTPStatus) async throws -> Response {
        let scope = try req.backOffice
        let t = scope.tenant
        let now = Date()
        let geography = req.application.geography
        let number = p.number

        var citizenRows: [PetitionPage.Row] = []
        if let citizenID = p.citizenID {
            if let c = try await CitizenStore.byID(citizenID, tenant: t, on: req.db) {
                citizenRows = [
                    .init(label: "ชื่อ–นามสกุล", value: c.fullName),
                    .init(label: "เลขประจำตัวประชาชน", value: c.maskedNationalID),
                    .init(label: "โทรศัพท์มือถือ", value: c.mobile),
                    .init(label: "อีเมล", value: c.email),
                    .init(label: "การยืนยันตัวตน", value: c.verificationStatus.thai),
                ]
            } else {
                citizenRows = [.init(label: "ผู้ยื่น", value: "ไม่พบบัญชีผู้ยื่นแล้ว")]
            }
        } else {
            citizenRows = [.init(label: "ช่องทาง", value: "ยื่นผ่านระบบอื่นทาง Open311 API")] + Self.requesterRows(p.requesterJSON)
        }

        var answers: [PetitionPage.Row] = []
        var answersProblem: String?
        if let decoded = try? StoredJSON.decode(PetitionAnswers.self, from: p.answersJSON) {
            answers = decoded.answers.map { .init(label: $0.label, value: $0.display(in: geography)) }
        } else {
            answersProblem = "แสดงคำตอบในรูปแบบปกติไม่ได้ ข้อมูลที่บันทึกไว้: \(p.answersJSON.prefix(2000))"
        }

        let form = try await FormVersions.find(tenant: t, service: p.service, version: p.formVersion, on: req.db)
        let labels = Dictionary((form?.attachments ?? []).map { ($0.key, $0.label) }, uniquingKeysWith: { a, _ in a })
        let attachments = try await PetitionStore.attachments(p, on: req.db).compactMap { a -> PetitionPage.Attachment? in
            guard let id = a.id else { return nil }
            return .init(label: labels[a.fieldKey] ?? a.fieldKey, name: a.originalName,
                         type: FileKind.from(mimeType: a.mimeType)?.displayName ?? a.mimeType, size: PetitionAttachments.sizeText(a.bytes),
                         url: BackOfficeURL.petitionAttachment(t.slug, number, id).path)
        }
        let timeline = try await PetitionStore.timeline(p, on: req.db).map { e -> PetitionPage.Event in
            let to = PetitionStatus(rawValue: e.toStatus)
            let who: String = switch e.actorKind {
            case "staff": "เจ้าหน้าที่ \(e.actorName)"
            case "api": "ระบบ \(e.actorName) (Open311)"
            default: "ผู้ยื่น \(e.actorName)"
            }
            return .init(when: ThaiDate.shortWithTime(e.createdAt), status: to?.thai ?? e.toStatus, statusKey: e.toStatus,
                         from: e.fromStatus.flatMap(PetitionStatus.init(rawValue:))?.thai, actor: who, note: e.note)
        }
        let documents = try await PetitionDocuments.list(p, on: req.db).compactMap { d -> PetitionPage.Document? in
            guard let id = d.id else { return nil }
            let validity: String
            if let until = d.validUntil {
                validity = (d.isExpired(at: now) ? "หมดอายุแล้ว (ใช้ได้ถึง " : "ใช้ได้ถึง ") + ThaiDate.long(until) + (d.isExpired(at: now) ? ")" : "")
            } else {
                validity = "ไม่มีวันหมดอายุ"
            }
            let file = BackOfficeURL.petitionDocument(t.slug, number, id).path
            let answering = state.withdrawing == id
            return .init(id: id.uuidString.lowercased(), kind: d.kind.thai, title: d.title, issued: ThaiDate.shortWithTime(d.issuedAt), issuedBy: d.issuedByName,
                         validity: validity, expired: d.isExpired(at: now), code: PetitionDocuments.displayCode(d.verificationCode),
                         verifyURL: PetitionDocuments.verifyURL(req, d), fileURL: file, downloadURL: file + "?download=1",
                         qrURL: BackOfficeURL.petitionDocumentQR(t.slug, number, id).path, sha256: d.sha256, size: PetitionAttachments.sizeText(d.bytes),
                         type: FileKind.from(mimeType: d.mimeType)?.displayName ?? d.mimeType,
                         isWithdrawn: d.isWithdrawn, withdrawn: PetitionDocuments.withdrawal(d)?.when, withdrawnBy: d.withdrawnByName,
                         withdrawnReason: PetitionDocuments.withdrawal(d)?.reason,
                         withdrawAction: BackOfficeURL.petitionDocumentWithdraw(t.slug, number, id).path,
                         reasonValue: answering ? state.reason : "", reasonError: answering ? state.errors[Self.reasonField(id)] : nil)
        }
        let status = p.status
        let context = PetitionPage(
            page: PageChrome(request: req, title: "คำร้อง \(number) – \(t.thaiName)"),
            queueURL: BackOfficeURL.petitionQueue(t.slug).path, selfURL: BackOfficeURL.petition(t.slug, number).path,
            number: number, service: p.serviceName, status: status.thai, statusKey: status.rawValue,
            filed: ThaiDate.shortWithTime(p.createdAt), due: ThaiDate.long(p.dueAt), overdue: status.isOpen && p.dueAt < now,
            channel: p.channel == .open311 ? "Open311 API" : "เว็บไซต์ (ผู้ยื่นเข้าสู่ระบบ)",
            citizen: citizenRows, answers: answers, answersProblem: answersProblem,
            noAnswers: answers.isEmpty && answersProblem == nil, attachments: attachments, timeline: timeline,
            moves: status.allowedMoves.map { .init(value: $0.rawValue, label: $0.thai, checked: $0.rawValue == state.chosen, needsReason: $0 == .cannotProceed) },
            isFinal: status.isFinal, version: p.version, csrf: req.csrfToken(),
            moveAction: BackOfficeURL.petitionStatus(t.slug, number).path, note: state.note,
            statusError: state.errors["status"], noteError: state.errors["note"], conflict: state.conflict, errors: state.errors.items,
            documents: documents, uploadAction: BackOfficeURL.petitionDocuments(t.slug, number).path,
            submission: state.submission ?? RandomToken.make(), tokenField: PetitionDocuments.tokenField,
            reasonMaxLength: PetitionDocuments.reasonMaxLength,
            kinds: PetitionDocumentKind.allCases.map { .init(value: $0.rawValue, label: $0.thai, selected: $0.rawValue == state.kind) },
            titleValue: state.title, validUntilValue: state.validUntil,
            fileError: state.uploadErrors["file"], kindError: state.uploadErrors["kind"], titleError: state.uploadErrors["title"],
            validUntilError: state.uploadErrors["valid_until"], uploadErrors: state.uploadErrors.items,
            maxMB: PetitionDocuments.maxMB, maxBytes: PetitionDocuments.maxBytes, accept: PetitionDocuments.acceptAttribute,
            dateHint: BuddhistDateInput.hint, notice: req.takeFlash())
        return try await req.view.render("backoffice/petitions/petition", context).encodeResponse(status: httpStatus, for: req)
    }

    /// Contact details an Open311 client sent (private to officers), as `Open311Requester` keeps them.
    static func requesterRows(_ json: String?) -> [PetitionPage.Row] {
        guard let json, let r = try? StoredJSON.decode(Open311Requester.self, from: json) else { return [] }
        let name = [r.firstName, r.lastName].compactMap { $0 }.joined(separator: " ")
        let rows: [(String, String?)] = [
            ("ระบบที่ยื่น", r.client), ("ชื่อผู้แจ้ง", name.isEmpty ? nil : name), ("อีเมล", r.email), ("โทรศัพท์", r.phone),
            ("รายละเอียดที่แจ้ง", r.description), ("ตำแหน่งที่แจ้ง", r.addressString),
            ("พิกัด", r.lat.flatMap { lat in r.long.map { "\(lat), \($0)" } }), ("ลิงก์ภาพที่ระบบอื่นแนบมา (ไม่ได้ดึงมาเก็บ)", r.mediaURL),
            ("รหัสที่อยู่", r.addressID), ("รหัสอุปกรณ์", r.deviceID), ("รหัสบัญชีในระบบอื่น", r.accountID),
        ]
        return rows.compactMap { label, value in
            guard let value, !value.isEmpty else { return nil }
            return .init(label: label, value: String(value.prefix(300)))
        }
    }

}
