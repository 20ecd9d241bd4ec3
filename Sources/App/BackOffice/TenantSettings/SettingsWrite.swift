import Domain
import Fluent
import Vapor

/// How every settings change is written: in one transaction that first raises the settings revision (which
/// puts concurrent changes in line), then makes the change and its audit record, then stamps the tenant.
/// After the commit this instance serves the change at once; the others within their next poll.
enum SettingsWrite {
    struct Context: Sendable {
        let db: any Database
        let revision: Int64
        let now: Date
        let settings: TenantSettingRecord
    }

    static func perform<T: Sendable>(
        _ app: Application, tenant: Tenant,
        _ body: @escaping @Sendable (Context) async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            do {
                let result = try await app.db.writeTransaction { db in
                    let revision = try await SettingsRevision.next(on: db)
                    let now = Date()
                    let settings = try await SettingsRevision.stamp(tenant: tenant, revision: revision, now: now, on: db)
                    return try await body(Context(db: db, revision: revision, now: now, settings: settings))
                }
                try await app.tenantSettingsSync?.reload([tenant.slug], app)
                return result
            } catch let error as any DatabaseError where error.isConstraintFailure && attempt < 2 {
                // A row written outside the line at the same moment (a petition writing down version 1): try again.
                attempt += 1
            }
        }
    }
}

extension Request {
    /// The tenant of this back-office request with the latest settings from the database (another instance may
    /// have changed them a moment ago), and its folder's catalogue.
    func settingsTenant() async throws -> (tenant: Tenant, folder: Menus) {
        let slug = try backOffice.tenant.slug
        try await application.tenantSettingsSync?.reload([slug], application)
        guard let tenant = application.tenants.tenant(slug: slug),
            let folder = application.tenantDirectory?.folder.tenant(slug: slug)
        else { throw Abort(.notFound) }
        return (tenant, folder.config.menus)
    }
}
