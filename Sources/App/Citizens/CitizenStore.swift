import Domain
import Fluent
import Foundation
import SQLKit

/// Queries on `citizens`, always within one tenant.
enum CitizenStore {
    static func byID(_ id: UUID, tenant: Tenant, on db: any Database) async throws -> CitizenAccount? {
        try await CitizenAccount.query(on: db, tenant: tenant).filter(\.$id == id).first()
    }

    /// What a notice needs of a citizen, in one read: the name, e-mail and choices, and the LINE user linked to
    /// the citizen if it follows the tenant's Official Account. Nil for a citizen that is gone.
    static func noticeRecipient(_ id: UUID, tenant: Tenant, on db: any Database) async throws -> CitizenNotices.Recipient? {
        guard
            let row = try await sqlDatabase(db).raw(
                """
                SELECT c.title, c.first_name, c.last_name, c.email, c.email_confirmed_at, c.closed_at, c.notify_filed_email, c.notify_status_changes,
                       c.notify_identity_email, c.notify_filed_line, c.notify_status_line, c.notify_completed_line,
                       c.notify_identity_line, l.user_id AS line_user_id, l.following AS line_following
                  FROM citizens c LEFT JOIN line_users l ON l.tenant_id = c.tenant_id AND l.citizen_id = c.id
                 WHERE c.tenant_id = \(bind: tenant.id) AND c.id = \(bind: id)
                """
            ).first()
        else { return nil }
        func flag(_ column: String) throws -> Bool { try row.decode(column: column, as: Bool.self) }
        let choices = CitizenAccount.noticeChoices(
            filedEmail: try flag("notify_filed_email"), statusEmail: try flag("notify_status_changes"),
            identityEmail: try flag("notify_identity_email"), filedLine: try flag("notify_filed_line"),
            statusLine: try flag("notify_status_line"), completedLine: try flag("notify_completed_line"),
            identityLine: try flag("notify_identity_line"))
        let following = try row.decode(column: "line_following", as: Bool?.self) ?? false
        let confirmed = try row.decode(column: "email_confirmed_at", as: Date?.self) != nil
        let closed = try row.decode(column: "closed_at", as: Date?.self) != nil
        return CitizenNotices.Recipient(
            name: try row.decode(column: "title", as: String.self) + (try row.decode(column: "first_name", as: String.self)) + " "
                + (try row.decode(column: "last_name", as: String.self)),
            // Only a confirmed address gets notices: a registration whose link was not followed yet gets none by e-mail.
            emailAddress: confirmed && !closed ? try row.decode(column: "email", as: String.self) : "",
            choices: choices,
            lineUserID: following ? try row.decode(column: "line_user_id", as: String?.self) : nil)
    }

    static func byNationalIDHash(_ hash: String, tenant: Tenant, on db: any Database) async throws -> CitizenAccount? {
        try await CitizenAccount.query(on: db, tenant: tenant).filter(\.$nationalIDHash == hash).first()
    }

    /// The open accounts whose confirmed address is `email` (a family may share one); an address not confirmed yet
    /// finds nothing, so a password reset is never sent to it.
    static func byConfirmedEmail(_ email: String, tenant: Tenant, on db: any Database) async throws -> [CitizenAccount] {
        try await CitizenAccount.query(on: db, tenant: tenant).filter(\.$email == email.lowercased())
            .filter(\.$emailConfirmedAt != nil).filter(\.$closedAt == nil).limit(10).all()
    }

    /// How many accounts of the tenant are in each verification status.
    static func counts(tenant: Tenant, on db: any Database) async throws -> [VerificationStatus: Int] {
        let sql = try sqlDatabase(db)
        let rows = try await sql.raw(
            """
            SELECT verification_status AS status, COUNT(*) AS n FROM citizens WHERE tenant_id = \(bind: tenant.id)
            GROUP BY verification_status
            """
        ).all()
        var out: [VerificationStatus: Int] = [:]
        for row in rows {
            if let s = VerificationStatus(rawValue: try row.decode(column: "status", as: String.self)) {
                out[s] = try row.decode(column: "n", as: Int.self)
            }
        }
        return out
    }

    /// The verification queue: accounts in `status`, oldest submission first.
    static func queue(tenant: Tenant, status: VerificationStatus, limit: Int = 100, on db: any Database) async throws -> [CitizenAccount] {
        let q = CitizenAccount.query(on: db, tenant: tenant).filter(\.$verificationStatusRaw == status.rawValue)
        switch status {
        case .pending: q.sort(\.$imagesSubmittedAt, .ascending).sort(\.$createdAt, .ascending)
        case .awaitingImages: q.sort(\.$createdAt, .ascending)
        case .verified, .rejected, .closed: q.sort(\.$verifiedAt, .descending)
        }
        return try await q.limit(limit).all()
    }

    /// An officer's decision, taken only if the account is still waiting: of two officers deciding at once,
    /// one wins and the other is told. Returns whether this call decided.
    /// `identityVersion` is the set of images the officer looked at: if the citizen sent new ones since, the
    /// decision is not taken. The `identity.decided` event (the notifier tells the citizen) is written in the same
    /// transaction.
    static func decide(
        _ account: CitizenAccount, identityVersion: Int, verified: Bool, reason: String?, staffID: UUID, tenant: Tenant,
        linkBase: String, now: Date = Date(), on db: any Database
    ) async throws -> Bool {
        let id = try account.requireID()
        let status = verified ? VerificationStatus.verified.rawValue : VerificationStatus.rejected.rawValue
        return try await db.writeTransaction { db in
            guard
                try await db.claim(
                    """
                    UPDATE citizens SET verification_status = \(bind: status), verification_reason = \(bind: reason),
                      verified_at = \(bind: now), verified_by = \(bind: staffID), updated_at = \(bind: now)
                    WHERE id = \(bind: id) AND tenant_id = \(bind: tenant.id) AND verification_status = 'pending'
                      AND identity_version = \(bind: identityVersion) RETURNING id
                    """)
            else { return false }
            try await IdentityDecided(citizenID: id, approved: verified, reason: reason, identityVersion: identityVersion, linkBase: linkBase)
                .record(tenant: tenant, on: db)
            return true
        }
    }

    /// A new password: the session epoch moves on, which ends every session of the account on every device.
    /// A signed-in change of password: the new hash and the next epoch (ending every other session), only if the account
    /// still has the hash and epoch the change was checked against (a reset or another change meanwhile wins); false then.
    static func changePassword(
        citizenID: UUID, tenant: Tenant, from oldHash: String, epoch: Int, to hash: String, now: Date, on db: any Database
    ) async throws -> Bool {
        try await db.claim(
            """
            UPDATE citizens SET password_hash = \(bind: hash), session_epoch = session_epoch + 1, updated_at = \(bind: now)
            WHERE id = \(bind: citizenID) AND tenant_id = \(bind: tenant.id) AND session_epoch = \(bind: epoch)
              AND password_hash = \(bind: oldHash) RETURNING id
            """)
    }

    /// The mobile number and address the citizen changed on "แก้ไขข้อมูลติดต่อ".
    static func updateContact(citizenID: UUID, tenant: Tenant, mobile: String, address a: AddressSelection, now: Date, on db: any Database) async throws {
        // Never onto a closed account (a form sent while an officer approved its closing).
        try await CitizenAccount.query(on: db, tenant: tenant).filter(\.$id == citizenID).filter(\.$closedAt == nil)
            .set(\.$mobile, to: mobile).set(\.$house, to: a.houseNumber).set(\.$moo, to: a.moo.isEmpty ? nil : a.moo)
            .set(\.$village, to: a.village.isEmpty ? nil : a.village).set(\.$soi, to: a.soi.isEmpty ? nil : a.soi)
            .set(\.$road, to: a.road.isEmpty ? nil : a.road).set(\.$provinceCode, to: a.provinceCode).set(\.$districtCode, to: a.districtCode)
            .set(\.$subdistrictCode, to: a.subdistrictCode).set(\.$postcode, to: a.postcode).set(\.$updatedAt, to: now).update()
    }

    /// A new address waiting for its confirmation (nil: none waiting).
    static func setPendingEmail(citizenID: UUID, tenant: Tenant, email: String?, now: Date, on db: any Database) async throws {
        try await CitizenAccount.query(on: db, tenant: tenant).filter(\.$id == citizenID).filter(\.$closedAt == nil)
            .set(\.$pendingEmail, to: email).set(\.$updatedAt, to: now).update()
    }

    /// An account whose address was never confirmed takes a new one as it is typed (both `email` and, by
    /// `CitizenEmailConfirmation`, `pending_email`); it stays unconfirmed until the new link is followed.
    static func setUnconfirmedEmail(citizenID: UUID, tenant: Tenant, email: String, now: Date, on db: any Database) async throws {
        try await CitizenAccount.query(on: db, tenant: tenant).filter(\.$id == citizenID).filter(\.$emailConfirmedAt == nil)
            .filter(\.$closedAt == nil).set(\.$email, to: email).set(\.$updatedAt, to: now).update()
    }

    /// The waiting address becomes the account's e-mail, if it is still `email` (a later change asked for another);
    /// false otherwise.
    static func confirmEmail(citizenID: UUID, tenant: Tenant, email: String, now: Date, on db: any Database) async throws -> Bool {
        try await db.claim(
            """
            UPDATE citizens SET email = pending_email, pending_email = NULL, email_confirmed_at = \(bind: now), updated_at = \(bind: now)
            WHERE id = \(bind: citizenID) AND tenant_id = \(bind: tenant.id) AND pending_email = \(bind: email) AND closed_at IS NULL RETURNING id
            """)
    }

    static func setPassword(citizenID: UUID, tenant: Tenant, hash: String, epoch: Int, now: Date, on db: any Database) async throws {
        try await CitizenAccount.query(on: db, tenant: tenant).filter(\.$id == citizenID)
            .set(\.$passwordHash, to: hash).set(\.$sessionEpoch, to: epoch).set(\.$updatedAt, to: now).update()
    }

    /// Notes a sign-in on the account (`signed_in_at`); `false` when the account is gone (the abandoned-registration
    /// sweep took it a moment ago).
    static func signedIn(_ account: CitizenAccount, now: Date, on db: any Database) async throws -> Bool {
        let id = try account.requireID()
        return try await db.claim(
            "UPDATE citizens SET signed_in_at = \(bind: now) WHERE id = \(bind: id) AND tenant_id = \(bind: account.tenantID) RETURNING id")
    }

    // MARK: Retention (every tenant)

    /// Deletes up to `limit` registrations abandoned before the identity step: accounts that never sent their identity
    /// images (still `awaiting_images`, nothing submitted), have no petition, and on which nothing happened since
    /// `before` (made, changed — a profile photo, a password, notice choices — and last signed in before it), in every
    /// tenant, oldest first. A pending, verified or rejected account, or one with any petition, is never taken. Nor is
    /// one in use: a citizen session ends at most 12 hours after its sign-in (`SignInPolicy.citizenSession`), and
    /// `before` is at least a day back (`ABANDONED_REGISTRATION_DAYS`), so an account last signed in before it has no
    /// live session and nobody can be filing a petition or uploading images with it (an `awaiting_images` account may
    /// file for services that need no verified identity).
    /// Their identity-image rows (a profile photo), single-use links and LINE link nonces go with them (the schema's
    /// cascades) and a LINE user linked to one is unlinked. Returns how many accounts went and the stored files their
    /// image rows named, for the caller to delete from the file store once this has committed.
    ///
    /// One transaction per call. On PostgreSQL the accounts are locked as they are chosen (`FOR UPDATE SKIP LOCKED`),
    /// so a sign-in of the same account at that moment waits for the commit (and then finds no account: the wrong
    /// password answer) or, holding the row first, keeps the account out of this batch; the delete checks every
    /// condition again. SQLite runs writers one at a time.
    static func sweepAbandoned(before: Date, limit: Int, on db: any Database) async throws -> (accounts: Int, files: [String]) {
        try await db.writeTransaction { db in
            let sql = try sqlDatabase(db)
            let lock: SQLQueryString = sql.dialect.name == "postgresql" ? "FOR UPDATE SKIP LOCKED" : ""
            let abandoned: SQLQueryString = """
                verification_status = 'awaiting_images' AND images_submitted_at IS NULL
                AND NOT EXISTS (SELECT 1 FROM petitions p WHERE p.tenant_id = citizens.tenant_id AND p.citizen_id = citizens.id)
                AND created_at < \(bind: before) AND updated_at < \(bind: before) AND (signed_in_at IS NULL OR signed_in_at < \(bind: before))
                """
            let ids = try await sql.raw(
                """
                SELECT id FROM citizens WHERE \(abandoned)
                ORDER BY created_at LIMIT \(literal: max(1, limit)) \(lock)
                """
            ).all().map { try $0.decode(column: "id", as: UUID.self) }
            guard !ids.isEmpty else { return (0, []) }
            let images = try await sql.raw("SELECT citizen_id, file_name FROM identity_images WHERE citizen_id IN (\(binds: ids))").all().map {
                (try $0.decode(column: "citizen_id", as: UUID.self), try $0.decode(column: "file_name", as: String.self))
            }
            let gone = Set(
                try await sql.raw("DELETE FROM citizens WHERE id IN (\(binds: ids)) AND \(abandoned) RETURNING id").all().map {
                    try $0.decode(column: "id", as: UUID.self)
                })
            return (gone.count, images.filter { gone.contains($0.0) }.map(\.1))
        }
    }
}
