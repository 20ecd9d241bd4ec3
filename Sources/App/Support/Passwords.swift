import Crypto
import Domain
import Foundation
import Vapor

/// Passwords (staff and citizens): bcrypt (cost from `PASSWORD_HASH_COST`) over a SHA-256 of the password, so long
/// passphrases and Thai characters are not cut at bcrypt's 72 bytes. Hashing runs on the thread pool.
enum Passwords {
    static func prepared(_ password: String) -> String {
        Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }

    static func hash(_ password: String, on req: Request) async throws -> String {
        let cost = req.application.settings.passwordHashCost
        let input = prepared(password)
        return try await req.application.threadPool.runIfActive { try Bcrypt.hash(input, cost: cost) }
    }

    static func hash(_ password: String, app: Application) async throws -> String {
        let cost = app.settings.passwordHashCost
        let input = prepared(password)
        return try await app.threadPool.runIfActive { try Bcrypt.hash(input, cost: cost) }
    }

    /// Checks a password; with no stored hash (unknown user) it still spends the same time, so the answer's
    /// timing does not tell whether the username exists.
    static func verify(_ password: String, hash: String?, on req: Request) async throws -> Bool {
        let input = prepared(password)
        let cost = req.application.settings.passwordHashCost
        return try await req.application.threadPool.runIfActive {
            guard let hash else {
                _ = try? Bcrypt.hash(input, cost: cost)  // as long as a verify takes
                return false
            }
            return (try? Bcrypt.verify(input, created: hash)) ?? false
        }
    }

    /// The initial password of an account an admin creates: the birth date as DDMMYYYY in the Buddhist era
    /// (seed 000 §3.5), from an ISO date.
    static func initialPassword(birthDate iso: String) -> String? {
        let parts = iso.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        return String(format: "%02d%02d%04d", parts[2], parts[1], parts[0] + 543)
    }
}

extension FormErrors {
    /// The new-password problems of `PasswordPolicy`, on the form's own field names.
    mutating func add(_ problems: [PasswordPolicy.FieldProblem], password: String = "password", confirm: String = "confirm") {
        for p in problems { add(p.field == .password ? password : confirm, p.thai) }
    }
}
