import Foundation

/// A small Markdown subset as HTML, for the texts a municipality writes in its folder (`terms.md`):
/// ATX headings, paragraphs, bullet and numbered lists, horizontal rules, **bold**, *italic* and
/// [links](https://…). Everything else is text: every character is HTML-escaped, raw HTML is never
/// passed through, and a link keeps only an `http`, `https`, `mailto` or `tel` address or a path on
/// this site (anything else, such as `javascript:`, is shown as plain text).
///
/// Headings are shifted down by `headingOffset` levels (default 1: `#` becomes `<h2>`), because the
/// page that shows the text has its own `<h1>`.
public enum MarkdownLite {
    public static func html(_ markdown: String, headingOffset: Int = 1) -> String {
        var out: [String] = []
        var paragraph: [String] = []
        var list: (ordered: Bool, start: Int, items: [String])?
        let offset = max(0, min(headingOffset, 5))

        func flushParagraph() {
            guard !paragraph.isEmpty else { return }
            out.append("<p>" + inline(paragraph.joined(separator: " ")) + "</p>")
            paragraph = []
        }
        func flushList() {
            guard let l = list else { return }
            let open = l.ordered ? (l.start == 1 ? "<ol>" : "<ol start=\"\(l.start)\">") : "<ul>"
            out.append(open + l.items.map { "<li>" + inline($0) + "</li>" }.joined() + (l.ordered ? "</ol>" : "</ul>"))
            list = nil
        }

        let lines = markdown.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
        var blankBefore = false
        for raw in lines {
            let line = String(raw).replacingOccurrences(of: "\t", with: "    ")
            let indent = line.prefix { $0 == " " }.count
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty {
                flushParagraph()
                blankBefore = true
                continue
            }
            defer { blankBefore = false }
            // An indented line right after a list item (or after a blank line inside the list) continues it.
            if indent >= 2, var l = list, paragraph.isEmpty, listItem(text) == nil || indent >= 4 {
                l.items[l.items.count - 1] += " " + text
                list = l
                continue
            }
            if indent < 4, let (level, title) = heading(text) {
                flushParagraph(); flushList()
                let h = min(level + offset, 6)
                out.append("<h\(h)>" + inline(title) + "</h\(h)>")
                continue
            }
            if indent < 4, isRule(text) {
                flushParagraph(); flushList()
                out.append("<hr>")
                continue
            }
            if indent < 4, let item = listItem(text) {
                flushParagraph()
                if var l = list, l.ordered == item.ordered {
                    l.items.append(item.text)
                    list = l
                } else {
                    flushList()
                    list = (item.ordered, item.number, [item.text])
                }
                continue
            }
            // A line straight after an item (no blank line) is its lazy continuation; after a blank line, a new paragraph.
            if var l = list, !blankBefore {
                l.items[l.items.count - 1] += " " + text
                list = l
                continue
            }
            flushList()
            paragraph.append(text)
        }
        flushParagraph()
        flushList()
        return out.joined(separator: "\n")
    }

    /// `#` to `######` followed by a space (or nothing); closing `#`s are dropped.
    static func heading(_ text: String) -> (Int, String)? {
        let hashes = text.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes) else { return nil }
        let rest = text.dropFirst(hashes)
        guard rest.isEmpty || rest.first == " " else { return nil }
        var title = rest.trimmingCharacters(in: .whitespaces)
        if let r = title.range(of: #"(^|\s)#+$"#, options: .regularExpression) { title = String(title[..<r.lowerBound]) }
        return (hashes, title)
    }

    static func isRule(_ text: String) -> Bool {
        let compact = text.filter { $0 != " " }
        guard compact.count >= 3, let c = compact.first, "-*_".contains(c) else { return false }
        return compact.allSatisfy { $0 == c }
    }

    /// `- x`, `* x`, `+ x`, or `12. x` / `12) x` (up to 9 digits).
    static func listItem(_ text: String) -> (ordered: Bool, number: Int, text: String)? {
        if let c = text.first, "-*+".contains(c), text.dropFirst().first == " " {
            return (false, 1, text.dropFirst(2).trimmingCharacters(in: .whitespaces))
        }
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard (1...9).contains(digits.count) else { return nil }
        let rest = text.dropFirst(digits.count)
        guard let mark = rest.first, mark == "." || mark == ")", rest.dropFirst().first == " " || rest.count == 1 else { return nil }
        return (true, Int(digits) ?? 1, rest.dropFirst().trimmingCharacters(in: .whitespaces))
    }

    // MARK: Inline

    /// Links, then bold and italic inside the text around them; all text escaped.
    static func inline(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "[") {
            guard let link = parseLink(rest[open...]) else {
                out += emphasis(rest[..<rest.index(after: open)])
                rest = rest[rest.index(after: open)...]
                continue
            }
            out += emphasis(rest[..<open])
            if let href = safeURL(link.url) {
                out += "<a href=\"" + escape(href) + "\">" + emphasis(link.label) + "</a>"
            } else {
                out += emphasis(link.label)
            }
            rest = link.rest
        }
        return out + emphasis(rest)
    }

    /// `[label](url)` at the start of `s`: no nested brackets in the label, no spaces in the address.
    static func parseLink(_ s: Substring) -> (label: Substring, url: String, rest: Substring)? {
        guard s.first == "[", let close = s.firstIndex(of: "]") else { return nil }
        let label = s[s.index(after: s.startIndex)..<close]
        guard !label.isEmpty, !label.contains("["), s[s.index(after: close)...].first == "(" else { return nil }
        let urlStart = s.index(close, offsetBy: 2)
        guard let end = s[urlStart...].firstIndex(of: ")") else { return nil }
        let url = s[urlStart..<end].trimmingCharacters(in: .whitespaces)
        guard !url.isEmpty, !url.contains(" ") else { return nil }
        return (label, url, s[s.index(after: end)...])
    }

    /// Only addresses that cannot run script: web, mail and phone links, and paths on this site.
    static func safeURL(_ url: String) -> String? {
        guard !url.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) else { return nil }
        let lower = url.lowercased()
        for scheme in ["https://", "http://", "mailto:", "tel:"] where lower.hasPrefix(scheme) { return url }
        if url.hasPrefix("/") && !url.hasPrefix("//") { return url }
        if url.hasPrefix("#") { return url }
        return nil
    }

    /// `**bold**` / `__bold__`, then `*italic*` inside and around it.
    static func emphasis(_ text: Substring) -> String {
        spans(text, marker: "**", tag: "strong") { spans($0, marker: "__", tag: "strong") { spans($0, marker: "*", tag: "em", inner: escape) } }
    }

    /// Pairs of `marker` around non-blank text become `<tag>`; an unpaired marker stays as text.
    static func spans(_ text: Substring, marker: String, tag: String, inner: (Substring) -> String) -> String {
        var out = ""
        var rest = text
        while let open = rest.range(of: marker) {
            let after = rest[open.upperBound...]
            guard let close = after.range(of: marker), close.lowerBound > after.startIndex,
                after.first?.isWhitespace == false, after[after.index(before: close.lowerBound)].isWhitespace == false
            else { break }
            out += inner(rest[..<open.lowerBound]) + "<\(tag)>" + inner(after[..<close.lowerBound]) + "</\(tag)>"
            rest = after[close.upperBound...]
        }
        return out + inner(rest)
    }

    /// Text escaped for HTML: the project's one escaping (`HTMLText`).
    static func escape<S: StringProtocol>(_ s: S) -> String {
        HTMLText.escaped(String(s))
    }
}
