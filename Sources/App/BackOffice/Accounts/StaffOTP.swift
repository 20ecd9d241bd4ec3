import Crypto
import Domain
import Fluent
import Foundation
import SQLKit
import Vapor

/// One-time codes for staff: TOTP (RFC 6238) with the account's period, each code good once, ±1 step of
/// drift, and recovery codes issued at enrolment. Wrong codes count with wrong passwords in `StaffSignInGuard`
/// (per account and client address): every attempt is spent before the code is compared.
enum StaffOTP {
    static let maxFailures = StaffSignInGuard.maxFailures
    static let lockout = StaffSignInGuard.lockout
    static let recoveryCodeCount = 10

    static func box(_ app: Application) -> SecretBox { SecretBox(appSecret: app.settings.appSecret, purpose: "staff-totp") }

    static func totp(for account: StaffAccount, app: Application) throws -> Domain.TOTP? {
        guard let sealed = account.totpSecret else { return nil }
        return Domain.TOTP(secret: try box(app).open(sealed), period: account.totpPeriod ?? 30)
    }

    enum Outcome: Equatable {
        case accepted, recoveryCodeUsed
        /// Compared and wrong; `left` more wrong codes are allowed from this address.
        case wrong(left: Int)
        /// Not compared (a lock holds), or compared and wrong as the last attempt allowed (`newly`).
        case locked(newly: Bool)
    }

    /// Checks a code (or a recovery code) from `origin`. The attempt is spent first (one atomic statement that
    /// returns the count), so requests sent at once cannot all be compared against the same count.
    static func check(
        _ input: String, account: StaffAccount, origin: StaffSignInGuard.Origin, app: Application, now: Date = Date(),
        on db: any Database
    ) async throws -> Outcome {
        let slot: StaffSignInGuard.Slot
        switch try await StaffSignInGuard.spend(origin, now: now, on: db) {
        case .refused: return .locked(newly: false)
        case .allowed(let spent): slot = spent
        }
        let code = input.filter { !$0.isWhitespace }
        if let totp = try totp(for: account, app: app), code.count == totp.digits,
            let step = totp.verify(code, at: now, window: 1, lastUsedStep: account.totpLastStep)
        {
            // Store the step only if no other request used this or a later step first: each code works once.
            let id = try account.requireID()
            if try await db.claim(
                """
                UPDATE staff_accounts SET totp_last_step = \(bind: step)
                WHERE id = \(bind: id) AND (totp_last_step IS NULL OR totp_last_step < \(bind: step)) RETURNING id
                """)
            {
                account.totpLastStep = step
                return .accepted
            }
        } else if RecoveryCodes.looksLike(code),
            try await RecoveryCodes.use(code, staffID: try account.requireID(), key: app.settings.appSecret, now: now, on: db)
        {
            return .recoveryCodeUsed
        }
        if try await StaffSignInGuard.failed(slot, now: now, on: db) { return .locked(newly: true) }
        return .wrong(left: slot.left)
    }

    enum EnrolError: Error { case alreadyEnrolled }

    /// Enrolment: the secret the person confirmed with a code becomes the account's, and new recovery codes are
    /// issued. Only an account without a confirmed authenticator may enrol: one that has one is refused
    /// (`alreadyEnrolled`), in one conditional statement, so two enrolments at once cannot replace each other.
    static func enrol(_ account: StaffAccount, secret: [UInt8], period: Int, step: Int64, app: Application, now: Date, on db: any Database) async throws
        -> [String]
    {
        let sealed = try box(app).seal(secret)
        let id = try account.requireID()
        guard
            try await db.claim(
                """
                UPDATE staff_accounts SET totp_secret = \(bind: sealed), totp_period = \(bind: period), totp_last_step = \(bind: step),
                  otp_failures = 0, updated_at = \(bind: now)
                WHERE id = \(bind: id) AND totp_secret IS NULL RETURNING id
                """)
        else { throw EnrolError.alreadyEnrolled }
        account.totpSecret = sealed
        account.totpPeriod = period
        account.totpLastStep = step
        account.otpFailures = 0
        account.updatedAt = now
        return try await RecoveryCodes.issue(staffID: id, key: app.settings.appSecret, now: now, on: db)
    }
}

final class RecoveryCodeRecord: Model, @unchecked Sendable {
    static let schema = "staff_recovery_codes"

    @ID(key: .id) var id: UUID?
    @Field(key: "staff_id") var staffID: UUID
    @Field(key: "code_hash") var codeHash: String
    @OptionalField(key: "used_at") var usedAt: Date?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// Ten single-use codes of the form "abcd-efgh" for when the phone is lost; only hashes are kept.
enum RecoveryCodes {
    private static let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")

    static func make() -> String {
        let chars = (0..<8).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] }
        return String(chars[0..<4]) + "-" + String(chars[4..<8])
    }

    static func normalised(_ code: String) -> String { code.lowercased().filter { $0 != "-" && !$0.isWhitespace } }

    static func looksLike(_ code: String) -> Bool {
        let n = normalised(code)
        return n.count == 8 && n.allSatisfy { alphabet.contains($0) }
    }

    /// Keyed with the app secret: eight characters are too few to leave to a plain hash in a stolen copy.
    static func hash(_ code: String, key: [UInt8]) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(normalised(code).utf8), using: SymmetricKey(data: key)).map { String(format: "%02x", $0) }.joined()
    }

    static func issue(staffID: UUID, key: [UInt8], now: Date, on db: any Database) async throws -> [String] {
        try await RecoveryCodeRecord.query(on: db).filter(\.$staffID == staffID).delete()
        var codes: [String] = []
        while codes.count < StaffOTP.recoveryCodeCount {
            let c = make()
            if !codes.contains(c) { codes.append(c) }
        }
        for c in codes {
            let r = RecoveryCodeRecord()
            r.staffID = staffID
            r.codeHash = hash(c, key: key)
            r.createdAt = now
            try await r.create(on: db)
        }
        return codes
    }

    /// Uses a code once; `false` for an unknown or already used code.
    static func use(_ code: String, staffID: UUID, key: [UInt8], now: Date, on db: any Database) async throws -> Bool {
        let hash = hash(code, key: key)
        return try await db.claim(
            """
            UPDATE staff_recovery_codes SET used_at = \(bind: now)
            WHERE staff_id = \(bind: staffID) AND code_hash = \(bind: hash) AND used_at IS NULL RETURNING id
            """)
    }

    static func remaining(staffID: UUID, on db: any Database) async throws -> Int {
        try await RecoveryCodeRecord.query(on: db).filter(\.$staffID == staffID).filter(\.$usedAt == nil).count()
    }
}
