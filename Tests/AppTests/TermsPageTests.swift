import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

/// The text inside the terms box (registration) or the terms page's prose block.
private func termsBlock(_ html: String) -> String {
    guard let start = html.range(of: #"<div class="prose"#) else { return "" }
    let rest = html[start.lowerBound...]
    guard let end = rest.range(of: "</div>") else { return String(rest) }
    return String(rest[..<end.upperBound])
}

@Suite("A tenant's terms.md as HTML on the registration and terms pages")
struct TermsPageTests {
    @Test("the registration page and the terms page show headings and a numbered list, not Markdown source", arguments: TestDatabase.all)
    func rendered(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            var pages: [String: String] = [:]
            for path in ["/t/bangkrathum/register", "/t/bangkrathum/terms"] {
                try await app.testing().test(.GET, path) { res in
                    #expect(res.status == .ok, "\(path)")
                    pages[path] = termsBlock(res.body.string)
                }
            }
            for (path, block) in pages {
                #expect(block.contains("<h2>ข้อตกลงและเงื่อนไขการใช้บริการระบบบริการประชาชนออนไลน์"), "\(path): \(block.prefix(300))")
                #expect(block.contains("<ol><li><strong>วัตถุประสงค์</strong>"), "\(path)")
                #expect(!block.contains("# "), "\(path): a literal heading marker")
                #expect(!block.contains("**"), "\(path): a literal bold marker")
            }
            #expect(pages["/t/bangkrathum/register"] != nil && pages["/t/bangkrathum/register"]?.contains("terms-box") == true)
            #expect(
                pages["/t/bangkrathum/register"]?.replacingOccurrences(
                    of: #"<div class="prose terms-box" tabindex="0" aria-label="ข้อตกลงและเงื่อนไขการให้บริการ">"#, with: "")
                    == pages["/t/bangkrathum/terms"]?.replacingOccurrences(of: #"<div class="prose">"#, with: ""), "the same rendering on both pages")
        }
    }

    @Test("HTML in a tenant's terms.md is shown as text, and a javascript: link is no link", arguments: TestDatabase.all)
    func hostileTerms(database: TestDatabase) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tenants-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Repo.path("Tenants")), to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        # ข้อตกลง <script>alert(1)</script>

        <img src=x onerror=alert(2)> [คลิก](javascript:alert(3)) [เว็บไซต์](https://www.bangkrathum.go.th)
        """.write(to: dir.appendingPathComponent("bangkrathum/terms.md"), atomically: true, encoding: .utf8)
        try await withApp(database, settings: ["TENANTS_DIR": dir.path]) { app, _ in
            for path in ["/t/bangkrathum/register", "/t/bangkrathum/terms"] {
                try await app.testing().test(.GET, path) { res in
                    #expect(res.status == .ok, "\(path)")
                    let block = termsBlock(res.body.string)
                    #expect(block.contains("<h2>ข้อตกลง &lt;script&gt;alert(1)&lt;/script&gt;</h2>"), "\(path): \(block)")
                    #expect(block.contains("&lt;img src=x onerror=alert(2)&gt;"), "\(path)")
                    #expect(!block.contains("<script") && !block.contains("<img") && !block.contains("javascript:"), "\(path)")
                    #expect(block.contains(#"<a href="https://www.bangkrathum.go.th">เว็บไซต์</a>"#), "\(path)")
                }
            }
        }
    }
}
