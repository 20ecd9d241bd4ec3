import Crypto
import Foundation

/// Lower-case hexadecimal: how the platform writes a file's SHA-256 beside its row, a token's hash, and what
/// SigV4 signs. One encoder for all of them.
public enum Hex {
    public static func string<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The hex SHA-256 of `data`.
    public static func sha256(_ data: Data) -> String { string(SHA256.hash(data: data)) }
}
