import Domain
import Foundation
import Testing

@Suite("A tenant's Markdown (terms.md) as safe HTML")
struct MarkdownLiteTests {
    @Test("headings shift one level below the page's <h1>; paragraphs join their lines")
    func headingsAndParagraphs() {
        let html = MarkdownLite.html("# ข้อตกลง\n\nบรรทัดแรก\nบรรทัดสอง\n\n## ข้อ 1 ##\n### ย่อย\n####### ไม่ใช่หัวข้อ\n#ไม่มีช่องว่าง")
        #expect(
            html == """
                <h2>ข้อตกลง</h2>
                <p>บรรทัดแรก บรรทัดสอง</p>
                <h3>ข้อ 1</h3>
                <h4>ย่อย</h4>
                <p>####### ไม่ใช่หัวข้อ #ไม่มีช่องว่าง</p>
                """)
        #expect(MarkdownLite.html("###### ลึก") == "<h6>ลึก</h6>", "never beyond <h6>")
        #expect(MarkdownLite.html("# หนึ่ง", headingOffset: 0) == "<h1>หนึ่ง</h1>")
    }

    @Test("numbered items separated by blank lines are one list; bullets; lazy and indented continuation")
    func lists() {
        let html = MarkdownLite.html(
            """
            1. **วัตถุประสงค์** เพื่อ
            ต่อบรรทัด

            2. **การลงทะเบียน** ผู้ลงทะเบียน
               ย่อหน้าใน

            ข้อความหลังรายการ

            - หนึ่ง
            * สอง
            + สาม

            3) เริ่มที่สาม
            """)
        #expect(
            html == """
                <ol><li><strong>วัตถุประสงค์</strong> เพื่อ ต่อบรรทัด</li><li><strong>การลงทะเบียน</strong> ผู้ลงทะเบียน ย่อหน้าใน</li></ol>
                <p>ข้อความหลังรายการ</p>
                <ul><li>หนึ่ง</li><li>สอง</li><li>สาม</li></ul>
                <ol start="3"><li>เริ่มที่สาม</li></ol>
                """)
    }

    @Test("no raw HTML passes: <script>, attributes and entities are text")
    func escaping() {
        let html = MarkdownLite.html(
            """
            # <script>alert(1)</script>

            <img src=x onerror="alert('x')"> & **<b>ตัวหนา</b>**

            - <iframe src="//evil">
            """)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<iframe"))
        #expect(!html.contains("<b>"))
        #expect(html.contains("<h2>&lt;script&gt;alert(1)&lt;/script&gt;</h2>"))
        #expect(html.contains("&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt; &amp; <strong>&lt;b&gt;ตัวหนา&lt;/b&gt;</strong>"))
        #expect(html.contains("<li>&lt;iframe src=&quot;//evil&quot;&gt;</li>"))
    }

    @Test("links: web, mail, phone and site paths; script and protocol-relative addresses are text")
    func links() {
        #expect(
            MarkdownLite.html("ดู [ประกาศ](https://example.go.th/a?b=1&c=\"2\") และ [อีเมล](mailto:saraban@example.go.th)")
                == #"<p>ดู <a href="https://example.go.th/a?b=1&amp;c=&quot;2&quot;">ประกาศ</a> และ <a href="mailto:saraban@example.go.th">อีเมล</a></p>"#)
        #expect(
            MarkdownLite.html("[โทร](tel:055391234) [หน้า](/t/bangkrathum/terms) [**หนา**](#top)")
                == ##"<p><a href="tel:055391234">โทร</a> <a href="/t/bangkrathum/terms">หน้า</a> <a href="#top"><strong>หนา</strong></a></p>"##)
        for bad in ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "//evil.example", "vbscript:x", "/\\evil"] {
            let html = MarkdownLite.html("[คลิก](\(bad))")
            #expect(!html.contains("<a"), "\(bad) → \(html)")
            #expect(html.contains("คลิก"))
        }
        #expect(MarkdownLite.html("[ไม่ปิด](https://x และ [a] (b)") == "<p>[ไม่ปิด](https://x และ [a] (b)</p>")
    }

    @Test("bold and italic need a closing marker and text against it; rules")
    func emphasisAndRules() {
        #expect(
            MarkdownLite.html("**หนา** __หนา__ *เอียง* 2 * 3 * 4 **ไม่ปิด") == "<p><strong>หนา</strong> <strong>หนา</strong> <em>เอียง</em> 2 * 3 * 4 **ไม่ปิด</p>")
        #expect(MarkdownLite.html("ก\n\n---\n\nข") == "<p>ก</p>\n<hr>\n<p>ข</p>")
        #expect(MarkdownLite.html("") == "")
        #expect(MarkdownLite.html("\r\n\r\n  \n") == "")
    }

    @Test("every tenant's terms.md renders with headings and a list, and no '#' or '**' left as text")
    func tenantTerms() throws {
        let tenants = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Tenants").standardized
        let folders = try FileManager.default.contentsOfDirectory(atPath: tenants.path).filter { !$0.hasPrefix("_") && !$0.hasPrefix(".") }
        #expect(folders.count >= 3)
        for slug in folders {
            let file = tenants.appendingPathComponent(slug).appendingPathComponent("terms.md")
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            let html = MarkdownLite.html(text)
            #expect(html.hasPrefix("<h2>"), "\(slug)")
            #expect(html.contains("<ol>") || html.contains("<ul>"), "\(slug)")
            #expect(!html.contains("# ") && !html.contains("**"), "\(slug)")
        }
    }
}
