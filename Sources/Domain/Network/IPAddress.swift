/// An IPv4 or IPv6 address read strictly from text or bytes. Every number is checked digit by digit against
/// its range before it is used, and text longer than the longest address is refused unread, so no input can
/// trap. An IPv4 address mapped into IPv6 (`::ffff:192.0.2.1`, what a dual-stack socket reports) *is* that
/// IPv4 address: it compares, prints and matches as `192.0.2.1`.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Family: Sendable { case v4, v6 }

    /// 4 bytes (IPv4) or 16 (IPv6), network order.
    public let bytes: [UInt8]

    public var family: Family { bytes.count == 4 ? .v4 : .v6 }
    /// 32 or 128.
    public var bitCount: Int { bytes.count * 8 }

    /// The longest address text: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`.
    static let maxTextLength = 45
    static let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]

    /// From 4 or 16 bytes (an IPv4-mapped IPv6 address becomes IPv4); nil for any other count.
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4: self.bytes = bytes
        case 16: self.bytes = Array(bytes[0..<12]) == Self.mappedPrefix ? Array(bytes[12..<16]) : bytes
        default: return nil
        }
    }

    /// From text: dotted IPv4 (`192.0.2.1`, no leading zeros) or IPv6 (`2001:db8::1`, `::ffff:192.0.2.1`),
    /// without brackets, port or zone. Nil for anything else.
    public init?(_ text: some StringProtocol) {
        guard let raw = Self.rawBytes(text) else { return nil }
        self.init(bytes: raw)
    }

    /// The bytes as written, before an IPv4-mapped address becomes IPv4 (a range needs to know how its text was written).
    static func rawBytes(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty, utf8.count <= maxTextLength else { return nil }
        if utf8.contains(UInt8(ascii: ":")) { return v6(utf8[...]) }
        return v4(utf8[...])
    }

    /// `a.b.c.d`: four decimal numbers 0–255, one to three digits each, no leading zero (`010` could be octal).
    static func v4(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let parts = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), !(part.count > 1 && part.first == UInt8(ascii: "0")) else { return nil }
            var value = 0
            for c in part {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { return nil }
                value = value * 10 + Int(c - UInt8(ascii: "0"))
            }
            guard value <= 255 else { return nil }
            out.append(UInt8(value))
        }
        return out
    }

    /// Eight groups of one to four hex digits, at most one `::` standing for one or more zero groups, the last
    /// two groups optionally written as dotted IPv4.
    static func v6(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let colon = UInt8(ascii: ":")
        // Where "::" is, if anywhere (at most once).
        var gap: Int?
        var i = text.startIndex
        while i < text.endIndex - 1 {
            if text[i] == colon && text[i + 1] == colon {
                guard gap == nil else { return nil }
                gap = i
                i += 2
            } else {
                i += 1
            }
        }
        func groups(_ part: ArraySlice<UInt8>, last: Bool) -> [UInt8]? {
            if part.isEmpty { return [] }
            let pieces = part.split(separator: colon, omittingEmptySubsequences: false)
            var out: [UInt8] = []
            for (n, piece) in pieces.enumerated() {
                if last && n == pieces.count - 1 && piece.contains(UInt8(ascii: ".")) {
                    guard let four = v4(piece) else { return nil }
                    out += four
                    continue
                }
                guard (1...4).contains(piece.count) else { return nil }
                var value = 0
                for c in piece {
                    guard let d = hexDigit(c) else { return nil }
                    value = value * 16 + d
                }
                out += [UInt8(value >> 8), UInt8(value & 0xff)]
            }
            return out
        }
        if let gap {
            guard let head = groups(text[text.startIndex..<gap], last: false), let tail = groups(text[(gap + 2)...], last: true),
                head.count + tail.count <= 14
            else { return nil }
            return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
        }
        guard let all = groups(text, last: true), all.count == 16 else { return nil }
        return all
    }

    static func hexDigit(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(c - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(c - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    /// The bytes as IPv6 (an IPv4 address mapped: `::ffff:a.b.c.d`).
    var v6Bytes: [UInt8] { bytes.count == 16 ? bytes : Self.mappedPrefix + bytes }

    /// The address with every bit after the first `prefixLength` cleared (the length is clamped to the address).
    public func masked(to prefixLength: Int) -> IPAddress {
        let keep = min(max(prefixLength, 0), bitCount)
        var out = bytes
        for i in out.indices {
            let bitsHere = min(max(keep - i * 8, 0), 8)
            out[i] &= bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bitsHere))
        }
        return IPAddress(unchecked: out)
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// `192.0.2.1`; IPv6 as RFC 5952 writes it (lower case, no leading zeros, the longest run of two or more
    /// zero groups as `::`).
    public var description: String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = (0..<8).map { Int(bytes[2 * $0]) << 8 | Int(bytes[2 * $0 + 1]) }
        var best = (start: -1, length: 0)
        var run = (start: -1, length: 0)
        for (i, g) in groups.enumerated() {
            if g == 0 {
                run = run.start < 0 ? (i, 1) : (run.start, run.length + 1)
                if run.length > best.length { best = run }
            } else {
                run = (-1, 0)
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return hex.joined(separator: ":") }
        let head = hex[0..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }

    /// What rate limits and lockouts count by: the address itself for IPv4, the /64 for IPv6 (one household or
    /// one phone is usually given a whole /64, and can pick any address in it).
    public var rateLimitNetwork: IPNetwork {
        IPNetwork(uncheckedAddress: masked(to: family == .v4 ? 32 : 64), prefixLength: family == .v4 ? 32 : 64)
    }

    /// 127.0.0.0/8 or ::1 (an IPv4-mapped 127.x address is IPv4 already).
    public var isLoopback: Bool {
        bytes.count == 4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1]
    }
}

/// An address range in CIDR notation: `10.0.0.0/8`, `fd00::/8`, or one address (`192.0.2.1` is `/32`).
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The first address (the bits after the prefix are zero).
    public let address: IPAddress
    public let prefixLength: Int

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case notAnAddress(String)
        case badPrefix(String, max: Int)
        case hostBitsSet(String, suggestion: String)

        public var description: String {
            switch self {
            case .notAnAddress(let t): "'\(t)' is not an IPv4 or IPv6 address or CIDR range"
            case .badPrefix(let t, let max): "'\(t)': the prefix length after / must be a number from 0 to \(max)"
            case .hostBitsSet(let t, let s): "'\(t)' has bits set after its prefix (did you mean \(s)?)"
            }
        }
    }

    init(uncheckedAddress address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `address` or `address/prefix`. A range written inside `::ffff:0:0/96` (`::ffff:10.0.0.0/104`) is
    /// the IPv4 range it maps (`10.0.0.0/8`). Bits set after the prefix are refused: `10.0.0.1/8` is a typo.
    public static func parse(_ text: some StringProtocol) -> Result<IPNetwork, ParseError> {
        let text = String(text)
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let raw = IPAddress.rawBytes(parts[0]), let address = IPAddress(bytes: raw) else { return .failure(.notAnAddress(text)) }
        let writtenBits = raw.count * 8
        var prefix = writtenBits
        if parts.count == 2 {
            let digits = parts[1].utf8
            guard (1...3).contains(digits.count), digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                return .failure(.badPrefix(text, max: writtenBits))
            }
            prefix = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            guard prefix <= writtenBits else { return .failure(.badPrefix(text, max: writtenBits)) }
        }
        var network: IPNetwork
        if writtenBits == 128 && address.family == .v4 {
            // Written as IPv4-mapped IPv6.
            if prefix >= 96 {
                network = IPNetwork(uncheckedAddress: address.masked(to: prefix - 96), prefixLength: prefix - 96)
                if network.address != address {
                    return .failure(.hostBitsSet(text, suggestion: "::ffff:\(network.address)/\(prefix)"))
                }
                return .success(network)
            }
            let v6 = IPAddress(unchecked: address.v6Bytes)
            network = IPNetwork(uncheckedAddress: v6.masked(to: prefix), prefixLength: prefix)
            if network.address != v6 { return .failure(.hostBitsSet(text, suggestion: network.description)) }
            return .success(network)
        }
        network = IPNetwork(uncheckedAddress: address.masked(to: prefix), prefixLength: prefix)
        if network.address != address { return .failure(.hostBitsSet(text, suggestion: network.description)) }
        return .success(network)
    }

    /// `parse`, as an optional.
    public init?(_ text: some StringProtocol) {
        guard case .success(let n) = Self.parse(text) else { return nil }
        self = n
    }

    /// Whether `other` lies in the range. An IPv4 address is compared with an IPv6 range as its mapped form
    /// (`::/0` holds every address); an IPv6 address never lies in an IPv4 range.
    public func contains(_ other: IPAddress) -> Bool {
        switch (address.family, other.family) {
        case (.v4, .v6): return false
        case (.v6, .v4): return IPAddress(unchecked: other.v6Bytes).masked(to: prefixLength) == address
        default: return other.masked(to: prefixLength) == address
        }
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

/// The proxies whose forwarding headers are believed (`TRUSTED_PROXIES`). Empty: nobody's.
public struct TrustedProxies: Sendable, Equatable {
    public let networks: [IPNetwork]

    public static let none = TrustedProxies(networks: [])

    public init(networks: [IPNetwork]) { self.networks = networks }

    public var isEmpty: Bool { networks.isEmpty }

    /// A comma-separated list of addresses and CIDR ranges (spaces around entries and empty entries are
    /// ignored). Every bad entry is named.
    public static func parse(_ list: String) -> Result<TrustedProxies, ListError> {
        var networks: [IPNetwork] = []
        var problems: [IPNetwork.ParseError] = []
        for entry in list.split(separator: ",") {
            let item = entry.trimmingSpaces
            if item.isEmpty { continue }
            switch IPNetwork.parse(item) {
            case .success(let n): networks.append(n)
            case .failure(let e): problems.append(e)
            }
        }
        return problems.isEmpty ? .success(TrustedProxies(networks: networks)) : .failure(ListError(problems: problems))
    }

    public struct ListError: Error, Equatable, Sendable, CustomStringConvertible {
        public let problems: [IPNetwork.ParseError]
        public var description: String { problems.map(\.description).joined(separator: "; ") }
    }

    public func trusts(_ address: IPAddress) -> Bool { networks.contains { $0.contains(address) } }
}

extension StringProtocol {
    /// Without the spaces and tabs around it (no Foundation).
    var trimmingSpaces: Substring {
        let s = Substring(self)
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = s.firstIndex(where: { !isSpace($0) }), let last = s.lastIndex(where: { !isSpace($0) }) else { return "" }
        return s[first...last]
    }
}
