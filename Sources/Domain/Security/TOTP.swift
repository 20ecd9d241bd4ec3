import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238, HMAC-SHA1, the kind every authenticator app reads).
/// The period is a platform setting: 30 s by default, 180 s to match the 3-minute codes of BMA's OTP app.
public struct TOTP: Sendable, Equatable {
    public let secret: [UInt8]
    public let period: Int
    public let digits: Int

    public init(secret: [UInt8], period: Int = 30, digits: Int = 6) {
        self.secret = secret
        self.period = max(1, period)
        self.digits = min(max(digits, 6), 8)
    }

    /// 20 random bytes (160 bits, as RFC 4226 recommends).
    public static func generateSecret() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<20).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
    }

    public func step(at date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / Double(period)).rounded(.down))
    }

    public func code(at date: Date) -> String { code(forStep: step(at: date)) }

    /// RFC 4226 HOTP over the time step.
    public func code(forStep step: Int64) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// The step a code matches within ±`window` steps of `date` (clock drift), or nil. A code is good once:
    /// pass the last step already used and a step at or before it is refused (store the step returned).
    public func verify(_ code: String, at date: Date, window: Int = 1, lastUsedStep: Int64? = nil) -> Int64? {
        let given = Array(code.filter { !$0.isWhitespace }.utf8)
        guard given.count == digits, given.allSatisfy({ (48...57).contains($0) }) else { return nil }
        let now = step(at: date)
        var match: Int64?
        for step in (now - Int64(window))...(now + Int64(window)) {
            // Compare every candidate in constant time; no early exit.
            if Self.constantTimeEqual(Array(self.code(forStep: step).utf8), given) { match = step }
        }
        guard let match, match > (lastUsedStep ?? Int64.min) else { return nil }
        return match
    }

    /// `otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`, for the QR code.
    public func provisioningURI(account: String, issuer: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let label = "\(issuer):\(account)".addingPercentEncoding(withAllowedCharacters: allowed) ?? account
        let issuerQuery = issuer.addingPercentEncoding(withAllowedCharacters: allowed) ?? issuer
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))&issuer=\(issuerQuery)&algorithm=SHA1&digits=\(digits)&period=\(period)"
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

/// RFC 4648 base32 (upper case, no padding), the form authenticator apps take secrets in.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer = 0, bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Case, spaces and padding are forgiven (people type secrets in groups); other characters are not.
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer = 0, bits = 0
        for char in text.uppercased().utf8 where char != UInt8(ascii: " ") && char != UInt8(ascii: "=") {
            guard let value = alphabet.firstIndex(of: char) else { return nil }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return out
    }
}
