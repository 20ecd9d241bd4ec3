import Crypto
import Foundation

/// A single-use link's token, for staff and citizens alike: 256 random bits in the link, only the SHA-256 kept
/// in the database (`single_use_tokens`), one use, a short life fixed by its kind.
public struct SingleUseToken: Sendable {
    /// What a token opens. The raw value is stored; staff and citizen kinds share one table.
    public enum Kind: String, Sendable, CaseIterable {
        /// A staff member's "ลืมรหัสผ่าน" link (30 minutes).
        case staffReset = "staff.reset"
        /// The first platform admin's set-up link, printed at start (24 hours).
        case staffSetup = "staff.setup"
        /// A citizen's "เปลี่ยนรหัสผ่าน" link; the seed says 10 minutes.
        case citizenReset = "citizen.reset"
        /// A citizen's link confirming a new e-mail address (24 hours).
        case citizenEmail = "citizen.email"

        public var lifetime: TimeInterval {
            switch self {
            case .staffReset: 30 * 60
            case .staffSetup: 24 * 3600
            case .citizenReset: 10 * 60
            case .citizenEmail: 24 * 3600
            }
        }
    }

    /// What goes into the link.
    public let token: String
    public let kind: Kind
    public let expiresAt: Date

    /// A new random token of `kind`, expiring its lifetime after `now`.
    public init(kind: Kind, now: Date) {
        self.token = Self.random()
        self.kind = kind
        self.expiresAt = now.addingTimeInterval(kind.lifetime)
    }

    /// What the database keeps instead of the token.
    public var hash: String { Self.hash(token) }

    /// The stored form of a token: hex SHA-256.
    public static func hash(_ token: String) -> String {
        Hex.sha256(Data(token.utf8))
    }

    /// Whether text from a link could be a token at all (checked before any look-up).
    public static func looksValid(_ token: String) -> Bool {
        (20...100).contains(token.count) && token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// 32 random bytes, base64url without padding.
    static func random() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = rng.next() }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
