import Domain
import Fluent
import Foundation
import Vapor

/// The last step every citizen's filing shares (the website's form, a LINE chat): answers already checked against
/// `version` and files already in the file store become the petition, once per submission key. The folder's form is
/// written down as version 1 first if it never was (so the number keeps meaning this form); the files are deleted
/// again if the petition is not written, or when a repeat finds the first one's petition (unless `ownsFiles` is false:
/// a LINE chat keeps its photos until the petition has them, and a repeat files with the same ones); a new petition
/// wakes the outbox for its notices. `alsoWrite` runs in the petition's transaction.
enum PetitionFiling {
    static func file(
        _ filing: PetitionStore.Filing, version: FormVersion, linkBase: String, app: Application, now: Date = Date(),
        ownsFiles: Bool = true, alsoWrite: (@Sendable (PetitionRecord, any Database) async throws -> Void)? = nil
    ) async throws -> (petition: PetitionRecord, created: Bool) {
        let result: (petition: PetitionRecord, created: Bool)
        do {
            if version.createdAt == nil { _ = try await FormVersions.pin(tenant: filing.tenant, service: filing.service.slug, on: app.db) }
            result = try await PetitionStore.file(filing, linkBase: linkBase, now: now, on: app.db, alsoWrite: alsoWrite)
        } catch {
            if ownsFiles { await PetitionAttachments.delete(filing.attachments, app: app) }
            throw error
        }
        if result.created {
            app.outboxWakeUp.poke()
        } else if ownsFiles {
            await PetitionAttachments.delete(filing.attachments, app: app)
        }
        return result
    }
}
