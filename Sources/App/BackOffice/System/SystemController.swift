import Domain
import Foundation
import Vapor

/// The system page (`/backoffice/admin/system`, platform admins): the outbox queue by kind and status, the jobs that
/// failed for good with their last error, retry and discard (each a POST with the form's CSRF token, audited), and
/// what this deployment runs. The facts are those of the instance that answered.
struct SystemController {
    struct Fact: Encodable {
        var label: String
        var value: String
    }

    struct QueueRow: Encodable {
        var kind: String
        var name: String
        var pending: Int
        var running: Int
        var failed: Int
        var done: Int
        var discarded: Int
        var oldestWaiting: String
        var filterURL: String
    }

    struct FailedRow: Encodable {
        var id: String
        var kind: String
        var name: String
        var tenant: String
        var attempts: Int
        var at: String
        var error: String
    }

    struct SystemPage: Encodable {
        var page: PageChrome
        var csrf: String
        var flash: String?
        var facts: [Fact]
        var queue: [QueueRow]
        var totalWaiting: Int
        var totalFailed: Int
        var failed: [FailedRow]
        /// The kind the failed list is narrowed to, with its Thai name.
        var kind: String?
        var kindName: String?
        var allURL: String
        var pageNumber: Int
        var pageCount: Int
        var previousURL: String?
        var nextURL: String?
        var retryAction = BackOfficeURL.systemJobRetry.path
        var discardAction = BackOfficeURL.systemJobDiscard.path
        var retryKindAction = BackOfficeURL.systemKindRetry.path
    }

    struct JobForm: Content { var id: String? }
    struct KindForm: Content { var kind: String? }

    static let pageSize = 25
    static let maxPage = 10_000

    // MARK: The page

    func page(_ req: Request) async throws -> Response {
        let kind: String?
        switch Self.kindParameter(req.query[String.self, at: "kind"]) {
        case .none: kind = nil
        case .some(.some(let k)): kind = k
        case .some(.none): return try await Self.message(req, .badRequest, "ประเภทงานไม่ถูกต้อง", "ประเภทงานในที่อยู่หน้านี้ไม่ถูกต้อง กรุณาเลือกประเภทจากตารางคิวงาน")
        }
        guard let pageNumber = BoundedNumber.int(req.query[String.self, at: "page"], in: 1...Self.maxPage, default: 1) else {
            return try await Self.message(req, .badRequest, "เลขหน้าไม่ถูกต้อง", "เลขหน้าต้องเป็นตัวเลขตั้งแต่ 1 ถึง \(Self.maxPage.formatted())")
        }
        let now = Date()
        let summary = try await OutboxStore.queueSummary(now: now, finished: true, on: req.db)
        let failedCount = kind.map { k in summary.kinds.first { $0.kind == k }?.count(.failed) ?? 0 } ?? summary.total(.failed)
        let pageCount = max(1, (failedCount + Self.pageSize - 1) / Self.pageSize)
        let jobs = try await OutboxStore.failed(kind: kind, limit: Self.pageSize, offset: (pageNumber - 1) * Self.pageSize, on: req.db)
        let tenants = req.application.tenants
        let app = req.application
        let facts = SystemFacts(settings: app.settings, startedAt: app.metrics.started, tenantsLoaded: tenants.all.count, now: now)
        func listURL(_ kind: String?, page: Int) -> String {
            var query: [String] = []
            if let kind { query.append("kind=" + (kind.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "")) }
            if page > 1 { query.append("page=\(page)") }
            return BackOfficeURL.system.path + (query.isEmpty ? "" : "?" + query.joined(separator: "&")) + "#failed"
        }
        let context = SystemPage(
            page: PageChrome(request: req, title: "สถานะระบบ"), csrf: req.csrfToken(), flash: req.takeFlash(),
            facts: Self.facts(facts),
            queue: summary.kinds.map { k in
                QueueRow(
                    kind: k.kind, name: Self.name(ofKind: k.kind), pending: k.count(.pending), running: k.count(.running),
                    failed: k.count(.failed), done: k.count(.done), discarded: k.count(.discarded),
                    oldestWaiting: k.oldestWaitingAge.map(ThaiDuration.short) ?? "-", filterURL: listURL(k.kind, page: 1))
            },
            totalWaiting: summary.total(.pending) + summary.total(.running), totalFailed: summary.total(.failed),
            failed: jobs.map { job in
                FailedRow(
                    id: job.id.uuidString.lowercased(), kind: job.kind, name: Self.name(ofKind: job.kind),
                    tenant: job.tenantID.map { tenants.tenant(slug: $0)?.thaiName ?? $0 } ?? "ระบบกลาง (ถึงเจ้าหน้าที่)",
                    attempts: job.attempts, at: job.finishedAt.map(ThaiDate.shortWithTime) ?? "-", error: Self.shown(error: job.lastError))
            },
            kind: kind, kindName: kind.map(Self.name(ofKind:)), allURL: listURL(nil, page: 1), pageNumber: min(pageNumber, pageCount),
            pageCount: pageCount, previousURL: pageNumber > 1 ? listURL(kind, page: min(pageNumber, pageCount + 1) - 1) : nil,
            nextURL: pageNumber < pageCount ? listURL(kind, page: pageNumber + 1) : nil)
        let response = try await req.view.render("backoffice/system", context).encodeResponse(for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    // MARK: Actions

    func retry(_ req: Request) async throws -> Response {
        guard let id = Self.jobID(req) else { return try await Self.badID(req) }
        let staff = try req.staff
        guard let job = try await FailedJobActions.retry(id, by: AuditActor(staff), ip: req.clientAddress, now: Date(), on: req.db) else {
            return try await Self.stale(req)
        }
        req.flash("สั่งส่งงาน “\(Self.name(ofKind: job.kind))” ใหม่แล้ว ระบบจะส่งในรอบถัดไป")
        return req.redirect(to: BackOfficeURL.system.path, redirectType: .normal)
    }

    func discard(_ req: Request) async throws -> Response {
        guard let id = Self.jobID(req) else { return try await Self.badID(req) }
        let staff = try req.staff
        guard let job = try await FailedJobActions.discard(id, by: AuditActor(staff), ip: req.clientAddress, now: Date(), on: req.db) else {
            return try await Self.stale(req)
        }
        req.flash("ยกเลิกงาน “\(Self.name(ofKind: job.kind))” แล้ว งานนี้จะไม่ถูกส่งอีกและไม่นับเป็นงานที่ล้มเหลว")
        return req.redirect(to: BackOfficeURL.system.path, redirectType: .normal)
    }

    func retryKind(_ req: Request) async throws -> Response {
        guard case .some(.some(let kind)) = Self.kindParameter((try? req.content.decode(KindForm.self))?.kind) else {
            return try await Self.message(req, .badRequest, "ประเภทงานไม่ถูกต้อง", "ไม่พบประเภทงานในแบบฟอร์ม กรุณากลับไปที่หน้าสถานะระบบแล้วกดปุ่มอีกครั้ง")
        }
        let staff = try req.staff
        let count = try await FailedJobActions.retryAll(kind: kind, by: AuditActor(staff), ip: req.clientAddress, now: Date(), on: req.db)
        guard count > 0 else { return try await Self.stale(req) }
        req.flash("สั่งส่งงาน “\(Self.name(ofKind: kind))” ที่ล้มเหลวใหม่แล้ว \(count.formatted()) งาน")
        return req.redirect(to: BackOfficeURL.system.path, redirectType: .normal)
    }

    // MARK: Input

    /// The job id of the form, strictly a UUID (nil: absent or anything else).
    static func jobID(_ req: Request) -> UUID? {
        guard let raw = (try? req.content.decode(JobForm.self))?.id, raw.utf8.count == 36 else { return nil }
        return UUID(uuidString: raw)
    }

    /// nil: no kind given; `.some(nil)`: one given but not a kind's shape (job kinds are short plain words, e.g.
    /// `line.push`); `.some(kind)`: it.
    static func kindParameter(_ raw: String?) -> String?? {
        guard let raw, !raw.isEmpty else { return nil }
        return .some(JobKind.isPlain(raw) ? raw : nil)
    }

    // MARK: What is shown

    /// Job kinds in Thai; an unknown kind (a newer or older release's) is shown as it is.
    static func name(ofKind kind: String) -> String {
        switch kind {
        case EmailOutbox.kind: "ส่งอีเมล"
        case LinePushMessage.kind: "ส่งข้อความ LINE"
        case LineEventHandler.kind: "รับเหตุการณ์จาก LINE"
        case PetitionFiled.kind: "แจ้งการยื่นคำร้อง"
        case PetitionMoved.kind: "แจ้งการเปลี่ยนสถานะคำร้อง"
        case DocumentIssued.kind: "แจ้งการออกเอกสาร"
        case DocumentWithdrawn.kind: "แจ้งการเพิกถอนเอกสาร"
        case IdentityDecided.kind: "แจ้งผลการยืนยันตัวตน"
        case CitizenPasswordReset.kind: "คำขอตั้งรหัสผ่านใหม่ของประชาชน"
        default: kind
        }
    }

    /// A job's last error as the page shows it (Leaf escapes it): at most 500 characters, and any e-mail address in
    /// it (a mail server's reply may quote the recipient's) masked to its first letter and domain. Handlers store
    /// the mail server's or LINE's answer or their own words, never a password, key or token.
    static func shown(error: String?) -> String {
        guard let error, !error.isEmpty else { return "-" }
        let clipped = error.count > 500 ? String(error.prefix(500)) + "…" : error
        return EmailMask.masking(clipped)
    }

    static func facts(_ f: SystemFacts) -> [Fact] {
        [
            Fact(label: "รุ่นของระบบ", value: f.version),
            Fact(label: "โหมด (APP_ENV)", value: f.mode),
            Fact(label: "เริ่มทำงานเมื่อ", value: "\(ThaiDate.shortWithTime(f.startedAt)) (ทำงานมาแล้ว \(ThaiDuration.short(seconds: f.uptimeSeconds)))"),
            Fact(label: "ฐานข้อมูล", value: f.database),
            Fact(label: "ที่เก็บไฟล์", value: f.storage),
            Fact(label: "หน่วยงานที่โหลด", value: "\(f.tenantsLoaded.formatted()) หน่วยงาน"),
            Fact(
                label: "ตัวส่งงาน (outbox worker)",
                value: f.runsOutboxWorker ? "ทำงานในโปรเซสนี้" : "ไม่ทำงานในโปรเซสนี้ (OUTBOX_WORKER=off: ใช้ eservice worker แยก)"),
        ]
    }

    // MARK: Answers that are not the page

    static func badID(_ req: Request) async throws -> Response {
        try await message(req, .badRequest, "รหัสงานไม่ถูกต้อง", "แบบฟอร์มไม่ได้ระบุรหัสงานที่ถูกต้อง ยังไม่มีการเปลี่ยนแปลงใด กรุณากลับไปที่หน้าสถานะระบบแล้วกดปุ่มของงานนั้นอีกครั้ง")
    }

    static func stale(_ req: Request) async throws -> Response {
        try await message(
            req, .conflict, "งานนี้ไม่ได้อยู่ในสถานะล้มเหลวแล้ว",
            "อาจมีผู้ดูแลระบบท่านอื่นสั่งส่งใหม่หรือยกเลิกไปก่อน หรือระบบลบงานเก่าไปแล้ว ยังไม่มีการเปลี่ยนแปลงใดจากคำสั่งนี้ กรุณาดูสถานะล่าสุดในหน้าสถานะระบบ")
    }

    static func message(_ req: Request, _ status: HTTPStatus, _ heading: String, _ line: String) async throws -> Response {
        try await req.view.render(
            "backoffice/message",
            MessagePage(
                page: PageChrome(request: req, title: heading), heading: heading, lines: [line], link: BackOfficeURL.system.path, linkLabel: "กลับไปหน้าสถานะระบบ"
            )
        ).encodeResponse(status: status, for: req)
    }
}
