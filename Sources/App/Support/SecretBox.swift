import Crypto
import Foundation

/// Seals small secrets kept in the database (TOTP keys) with a key derived from `APP_SECRET`, so a copy of
/// the database alone does not give them away. AES-GCM; the nonce travels with the sealed text.
struct SecretBox: Sendable {
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    init(appSecret: [UInt8], purpose: String) {
        let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: appSecret), info: Data(purpose.utf8), outputByteCount: 32)
        keyBytes = derived.withUnsafeBytes { Array($0) }
    }

    func seal(_ plain: [UInt8]) throws -> String {
        guard let combined = try AES.GCM.seal(plain, using: key).combined else { throw CryptoKitError.incorrectParameterSize }
        return combined.base64EncodedString()
    }

    func open(_ sealed: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: sealed) else { throw CryptoKitError.incorrectParameterSize }
        return Array(try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key))
    }
}
