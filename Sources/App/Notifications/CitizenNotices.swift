import Domain
import Fluent
import Foundation
import Vapor

/// What a change tells the citizen, by e-mail and in LINE, as they chose (`NotificationChoices`): the
/// messages are returned for the caller to write to the outbox in the change's own transaction. LINE gets a
/// message only when the citizen linked a LINE account that still follows the Official Account.
enum CitizenNotices {
    struct Recipient: Sendable {
        var citizen: CitizenAccount
        /// The linked LINE user, when it follows the tenant's Official Account.
        var lineUserID: String?
    }

    /// Read before the change's transaction, so the notices need no query of their own.
    static func recipient(_ citizen: CitizenAccount, tenant: Tenant, on db: any Database) async throws -> Recipient {
        let line = try await LineStore.linked(tenant: tenant.id, citizenID: try citizen.requireID(), on: db)
        return Recipient(citizen: citizen, lineUserID: line.flatMap { $0.following ? $0.userID : nil })
    }

    /// The petition's citizen; nil for an Open311 petition (no citizen) or one whose citizen is gone.
    static func recipient(of petition: PetitionRecord, tenant: Tenant, on db: any Database) async throws -> Recipient? {
        guard let citizen = try await PetitionMail.recipient(of: petition, tenant: tenant, on: db) else { return nil }
        return try await recipient(citizen, tenant: tenant, on: db)
    }

    static func filed(_ req: Request, petition: PetitionRecord, tenant: Tenant, to r: Recipient) async throws -> [any OutboxMessage] {
        var out: [any OutboxMessage] = try await PetitionMail.filed(req, petition: petition, tenant: tenant, citizen: r.citizen)
        if let user = r.lineUserID, r.citizen.noticeChoices.wants(.filed, by: .line) {
            let message = LineNotices.filed(tenant: tenant, number: petition.number, serviceName: petition.serviceName, filedAt: petition.createdAt,
                                            dueAt: petition.dueAt, link: CitizenMail.link(req, tenant: tenant, .petition(petition.number)))
            out.append(LinePushMessage(to: user, messages: [message], key: "petition-filed:\(try petition.requireID().uuidString.lowercased())"))
        }
        return out
    }

    /// `petition` as it is after the move.
    static func statusChanged(_ req: Request, petition: PetitionRecord, tenant: Tenant, note: String?, to r: Recipient?) async throws -> [any OutboxMessage] {
        guard let r else { return [] }
        var out: [any OutboxMessage] = try await PetitionMail.statusChanged(req, petition: petition, tenant: tenant, note: note, citizen: r.citizen)
        if let user = r.lineUserID, r.citizen.noticeChoices.wants(.of(petition.status), by: .line) {
            let message = LineNotices.statusChanged(tenant: tenant, number: petition.number, serviceName: petition.serviceName, status: petition.status,
                                                    at: petition.statusChangedAt, note: note,
                                                    link: CitizenMail.link(req, tenant: tenant, .petition(petition.number)))
            out.append(LinePushMessage(to: user, messages: [message],
                                       key: "petition-status:\(try petition.requireID().uuidString.lowercased()):\(petition.version)"))
        }
        return out
    }

    /// The channels a status change reaches, for the officer's confirmation ("อีเมลและ LINE").
    static func channels(for status: PetitionStatus, to r: Recipient?) -> [NoticeChannel] {
        guard let r else { return [] }
        var out: [NoticeChannel] = []
        if PetitionMail.wants(r.citizen, status: status) { out.append(.email) }
        if r.lineUserID != nil, r.citizen.noticeChoices.wants(.of(status), by: .line) { out.append(.line) }
        return out
    }

    /// The identity check's result in LINE (the e-mail is the review page's own).
    static func identity(_ req: Request, tenant: Tenant, approved: Bool, reason: String?, to r: Recipient, key: String) -> [any OutboxMessage] {
        guard let user = r.lineUserID, r.citizen.noticeChoices.wants(.identity, by: .line) else { return [] }
        let message = LineNotices.identity(tenant: tenant, approved: approved, reason: reason,
                                           link: CitizenMail.link(req, tenant: tenant, approved ? .account : .identity))
        return [LinePushMessage(to: user, messages: [message], key: key)]
    }
}
