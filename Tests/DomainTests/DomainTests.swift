import Foundation
import Testing

@testable import Domain

@Suite("Domain rules")
struct DomainTests {
    static func config() -> TenantConfig {
        let service = Service(
            slug: "street-light", name: "แจ้งซ่อมไฟฟ้าสาธารณะ", description: "แจ้งไฟดับ", verifiedIdentity: nil, slaDays: 7,
            fields: [FormField(key: "place", type: .location, label: "จุดที่ไฟดับ", required: true, help: nil, options: nil, maxLength: nil)],
            attachments: [AttachmentRule(key: "photo", label: "ภาพถ่าย", required: false, types: [.jpeg, .png], maxMB: 5, maxCount: 3)])
        return TenantConfig(
            name: .init(th: "เทศบาลทดสอบ", en: "Test Municipality"), code: "TST", hosts: ["test.localhost"],
            contact: .init(address: "1 ถนนทดสอบ", phone: "0 2000 0000", email: nil, website: nil, hours: nil),
            colors: .init(primary: "#0b5d3b", accent: "#f2b705"), logo: "logo.svg", terms: "terms.md",
            identity: .init(watermark: nil, maxFileMB: nil, images: [.init(label: "หน้าบัตร")]),
            catalogue: nil, menus: .init(account: [], online: [], complaints: [service]))
    }

    @Test("a good tenant has no problems")
    func good() {
        #expect(TenantRules.problems(in: Self.config(), slug: "test").isEmpty)
    }

    @Test("each broken rule names its field")
    func broken() {
        var c = Self.config()
        c.code = "tst"
        c.hosts = ["Bad_Host:80"]
        c.colors.primary = "#ffff00"
        c.menus.complaints.append(c.menus.complaints[0])
        c.menus.complaints[0].fields.append(FormField(key: "kind", type: .select, label: "ประเภท", required: nil, help: nil, options: ["หนึ่ง"], maxLength: nil))
        c.identity.images = []
        let fields = Set(TenantRules.problems(in: c, slug: "Bad Slug").map(\.field))
        for expected in [
            "(folder name)", "code", "hosts[0]", "colors.primary", "menus.complaints[1].slug",
            "menus.complaints[0].fields[1].options", "identity.images",
        ] {
            #expect(fields.contains(expected), "\(expected) in \(fields)")
        }
    }

    @Test("WCAG contrast: white on black is 21, on the tenant greens above 4.5")
    func contrast() throws {
        #expect(abs(RGBColor.white.contrastRatio(with: .black) - 21) < 0.01)
        #expect(try #require(RGBColor(hex: "#0b5d3b")).contrastRatio(with: .white) > 4.5)
        #expect(try #require(RGBColor(hex: "#f2b705")).readableText == .black)
        #expect(RGBColor(hex: "0b5d3b") == nil && RGBColor(hex: "#zzzzzz") == nil)
    }

    @Test("backoff doubles, is capped, and stops at the last attempt")
    func backoff() {
        let p = RetryPolicy(baseDelaySeconds: 5, maxDelaySeconds: 60, maxAttempts: 4)
        #expect(p.delay(afterAttempts: 1, jitter: 0.5) == 5)
        #expect(p.delay(afterAttempts: 2, jitter: 0.5) == 10)
        #expect(p.delay(afterAttempts: 3, jitter: 0.5) == 20)
        #expect(p.delay(afterAttempts: 10, jitter: 0.5) == 60)
        #expect(abs(p.delay(afterAttempts: 1, jitter: 0) - 4) < 1e-9 && abs(p.delay(afterAttempts: 1, jitter: 1) - 6) < 1e-9)
        #expect(!p.isExhausted(afterAttempts: 3) && p.isExhausted(afterAttempts: 4))
    }

    @Test("dates for people are Buddhist era, Bangkok time")
    func thaiDates() throws {
        // 2026-11-21 18:30 UTC is 22 Nov 2026 01:30 in Bangkok, B.E. 2569.
        let date = try #require(ISO8601DateFormatter().date(from: "2026-11-21T18:30:00Z"))
        #expect(ThaiDate.long(date) == "22 พฤศจิกายน 2569")
        #expect(ThaiDate.shortWithTime(date) == "22 พ.ย. 2569 01:30 น.")
        #expect(ThaiYear.of(date) == 2569)
    }

    @Test("the watermark names the agency")
    func watermark() {
        #expect(
            IdentityPolicy(watermark: nil, maxFileMB: nil, images: []).watermarkText(agencyName: "เทศบาลตำบลบางกระทุ่ม")
                == "ใช้สำหรับยืนยันตัวตนกับ เทศบาลตำบลบางกระทุ่ม เท่านั้น")
    }
}
