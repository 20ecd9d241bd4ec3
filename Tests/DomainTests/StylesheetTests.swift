import Foundation
import Testing

/// Every `{` in a stylesheet closed by its own `}`. Browsers forgive an unclosed block silently: a
/// `@media (min-width: 48rem) {` left open once swallowed the rest of site.css, so the phone layout of
/// คำร้องของฉัน, the status colours and the timeline applied only on wide screens.
enum CSSBlocks {
    struct Problem: Equatable, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    /// Braces counted outside comments and strings (and escaped characters); each problem with its line.
    static func problems(_ css: String) -> [Problem] {
        var problems: [Problem] = []
        var open: [Int] = []  // lines of the blocks still open
        var line = 1
        var chars = css.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar?
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return chars.next()
        }
        while let c = next() {
            switch c {
            case "\n": line += 1
            case "\\":
                if let escaped = next(), escaped == "\n" { line += 1 }
            case "/":
                guard let n = next() else { break }
                guard n == "*" else { pending = n; break }
                let start = line
                var previous: Unicode.Scalar = " "
                var closed = false
                while let d = next() {
                    if d == "\n" { line += 1 }
                    if previous == "*" && d == "/" { closed = true; break }
                    previous = d
                }
                if !closed { problems.append(.init(line: start, message: "comment never closed")) }
            case "\"", "'":
                let start = line
                var closed = false
                while let d = next() {
                    if d == c { closed = true; break }
                    if d == "\\" { if next() == "\n" { line += 1 }; continue }
                    if d == "\n" { line += 1; break }  // a string cannot span lines
                }
                if !closed { problems.append(.init(line: start, message: "string never closed")) }
            case "{": open.append(line)
            case "}":
                if open.popLast() == nil { problems.append(.init(line: line, message: "'}' closes no block")) }
            default: break
            }
        }
        problems += open.map { .init(line: $0, message: "'{' never closed") }
        return problems.sorted { $0.line < $1.line }
    }
}

@Suite("Stylesheets: every block closed")
struct StylesheetTests {
    static let publicDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Public").standardized

    static func stylesheets() -> [URL] {
        let walker = FileManager.default.enumerator(at: publicDir, includingPropertiesForKeys: nil)
        return (walker?.allObjects as? [URL] ?? []).filter { $0.pathExtension.lowercased() == "css" }.sorted { $0.path < $1.path }
    }

    @Test("every file under Public/**/*.css has its braces balanced outside comments and strings")
    func publicStylesheets() throws {
        let files = Self.stylesheets()
        #expect(files.contains { $0.lastPathComponent == "site.css" }, "looked in \(Self.publicDir.path)")
        for file in files {
            let problems = CSSBlocks.problems(try String(contentsOf: file, encoding: .utf8))
            #expect(problems.isEmpty, "\(file.path): \(problems)")
        }
    }

    @Test("the counter finds an unclosed or extra block, and ignores braces in comments and strings")
    func counter() {
        #expect(CSSBlocks.problems("a { b: c; }\n@media (x) {\n  d { e: f; }\n}\n").isEmpty)
        #expect(
            CSSBlocks.problems("a { b: c; }\n@media (min-width: 48rem) {\n  d { e: f; }\ng { h: i; }\n")
                == [.init(line: 2, message: "'{' never closed")])
        #expect(CSSBlocks.problems("a { b: c; }\n}\n") == [.init(line: 2, message: "'}' closes no block")])
        #expect(CSSBlocks.problems("/* { */ a { content: \"}\"; } b { content: '{\\'' } c::before { content: \"\\7B\"; }\n/* } */").isEmpty)
        #expect(CSSBlocks.problems("a { b: c; }\n/* never ends {").map(\.message) == ["comment never closed"])
        #expect(CSSBlocks.problems("a { content: \"x; }\nb { }").map(\.message) == ["string never closed", "'{' never closed"])
        #expect(CSSBlocks.problems(".a\\{b { c: d; } e/f { }").isEmpty, "an escaped brace in a selector, a lone slash")
    }
}
