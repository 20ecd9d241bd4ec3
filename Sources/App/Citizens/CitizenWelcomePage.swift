import Domain
import Fluent
import Foundation

/// The citizen's account page ("ยินดีต้อนรับ"): the verification status with the next step, the images sent, and
/// the documents the tenant issued to them. Built by `CitizenWelcomePageBuilder` from `CitizenWelcomePage.Records`.
struct CitizenWelcomePage: Encodable {
    struct Thumb: Encodable, Equatable {
        var label: String
        var url: String
    }

    struct DocumentLink: Encodable, Equatable {
        var kind: String
        var title: String
        var number: String
        var issued: String
        var url: String
        var petitionURL: String
        /// Withdrawn by the tenant (still listed: it is a record).
        var withdrawn: Bool
    }

    var page: PageChrome
    var notice: String?
    var name: String
    var verification: VerificationBanner
    /// The identity images sent (not the profile photo).
    var images: [Thumb]
    var documents: [DocumentLink]
    var profileURL: String

    /// Everything the page shows, loaded through the stores.
    struct Records {
        var account: CitizenAccount
        var images: [IdentityImageRecord]
        var documents: [(document: PetitionDocumentRecord, number: String)]

        static func load(_ account: CitizenAccount, tenant t: Tenant, on db: any Database) async throws -> Records {
            let id = try account.requireID()
            return Records(
                account: account, images: try await IdentityImages.list(citizenID: id, tenant: t, on: db),
                documents: try await PetitionDocuments.forCitizen(id, tenant: t, on: db))
        }
    }
}

/// Builds the citizen's account page from its records (no request, no database).
struct CitizenWelcomePageBuilder {
    var tenant: ResolvedTenant

    func build(_ r: CitizenWelcomePage.Records, chrome: PageChrome, notice: String? = nil) -> CitizenWelcomePage {
        let t = tenant
        return CitizenWelcomePage(
            page: chrome, notice: notice, name: r.account.fullName,
            verification: VerificationBanner(r.account, identityURL: t.url(.identity)),
            images: r.images.filter { $0.slot >= 0 }.compactMap { i in i.id.map { .init(label: i.label, url: t.url(.accountImage($0))) } },
            documents: r.documents.compactMap { d, number in
                d.id.map {
                    .init(
                        kind: d.kind.thai, title: d.title, number: number, issued: ThaiDate.long(d.issuedAt),
                        url: t.url(.petitionDocument(number, $0)), petitionURL: t.url(.petition(number)), withdrawn: d.isWithdrawn)
                }
            },
            profileURL: t.url(.profile))
    }
}
