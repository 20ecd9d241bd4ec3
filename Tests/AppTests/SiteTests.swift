import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite("Public pages, tenant resolution and request safety")
struct SiteTests {
    @Test("portal lists the tenants; a tenant is reached by path prefix and by host name")
    func resolution() async throws {
        try await withApp(.sqlite) { app, _ in
            try await app.testing().test(.GET, "/") { res in
                #expect(res.status == .ok)
                for slug in ["bangkrathum", "nakhonpathom", "bangrak"] { #expect(res.body.string.contains("data-tenant=\"\(slug)\"")) }
            }
            try await app.testing().test(.GET, "/t/bangkrathum/") { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("เทศบาลตำบลบางกระทุ่ม"))
                #expect(res.body.string.contains("บริการประชาชนออนไลน์ e-Service"))
                #expect(res.body.string.contains("href=\"/t/bangkrathum/services/"))
                #expect(res.body.string.contains("<html lang=\"th\">"))
            }
            try await app.testing().test(.GET, "/", headers: ["Host": "bangkrathum.localhost:8080"]) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("เทศบาลตำบลบางกระทุ่ม"))
                #expect(res.body.string.contains("href=\"/services/"), "links stay on the tenant's host")
            }
            try await app.testing().test(.GET, "/services/street-light", headers: ["Host": "bangkrathum.localhost"]) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("id=\"service-title\""))
            }
        }
    }

    @Test("the portal finds a municipality by Thai or English name")
    func portalSearch() async throws {
        try await withApp(.sqlite) { app, _ in
            for query in ["%E0%B8%9A%E0%B8%B2%E0%B8%87%E0%B8%A3%E0%B8%B1%E0%B8%81", "bang%20rak"] {  // บางรัก, "bang rak"
                try await app.testing().test(.GET, "/?q=\(query)") { res in
                    #expect(res.status == .ok)
                    #expect(res.body.string.contains("data-tenant=\"bangrak\""))
                    #expect(!res.body.string.contains("data-tenant=\"bangkrathum\""))
                }
            }
            try await app.testing().test(.GET, "/?q=zzzz&page=-4") { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("ไม่พบหน่วยงานที่ตรงกับ"))
            }
        }
    }

    @Test("unknown tenants and pages get a Thai 404 page")
    func notFound() async throws {
        try await withApp(.sqlite) { app, _ in
            for (path, headers) in [
                ("/t/no-such-place/", HTTPHeaders()), ("/services/x", ["Host": "nowhere.localhost"]),
                ("/t/bangkrathum/services/no-such-service", HTTPHeaders()),
                ("/t/nakhonpathom/", ["Host": "bangkrathum.localhost"] as HTTPHeaders),
            ] {
                try await app.testing().test(.GET, path, headers: headers) { res in
                    #expect(res.status == .notFound, "\(path)")
                    #expect(res.body.string.contains("ไม่พบ"), "\(path)")
                    #expect(res.headers.contentType?.subType == "html")
                }
            }
            try await app.testing().test(.GET, "/t/no-such-place/", headers: ["Accept": "application/json"]) { res in
                #expect(res.status == .notFound)
                #expect(res.headers.contentType == .json)
            }
        }
    }

    @Test("service page shows what the form asks and what to attach")
    func servicePage() async throws {
        try await withApp(.sqlite) { app, _ in
            let tenant = try Tenant.named("bangkrathum", in: app)
            let (menu, service) = try #require(tenant.config.menus.all.first { !($0.service.attachments ?? []).isEmpty })
            try await app.testing().test(.GET, "/t/bangkrathum/services/\(service.slug)") { res in
                let html = res.body.string
                #expect(res.status == .ok)
                #expect(html.contains(menu.thaiTitle))
                for field in service.fields { #expect(html.contains(field.label.htmlEscapedForTest), "\(field.label)") }
                for rule in service.attachments ?? [] { #expect(html.contains(rule.label.htmlEscapedForTest), "\(rule.label)") }
                #expect(html.contains("ไม่เกิน \(service.slaDays) วันทำการ"))
            }
        }
    }

    @Test("security headers on every response; theme CSS and logo served per tenant")
    func headers() async throws {
        try await withApp(.sqlite) { app, _ in
            for path in ["/", "/t/bangrak/", "/t/nope/", "/css/site.css", "/healthz"] {
                try await app.testing().test(.GET, path) { res in
                    #expect(res.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true, "\(path)")
                    #expect(res.headers.first(name: "X-Content-Type-Options") == "nosniff")
                    #expect(res.headers.first(name: "Referrer-Policy") != nil)
                    #expect(res.headers.first(name: "X-Request-ID") != nil)
                }
            }
            try await app.testing().test(.GET, "/t/bangrak/theme.css") { res in
                #expect(res.body.string.contains("--primary: #1f3b73"))
            }
            try await app.testing().test(.GET, "/t/bangrak/logo") { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("<svg"))
            }
        }
    }

    @Test("healthz and readyz", arguments: TestDatabase.all)
    func health(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            try await app.testing().test(.GET, "/healthz") { #expect($0.status == .ok) }
            try await app.testing().test(.GET, "/readyz") { #expect($0.status == .ok) }
        }
    }

    @Test("session cookie is HttpOnly and SameSite=Lax, and Secure only behind https")
    func cookies() async throws {
        try await withApp(.sqlite) { app, _ in
            try await app.testing().test(.GET, "/t/bangkrathum/contact") { res in
                let cookie = try #require(res.headers.first(name: .setCookie))
                #expect(cookie.contains("HttpOnly"))
                #expect(cookie.lowercased().contains("samesite=lax"))
                #expect(!cookie.contains("Secure"))
            }
        }
        try await withApp(.sqlite, settings: ["PUBLIC_BASE_URL": "https://eservice.example.go.th"]) { app, _ in
            try await app.testing().test(.GET, "/t/bangkrathum/contact") { res in
                #expect(res.headers.first(name: .setCookie)?.contains("Secure") == true)
                #expect(res.headers.first(name: "Strict-Transport-Security") != nil)
            }
        }
    }
}

extension String {
    /// Leaf escapes quotes and ampersands in text it prints.
    var htmlEscapedForTest: String {
        replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

@Suite("Public page cache")
struct PageCacheTests {
    @Test("anonymous visitors get the cached page with an ETag and a 304 on revalidation; each tenant its own page")
    func cache() async throws {
        try await withApp(.sqlite) { app, _ in
            var etag = ""
            try await app.testing().test(.GET, "/t/bangkrathum/") { res in
                #expect(res.status == .ok)
                etag = res.headers.first(name: .eTag) ?? ""
                #expect(!etag.isEmpty)
            }
            try await app.testing().test(.GET, "/t/bangkrathum/", headers: ["If-None-Match": etag]) { res in
                #expect(res.status == .notModified)
            }
            try await app.testing().test(.GET, "/t/nakhonpathom/", headers: ["If-None-Match": etag]) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("เทศบาลนครนครปฐม"))
                #expect(!res.body.string.contains("เทศบาลตำบลบางกระทุ่ม"))
            }
            try await app.testing().test(.GET, "/", headers: ["Host": "bangkrathum.localhost"]) { res in
                #expect(res.body.string.contains("href=\"/services/"), "host and path versions are cached apart")
            }
            try await app.testing().test(.GET, "/t/bangkrathum/", headers: ["Cookie": "eservice_session=abc"]) { res in
                #expect(res.status == .ok)
                #expect(res.headers.first(name: .eTag) == nil, "a visitor with a session gets a fresh render")
            }
        }
    }
}

@Suite("Bad requests get clear answers, never a 500")
struct BadRequestTests {
    @Test("odd bodies, sizes and names on public routes")
    func oddInput() async throws {
        try await withApp(.sqlite) { app, _ in
            var form = FormSession(cookie: "", csrf: "", fields: [:])
            try await app.testing().test(.GET, "/t/bangkrathum/contact") { form = try FormSession.from($0) }
            // JSON where a form is expected, with a valid CSRF header: refused as bad input.
            try await app.testing().test(
                .POST, "/t/bangkrathum/contact",
                headers: [
                    "Cookie": form.cookie, "Content-Type": "application/json", "X-CSRF-Token": form.csrf,
                ], body: ByteBuffer(string: "{\"name\": 5")
            ) { res in
                #expect((400..<500).contains(res.status.code), "\(res.status)")
            }
            // A body over the 1 MB limit: 413 with a Thai page.
            try await app.testing().test(
                .POST, "/t/bangkrathum/contact",
                headers: [
                    "Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded",
                ], body: ByteBuffer(string: "body=" + String(repeating: "ก", count: 400_000))
            ) { res in
                #expect(res.status == .payloadTooLarge)
                #expect(res.body.string.contains("ใหญ่เกินไป"))
            }
            for path in [
                "/t/bangkrathum/contact/sent/short", "/t/bangkrathum/contact/sent/" + String(repeating: "x", count: 500),
                "/fonts/tlwg/..%2F..%2Fetc%2Fpasswd", "/fonts/tlwg/missing.woff", "/t/BANGKRATHUM/",
            ] {
                try await app.testing().test(.GET, path) { res in
                    #expect(res.status == .notFound, "\(path)")
                }
            }
            #expect(try await OutboxStore.allJobs(on: app.db).isEmpty)
        }
    }

    @Test("Thai web fonts are served when Debian's fonts-thai-tlwg-web is installed")
    func fonts() async throws {
        try await withApp(.sqlite) { app, _ in
            let installed = FileManager.default.fileExists(atPath: "/usr/share/fonts/woff/tlwg/Loma.woff")
            try await app.testing().test(.GET, "/fonts/tlwg/Loma.woff") { res in
                #expect(res.status == (installed ? .ok : .notFound))
                if installed { #expect(res.headers.contentType?.subType == "woff") }
            }
        }
    }
}
