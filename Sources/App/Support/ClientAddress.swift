import Domain
import NIOCore
import Vapor

/// The one answer to "who is asking": the TCP peer, or, when the peer is one of `TRUSTED_PROXIES`, the address it
/// forwards (`ForwardedClient` has the rules). Worked out once per request and kept in its storage.
struct ClientOrigin: Sendable, Equatable {
    /// The client's address as text (`-` when the peer is not an IP socket).
    var address: String
    /// What rate limits and lockouts count: the address for IPv4, its /64 for IPv6.
    var network: String
    /// The peer is a trusted proxy and a forwarding header named the client.
    var forwarded: Bool

    init(peer: SocketAddress?, headers: HTTPHeaders, trusted: TrustedProxies) {
        let resolution = ForwardedClient.resolve(
            peer: peer.flatMap(IPAddress.init(socketAddress:)), xForwardedFor: headers[.xForwardedFor], forwarded: headers[.forwarded],
            trusted: trusted)
        if let client = resolution.address {
            address = client.description
            network = client.family == .v4 ? client.description : client.rateLimitNetwork.description
        } else {
            address = "-"
            network = "-"
        }
        forwarded = resolution.forwarded
    }
}

extension IPAddress {
    /// The address of an IP socket; nil for a Unix socket.
    init?(socketAddress: SocketAddress) {
        switch socketAddress {
        case .v4(let a): self.init(bytes: withUnsafeBytes(of: a.address.sin_addr) { Array($0) })
        case .v6(let a): self.init(bytes: withUnsafeBytes(of: a.address.sin6_addr) { Array($0) })
        default: return nil
        }
    }
}

extension Request {
    private struct ClientOriginKey: StorageKey { typealias Value = ClientOrigin }

    var clientOrigin: ClientOrigin {
        if let known = storage[ClientOriginKey.self] { return known }
        let origin = ClientOrigin(peer: remoteAddress, headers: headers, trusted: application.settings.trustedProxies)
        storage[ClientOriginKey.self] = origin
        return origin
    }

    /// The client's full address (audit log, access log). Forwarding headers count only from `TRUSTED_PROXIES`.
    public var clientAddress: String { clientOrigin.address }

    /// The key for per-address rate limits and lockouts: the address for IPv4, its /64 for IPv6
    /// (`2001:db8:1:2::/64`), since one IPv6 client can pick any address in its /64.
    public var clientNetwork: String { clientOrigin.network }
}
