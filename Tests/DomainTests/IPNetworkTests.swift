import Domain
import Testing

@Suite("IP addresses, CIDR ranges and the client behind trusted proxies")
struct IPNetworkTests {
    /// A literal test address (recorded as a failure if it does not parse).
    func ip(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> IPAddress {
        guard let address = IPAddress(text) else {
            Issue.record("not an address: \(text)", sourceLocation: sourceLocation)
            return IPAddress(bytes: [0, 0, 0, 0])!
        }
        return address
    }

    @Test("IPv4 and IPv6 addresses are read strictly and printed canonically")
    func addresses() throws {
        #expect(IPAddress("192.0.2.1")?.bytes == [192, 0, 2, 1])
        #expect(IPAddress("0.0.0.0")?.description == "0.0.0.0")
        #expect(IPAddress("255.255.255.255")?.description == "255.255.255.255")
        #expect(IPAddress("2001:DB8:0:0:0:0:0:1")?.description == "2001:db8::1")
        #expect(IPAddress("2001:db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1", "the first of two equal runs")
        #expect(IPAddress("2001:db8:0:1:1:1:1:1")?.description == "2001:db8:0:1:1:1:1:1", "a single zero group stays")
        #expect(IPAddress("::")?.description == "::")
        #expect(IPAddress("::1")?.description == "::1")
        #expect(IPAddress("1::")?.description == "1::")
        #expect(IPAddress("1:2:3:4:5:6:7::")?.description == "1:2:3:4:5:6:7:0")
        #expect(IPAddress("fe80::1:2")?.family == .v6)
        #expect(IPAddress("64:ff9b::192.0.2.33")?.description == "64:ff9b::c000:221", "embedded dotted IPv4 in the last groups")
    }

    @Test("an IPv4 address mapped into IPv6 is that IPv4 address")
    func mapped() throws {
        let mapped = try #require(IPAddress("::ffff:192.0.2.1"))
        #expect(mapped == IPAddress("192.0.2.1"))
        #expect(mapped.family == .v4 && mapped.description == "192.0.2.1")
        #expect(IPAddress("::FFFF:c000:0201") == IPAddress("192.0.2.1"))
        #expect(IPAddress("::ffff:127.0.0.1")?.isLoopback == true)
        #expect(IPAddress("::1")?.isLoopback == true && IPAddress("::2")?.isLoopback == false && IPAddress("128.0.0.1")?.isLoopback == false)
        #expect(IPAddress(bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3])?.description == "10.1.2.3")
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
    }

    @Test(
        "anything else is not an address, without trapping",
        arguments: [
            "", " ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "01.2.3.4", "1.2.3.4 ", "1..2.3", "999999999999999999999.1.1.1",
            "18446744073709551616.0.0.1", "1:2:3:4:5:6:7:8:9", "1::2::3", ":::", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", "12345::",
            "g::1", "::ffff:1.2.3.256", "1.2.3.4::", "fe80::1%eth0", "[::1]", "::1\u{0}", "unknown", "localhost", "1:2:3:4:5:6:7:8::",
            String(repeating: "1", count: 5_000), String(repeating: ":", count: 1_000), "１.２.３.４", "๑.๒.๓.๔",
        ])
    func refused(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("CIDR ranges: IPv4, IPv6, mapped IPv6, prefix 0 and the full length")
    func ranges() throws {
        let ten = try #require(IPNetwork("10.0.0.0/8"))
        #expect(ten.contains(ip("10.255.1.2")))
        #expect(!ten.contains(ip("11.0.0.1")))
        #expect(ten.contains(ip("::ffff:10.9.9.9")), "a mapped client is the IPv4 one")
        #expect(!ten.contains(ip("a00::1")), "an IPv6 address is never in an IPv4 range")

        let all4 = try #require(IPNetwork("0.0.0.0/0"))
        #expect(all4.contains(ip("203.0.113.9")) && !all4.contains(ip("2001:db8::1")))
        let one = try #require(IPNetwork("192.0.2.1/32"))
        #expect(one.contains(ip("192.0.2.1")) && !one.contains(ip("192.0.2.2")))
        #expect(IPNetwork("192.0.2.1") == one, "an address alone is its /32")

        let ula = try #require(IPNetwork("fd00::/8"))
        #expect(ula.contains(ip("fd12:3456::1")) && !ula.contains(ip("fe00::1")))
        let host6 = try #require(IPNetwork("2001:db8::1/128"))
        #expect(host6.contains(ip("2001:db8::1")) && !host6.contains(ip("2001:db8::2")))
        #expect(IPNetwork("::1") == IPNetwork("::1/128"))
        let all6 = try #require(IPNetwork("::/0"))
        #expect(all6.contains(ip("2001:db8::1")) && all6.contains(ip("192.0.2.1")), "::/0 is everything")

        let mapped = try #require(IPNetwork("::ffff:10.0.0.0/104"))
        #expect(mapped == ten, "a range inside ::ffff:0:0/96 is the IPv4 range")
        #expect(IPNetwork("::ffff:0:0/96") == all4)
        let odd = try #require(IPNetwork("2001:db8:1:2:3000::/68"))
        #expect(odd.contains(ip("2001:db8:1:2:3fff::1")) && !odd.contains(ip("2001:db8:1:2:4000::1")))
    }

    @Test("bad ranges are refused with a reason")
    func badRanges() {
        #expect(IPNetwork.parse("10.0.0.1/8") == .failure(.hostBitsSet("10.0.0.1/8", suggestion: "10.0.0.0/8")))
        #expect(IPNetwork.parse("2001:db8::1/32") == .failure(.hostBitsSet("2001:db8::1/32", suggestion: "2001:db8::/32")))
        #expect(IPNetwork.parse("10.0.0.0/33") == .failure(.badPrefix("10.0.0.0/33", max: 32)))
        #expect(IPNetwork.parse("::/129") == .failure(.badPrefix("::/129", max: 128)))
        for bad in ["10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0.0/99999999999999999999999", "10.0.0.0/ 8", "/8", "x/8"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
        #expect(IPNetwork.parse("nginx") == .failure(.notAnAddress("nginx")))
    }

    @Test("a TRUSTED_PROXIES list: every bad entry is named; spaces and empty entries are ignored")
    func list() throws {
        let list = try TrustedProxies.parse(" 127.0.0.1, 10.0.0.0/8,,::1 ,fd00::/8,").get()
        #expect(list.networks.map(\.description) == ["127.0.0.1/32", "10.0.0.0/8", "::1/128", "fd00::/8"])
        #expect(list.trusts(ip("10.1.1.1")) && !list.trusts(ip("192.0.2.1")))
        guard case .failure(let error) = TrustedProxies.parse("127.0.0.1,proxy.local,10.0.0.1/8") else {
            Issue.record("a bad list was accepted")
            return
        }
        #expect(error.problems.count == 2)
        #expect(error.description.contains("'proxy.local'") && error.description.contains("did you mean 10.0.0.0/8"))
        #expect(try TrustedProxies.parse("").get().isEmpty)
    }

    @Test("the /64 an IPv6 client is limited by; IPv4 clients by their address")
    func rateLimitNetwork() throws {
        #expect(IPAddress("2001:db8:1:2:aaaa:bbbb:cccc:dddd")?.rateLimitNetwork.description == "2001:db8:1:2::/64")
        #expect(IPAddress("2001:db8:1:2::9")?.rateLimitNetwork == IPAddress("2001:db8:1:2:ffff::1")?.rateLimitNetwork)
        #expect(IPAddress("2001:db8:1:3::9")?.rateLimitNetwork != IPAddress("2001:db8:1:2::9")?.rateLimitNetwork)
        #expect(IPAddress("192.0.2.7")?.rateLimitNetwork.description == "192.0.2.7/32")
    }

    // MARK: The client behind proxies

    static let proxies = try! TrustedProxies.parse("127.0.0.1,10.0.0.0/8,fd00::/8").get()

    func client(peer: String, xff: [String] = [], forwarded: [String] = [], trusted: TrustedProxies = IPNetworkTests.proxies) -> String? {
        ForwardedClient.resolve(peer: IPAddress(peer), xForwardedFor: xff, forwarded: forwarded, trusted: trusted).address?.description
    }

    @Test("headers from a peer that is not a trusted proxy change nothing")
    func untrustedPeer() {
        #expect(client(peer: "203.0.113.9", xff: ["198.51.100.1"]) == "203.0.113.9")
        #expect(client(peer: "203.0.113.9", forwarded: ["for=198.51.100.1"]) == "203.0.113.9")
        #expect(client(peer: "127.0.0.1", xff: ["198.51.100.1"], trusted: .none) == "127.0.0.1", "nobody is trusted by default")
    }

    @Test("X-Forwarded-For is walked from the right, skipping trusted proxies, across header lines")
    func walk() {
        #expect(client(peer: "127.0.0.1", xff: ["198.51.100.1"]) == "198.51.100.1")
        #expect(client(peer: "127.0.0.1", xff: ["1.1.1.1, 198.51.100.1, 10.0.0.5"]) == "198.51.100.1", "the spoofed left-most entry is ignored")
        #expect(client(peer: "127.0.0.1", xff: ["1.1.1.1", "198.51.100.1,10.0.0.5"]) == "198.51.100.1")
        #expect(client(peer: "127.0.0.1", xff: ["10.0.0.7, 10.0.0.5"]) == "10.0.0.7", "every hop trusted: the furthest one")
        #expect(client(peer: "127.0.0.1", xff: ["2001:db8::5"]) == "2001:db8::5")
        #expect(client(peer: "127.0.0.1", xff: ["[2001:db8::5]:4711"]) == "2001:db8::5")
        #expect(client(peer: "127.0.0.1", xff: ["198.51.100.1:5555"]) == "198.51.100.1")
        #expect(client(peer: "127.0.0.1", xff: ["::ffff:198.51.100.1"]) == "198.51.100.1")
        #expect(client(peer: "::ffff:127.0.0.1", xff: ["198.51.100.1"]) == "198.51.100.1", "a mapped peer is trusted as its IPv4 address")
        #expect(client(peer: "fd00::2", xff: ["2001:db8::77"]) == "2001:db8::77")
        #expect(client(peer: "127.0.0.1") == "127.0.0.1", "a trusted peer without headers is itself the client")
    }

    @Test("an unreadable hop stops the walk at the last trusted hop")
    func malformed() {
        #expect(client(peer: "127.0.0.1", xff: ["198.51.100.1, garbage"]) == "127.0.0.1")
        #expect(client(peer: "127.0.0.1", xff: ["198.51.100.1, garbage, 10.0.0.5"]) == "10.0.0.5")
        #expect(client(peer: "127.0.0.1", xff: [String(repeating: ",", count: 1_000)]) == "127.0.0.1")
        #expect(client(peer: "127.0.0.1", xff: ["198.51.100.1,"]) == "127.0.0.1", "an empty entry is unreadable")
        #expect(client(peer: "127.0.0.1", xff: [""]) == "127.0.0.1")
        #expect(client(peer: "127.0.0.1", xff: ["[::1"]) == "127.0.0.1")
        #expect(client(peer: "127.0.0.1", xff: ["1.2.3.4\u{0}"]) == "127.0.0.1")
        #expect(client(peer: "127.0.0.1", xff: ["99999999999999999999999999.1.1.1"]) == "127.0.0.1")
        #expect(client(peer: "127.0.0.1", xff: ["1.2.3.4:99999"]) == "127.0.0.1")
        #expect(client(peer: "127.0.0.1", xff: ["unknown"]) == "127.0.0.1")
        let many = Array(repeating: "10.0.0.1", count: 200).joined(separator: ",")
        #expect(client(peer: "127.0.0.1", xff: ["198.51.100.1," + many]) == "10.0.0.1", "at most \(ForwardedClient.maxHops) hops are looked at")
    }

    @Test("RFC 7239 Forwarded, read only when there is no X-Forwarded-For")
    func forwarded() {
        #expect(client(peer: "127.0.0.1", forwarded: ["for=198.51.100.1;proto=https;by=10.0.0.1"]) == "198.51.100.1")
        #expect(client(peer: "127.0.0.1", forwarded: [#"for="[2001:db8:cafe::17]:4711""#]) == "2001:db8:cafe::17")
        #expect(client(peer: "127.0.0.1", forwarded: [#"For="198.51.100.1:80", for=10.0.0.3"#]) == "198.51.100.1")
        #expect(client(peer: "127.0.0.1", forwarded: ["for=1.1.1.1", "for=198.51.100.1"]) == "198.51.100.1")
        #expect(client(peer: "127.0.0.1", forwarded: ["for=198.51.100.1, for=unknown"]) == "127.0.0.1", "unknown: stop at the proxy")
        #expect(client(peer: "127.0.0.1", forwarded: ["for=198.51.100.1, for=_hidden, for=10.0.0.3"]) == "10.0.0.3", "obfuscated: stop there")
        #expect(client(peer: "127.0.0.1", forwarded: ["proto=https"]) == "127.0.0.1", "no for=")
        #expect(client(peer: "127.0.0.1", forwarded: [#"for="198.51.100.1"#]) == "127.0.0.1", "an unterminated quote")
        #expect(client(peer: "127.0.0.1", forwarded: [#"for="[::1""#]) == "127.0.0.1")
        #expect(client(peer: "127.0.0.1", forwarded: ["for=1.2.3.4;for=5.6.7.8"]) == "127.0.0.1", "two for= in one element")
        #expect(client(peer: "127.0.0.1", forwarded: ["for=1.2.3.4\u{0}"]) == "127.0.0.1")
        #expect(
            client(peer: "127.0.0.1", xff: ["198.51.100.1"], forwarded: ["for=203.0.113.66"]) == "198.51.100.1",
            "X-Forwarded-For wins: a proxy that appends to it passes the client's own Forwarded through")
    }
}
