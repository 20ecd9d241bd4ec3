import Foundation

/// A fixed-window limit: at most `limit` hits per `window` seconds (counted in the database's rate counters).
public struct RateRule: Sendable, Equatable {
    public var limit: Int
    public var window: TimeInterval

    public init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }
}

/// How long a sign-in lasts unless used again (idle) and at most (absolute).
public struct SessionTimeouts: Sendable, Equatable {
    public var idle: TimeInterval
    public var absolute: TimeInterval

    public init(idle: TimeInterval, absolute: TimeInterval) {
        self.idle = idle
        self.absolute = absolute
    }

    /// When a sign-in begun at `started` and last used at `seen` runs out.
    public func deadline(started: Date, seen: Date) -> Date {
        min(seen.addingTimeInterval(idle), started.addingTimeInterval(absolute))
    }

    /// Whether it is still good at `now`.
    public func allows(started: Date, seen: Date, now: Date) -> Bool {
        now.timeIntervalSince(seen) <= idle && now.timeIntervalSince(started) <= absolute
    }
}

/// The sign-in rules of staff and citizens in one place: session timeouts, the rate limits on passwords, codes,
/// recovery e-mails and registrations, and the staff lockout per account and client address.
public enum SignInPolicy {
    // MARK: Sessions

    /// Staff: 30 minutes idle, 12 hours at most.
    public static let staffSession = SessionTimeouts(idle: 30 * 60, absolute: 12 * 3600)
    /// Citizens: 60 minutes idle, 12 hours at most.
    public static let citizenSession = SessionTimeouts(idle: 60 * 60, absolute: 12 * 3600)
    /// The idle clock is written back at most this often, so page views do not rewrite the session row.
    public static let touchEvery: TimeInterval = 60

    // MARK: Rate limits

    /// Passwords tried per account (staff: only from addresses it has not signed in from) and per address.
    public static let passwordsPerAccount = RateRule(limit: 10, window: 15 * 60)
    public static let passwordsPerAddress = RateRule(limit: 30, window: 15 * 60)
    /// One-time codes tried per staff account (from addresses it has not signed in from) and per address.
    public static let codesPerAccount = RateRule(limit: 10, window: 15 * 60)
    public static let codesPerAddress = RateRule(limit: 30, window: 15 * 60)
    /// "ลืมรหัสผ่าน" / "ลืมชื่อผู้ใช้งาน" requests per address and per e-mail address.
    public static let recoveryPerAddress = RateRule(limit: 10, window: 15 * 60)
    public static let recoveryPerEmail = RateRule(limit: 3, window: 15 * 60)
    /// Registrations (staff and citizens) per address.
    public static let registrationsPerAddress = RateRule(limit: 10, window: 60 * 60)

    // MARK: Staff lockout per account and address

    /// Wrong passwords or codes from one address that close that account to that address…
    public static let staffMaxFailures = 5
    /// …for this long.
    public static let staffLockout: TimeInterval = 15 * 60
    /// How long an address the account signed in from stays known (renewed at each sign-in from it).
    public static let staffKnownAddressFor: TimeInterval = 90 * 24 * 3600
    /// Addresses neither known nor locked are forgotten this long after their last failure.
    public static let staffKeepFailures: TimeInterval = 24 * 3600

    /// The Thai message for a lock that ends at `until`.
    public static func lockedMessage(until: Date, now: Date) -> String {
        let minutes = max(1, Int((until.timeIntervalSince(now) / 60).rounded(.up)))
        return "บัญชีนี้ถูกระงับการเข้าสู่ระบบชั่วคราวเนื่องจากกรอกข้อมูลผิดหลายครั้ง กรุณาลองใหม่ในอีก \(minutes) นาที"
    }
}
