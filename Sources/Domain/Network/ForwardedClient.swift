/// Who the client is, from the TCP peer and the forwarding headers a trusted proxy adds.
///
/// - A peer that is not a trusted proxy is the client; its headers are ignored entirely.
/// - From a trusted peer, the hops it forwards are walked from the right (the nearest first), skipping trusted
///   proxies: the first address that is not a trusted proxy is the client. When every hop is trusted, the
///   furthest one is.
/// - `X-Forwarded-For` (every header line, comma lists) is read when present; RFC 7239 `Forwarded` (`for=`)
///   only when there is no `X-Forwarded-For` at all. Proxies such as nginx append to `X-Forwarded-For` and pass
///   a `Forwarded` header sent by the client through untouched, so reading `Forwarded` first would let anyone
///   name their own address.
/// - A hop that cannot be read (garbage, an empty entry, `unknown`, an obfuscated `_name`, a missing `for=`)
///   ends the walk: the client is the last trusted hop that was reached (the proxy that forwarded it).
/// - At most `maxHops` hops are looked at; past that the walk stops in the same way.
public enum ForwardedClient {
    public static let maxHops = 32

    public struct Resolution: Sendable, Equatable {
        /// The client; nil when the peer itself is unknown (not an IP socket).
        public let address: IPAddress?
        /// The peer is a trusted proxy and a forwarding header was read.
        public let forwarded: Bool
    }

    public static func resolve(peer: IPAddress?, xForwardedFor: [String], forwarded: [String], trusted: TrustedProxies) -> Resolution {
        guard let peer, trusted.trusts(peer) else { return Resolution(address: peer, forwarded: false) }
        let hops: [Hop]
        if !xForwardedFor.isEmpty {
            hops = xForwardedForHops(xForwardedFor)
        } else if !forwarded.isEmpty {
            hops = forwardedHops(forwarded)
        } else {
            return Resolution(address: peer, forwarded: false)
        }
        var current = peer
        for hop in hops {
            guard case .address(let address) = hop else { break }
            guard trusted.trusts(address) else { return Resolution(address: address, forwarded: true) }
            current = address
        }
        return Resolution(address: current, forwarded: true)
    }

    enum Hop: Equatable {
        case address(IPAddress)
        /// Unreadable, `unknown` or obfuscated: the walk stops here.
        case opaque
    }

    /// The hops of `X-Forwarded-For`, nearest first, at most `maxHops` (then one `.opaque`).
    static func xForwardedForHops(_ lines: [String]) -> [Hop] {
        var hops: [Hop] = []
        for line in lines.reversed() {
            for entry in line.split(separator: ",", omittingEmptySubsequences: false).reversed() {
                guard hops.count < maxHops else { return hops + [.opaque] }
                let node = node(entry.trimmingSpaces)
                hops.append(node)
                if node == .opaque { return hops }
            }
        }
        return hops
    }

    /// The `for=` of each element of `Forwarded`, nearest first, at most `maxHops` (then one `.opaque`).
    static func forwardedHops(_ lines: [String]) -> [Hop] {
        var hops: [Hop] = []
        for line in lines.reversed() {
            guard let elements = forwardedElements(line) else { return hops + [.opaque] }
            for element in elements.reversed() {
                guard hops.count < maxHops else { return hops + [.opaque] }
                let forValues = element.filter { $0.name.lowercased() == "for" }
                guard forValues.count == 1 else { return hops + [.opaque] }
                let node = node(Substring(forValues[0].value))
                hops.append(node)
                if node == .opaque { return hops }
            }
        }
        return hops
    }

    /// An address with an optional port: `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`, `[2001:db8::1]`,
    /// `[2001:db8::1]:8080`. Anything else (including `unknown` and `_obfuscated`) is opaque.
    static func node(_ text: Substring) -> Hop {
        guard !text.isEmpty, text.utf8.count <= IPAddress.maxTextLength + 8 else { return .opaque }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .opaque }
            let inside = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard inside.contains(":"), rest.isEmpty || (rest.hasPrefix(":") && isPort(rest.dropFirst())), let a = IPAddress(inside) else {
                return .opaque
            }
            return .address(a)
        }
        let colons = text.filter { $0 == ":" }.count
        if colons == 1 {
            // IPv4 with a port.
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard isPort(parts[1]), !parts[0].contains(":"), let a = IPAddress(parts[0]), a.family == .v4 else { return .opaque }
            return .address(a)
        }
        guard let a = IPAddress(text) else { return .opaque }
        return .address(a)
    }

    /// 1–5 ASCII digits, at most 65535.
    static func isPort(_ text: Substring) -> Bool {
        let digits = text.utf8
        guard (1...5).contains(digits.count), digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return false }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } <= 65535
    }

    /// RFC 7239: elements separated by commas, pairs by semicolons, `name=token` or `name="quoted\"string"`.
    /// Nil when the line cannot be read (an unterminated quote, a pair without `=`, a NUL or other control).
    static func forwardedElements(_ line: String) -> [[(name: String, value: String)]]? {
        var elements: [[(name: String, value: String)]] = []
        var pairs: [(name: String, value: String)] = []
        var name = ""
        var value = ""
        var inValue = false
        var quoted = false
        var escaped = false
        var wasQuoted = false
        func endPair() -> Bool {
            let n = name.trimmingSpaces
            if n.isEmpty && !inValue { return true }  // an empty pair (";;" or a trailing ";")
            guard inValue, !n.isEmpty else { return false }
            pairs.append((name: String(n), value: wasQuoted ? value : String(value.trimmingSpaces)))
            name = ""
            value = ""
            inValue = false
            wasQuoted = false
            return true
        }
        for c in line.unicodeScalars {
            guard c.value >= 0x20 || c == "\t", c.value != 0x7f else { return nil }
            if quoted {
                if escaped {
                    value.unicodeScalars.append(c)
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    quoted = false
                } else {
                    value.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard inValue, value.trimmingSpaces.isEmpty, !wasQuoted else { return nil }
                quoted = true
                wasQuoted = true
                value = ""
            case ";":
                guard endPair() else { return nil }
            case ",":
                guard endPair() else { return nil }
                if !pairs.isEmpty { elements.append(pairs) }
                pairs = []
            case "=" where !inValue:
                inValue = true
            default:
                if wasQuoted {
                    guard c == " " || c == "\t" else { return nil }
                } else if inValue {
                    value.unicodeScalars.append(c)
                } else {
                    name.unicodeScalars.append(c)
                }
            }
        }
        guard !quoted, endPair() else { return nil }
        if !pairs.isEmpty { elements.append(pairs) }
        return elements
    }
}
