import Domain
import Fluent
import Foundation
import Vapor

/// At start-up, a tenant whose folder names divisions gets the folder's once: one query finds the tenants
/// already seeded (`division_seeds`, whatever their number), then only the others are written, each in its own
/// transaction with its mark. Divisions an Organization admin deletes later, all of them included, are not
/// written again. Two instances starting at once: the mark's key lets one of them write a tenant's divisions,
/// the other's transaction is rolled back and it moves on.
enum DivisionSeed {
    @discardableResult
    static func run(_ app: Application, now: Date = Date()) async throws -> [String] {
        guard let directory = app.tenantDirectory else { return [] }
        let wanting = directory.folder.all.filter { !$0.config.divisions.isEmpty }
        guard !wanting.isEmpty else { return [] }
        let have = try await DivisionStore.seededTenants(on: app.db)
        var seeded: [String] = []
        for tenant in wanting where !have.contains(tenant.id) {
            let drafts = tenant.config.divisions.enumerated().map { i, d in
                DivisionStore.Draft(code: d.code, name: d.name, headStaffID: nil, position: i)
            }
            if try await DivisionStore.seed(drafts, tenant: tenant, now: now, on: app.db) { seeded.append(tenant.slug) }
        }
        if !seeded.isEmpty {
            app.logger.info("divisions written from tenant folders", metadata: ["tenants": .string(seeded.joined(separator: ","))])
        }
        return seeded
    }
}
