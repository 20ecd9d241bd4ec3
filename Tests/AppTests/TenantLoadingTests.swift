import Domain
import Foundation
import Testing

@testable import App

@Suite("Tenants as folders")
struct TenantLoadingTests {
    @Test("the shipped tenants load, with at least six services between them")
    func shippedTenants() throws {
        let registry = try TenantLoader.loadAll(from: URL(fileURLWithPath: Repo.path("Tenants")))
        #expect(registry.all.map(\.slug).sorted() == ["bangkrathum", "bangrak", "nakhonpathom"])
        let services = registry.all.flatMap { $0.config.menus.all }
        #expect(services.count >= 6)
        for tenant in registry.all {
            for menu in MenuKey.allCases { #expect(!tenant.config.menus[menu].isEmpty, "\(tenant.slug) \(menu)") }
            #expect(tenant.config.hosts.first == "\(tenant.slug).localhost")
        }
        #expect(registry.tenant(host: "BangKrathum.localhost:8080")?.slug == "bangkrathum")
        #expect(registry.tenant(host: "unknown.localhost") == nil)
    }

    @Test("adding a folder adds a tenant, no code involved")
    func addingAFolder() throws {
        let dir = try copyOfTenants()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent("bangkrathum")
        let target = dir.appendingPathComponent("wat-phleng")
        try FileManager.default.copyItem(at: source, to: target)
        try rewrite(target, "hosts: [bangkrathum.localhost, eservice.bangkrathum.go.th]", "hosts: [wat-phleng.localhost]", anyHostsLine: true)
        let registry = try TenantLoader.loadAll(from: dir)
        #expect(registry.all.count == 4)
        #expect(registry.tenant(host: "wat-phleng.localhost")?.slug == "wat-phleng")
    }

    @Test(
        "a malformed tenant file stops start-up naming the file and the field",
        arguments: [
            ("code: BKT", "code: bkt1", "code"),
            ("sla_days:", "sla_dayz:", "sla_dayz"),
            ("primary: \"#0b5d3b\"", "primary: \"#ffff00\"", "colors.primary"),
            ("type: date", "type: calendar", "type"),
            ("polygon: [[16.70, 100.22]", "polygon: [[61.70, 100.22]", "area"),
            ("polygon: [[16.70, 100.22]", "polygon: [[16.70, 100.22], [16.70]", "area"),
        ])
    func malformed(original: String, replacement: String, field: String) throws {
        let dir = try copyOfTenants()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bangkrathum/tenant.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains(original), "fixture line \(original) missing")
        try text.replacingOccurrences(of: original, with: replacement).write(to: file, atomically: true, encoding: .utf8)
        let error = try #require(throws: TenantLoader.Failure.self) { try TenantLoader.loadAll(from: dir) }
        let message = error.description
        #expect(message.contains("Tenants/bangkrathum/tenant.yaml"))
        #expect(message.contains(field), "\(message)")
        #expect(!message.contains("nakhonpathom"))
    }

    @Test("a YAML syntax error and a missing file are reported too")
    func syntaxAndMissing() throws {
        let dir = try copyOfTenants()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "name: [unclosed\n".write(to: dir.appendingPathComponent("bangrak/tenant.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("nakhonpathom/terms.md"))
        let error = try #require(throws: TenantLoader.Failure.self) { try TenantLoader.loadAll(from: dir) }
        #expect(error.description.contains("Tenants/bangrak/tenant.yaml: (syntax)"))
        #expect(error.description.contains("Tenants/nakhonpathom/tenant.yaml: terms"))
    }

    @Test("two tenants cannot claim the same host name")
    func duplicateHost() throws {
        let dir = try copyOfTenants()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("copycat")
        try FileManager.default.copyItem(at: dir.appendingPathComponent("bangkrathum"), to: target)
        let error = try #require(throws: TenantLoader.Failure.self) { try TenantLoader.loadAll(from: dir) }
        #expect(error.description.contains("bangkrathum.localhost"))
    }

    private func copyOfTenants() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tenants-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Repo.path("Tenants")), to: dir)
        return dir
    }

    private func rewrite(_ folder: URL, _ old: String, _ new: String, anyHostsLine: Bool = false) throws {
        let file = folder.appendingPathComponent("tenant.yaml")
        var lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
        if anyHostsLine, let i = lines.firstIndex(where: { $0.hasPrefix("hosts:") }) {
            lines[i] = new
            // A block list under hosts: is dropped.
            while i + 1 < lines.count, lines[i + 1].hasPrefix("  - ") { lines.remove(at: i + 1) }
        }
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    }
}

@Suite("Settings")
struct SettingsTests {
    @Test("every missing or bad setting is named in one message")
    func problemsNamed() throws {
        let error = try #require(throws: Settings.Problems.self) {
            try Settings.load(
                from: [
                    "APP_ENV": "production", "DATABASE_URL": "mysql://x", "OUTBOX_WORKER": "maybe",
                    "TENANTS_DIR": Repo.path("Tenants"), "MAP_TILE_URL": "https://tiles.example.org/\"onload=x/{z}/{x}/{y}.png",
                ], workingDirectory: Repo.root.path)
        }
        for name in ["DATABASE_URL", "PUBLIC_BASE_URL", "SMTP_URL", "MAIL_FROM", "OUTBOX_WORKER", "APP_SECRET", "MAP_TILE_URL"] {
            #expect(error.description.contains(name), "\(name) not named")
        }
    }

    @Test("secrets are never defaulted in production; development keeps its own key in the data directory")
    func secrets() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dev = try Settings.load(from: ["DATA_DIR": dir.path, "TENANTS_DIR": Repo.path("Tenants")], workingDirectory: Repo.root.path)
        let again = try Settings.load(from: ["DATA_DIR": dir.path, "TENANTS_DIR": Repo.path("Tenants")], workingDirectory: Repo.root.path)
        #expect(dev.appSecret.count == 32 && dev.appSecret == again.appSecret)
        let attrs = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("secret.key").path)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)

        let prod = try Settings.load(
            from: [
                "APP_ENV": "production", "TENANTS_DIR": Repo.path("Tenants"), "APP_SECRET": String(repeating: "s", count: 40),
                "PUBLIC_BASE_URL": "https://eservice.example.go.th", "SMTP_URL": "smtp://mailer:secret@mail.example.go.th:587",
                "MAIL_FROM": "e-Service <no-reply@example.go.th>", "DATA_DIR": dir.path,
            ], workingDirectory: Repo.root.path)
        #expect(prod.servesOverHTTPS)
        #expect(prod.smtp?.security == .startTLS)
        #expect(!(prod.smtp?.description.contains("secret") ?? true), "password must not be printed")
    }
}

@Suite("Test harness")
struct HarnessTests {
    @Test("under make test a real PostgreSQL is there, so no database test quietly runs on SQLite alone")
    func postgresWhenRequired() {
        if ProcessInfo.processInfo.environment["REQUIRE_POSTGRES"] == "1" {
            #expect(TestDatabase.all.contains { if case .postgres = $0 { true } else { false } })
        }
    }
}

@Suite("Shared catalogues")
struct CatalogueTests {
    @Test("a tenant can take its services from Tenants/_catalogues and add or replace its own")
    func catalogue() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cat-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Repo.path("Tenants")), to: dir)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("_catalogues"), withIntermediateDirectories: true)
        let source = try String(contentsOf: dir.appendingPathComponent("bangkrathum/tenant.yaml"), encoding: .utf8)
        let menus = String(source[source.range(of: "\nmenus:")!.lowerBound...])
        try ("# standard catalogue" + menus).write(to: dir.appendingPathComponent("_catalogues/standard.yaml"), atomically: true, encoding: .utf8)

        let own = dir.appendingPathComponent("tambon-a")
        try FileManager.default.copyItem(at: dir.appendingPathComponent("bangkrathum"), to: own)
        var head = String(source[..<source.range(of: "\nmenus:")!.lowerBound])
        head = head.replacingOccurrences(of: "bangkrathum.localhost", with: "tambon-a.localhost")
            .replacingOccurrences(of: "eservice.bangkrathum.go.th", with: "eservice.tambon-a.go.th")
        let extra = """

            catalogue: standard
            menus:
              complaints:
                - slug: street-light
                  name: แจ้งไฟฟ้าสาธารณะดับ (ฉบับตำบล ก)
                  description: แจ้งจุดที่ไฟฟ้าสาธารณะดับหรือชำรุด
                  sla_days: 3
                  fields:
                    - key: place
                      type: location
                      label: จุดที่ไฟดับ
                      required: true
                - slug: stray-dogs
                  name: แจ้งสุนัขจรจัด
                  description: แจ้งจุดที่พบสุนัขจรจัด
                  sla_days: 10
                  fields:
                    - key: place
                      type: location
                      label: สถานที่
            """
        try (head + extra + "\n").write(to: own.appendingPathComponent("tenant.yaml"), atomically: true, encoding: .utf8)

        let registry = try TenantLoader.loadAll(from: dir)
        let tenant = try #require(registry.tenant(slug: "tambon-a"))
        let original = try #require(registry.tenant(slug: "bangkrathum"))
        #expect(tenant.config.menus.online == original.config.menus.online)
        #expect(tenant.service("street-light")?.service.slaDays == 3)
        #expect(tenant.service("stray-dogs")?.menu == .complaints)
        #expect(tenant.config.menus.complaints.count == original.config.menus.complaints.count + 1)

        try (head + "\ncatalogue: no-such\n").write(to: own.appendingPathComponent("tenant.yaml"), atomically: true, encoding: .utf8)
        let error = try #require(throws: TenantLoader.Failure.self) { try TenantLoader.loadAll(from: dir) }
        #expect(error.description.contains("Tenants/tambon-a/tenant.yaml: catalogue"))
    }
}
