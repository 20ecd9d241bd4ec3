// SVG rendering, safe under a Content-Security-Policy without 'unsafe-inline' styles:
// presentation attributes only, no `style` attribute and no <style> element.

extension QRCode {
    /// An SVG document (also fine to inline in HTML) with a light quiet zone of `border` modules.
    ///
    /// The `viewBox` is in module units (`0 0 n n` with `n = size + 2 × border`) and `width`/`height` are
    /// `n × moduleSize` pixels. The dark modules are one `<path fill="#000">` (one sub-path per horizontal
    /// run); a white `<rect>` underneath keeps the quiet zone light on dark pages.
    ///
    /// - Parameters:
    ///   - moduleSize: pixels per module (at least 1).
    ///   - border: quiet-zone width in modules (at least 0; the spec asks for 4).
    ///   - label: the accessible name (`aria-label`), e.g. "QR code for the authenticator app".
    public func svg(moduleSize: Int = 4, border: Int = 4, label: String) -> String {
        let moduleSize = max(moduleSize, 1)
        let border = max(border, 0)
        let side = size + 2 * border
        let pixels = side * moduleSize

        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard isDark(x: x, y: y) else { x += 1; continue }
                var run = 1
                while x + run < size, isDark(x: x + run, y: y) { run += 1 }
                path += "M\(x + border) \(y + border)h\(run)v1h-\(run)z"
                x += run
            }
        }

        return "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(pixels)\" height=\"\(pixels)\""
            + " viewBox=\"0 0 \(side) \(side)\" role=\"img\" aria-label=\"\(Self.escapeXML(label))\""
            + " shape-rendering=\"crispEdges\">"
            + "<rect width=\"\(side)\" height=\"\(side)\" fill=\"#fff\"/>"
            + "<path fill=\"#000\" d=\"\(path)\"/>"
            + "</svg>"
    }

    /// Escapes text for an XML attribute value or text node; control characters XML 1.0 forbids become spaces.
    static func escapeXML(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(character)
            case _ where character.value < 0x20 || (0xFFFE...0xFFFF).contains(character.value): out += " "
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
