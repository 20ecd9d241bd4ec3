import Domain
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

/// Every back-office route refuses whoever should not use it. The test walks the router's own list, so a
/// route added without an access rule, or with the wrong one, fails here.
@Suite("Back office: every route checks who is asking")
struct BackOfficeAccessTests {
    /// A concrete path for a route pattern: the tenant under test, a random id or token.
    static func path(_ pattern: String, tenant: String) -> String {
        pattern.split(separator: "/", omittingEmptySubsequences: false).map { part -> String in
            switch part {
            case ":tenant": tenant
            case ":id", ":citizen", ":image": UUID().uuidString.lowercased()
            case ":token": RandomToken.make()
            default: String(part)
            }
        }.joined(separator: "/")
    }

    /// A session with a CSRF token but nobody signed in to the back office (as a citizen's session would be).
    static func anonymous(_ app: Application) async throws -> (cookie: String, csrf: String) {
        var out = ("", "")
        try await app.testing().test(.GET, "/backoffice/login") { res in
            let f = try FormSession.from(res)
            out = (f.cookie, f.csrf)
        }
        return out
    }

    static func status(_ app: Application, _ method: HTTPMethod, _ path: String, cookie: String, csrf: String) async throws -> HTTPStatus {
        var status = HTTPStatus.internalServerError
        var headers: HTTPHeaders = ["Cookie": cookie, "Accept": "text/html"]
        var body = ByteBuffer()
        if method == .POST {
            headers.add(name: .contentType, value: "application/x-www-form-urlencoded")
            body = ByteBuffer(string: formBody(["_csrf": csrf]))
        }
        try await app.testing().test(method, path, headers: headers, body: body) { res in status = res.status }
        return status
    }

    @Test("the route table covers every /backoffice route, and each refuses the wrong people", arguments: TestDatabase.all)
    func walk(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let table = app.backOfficeRoutes
            let registered = app.routes.all.filter { $0.path.first?.description == "backoffice" }
            #expect(registered.count == table.count, "every back-office route is registered with an access rule")
            #expect(table.count >= 30)
            // Routes come from `BackOfficeURL.Pattern`: every pattern has a route, each route sits at its pattern's
            // path (a mounted sub-tree under it) with the pattern's rule, so links built from BackOfficeURL reach them.
            #expect(Set(table.map(\.pattern)) == Set(BackOfficeURL.Pattern.allCases), "every pattern is registered")
            for route in table {
                let base = (["/backoffice"] + route.pattern.components).joined(separator: "/")
                #expect(
                    route.path == base || (route.pattern == .tenantSettings && route.path.hasPrefix(base + "/")),
                    "\(route.method) \(route.path) is not at \(route.pattern)'s path")
                #expect(route.access == route.pattern.access)
            }

            let anon = try await Self.anonymous(app)
            // A citizen signed in to a tenant's e-Service is nobody in the back office.
            let citizen = try await CitizenFixtures.register(app)
            let nobody = try await signedInStaff(app, tenant: nil, role: nil)
            let otherOfficer = try await signedInStaff(app, tenant: "nakhonpathom", role: .officer)
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let orgAdmin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)

            for route in table where route.access != .anyone {
                let path = Self.path(route.path, tenant: "bangkrathum")
                let what = "\(route.method) \(route.path) [\(route.access)]"
                // Signed out (a session with nobody signed in): GET goes to sign-in, anything else is 401.
                let a = try await Self.status(app, route.method, path, cookie: anon.cookie, csrf: anon.csrf)
                #expect(a == (route.method == .GET ? .seeOther : .unauthorized), "signed out: \(what) gave \(a)")
                let c = try await Self.status(app, route.method, path, cookie: citizen.cookie, csrf: citizen.csrf)
                #expect(c == (route.method == .GET ? .seeOther : .unauthorized), "signed-in citizen: \(what) gave \(c)")

                let expectations: [(String, StaffClient, Bool)]
                switch route.access {
                case .anyone, .signedIn:
                    expectations = [("no rights", nobody, true)]
                case .approver:
                    expectations = [
                        ("no rights", nobody, false), ("officer", officer, false), ("org admin", orgAdmin, true), ("platform admin", platform, true),
                    ]
                case .platformAdmin:
                    expectations = [("officer", officer, false), ("org admin", orgAdmin, false), ("platform admin", platform, true)]
                case .tenant(.officer):
                    expectations = [
                        ("no rights", nobody, false), ("officer of another tenant", otherOfficer, false), ("officer", officer, true),
                        ("platform admin", platform, true),
                    ]
                case .tenant(.orgAdmin):
                    expectations = [
                        ("officer of another tenant", otherOfficer, false), ("officer", officer, false), ("org admin", orgAdmin, true),
                        ("platform admin", platform, true),
                    ]
                }
                for (who, client, allowed) in expectations {
                    let s = try await Self.status(app, route.method, path, cookie: client.cookie, csrf: client.csrf)
                    if allowed {
                        #expect(![.unauthorized, .forbidden].contains(s) && s.code < 500, "\(who): \(what) gave \(s)")
                    } else {
                        #expect(s == .forbidden, "\(who): \(what) gave \(s), expected 403")
                    }
                }
            }

            // Tenant B's pages for tenant A's officer, and a tenant that does not exist.
            for route in table {
                guard case .tenant = route.access else { continue }
                let other = Self.path(route.path, tenant: "nakhonpathom")
                let s = try await Self.status(app, route.method, other, cookie: officer.cookie, csrf: officer.csrf)
                #expect(s == .forbidden, "officer of bangkrathum: \(route.method) \(other) gave \(s)")
                let missing = Self.path(route.path, tenant: "no-such-town")
                let m = try await Self.status(app, route.method, missing, cookie: platform.cookie, csrf: platform.csrf)
                #expect(m == .notFound, "unknown tenant: \(route.method) \(missing) gave \(m)")
            }
        }
    }

    @Test("links built from BackOfficeURL fill their pattern's parameters in order")
    func links() {
        let id = UUID(uuidString: "0A0B0C0D-0000-4000-8000-000000000001")!
        let u = "0a0b0c0d-0000-4000-8000-000000000001"
        #expect(BackOfficeURL.home.path == "/backoffice/")
        #expect(BackOfficeURL.tenantHome("bangkrathum").path == "/backoffice/t/bangkrathum/")
        #expect(BackOfficeURL.login.path == "/backoffice/login")
        #expect(BackOfficeURL.resetPassword("tok").path == "/backoffice/reset-password/tok")
        #expect(BackOfficeURL.adminStaffInitialPassword(id).path == "/backoffice/admin/staff/\(u)/initial-password")
        #expect(BackOfficeURL.tenantStaffRevoke("x").path == "/backoffice/t/x/staff/revoke")
        #expect(BackOfficeURL.identityImage("x", id, id).path == "/backoffice/t/x/identity/\(u)/images/\(u)")
        #expect(
            BackOfficeURL.petitionDocumentWithdraw("x", "BKT-2569-000001", id).path
                == "/backoffice/t/x/petitions/BKT-2569-000001/documents/\(u)/withdraw")
        #expect(BackOfficeURL.tenantOpen311Revoke("x", id).path == "/backoffice/t/x/open311/\(u)/revoke")
    }

    @Test("half-way through signing in (password only) is not signed in", arguments: TestDatabase.all)
    func halfSignedIn(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            _ = try await StaffFixtures.account(app, username: "halfway", grants: [("bangkrathum", .orgAdmin)])
            var cookie = ""
            try await app.testing().test(.GET, "/backoffice/login") { res in
                let form = try FormSession.from(res)
                try await app.testing().test(
                    .POST, "/backoffice/login", headers: ["Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: formBody(["_csrf": form.csrf, "username": "halfway", "password": StaffFixtures.password]))
                ) { res in
                    #expect(res.status == .seeOther)
                    cookie = String(try #require(res.headers.first(name: .setCookie)).split(separator: ";")[0])
                }
            }
            try await app.testing().test(.GET, "/backoffice/t/bangkrathum/", headers: ["Cookie": cookie]) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers.first(name: .location) == "/backoffice/login")
            }
            try await app.testing().test(.GET, "/backoffice/login", headers: ["Cookie": cookie]) { res in
                #expect(res.headers.first(name: .location) == "/backoffice/login/otp")
            }
        }
    }
}
