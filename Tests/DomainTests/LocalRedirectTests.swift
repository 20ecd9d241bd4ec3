import Domain
import Foundation
import Testing

@Suite("Redirect targets: only a path on this site")
struct LocalRedirectTests {
    @Test(
        "paths on this site are kept as they are",
        arguments: [
            "/", "/backoffice/", "/backoffice/audit?from=2026-01-01&tenant=bangkrathum", "/t/bangkrathum/account/petitions?page=2#top",
            "/t/bangkrathum/search?q=%E0%B8%96%E0%B8%99%E0%B8%99", "/t/bangkrathum/search?q=100%25",
        ])
    func kept(path: String) {
        #expect(LocalRedirect.path(path) == path)
    }

    @Test(
        "other sites, schemes and control characters are refused",
        arguments: [
            "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "/x\\y", "https://evil.example/", "http:/evil.example",
            "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,hi", "evil.example/path", "", " /x", "/x y",
            "/x\r\nSet-Cookie:a=b", "/x\rb", "/x\nb", "/\t/evil.example", "/x\u{0}y", "/x\u{7F}", "/x\u{0B}",
            "/x%0D%0ASet-Cookie:a=b", "/x%0d%0aSet-Cookie:a=b", "/x%00", "/x%09", "/x%7F", "/x%C2%85", "/x%E2%80%A8",
            "/%2F/evil.example", "/%2Fevil.example", "/%5Cevil.example", "/x%5Cy", "/x%250D%250A", "/x%25250a",
            "/x%zz", "/x%", "/x%ff", "/ไทย",
        ])
    func refused(target: String) {
        #expect(LocalRedirect.path(target) == nil, "\(target.debugDescription)")
    }

    @Test("a missing target and one longer than the bound are refused")
    func bounded() {
        #expect(LocalRedirect.path(nil) == nil)
        let atLimit = "/" + String(repeating: "a", count: LocalRedirect.maxLength - 1)
        #expect(LocalRedirect.path(atLimit) == atLimit)
        #expect(LocalRedirect.path(atLimit + "a") == nil)
    }
}
