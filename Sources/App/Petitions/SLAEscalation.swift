import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// The e-mails officers get about a petition's service time: the citizen answered a request for more, one working
/// day is left, and it is overdue (to the division's head, then to the Organization admins).
enum SLAMessages {
    /// `emails/staff-petition-answered`: the citizen answered the request for more.
    struct Answered: StaffMessage {
        static let template = "staff-petition-answered"
        var frame: StaffMessages.Frame
        var number: String
        var serviceName: String
        var tenantName: String
        var at: String
        var subject: String { "ผู้ยื่นส่งข้อมูลเพิ่มเติมแล้ว คำร้อง \(number)" }
    }

    /// `emails/staff-petition-reopened`: the citizen said the completed petition was not settled (ยังไม่ได้รับการแก้ไข).
    struct Reopened: StaffMessage {
        static let template = "staff-petition-reopened"
        var frame: StaffMessages.Frame
        var number: String
        var serviceName: String
        var tenantName: String
        var at: String
        var due: String
        /// Why this officer is told: they hold it, they head its division, or they are an Organization admin.
        var role: String
        var subject: String { "ผู้ยื่นแจ้งว่ายังไม่ได้รับการแก้ไข คำร้อง \(number)" }
    }

    /// `emails/staff-petition-reminder`: one working day left.
    struct Reminder: StaffMessage {
        static let template = "staff-petition-reminder"
        var frame: StaffMessages.Frame
        var number: String
        var serviceName: String
        var tenantName: String
        var due: String
        var subject: String { "เหลือเวลา 1 วันทำการ คำร้อง \(number)" }
    }

    /// `emails/staff-petition-overdue`: overdue, to the division's head (`admins` false) or the Organization admins.
    struct Overdue: StaffMessage {
        static let template = "staff-petition-overdue"
        var frame: StaffMessages.Frame
        var number: String
        var serviceName: String
        var tenantName: String
        var due: String
        var division: String?
        var assignee: String?
        var admins: Bool
        var subject: String { "คำร้อง \(number) เกินกำหนดเวลาแล้ว" + (admins ? " (แจ้งผู้ดูแลระบบของหน่วยงาน)" : "") }
    }
}

/// The SLA sweep a worker runs now and then: (a) the assignee of an open petition that is not waiting and is due by
/// the end of the next working day is reminded once; (b) when it is overdue the head of its division is told once;
/// (c) when it is still overdue a working day after that (at once when there is no head to tell) the tenant's
/// Organization admins are told once. Each step claims its column (`UPDATE … SET x_at = now WHERE … AND x_at IS
/// NULL`) and writes its e-mails to the outbox in the same transaction, keyed per petition and step, so two workers
/// sweeping at once send each e-mail once. Batches are bounded; what is left waits for the next run.
enum SLAEscalation {
    static let interval: TimeInterval = 300
    static let batch = 100

    struct Context: Sendable {
        var views: @Sendable () -> any ViewRenderer
        var mailFrom: String
        /// The back office's absolute address base (`PUBLIC_BASE_URL`); links are paths without it.
        var base: String?
        /// Every tenant as it stands now (each is swept with its own queries).
        var tenants: @Sendable () -> [Tenant]

        func link(_ path: String) -> String { (base ?? "") + path }
    }

    static func sweep(_ app: Application) -> PeriodicSweep {
        let context = Context(
            views: { app.view }, mailFrom: app.settings.mailFrom,
            base: app.settings.publicBaseURL.map { $0.absoluteString.trimmingSuffix("/") },
            tenants: { app.tenants.all })
        return PeriodicSweep(name: "SLA reminders and escalations", interval: interval) { db, now in
            try await run(context, now: now, on: db).total
        }
    }

    struct Sent: Sendable, Equatable {
        var reminders = 0
        var heads = 0
        var admins = 0
        var total: Int { reminders + heads + admins }
    }

    /// One run of the three steps at `now`, tenant by tenant.
    static func run(_ c: Context, now: Date, limit: Int = batch, on db: any Database) async throws -> Sent {
        var sent = Sent()
        for t in c.tenants() {
            let one = try await run(c, tenant: t, now: now, limit: limit, on: db)
            sent.reminders += one.reminders
            sent.heads += one.heads
            sent.admins += one.admins
        }
        return sent
    }

    static func run(_ c: Context, tenant t: Tenant, now: Date, limit: Int, on db: any Database) async throws -> Sent {
        var sent = Sent()
        let open = PetitionStatus.allCases.filter(\.isOpen).map(\.rawValue)
        let sql = try sqlDatabase(db)
        // (a) Due by the end of the next working day, not yet overdue.
        let soon = WorkingDays.due(filed: now, days: 1)
        let reminders = try await sql.raw(
            """
            SELECT id FROM petitions
            WHERE tenant_id = \(bind: t.id) AND status IN (\(binds: open)) AND due_at > \(bind: now) AND due_at <= \(bind: soon)
              AND reminded_at IS NULL AND assignee_id IS NOT NULL AND waiting_since IS NULL
            ORDER BY due_at LIMIT \(bind: limit)
            """
        ).all(decoding: Row.self)
        for row in reminders {
            guard let p = try await PetitionStore.byID(row.id, tenant: t, on: db) else { continue }
            var mails: [RenderedMail] = []
            if let id = p.assigneeID, let staff = try await StaffStore.reachable([id], on: db).first {
                mails.append(
                    try await StaffMail.render(
                        c.views(), from: c.mailFrom, to: staff.email,
                        SLAMessages.Reminder(
                            frame: .init(name: staff.fullNameTH, link: c.link(BackOfficeURL.petition(t.slug, p.number).path)), number: p.number,
                            serviceName: p.serviceName, tenantName: t.thaiName, due: ThaiDate.shortWithTime(p.dueAt)),
                        key: "sla-reminder:\(cycle(p))"))
            }
            if try await claim(
                "reminded_at", petition: row.id, now: now, extra: "AND waiting_since IS NULL AND due_at > \(bind: now)", mails: mails, tenant: t,
                on: db)
            {
                sent.reminders += mails.count
            }
        }
        // (b) Overdue: the division's head (and, with no head to tell, the admins at once).
        let overdue = try await sql.raw(
            """
            SELECT id FROM petitions
            WHERE tenant_id = \(bind: t.id) AND status IN (\(binds: open)) AND due_at < \(bind: now)
              AND escalated_head_at IS NULL AND waiting_since IS NULL
            ORDER BY due_at LIMIT \(bind: limit)
            """
        ).all(decoding: Row.self)
        for row in overdue {
            guard let p = try await PetitionStore.byID(row.id, tenant: t, on: db) else { continue }
            let division = try await p.division.asyncFlatMap { try await DivisionStore.byCode($0, tenant: t, on: db) }
            let head = try await division?.headStaffID.asyncFlatMap { try await StaffStore.reachable([$0], on: db).first }
            if let head {
                let mail = try await overdueMail(
                    c, p, tenant: t, to: head, division: division?.name, admins: false, key: "sla-head:\(cycle(p))")
                if try await claim("escalated_head_at", petition: row.id, now: now, extra: overdueCheck(now), mails: [mail], tenant: t, on: db) {
                    sent.heads += 1
                }
            } else {
                let mails = try await adminMails(c, p, tenant: t, division: division?.name, on: db)
                let claimed = try await db.writeTransaction { db -> Bool in
                    guard try await claim("escalated_head_at", petition: row.id, now: now, extra: overdueCheck(now), mails: [], tenant: t, on: db),
                        try await claim("escalated_admins_at", petition: row.id, now: now, extra: "", mails: mails, tenant: t, on: db)
                    else { return false }
                    return true
                }
                if claimed { sent.admins += mails.count }
            }
        }
        // (c) Still overdue a working day after the head was told.
        let cutoff = lastWorkingDayStart(now)
        let late = try await sql.raw(
            """
            SELECT id FROM petitions
            WHERE tenant_id = \(bind: t.id) AND status IN (\(binds: open)) AND due_at < \(bind: now)
              AND escalated_admins_at IS NULL AND escalated_head_at IS NOT NULL AND escalated_head_at < \(bind: cutoff)
              AND waiting_since IS NULL
            ORDER BY escalated_head_at LIMIT \(bind: limit)
            """
        ).all(decoding: Row.self)
        for row in late {
            guard let p = try await PetitionStore.byID(row.id, tenant: t, on: db) else { continue }
            let division = try await p.division.asyncFlatMap { try await DivisionStore.byCode($0, tenant: t, on: db) }
            let mails = try await adminMails(c, p, tenant: t, division: division?.name, on: db)
            if try await claim("escalated_admins_at", petition: row.id, now: now, extra: overdueCheck(now), mails: mails, tenant: t, on: db) {
                sent.admins += mails.count
            }
        }
        return sent
    }

    /// The petition and its version, the e-mails' key: the steps start again only when the citizen's answer or reopening
    /// sets a new due date, which also moves the version, so each cycle's reminder and escalations are new e-mails, not
    /// taken by the outbox for repeats of the last cycle's (a new due date may fall on the same day as the old one).
    static func cycle(_ p: PetitionRecord) -> String {
        "\(p.id?.uuidString.lowercased() ?? ""):v\(p.version)"
    }

    private struct Row: Decodable {
        var id: UUID
    }

    private static func overdueCheck(_ now: Date) -> SQLQueryString {
        "AND waiting_since IS NULL AND due_at < \(bind: now)"
    }

    /// Sets `column` to `now` if it is still NULL (and the petition still open and `extra` holds), and writes `mails`, in
    /// one transaction; false when another run (or a change) got there first.
    private static func claim(
        _ column: String, petition id: UUID, now: Date, extra: SQLQueryString, mails: [RenderedMail], tenant: Tenant, on db: any Database
    ) async throws -> Bool {
        let open = PetitionStatus.allCases.filter(\.isOpen).map(\.rawValue)
        return try await db.writeTransaction { db -> Bool in
            guard
                try await db.claim(
                    """
                    UPDATE petitions SET \(unsafeRaw: column) = \(bind: now)
                    WHERE id = \(bind: id) AND tenant_id = \(bind: tenant.id) AND \(unsafeRaw: column) IS NULL AND status IN (\(binds: open)) \(extra)
                    RETURNING id
                    """)
            else { return false }
            if !mails.isEmpty { try await OutboxStore.enqueue(try mails.map { try $0.outboxJob() }, tenant: tenant, runAt: now, on: db) }
            return true
        }
    }

    private static func overdueMail(
        _ c: Context, _ p: PetitionRecord, tenant t: Tenant, to staff: StaffAccount, division: String?, admins: Bool, key: String
    ) async throws -> RenderedMail {
        try await StaffMail.render(
            c.views(), from: c.mailFrom, to: staff.email,
            SLAMessages.Overdue(
                frame: .init(name: staff.fullNameTH, link: c.link(BackOfficeURL.petition(t.slug, p.number).path)), number: p.number,
                serviceName: p.serviceName, tenantName: t.thaiName, due: ThaiDate.shortWithTime(p.dueAt), division: division,
                assignee: p.assigneeName, admins: admins),
            key: key)
    }

    /// One e-mail to each active Organization admin of the tenant with an address.
    private static func adminMails(_ c: Context, _ p: PetitionRecord, tenant t: Tenant, division: String?, on db: any Database) async throws -> [RenderedMail] {
        let ids = try await StaffStore.orgAdminIDs(tenant: t, on: db)
        let pid = try p.requireID().uuidString.lowercased()
        var out: [RenderedMail] = []
        for staff in try await StaffStore.reachable(ids, on: db) {
            out.append(
                try await overdueMail(
                    c, p, tenant: t, to: staff, division: division, admins: true,
                    key: "sla-admins:\(pid):\(try staff.requireID().uuidString.lowercased()):v\(p.version)"))
        }
        return out
    }

    /// The start (Bangkok) of the last working day on or before `now`'s day: a moment before it is at least one working
    /// day before `now` (`WorkingDays.between(x, now) >= 1`).
    static func lastWorkingDayStart(_ now: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = ThaiDate.bangkok
        var day = calendar.startOfDay(for: now)
        for _ in 0..<7 where !WorkingDays.isWorkingDay(day) {
            day = calendar.date(byAdding: .day, value: -1, to: day) ?? day.addingTimeInterval(-86_400)
        }
        return day
    }
}

extension Optional {
    fileprivate func asyncFlatMap<U>(_ f: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let self else { return nil }
        return try await f(self)
    }
}
