import Vapor

/// `/backoffice/t/{tenant}/settings/…` (Organization admins). Filled in by the tenant-settings work.
enum TenantSettingsRoutes {
    static func register(on routes: any RoutesBuilder) {}
}
