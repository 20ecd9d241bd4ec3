import Domain
import Fluent
import Foundation
import Vapor

/// The notifier: runs every notice event (`NoticeEvents.kinds`) from the outbox. It reads the citizen and their
/// LINE link, asks `NoticePolicy` once which channels this change reaches, renders the e-mail through the
/// application's Leaf renderer and the LINE message (`LineNotices`), and writes the e-mail and push jobs, each
/// keyed by the event's key: a retried event job writes nothing twice.
struct NoticeHandler: OutboxHandler {
    let app: Application

    func handle(_ job: ClaimedJob) async throws {
        guard let slug = job.tenantID, let tenant = app.tenants.tenant(slug: slug) else { throw OutboxFailure.permanent("no such tenant") }
        let messages: [any OutboxMessage]
        switch job.kind {
        case PetitionFiled.kind: messages = try await filed(try Self.decode(job), tenant: tenant)
        case PetitionMoved.kind: messages = try await moved(try Self.decode(job), tenant: tenant)
        case DocumentIssued.kind: messages = []  // no notice of its own (`NoticePolicy`); the event is there for what comes next
        case DocumentWithdrawn.kind: messages = try await withdrawn(try Self.decode(job), tenant: tenant)
        case IdentityDecided.kind: messages = try await identity(try Self.decode(job), tenant: tenant)
        case PetitionInfoRequested.kind: messages = try await infoRequested(try Self.decode(job), tenant: tenant)
        default: throw OutboxFailure.unknownKind(job.kind)
        }
        guard !messages.isEmpty else { return }
        // Due since the change: a backlog sends the older changes' notices before it runs the newer events, and
        // the worker's network waits (SMTP, LINE) overlap the events' rendering instead of following it.
        let due = min(job.createdAt, Date())
        // One statement, no transaction: each job is written once by its key, so a retried event adds nothing twice.
        try await OutboxStore.enqueue(try messages.map { try $0.outboxJob() }, tenant: tenant, runAt: due, on: app.db)
        app.outboxWakeUp.poke()
    }

    /// What `subject` sends this recipient: the e-mail and the LINE message, each built only when its channel is chosen.
    private func fanOut(
        _ subject: NoticePolicy.Subject, to r: CitizenNotices.Recipient?, key: String,
        email: (CitizenNotices.Recipient) async throws -> RenderedMail,
        line: () -> LineMessage, toldInChat: Bool = false
    ) async throws -> [any OutboxMessage] {
        guard let r else { return [] }
        var out: [any OutboxMessage] = []
        for channel in CitizenNotices.channels(subject, to: r) {
            switch channel {
            case .email: out.append(try await email(r))
            case .line: if !toldInChat, let user = r.lineUserID { out.append(LinePushMessage(to: user, messages: [line()], key: key)) }
            }
        }
        return out
    }

    private func filed(_ e: PetitionFiled, tenant: Tenant) async throws -> [any OutboxMessage] {
        let p = e.petition
        return try await fanOut(
            .filed, to: try await CitizenNotices.recipient(p.citizenID, tenant: tenant, on: app.db), key: e.key,
            email: { try await NoticeMail.filed(e, tenant: tenant, to: $0, app: app) },
            line: {
                LineNotices.filed(
                    tenant: tenant, number: p.number, serviceName: p.serviceName, filedAt: p.filedAt, dueAt: p.dueAt,
                    link: TenantURL.petition(p.number).path(base: e.linkBase))
            }, toldInChat: e.inLineChat == true)
    }

    private func moved(_ e: PetitionMoved, tenant: Tenant) async throws -> [any OutboxMessage] {
        let p = e.petition
        return try await fanOut(
            .moved(to: e.to), to: try await CitizenNotices.recipient(p.citizenID, tenant: tenant, on: app.db), key: e.key,
            email: { try await NoticeMail.statusChanged(e, tenant: tenant, to: $0, app: app) },
            line: {
                LineNotices.statusChanged(
                    tenant: tenant, number: p.number, serviceName: p.serviceName, status: e.to, at: e.at,
                    note: e.note, link: TenantURL.petition(p.number).path(base: e.linkBase))
            })
    }

    private func withdrawn(_ e: DocumentWithdrawn, tenant: Tenant) async throws -> [any OutboxMessage] {
        let p = e.petition, d = e.document
        return try await fanOut(
            .documentWithdrawn, to: try await CitizenNotices.recipient(p.citizenID, tenant: tenant, on: app.db), key: e.key,
            email: { try await NoticeMail.documentWithdrawn(e, tenant: tenant, to: $0, app: app) },
            line: {
                LineNotices.documentWithdrawn(
                    tenant: tenant, kind: d.kind, title: d.title, code: d.code, number: p.number,
                    at: e.withdrawnAt, reason: e.reason,
                    link: TenantURL.petition(p.number).path(base: e.linkBase))
            })
    }

    private func infoRequested(_ e: PetitionInfoRequested, tenant: Tenant) async throws -> [any OutboxMessage] {
        let p = e.petition
        return try await fanOut(
            .infoRequested, to: try await CitizenNotices.recipient(p.citizenID, tenant: tenant, on: app.db), key: e.key,
            email: { try await NoticeMail.infoRequested(e, tenant: tenant, to: $0, app: app) },
            line: {
                LineNotices.infoRequested(
                    tenant: tenant, number: p.number, serviceName: p.serviceName, at: e.at, message: e.message,
                    link: TenantURL.petition(p.number).path(base: e.linkBase))
            })
    }

    private func identity(_ e: IdentityDecided, tenant: Tenant) async throws -> [any OutboxMessage] {
        try await fanOut(
            .identity, to: try await CitizenNotices.recipient(e.citizenID, tenant: tenant, on: app.db), key: e.key,
            email: { try await NoticeMail.identityDecided(e, tenant: tenant, to: $0, app: app) },
            line: {
                LineNotices.identity(
                    tenant: tenant, approved: e.approved, reason: e.reason,
                    link: (e.approved ? TenantURL.account : .identity).path(base: e.linkBase))
            })
    }

    private static func decode<E: NoticeEvent>(_ job: ClaimedJob) throws -> E {
        do {
            return try JSONDecoder.outbox.decode(E.self, from: Data(job.payload.utf8))
        } catch {
            throw OutboxFailure.permanent("payload is not a \(job.kind) event: \(error)")
        }
    }
}

/// The notifier runs every notice event kind.
func registerNoticeJobs(_ app: Application) {
    for kind in NoticeEvents.kinds { app.registerOutboxHandler(kind) { NoticeHandler(app: $0) } }
}
