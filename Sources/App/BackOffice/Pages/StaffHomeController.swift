import Domain
import Fluent
import Foundation
import Vapor

/// The SSO home page (seed 001): the systems this person may use, each tenant's back office with its code,
/// and "เปลี่ยนแปลงสิทธิ์การใช้งาน". Also each tenant back office's own front page.
struct StaffHomeController {
    struct System: Encodable {
        var number: Int
        var code: String
        var name: String
        var role: String
        var url: String
    }

    struct HomePage: Encodable {
        var page: PageChrome
        var name: String
        var username: String
        var isPlatformAdmin: Bool
        var systems: [System]
        var totalSystems: Int
        var query: String
        var pendingRequests: Int
        var pendingApprovals: Int?
        var requestsURL = BackOfficeURL.requests.path
        var approvalsURL = BackOfficeURL.approvals.path
        var registrationsURL = BackOfficeURL.adminRegistrations.path
        var dashboardURL = BackOfficeURL.adminDashboard.path
        var pendingRegistrations: Int?
    }

    struct TenantPage: Encodable {
        var page: PageChrome
        var tenantName: String
        var code: String
        var role: String
        var isAdmin: Bool
        var settingsURL: String
        var staffURL: String
        var auditURL: String
        var identityURL: String
        var open311URL: String
        var lineURL: String
        var pendingIdentities: Int
        var siteURL: String
        var petitionsURL = ""
        var openPetitions = 0
        var dashboardURL = ""
        var closingURL = ""
        var pendingClosings = 0
    }

    static let pageSize = 50

    func index(_ req: Request) async throws -> View {
        let staff = try req.staff
        let query = (req.query[String.self, at: "q"] ?? "").trimmingCharacters(in: .whitespaces)
        let registry = req.application.tenants
        // A platform admin may use every tenant's back office; others their granted ones.
        var tenants: [(Tenant, StaffRole)] =
            staff.isPlatformAdmin
            ? registry.all.map { ($0, .orgAdmin) }
            : staff.grants.compactMap { slug, role in registry.tenant(slug: slug).map { ($0, role) } }.sorted { $0.0.slug < $1.0.slug }
        let total = tenants.count
        if !query.isEmpty {
            tenants = tenants.filter {
                $0.0.thaiName.contains(query) || $0.0.config.code.localizedCaseInsensitiveContains(query) || $0.0.slug.contains(query.lowercased())
            }
        }
        let systems = tenants.prefix(Self.pageSize).enumerated().map { i, pair in
            System(
                number: i + 1, code: pair.0.config.code, name: "ระบบงานเจ้าหน้าที่ \(pair.0.thaiName)",
                role: staff.isPlatformAdmin ? "ผู้ดูแลระบบกลาง" : pair.1.thai, url: BackOfficeURL.tenantHome(pair.0.slug).path)
        }
        let pending = try await AccessRequests.pendingCount(staffID: staff.id, on: req.db)
        var approvals: Int?
        if staff.isPlatformAdmin || staff.grants.values.contains(.orgAdmin) {
            approvals = try await AccessRequests.pending(for: staff, on: req.db).count
        }
        let registrations = staff.isPlatformAdmin ? try await StaffStore.pendingRegistrations(on: req.db).count : nil
        return try await req.view.render(
            "backoffice/home",
            HomePage(
                page: PageChrome(request: req, title: "ระบบงานของฉัน"), name: staff.displayName, username: staff.username,
                isPlatformAdmin: staff.isPlatformAdmin, systems: systems, totalSystems: total, query: query, pendingRequests: pending,
                pendingApprovals: approvals, pendingRegistrations: registrations))
    }

    func tenant(_ req: Request) async throws -> View {
        let scope = try req.backOffice
        let t = scope.tenant
        var page = TenantPage(
            page: PageChrome(request: req, title: "ระบบงานเจ้าหน้าที่ – \(t.thaiName)"), tenantName: t.thaiName, code: t.config.code,
            role: scope.staff.isPlatformAdmin ? "ผู้ดูแลระบบกลาง" : scope.role.thai, isAdmin: scope.role == .orgAdmin,
            settingsURL: BackOfficeURL.tenantSettings(t.slug).path, staffURL: BackOfficeURL.tenantStaff(t.slug).path,
            auditURL: BackOfficeURL.audit.path + "?tenant=\(t.slug)", identityURL: BackOfficeURL.identityQueue(t.slug).path,
            open311URL: BackOfficeURL.tenantOpen311(t.slug).path, lineURL: BackOfficeURL.tenantLine(t.slug).path,
            pendingIdentities: try await CitizenStore.counts(tenant: t, on: req.db)[.pending] ?? 0,
            siteURL: TenantURL.home.path(base: TenantURL.base(slug: t.slug)))
        page.petitionsURL = BackOfficeURL.petitionQueue(t.slug).path
        page.openPetitions = try await PetitionQueue.openCount(tenant: t, on: req.db)
        page.dashboardURL = BackOfficeURL.tenantDashboard(t.slug).path
        page.closingURL = BackOfficeURL.closingQueue(t.slug).path
        page.pendingClosings = try await CitizenClosing.pendingCount(tenant: t, on: req.db)
        return try await req.view.render("backoffice/tenant", page)
    }
}
