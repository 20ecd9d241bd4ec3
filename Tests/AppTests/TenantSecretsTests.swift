import Domain
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

/// A tenant's LINE channel reads only the tenant's own environment variables (`LINE_<SLUG>_…`): an Organization
/// admin cannot name another tenant's secret or a server setting, and the page says nothing about any variable
/// but the tenant's own two.
@Suite("Tenant secrets: LINE variable names derived from the tenant")
struct TenantSecretsTests {
    static let path = "/backoffice/t/bangrak/line"

    @Test(
        "an Organization admin naming another tenant's or the server's variables is ignored, and the page discloses nothing about them",
        arguments: TestDatabase.all)
    func foreignNamesIgnored(database: TestDatabase) async throws {
        // Bangkrathum's channel secrets and a server secret are set on this server; bangrak has none.
        let settings = [
            "LINE_BANGKRATHUM_CHANNEL_SECRET": LINEServer.secret, "LINE_BANGKRATHUM_ACCESS_TOKEN": LINEServer.token,
            "SERVER_ONLY_SECRET": "s3cr3t-value-for-the-server",
        ]
        try await withApp(database, settings: settings) { app, _ in
            let admin = try await signedInStaff(app, tenant: "bangrak", role: .orgAdmin)
            var (status, html) = try await PetitionFixtures.page(app, admin, Self.path)
            #expect(status == .ok)
            #expect(html.contains("<code>LINE_BANGRAK_CHANNEL_SECRET</code>") && html.contains("<code>LINE_BANGRAK_ACCESS_TOKEN</code>"))
            #expect(html.contains("ยังไม่ได้ตั้งค่า") && !html.contains("ตั้งค่าแล้ว"))

            for (secretName, tokenName) in [
                ("LINE_BANGKRATHUM_CHANNEL_SECRET", "LINE_BANGKRATHUM_ACCESS_TOKEN"),
                ("SERVER_ONLY_SECRET", "APP_SECRET"), ("DATABASE_URL", "PATH"),
            ] {
                try await post(app, Self.path, admin, ["channel_id": "2001112223", "secret_env": secretName, "token_env": tokenName]) { res in
                    #expect(res.status == .seeOther || res.status == .unprocessableEntity)
                }
                let bangrak = try Tenant.named("bangrak", in: app)
                #expect(bangrak.config.line?.channelID == "2001112223")
                let names = try #require(bangrak.config.line).envNames(slug: "bangrak")
                #expect(names.secret == "LINE_BANGRAK_CHANNEL_SECRET" && names.token == "LINE_BANGRAK_ACCESS_TOKEN", "\(secretName) was not taken")
                #expect(app.lineChannel(bangrak) == nil, "bangrak's channel stays off")
                (status, html) = try await PetitionFixtures.page(app, admin, Self.path)
                #expect(status == .ok)
                #expect(!html.contains("พร้อมใช้งาน"), "not working on another tenant's secret")
                for other in ["BANGKRATHUM", "SERVER_ONLY_SECRET", "APP_SECRET", "DATABASE_URL", "PATH"] {
                    #expect(!html.contains(other), "the page does not mention \(other)")
                }
            }
            // Bangkrathum's secret does not open bangrak's webhook.
            let follow = try LineWebhookFixture.make([["type": "follow", "user": LineWebhookFixture.user(3)]])
            #expect(try await LineTestSupport.post(app, follow, tenant: "bangrak") == .notFound)
            #expect(try await LineTestSupport.post(app, follow, tenant: "bangkrathum") == .ok, "bangkrathum's own channel works")
            let audit = try await AuditLog.list(.init(tenants: ["bangrak"]), on: app.db)
            #expect(audit.contains { $0.action == .lineSettingsChanged } && !audit.contains { $0.detail.contains("BANGKRATHUM") })
        }
    }

    @Test("the channel works with the names derived from the slug, set by the server's operator", arguments: TestDatabase.all)
    func derivedNames(database: TestDatabase) async throws {
        let secret = "fedcba9876543210fedcba9876543210"
        try await withApp(database, settings: ["LINE_BANGRAK_CHANNEL_SECRET": secret, "LINE_BANGRAK_ACCESS_TOKEN": "bangrak-token"]) { app, _ in
            let follow = try LineWebhookFixture.make([["type": "follow", "user": LineWebhookFixture.user(4)]], secret: secret)
            #expect(try await LineTestSupport.post(app, follow, tenant: "bangrak") == .notFound, "no channel ID yet: no channel")
            let admin = try await signedInStaff(app, tenant: "bangrak", role: .orgAdmin)
            try await post(app, Self.path, admin, ["channel_id": "2001112223"]) { res in #expect(res.status == .seeOther) }
            let (_, html) = try await PetitionFixtures.page(app, admin, Self.path)
            #expect(html.contains("พร้อมใช้งาน") && html.contains("ตั้งค่าแล้ว") && !html.contains("ยังไม่ได้ตั้งค่า"))
            #expect(!html.contains(secret) && !html.contains("bangrak-token"), "values are never shown")
            #expect(try await LineTestSupport.post(app, follow, tenant: "bangrak") == .ok)
        }
    }

    @Test("tenant.yaml may name only LINE_<SLUG>_ variables; names stored by the back office are never used")
    func folderAndStoredNames() throws {
        func settings(_ secret: String?, _ token: String?) -> LineChannelSettings {
            LineChannelSettings(channelID: "2001234567", secretEnv: secret, tokenEnv: token)
        }
        #expect(LineChannelSettings.defaultEnv(slug: "ban-na") == ("LINE_BAN_NA_CHANNEL_SECRET", "LINE_BAN_NA_ACCESS_TOKEN"))
        #expect(settings(nil, nil).problems(slug: "ban-na").isEmpty)
        #expect(settings("LINE_BAN_NA_CHANNEL_SECRET_2", "LINE_BAN_NA_ACCESS_TOKEN_2").problems(slug: "ban-na").isEmpty)
        #expect(
            settings("LINE_BAN_NA_CHANNEL_SECRET_2", "LINE_BAN_NA_ACCESS_TOKEN_2").envNames(slug: "ban-na")
                == ("LINE_BAN_NA_CHANNEL_SECRET_2", "LINE_BAN_NA_ACCESS_TOKEN_2"))
        // Tenant `ban`'s prefix LINE_BAN_ also begins tenant `ban-na`'s names: `ban` may not name them.
        #expect(!settings("LINE_BAN_NA_CHANNEL_SECRET", nil).problems(slug: "ban").isEmpty)
        #expect(settings("LINE_BAN_NA_CHANNEL_SECRET", nil).envNames(slug: "ban").secret == "LINE_BAN_CHANNEL_SECRET")
        #expect(!settings("LINE_BAN_NA_SECRET_2", nil).problems(slug: "ban-na").isEmpty, "only the two endings")
        for (secret, token) in [
            ("APP_SECRET", "LINE_BAN_NA_ACCESS_TOKEN"), ("LINE_BANGKRATHUM_CHANNEL_SECRET", "LINE_BAN_NA_ACCESS_TOKEN"),
            ("LINE_BAN_NA_CHANNEL_SECRET", "DATABASE_URL"), ("LINE_BAN_NA_", "LINE_BAN_NA_ACCESS_TOKEN"),
            ("LINE_BAN_NAX_SECRET", "LINE_BAN_NA_ACCESS_TOKEN"),
        ] {
            let s = settings(secret, token)
            #expect(!s.problems(slug: "ban-na").isEmpty, "\(secret), \(token) refused in tenant.yaml")
            #expect(s.envNames(slug: "ban-na") == LineChannelSettings.defaultEnv(slug: "ban-na"), "and never read")
        }
        // What the back office stored before names stopped being editable is laid over the folder as a channel ID only.
        let folder = try #require(try TenantLoader.loadAll(from: URL(fileURLWithPath: Repo.path("Tenants"))).tenant(slug: "bangkrathum"))
        var overrides = TenantOverrides()
        overrides.line = settings("APP_SECRET", "LINE_BANGRAK_ACCESS_TOKEN")
        let applied = folder.config.applying(overrides).config.line
        #expect(applied?.channelID == "2001234567")
        #expect(applied.map { $0.envNames(slug: "bangkrathum") } ?? ("", "") == LineChannelSettings.defaultEnv(slug: "bangkrathum"))
    }
}
