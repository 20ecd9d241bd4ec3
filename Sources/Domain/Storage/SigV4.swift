import Crypto
import Foundation

/// AWS Signature Version 4, as S3-compatible object stores check it: canonical request, string to sign,
/// signing key and the `Authorization` header. Pure: no clock, no I/O (the caller passes the time and the
/// payload's hash). Checked against the vectors of AWS's published SigV4 test suite (DomainTests).
///
/// Paths are given unencoded ("/bucket/identity/x.jpg"); each segment is URI-encoded once, as S3 wants (no
/// `.`/`..` normalisation, which S3 does not do either). Query items are given unencoded and sorted here.
public struct SigV4Signer: Sendable {
    public struct Credentials: Sendable, CustomStringConvertible {
        public var accessKeyID: String
        /// Never printed: `description` shows the key id only.
        public var secretAccessKey: String

        public init(accessKeyID: String, secretAccessKey: String) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
        }

        public var description: String { "Credentials(\(accessKeyID), secret hidden)" }
    }

    /// One request to sign.
    public struct Request: Sendable {
        public var method: String
        /// Unencoded path, starting with `/`.
        public var path: String
        /// Unencoded query items, in any order.
        public var query: [(String, String)]
        /// Every header to sign (at least `host` and `x-amz-date`), names in any case.
        public var headers: [(String, String)]
        /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
        public var payloadHash: String

        public init(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], payloadHash: String) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    public static let algorithm = "AWS4-HMAC-SHA256"
    /// The hex SHA-256 of no bytes (a GET's, HEAD's or DELETE's payload).
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public var credentials: Credentials
    public var region: String
    public var service: String

    public init(credentials: Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    // MARK: Pieces

    /// `20150830T123600Z`: the `x-amz-date` header's form of `date` (UTC).
    public static func amzDate(_ date: Date) -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// RFC 3986 encoding with AWS's unreserved set (`A–Z a–z 0–9 - . _ ~`); `/` kept when `keepSlash`.
    public static func uriEncode(_ s: String, keepSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: "/") where keepSlash:
                out += "/"
            default:
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(digits[Int(b >> 4)])
                out.unicodeScalars.append(digits[Int(b & 0x0F)])
            }
        }
        return out
    }

    /// The canonical query string: each name and value encoded, sorted by name, then by value.
    public static func canonicalQuery(_ items: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = items.map { item in
            (uriEncode(item.0, keepSlash: false), uriEncode(item.1, keepSlash: false))
        }
        let sorted = encoded.sorted { (a: (name: String, value: String), b: (name: String, value: String)) -> Bool in
            a.name == b.name ? a.value < b.value : a.name < b.name
        }
        return sorted.map { $0.name + "=" + $0.value }.joined(separator: "&")
    }

    /// Lower-cased names, sorted; values trimmed with inner runs of spaces made one; repeated names joined by commas.
    static func canonicalHeaders(_ headers: [(String, String)]) -> (block: String, signed: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            let collapsed = trimmed.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            merged[name.lowercased(), default: []].append(collapsed)
        }
        let names = merged.keys.sorted()
        let block = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (block, names.joined(separator: ";"))
    }

    public func canonicalRequest(_ r: Request) -> String {
        let (block, signed) = Self.canonicalHeaders(r.headers)
        let path = r.path.isEmpty ? "/" : Self.uriEncode(r.path, keepSlash: true)
        return [r.method, path, Self.canonicalQuery(r.query), block, signed, r.payloadHash].joined(separator: "\n")
    }

    func scope(_ date: Date) -> String {
        "\(Self.amzDate(date).prefix(8))/\(region)/\(service)/aws4_request"
    }

    public func stringToSign(canonicalRequest: String, date: Date) -> String {
        [Self.algorithm, Self.amzDate(date), scope(date), Hex.string(SHA256.hash(data: Data(canonicalRequest.utf8)))].joined(separator: "\n")
    }

    public static func signingKey(secret: String, day: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data(("AWS4" + secret).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    public func signature(_ r: Request, date: Date) -> String {
        let key = Self.signingKey(secret: credentials.secretAccessKey, day: String(Self.amzDate(date).prefix(8)), region: region, service: service)
        let toSign = stringToSign(canonicalRequest: canonicalRequest(r), date: date)
        return Hex.string(HMAC<SHA256>.authenticationCode(for: Data(toSign.utf8), using: key))
    }

    /// The `Authorization` header's value for `r` sent at `date` (whose `x-amz-date` header must say the same).
    public func authorization(_ r: Request, date: Date) -> String {
        let signed = Self.canonicalHeaders(r.headers).signed
        return "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope(date)), SignedHeaders=\(signed), Signature=\(signature(r, date: date))"
    }
}
