/// A tenant's Open311 API keys in the back office: list, issue (shown once), revoke after a confirmation page.
enum Open311KeysRoutes {
    static func register(_ r: BackOfficeRouter) {
        let keys = Open311KeysController()
        r.get(.tenantOpen311, use: keys.page)
        r.post(.tenantOpen311, use: keys.issue)
        r.get(.tenantOpen311Revoke, use: keys.confirmRevoke)
        r.post(.tenantOpen311Revoke, use: keys.revoke)
    }
}
