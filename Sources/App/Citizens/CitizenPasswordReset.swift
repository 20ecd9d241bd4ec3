import Domain
import Fluent
import Foundation
import Vapor

/// "ลืมรหัสผ่าน" done off the request: the page only writes one outbox job, the same whether or not the
/// e-mail is registered, so neither the answer nor its timing tells. The job's handler finds the accounts of
/// that tenant with the address (a family may share one: one link each), issues each a 10-minute link and
/// writes the e-mail jobs, all in one transaction; a retried job sends nothing twice.
enum CitizenPasswordReset {
    static let kind = "citizen-reset-request"

    struct Payload: Codable, Sendable {
        var tenant: String
        var email: String
        /// The tenant site's address the person used, e.g. "http://bangkrathum.localhost:8080" or ".../t/bangkrathum".
        var linkBase: String
        var requestedAt: Date
    }

    static func request(email: String, tenant: Tenant, linkBase: String, now: Date, on db: any Database) async throws {
        try await OutboxStore.enqueue(
            tenant: tenant, kind: kind,
            payload: Payload(tenant: tenant.slug, email: email, linkBase: linkBase, requestedAt: now),
            idempotencyKey: "citizen-reset-request:\(UUID().uuidString)", on: db)
    }
}

struct CitizenResetRequestHandler: OutboxHandler {
    let app: Application

    private struct AlreadySent: Error {}

    func handle(_ job: ClaimedJob) async throws {
        let p = try JSONDecoder.outbox.decode(CitizenPasswordReset.Payload.self, from: Data(job.payload.utf8))
        guard let tenant = app.tenants.tenant(slug: p.tenant) else { throw OutboxFailure.permanent("unknown tenant") }
        let now = Date()
        for account in try await CitizenStore.byConfirmedEmail(p.email, tenant: tenant, on: app.db) {
            let accountID = try account.requireID()
            do {
                try await app.db.writeTransaction { db in
                    let token = try await SingleUseTokens.issue(
                        .citizenReset, for: .citizen(tenantID: account.tenantID, citizenID: accountID), now: now, on: db)
                    let link = p.linkBase + TenantURL.resetPassword(token).path(base: "")
                    let context = CitizenPasswordResetMail(
                        frame: .init(name: account.fullName, tenantName: tenant.thaiName, link: link),
                        maskedNationalID: account.maskedNationalID, requestedAt: ThaiDate.shortWithTime(p.requestedAt),
                        minutes: Int(SingleUseToken.Kind.citizenReset.lifetime / 60))
                    let mail = try await EmailOutbox(views: app.view, from: app.settings.mailFrom).render(
                        template: "citizen-password-reset", context: context, to: [account.email],
                        subject: CitizenPasswordResetMail.subject(tenant: tenant),
                        idempotencyKey: OutboxStore.secretKeyPrefix + "citizen-reset:\(job.idempotencyKey):\(accountID.uuidString)")
                    // Sent by an earlier try of this job: roll the new link back.
                    guard try await EmailOutbox.enqueue(mail, tenant: tenant, on: db) else { throw AlreadySent() }
                }
            } catch is AlreadySent {
                continue
            }
        }
    }
}
