import Domain
import Fluent
import Foundation

extension CitizenStore {
    /// The citizen's notice choices, written on their row within the tenant (the account keeps them too).
    static func setNoticeChoices(
        _ choices: NotificationChoices, of account: CitizenAccount, tenant: Tenant, now: Date,
        on db: any Database
    ) async throws {
        account.noticeChoices = choices
        account.updatedAt = now
        try await CitizenAccount.query(on: db, tenant: tenant).filter(\.$id == (try account.requireID()))
            .set(\.$notifyFiledEmail, to: account.notifyFiledEmail)
            .set(\.$notifyStatusChanges, to: account.notifyStatusChanges)
            .set(\.$notifyIdentityEmail, to: account.notifyIdentityEmail)
            .set(\.$notifyFiledLine, to: account.notifyFiledLine)
            .set(\.$notifyStatusLine, to: account.notifyStatusLine)
            .set(\.$notifyCompletedLine, to: account.notifyCompletedLine)
            .set(\.$notifyIdentityLine, to: account.notifyIdentityLine)
            .set(\.$updatedAt, to: now)
            .update()
    }
}
