import Domain
import Foundation
import Vapor

/// Who is signed in on a session, staff or a citizen of one tenant, at which stage, since when, last seen
/// when, and under which account epoch (raising the account's `session_epoch` ends every session of it).
/// Staff and citizens are written the same way, each under a key of its own, so one browser may hold a
/// back-office sign-in and sign-ins to several municipalities at once.
struct SignIn: Equatable, Sendable {
    enum Person: Hashable, Sendable {
        case staff
        /// A citizen of the tenant with this slug.
        case citizen(tenant: String)
    }

    /// Staff sign in in stages (password → new password if required → OTP enrolment or OTP); only the last
    /// signs in. A citizen's sign-in is always `signedIn`.
    enum Stage: String, Sendable {
        /// Password accepted; the initial password must be replaced.
        case newPassword = "password"
        /// Password accepted; OTP enrolment is needed.
        case enrol
        /// Password accepted; waiting for the one-time code.
        case otp
        /// Signed in.
        case signedIn = "ok"
    }

    var person: Person
    var accountID: UUID
    var stage: Stage
    var epoch: Int
    var started: Date
    var seen: Date

    /// The idle and absolute limits of this kind of person (`SignInPolicy`).
    var timeouts: SessionTimeouts {
        switch person {
        case .staff: SignInPolicy.staffSession
        case .citizen: SignInPolicy.citizenSession
        }
    }

    /// When this sign-in runs out unless used again.
    var deadline: Date { timeouts.deadline(started: started, seen: seen) }
}

/// Reads and writes `SignIn`s in the server-side session: the one serialisation of who is signed in.
///
/// Format: key `signin.staff` or `signin.citizen.<slug>`, value `1|<stage>|<account id>|<epoch>|<started>|<seen>`
/// (times in seconds since 1970). Sessions written before this format (staff: the five `staff*` keys; citizens:
/// `citizen.<slug>` = `id|epoch|started|seen`) are still read, so nobody was signed out by the upgrade, and are
/// rewritten in this format the first time they change. They all end within 12 hours (the absolute limit), after
/// which `Legacy` can go.
enum SignInSessions {
    private static let version = "1"

    static func key(_ person: SignIn.Person) -> String {
        switch person {
        case .staff: "signin.staff"
        case .citizen(let tenant): "signin.citizen.\(tenant)"
        }
    }

    /// The sign-in of `person` held in `data`, or nil.
    static func read(_ data: SessionData, _ person: SignIn.Person) -> SignIn? {
        if let raw = data[key(person)] { return decode(raw, person) }
        return Legacy.read(data, person)
    }

    /// Every sign-in held in `data` (for the session row's expiry).
    static func all(_ data: SessionData) -> [SignIn] {
        data.snapshot.compactMap { key, raw -> SignIn? in
            if key == self.key(.staff) { return decode(raw, .staff) }
            if key.hasPrefix("signin.citizen.") { return decode(raw, .citizen(tenant: String(key.dropFirst("signin.citizen.".count)))) }
            return nil
        } + Legacy.all(data)
    }

    static func encode(_ s: SignIn) -> String {
        [
            version, s.stage.rawValue, s.accountID.uuidString, String(s.epoch), String(s.started.timeIntervalSince1970),
            String(s.seen.timeIntervalSince1970),
        ].joined(separator: "|")
    }

    static func decode(_ raw: String, _ person: SignIn.Person) -> SignIn? {
        let parts = raw.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == version, let stage = SignIn.Stage(rawValue: parts[1]), let id = UUID(uuidString: parts[2]),
            let epoch = Int(parts[3]), let started = Double(parts[4]), let seen = Double(parts[5])
        else { return nil }
        return SignIn(
            person: person, accountID: id, stage: stage, epoch: epoch, started: Date(timeIntervalSince1970: started),
            seen: Date(timeIntervalSince1970: seen))
    }

    /// The sign-in of `person` on this request (nil without a session: asking would start one).
    static func current(_ req: Request, _ person: SignIn.Person) -> SignIn? {
        req.hasSession ? read(req.session.data, person) : nil
    }

    static func write(_ req: Request, _ s: SignIn) {
        Legacy.remove(&req.session.data, s.person)
        req.session.data[key(s.person)] = encode(s)
    }

    /// Signs in (at the first stage): a new session id and CSRF token first, so that a session id planted before
    /// sign-in is worth nothing. `keepingOtherData` keeps the rest of the session (a citizen's other tenants, a
    /// back-office sign-in); otherwise the session starts empty.
    static func begin(_ req: Request, _ s: SignIn, keepingOtherData: Bool) async throws {
        try await rotate(req)
        if !keepingOtherData { req.session.data = SessionData() }
        write(req, s)
    }

    /// Marks activity; `false` when the sign-in has run out (idle or absolute). The idle clock is written at most
    /// once a minute, so ordinary page views do not rewrite the session row.
    static func touch(_ req: Request, _ s: SignIn, now: Date = Date()) -> Bool {
        guard s.timeouts.allows(started: s.started, seen: s.seen, now: now) else { return false }
        if now.timeIntervalSince(s.seen) > SignInPolicy.touchEvery {
            var moved = s
            moved.seen = now
            write(req, moved)
        }
        return true
    }

    /// Forgets `person`'s sign-in, keeping the rest of the session.
    static func end(_ req: Request, _ person: SignIn.Person) {
        req.session.data[key(person)] = nil
        Legacy.remove(&req.session.data, person)
    }

    /// A new session id (and CSRF token), keeping the rest of the session's data.
    static func rotate(_ req: Request) async throws {
        var kept = req.session.data
        kept[CSRFMiddleware.sessionKey] = nil
        if let id = req.session.id {
            try await req.application.sessions.driver.deleteSession(id, for: req).get()
        }
        req.session.id = nil
        req.session.data = kept
    }

    /// Sessions written before the one format (until 038's release plus 12 hours).
    enum Legacy {
        static let staffKeys = (staff: "staff", stage: "staff_stage", epoch: "staff_epoch", started: "staff_login", seen: "staff_seen")

        static func citizenKey(_ tenant: String) -> String { "citizen.\(tenant)" }

        static func read(_ d: SessionData, _ person: SignIn.Person) -> SignIn? {
            switch person {
            case .staff:
                let k = staffKeys
                guard let raw = d[k.staff], let id = UUID(uuidString: raw), let stage = d[k.stage].flatMap(SignIn.Stage.init(rawValue:)),
                    let epoch = d[k.epoch].flatMap(Int.init), let started = d[k.started].flatMap(Double.init),
                    let seen = d[k.seen].flatMap(Double.init)
                else { return nil }
                return SignIn(
                    person: .staff, accountID: id, stage: stage, epoch: epoch, started: Date(timeIntervalSince1970: started),
                    seen: Date(timeIntervalSince1970: seen))
            case .citizen(let tenant):
                guard let raw = d[citizenKey(tenant)] else { return nil }
                let parts = raw.split(separator: "|").map(String.init)
                guard parts.count == 4, let id = UUID(uuidString: parts[0]), let epoch = Int(parts[1]),
                    let started = Double(parts[2]), let seen = Double(parts[3])
                else { return nil }
                return SignIn(
                    person: person, accountID: id, stage: .signedIn, epoch: epoch, started: Date(timeIntervalSince1970: started),
                    seen: Date(timeIntervalSince1970: seen))
            }
        }

        static func all(_ d: SessionData) -> [SignIn] {
            var out: [SignIn] = []
            if d[key(.staff)] == nil, let s = read(d, .staff) { out.append(s) }
            for key in d.snapshot.keys where key.hasPrefix("citizen.") {
                let tenant = String(key.dropFirst("citizen.".count))
                if d[SignInSessions.key(.citizen(tenant: tenant))] == nil, let s = read(d, .citizen(tenant: tenant)) { out.append(s) }
            }
            return out
        }

        static func remove(_ d: inout SessionData, _ person: SignIn.Person) {
            switch person {
            case .staff:
                let k = staffKeys
                for key in [k.staff, k.stage, k.epoch, k.started, k.seen] where d[key] != nil { d[key] = nil }
            case .citizen(let tenant):
                if d[citizenKey(tenant)] != nil { d[citizenKey(tenant)] = nil }
            }
        }
    }
}
