import Vapor

/// `/backoffice/t/{tenant}/settings/…`: Organization admins change their municipality's display details,
/// identity image policy, service catalogue and forms. `routes` already requires a signed-in staff member
/// with the Organization-admin role in the path's tenant (`req.backOffice`); paths match `TenantSettingsURL`.
enum TenantSettingsRoutes {
    static func register(_ r: BackOfficeRouter) {
        r.mount(.tenantSettings, register(on:))
    }

    private static func register(on routes: any RoutesBuilder) {
        let overview = SettingsOverviewController()
        let details = TenantDetailsController()
        let services = ServiceEntryController()
        let forms = FormEditorController()

        routes.get(use: overview.index)
        routes.get("display", use: details.displayPage)
        routes.post("display", use: details.saveDisplay)
        routes.get("identity", use: details.identityPage)
        routes.post("identity", use: details.saveIdentity)

        let service = routes.grouped("services")
        service.get("new", use: services.newPage)
        service.post("new", use: services.add)
        service.get(":service", use: services.editPage)
        service.post(":service", use: services.save)
        service.post(":service", "move", use: overview.move)
        service.post(":service", "retire", use: overview.retire)
        service.post(":service", "restore", use: overview.restore)
        service.get(":service", "form", use: forms.page)
        service.post(":service", "form", use: forms.submit)
        service.get(":service", "versions", use: forms.history)
        service.get(":service", "versions", ":version", use: forms.version)

        let divisions = DivisionSettingsController()
        let division = routes.grouped("divisions")
        division.get(use: divisions.list)
        division.get("new", use: divisions.newPage)
        division.post("new", use: divisions.add)
        division.get(":division", use: divisions.editPage)
        division.post(":division", use: divisions.save)
        division.post(":division", "delete", use: divisions.delete)
    }
}
