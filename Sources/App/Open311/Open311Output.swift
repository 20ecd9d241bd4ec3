import Domain
import Foundation
import Vapor

/// The two formats GeoReport v2 speaks, chosen by the path's extension (`services.json`, `services.xml`).
enum Open311Format: String, Sendable, CaseIterable {
    case json, xml

    var contentType: String {
        switch self {
        case .json: "application/json; charset=utf-8"
        case .xml: "text/xml; charset=utf-8"
        }
    }

    /// "services.xml" → ("services", .xml); nil for any other extension, or none.
    static func split(_ component: String) -> (name: String, format: Open311Format)? {
        guard let dot = component.lastIndex(of: "."), let format = Open311Format(rawValue: String(component[component.index(after: dot)...])) else {
            return nil
        }
        let name = String(component[..<dot])
        return name.isEmpty ? nil : (name, format)
    }

    /// The format an answer to `path` should be in: XML when the last component ends in `.xml`, else JSON
    /// (also for paths we do not know, so every error has a body a client can read).
    static func of(path: String) -> Open311Format {
        path.split(separator: "/").last.map { $0.hasSuffix(".xml") } == true ? .xml : .json
    }
}

/// A response body as a tree, written out as JSON or as XML with the spec's element names.
/// Object keys keep their order; a list knows the element name each item gets in XML
/// (`services` → `<service>`), and is a plain array in JSON.
indirect enum Open311Node: Sendable {
    case string(String?)
    case int(Int)
    case number(Double?)
    case bool(Bool)
    case object([(String, Open311Node)])
    case list(element: String, [Open311Node])

    static let null = Open311Node.string(nil)

    /// A JSON text. Only what JSON needs escaping is escaped; Thai stays UTF-8.
    var json: String {
        var out = ""
        writeJSON(into: &out)
        return out
    }

    /// An XML document with `root` as the root element.
    func xml(root: String) -> String {
        var out = #"<?xml version="1.0" encoding="utf-8"?>"# + "\n"
        writeXML(name: root, into: &out)
        out += "\n"
        return out
    }

    private func writeJSON(into out: inout String) {
        switch self {
        case .string(nil), .number(nil): out += "null"
        case let .string(s?): Self.jsonString(s, into: &out)
        case let .int(n): out += String(n)
        case let .number(x?): out += Self.decimal(x)
        case let .bool(b): out += b ? "true" : "false"
        case let .object(pairs):
            out += "{"
            for (i, (key, value)) in pairs.enumerated() {
                if i > 0 { out += "," }
                Self.jsonString(key, into: &out)
                out += ":"
                value.writeJSON(into: &out)
            }
            out += "}"
        case let .list(_, items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.writeJSON(into: &out)
            }
            out += "]"
        }
    }

    private func writeXML(name: String, into out: inout String) {
        switch self {
        case .string(nil), .number(nil): out += "<\(name)/>"
        case let .string(s?): out += "<\(name)>" + Self.xmlEscaped(s) + "</\(name)>"
        case let .int(n): out += "<\(name)>\(n)</\(name)>"
        case let .number(x?): out += "<\(name)>" + Self.decimal(x) + "</\(name)>"
        case let .bool(b): out += "<\(name)>\(b ? "true" : "false")</\(name)>"
        case let .object(pairs):
            out += "<\(name)>"
            for (key, value) in pairs { value.writeXML(name: key, into: &out) }
            out += "</\(name)>"
        case let .list(element, items):
            out += "<\(name)>"
            for item in items { item.writeXML(name: element, into: &out) }
            out += "</\(name)>"
        }
    }

    static func jsonString(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if u.value < 0x20 {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    /// Text as XML character data: markup characters escaped, and characters XML 1.0 does not allow
    /// (control characters other than tab and line breaks, U+FFFE, U+FFFF) left out.
    static func xmlEscaped(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n": out.unicodeScalars.append(u)
            case "\r": out += "&#13;"
            default:
                if u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// A coordinate or amount without exponent: at most six decimals, trailing zeros dropped.
    static func decimal(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        var s = String(format: "%.6f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }
}

/// One answer of the API: a tree, the root element's name for XML, the status and extra headers.
struct Open311Body: Sendable {
    var root: String
    var node: Open311Node
    var status: HTTPStatus = .ok
    var headers: [(String, String)] = []

    func response(_ format: Open311Format) -> Response {
        var h = HTTPHeaders()
        h.replaceOrAdd(name: .contentType, value: format.contentType)
        h.replaceOrAdd(name: .cacheControl, value: "no-store")
        for (name, value) in headers { h.replaceOrAdd(name: name, value: value) }
        let text = format == .json ? node.json : node.xml(root: root)
        return Response(status: status, headers: h, body: .init(string: text))
    }
}

/// ISO 8601 date-times as GeoReport v2 wants them (`2026-12-01T16:30:00+07:00`): Bangkok time with its
/// offset, whole seconds. Reading accepts any offset or `Z`, optional fractions, or a bare date (midnight
/// in Bangkok).
enum Open311Time {
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZoneSeparator: .colon, timeZone: ThaiDate.bangkok))
    }

    static func parse(_ text: String) -> Date? {
        var s = text.trimmingCharacters(in: .whitespaces)
        // "…T00:00:00+07:00" pasted into a query string unencoded arrives with its "+" read as a space.
        if s.count >= 25, let i = s.index(s.startIndex, offsetBy: 19, limitedBy: s.endIndex), s[i] == " " {
            s.replaceSubrange(i...i, with: "+")
        }
        if s.count == 10, let d = try? Date.ISO8601FormatStyle(timeZone: ThaiDate.bangkok).year().month().day().parse(s) {
            return d
        }
        guard s.count >= 20, s.count <= 40 else { return nil }
        if let d = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(s) { return d }
        return try? Date.ISO8601FormatStyle().parse(s)
    }

    /// The Bangkok calendar date ("YYYY-MM-DD") of a date-time, or the text itself when it is already a date.
    static func bangkokDay(_ text: String) -> String? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s.count == 10 { return s }
        guard let d = parse(s) else { return nil }
        return d.formatted(Date.ISO8601FormatStyle(timeZone: ThaiDate.bangkok).year().month().day())
    }
}
