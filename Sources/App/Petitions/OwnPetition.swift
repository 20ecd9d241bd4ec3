import Fluent
import Foundation
import Vapor

/// A petition the signed-in citizen filed, named by its number in the path: the citizen's petition page, its
/// files and documents, the filing confirmation and the receipt all find it this way.
enum OwnPetition {
    /// The petition named in the path, if the signed-in citizen filed it; 404 for anyone else's (or none).
    static func load(_ req: Request) async throws -> (ResolvedTenant, CitizenAccount, PetitionRecord) {
        let t = try req.tenant
        let account = try req.citizen
        guard let number = req.parameters.get("number"), number.count <= 40,
            let petition = try await PetitionStore.byNumber(number, tenant: t.tenant, on: req.db),
            petition.citizenID != nil, petition.citizenID == account.id
        else { throw Abort(.notFound) }
        return (t, account, petition)
    }
}
