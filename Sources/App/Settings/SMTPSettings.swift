import Foundation

/// Where and how to send e-mail, from `SMTP_URL`:
/// `smtp://user:password@host:587` (STARTTLS when offered, required when a password is given),
/// `smtps://…:465` (TLS from the start); `?starttls=off` allows plain text to a local relay.
public struct SMTPSettings: Sendable, Equatable, CustomStringConvertible {
    public enum Security: String, Sendable { case implicitTLS, startTLS, startTLSIfOffered, none }

    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var security: Security
    /// Extra CA certificates to trust (PEM), e.g. a private relay's or a test server's.
    public var caFile: String?
    /// The name we give in EHLO.
    public var heloName: String
    /// `?auth=login` prefers AUTH LOGIN where a server's AUTH PLAIN misbehaves; PLAIN otherwise.
    public var prefersLogin = false

    public struct Invalid: Error, CustomStringConvertible { public var description: String }

    public init(
        host: String, port: Int, username: String? = nil, password: String? = nil,
        security: Security, caFile: String? = nil, heloName: String = "eservice.localhost"
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.security = security
        self.caFile = caFile
        self.heloName = heloName
    }

    public init(url raw: String, caFile: String? = nil) throws {
        guard let components = URLComponents(string: raw), let scheme = components.scheme, let host = components.host, !host.isEmpty else {
            throw Invalid(description: "must look like smtp://user:password@host:587")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let username = components.percentEncodedUser?.removingPercentEncoding
        let password = components.percentEncodedPassword?.removingPercentEncoding
        let security: Security
        switch (scheme, query["starttls"]) {
        case ("smtps", _): security = .implicitTLS
        case ("smtp", "off"?): security = .none
        case ("smtp", "required"?): security = .startTLS
        case ("smtp", nil): security = password == nil ? .startTLSIfOffered : .startTLS
        case ("smtp", let other?): throw Invalid(description: "starttls must be required or off, got '\(other)'")
        default: throw Invalid(description: "scheme must be smtp or smtps, got '\(scheme)'")
        }
        self.init(
            host: host, port: components.port ?? (scheme == "smtps" ? 465 : 587), username: username,
            password: password, security: security, caFile: caFile)
        switch query["auth"] {
        case nil, "plain"?: prefersLogin = false
        case "login"?: prefersLogin = true
        case let other?: throw Invalid(description: "auth must be plain or login, got '\(other)'")
        }
    }

    /// Never prints the password.
    public var description: String {
        "\(security == .implicitTLS ? "smtps" : "smtp")://\(username.map { "\($0)@" } ?? "")\(host):\(port) (\(security.rawValue))"
    }
}
