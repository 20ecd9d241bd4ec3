import Crypto
import Foundation

/// LINE signs each webhook request: `X-Line-Signature` is the base64 of the HMAC-SHA256 of the raw body,
/// keyed with the channel secret.
public enum LineSignature {
    public static func sign(_ body: [UInt8], secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// Whether `signature` is the body's; compared in constant time. A missing or malformed header is false.
    public static func isValid(_ body: [UInt8], secret: String, signature: String?) -> Bool {
        guard let signature, !secret.isEmpty, let given = Data(base64Encoded: signature.trimmingCharacters(in: .whitespaces)),
            given.count == SHA256.byteCount
        else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: body, using: SymmetricKey(data: Array(secret.utf8)))
    }
}
