import Domain
import Fluent
import Foundation
import Vapor

/// The one way an address becomes the account's e-mail: it waits as `pending_email`, a 24-hour single-use link
/// (`.citizenEmail`) is sent to it, and `/confirm-email/:token` makes it the confirmed address
/// (`CitizenStore.confirmEmail`). Used by registration (the first address), by "แก้ไขข้อมูลติดต่อ" (a new one) and by
/// "ส่งลิงก์ยืนยันอีกครั้ง" (the link again, rate-limited). Nothing but this link is sent to an address before it is confirmed.
enum CitizenEmailConfirmation {
    /// Links sent again by the button: per account, a few an hour.
    static let resendRule = RateRule(limit: 3, window: 3600)

    /// In the caller's transaction: earlier links of the account stop working, `address` waits as `pending_email`,
    /// and the mail with the new link is written to the outbox.
    static func send(
        _ req: Request, account: CitizenAccount, tenant: Tenant, to address: String, now: Date, on db: any Database
    ) async throws {
        let citizenID = try account.requireID()
        let owner = TokenOwner.citizen(tenantID: tenant.id, citizenID: citizenID)
        try await SingleUseTokens.revokeAll(.citizenEmail, for: owner, now: now, on: db)
        let issued = try await SingleUseTokens.issue(.citizenEmail, for: owner, now: now, on: db)
        try await CitizenStore.setPendingEmail(citizenID: citizenID, tenant: tenant, email: address, now: now, on: db)
        let context = CitizenEmailChangeMail(
            frame: .init(name: account.fullName, tenantName: tenant.thaiName, link: CitizenMail.link(req, tenant: tenant, .confirmEmail(issued))),
            maskedNationalID: account.maskedNationalID, requestedAt: ThaiDate.shortWithTime(now),
            hours: Int(SingleUseToken.Kind.citizenEmail.lifetime / 3600), newEmail: EmailMask.masking(address))
        let mail = try await EmailOutbox(views: req.view, from: req.application.settings.mailFrom).render(
            template: "citizen-email-confirm", context: context, to: [address], subject: "ยืนยันอีเมล e-Service \(tenant.thaiName)",
            idempotencyKey: OutboxStore.secretKeyPrefix
                + "citizen-email-confirm:\(citizenID.uuidString.lowercased()):\(Int(now.timeIntervalSince1970)):\(UUID().uuidString.prefix(8))")
        _ = try await EmailOutbox.enqueue(mail, tenant: tenant, on: db)
    }
}
