import Domain
import Foundation
import Vapor

/// A citizen's sign-in to one tenant's e-Service, kept in the server-side session under a key per tenant
/// (the same browser may use two municipalities). Idle timeout 60 minutes, absolute 12 hours; raising the
/// account's `session_epoch` (password reset) ends every other session.
enum CitizenSession {
    static let idleTimeout: TimeInterval = 60 * 60
    static let absoluteTimeout: TimeInterval = 12 * 3600

    struct State {
        var citizenID: UUID
        var epoch: Int
        var started: Date
        var seen: Date
    }

    private static func key(_ tenant: Tenant) -> String { "citizen.\(tenant.slug)" }

    static func state(_ req: Request, tenant: Tenant) -> State? {
        // Without a session, asking would start one (a row and a cookie for every visitor of a public page).
        guard req.hasSession else { return nil }
        return req.session.data[key(tenant)].flatMap(parse)
    }

    private static func parse(_ raw: String) -> State? {
        let parts = raw.split(separator: "|").map(String.init)
        guard parts.count == 4, let id = UUID(uuidString: parts[0]), let epoch = Int(parts[1]),
              let started = Double(parts[2]), let seen = Double(parts[3]) else { return nil }
        return State(citizenID: id, epoch: epoch, started: Date(timeIntervalSince1970: started), seen: Date(timeIntervalSince1970: seen))
    }

    private static func write(_ req: Request, tenant: Tenant, _ s: State) {
        req.session.data[key(tenant)] = "\(s.citizenID.uuidString)|\(s.epoch)|\(s.started.timeIntervalSince1970)|\(s.seen.timeIntervalSince1970)"
    }

    /// Signs in: a new session id and CSRF token first (a planted session id is worth nothing); whatever else
    /// the session held (another tenant's sign-in, a back-office sign-in) is kept.
    static func begin(_ req: Request, tenant: Tenant, account: CitizenAccount, now: Date = Date()) async throws {
        try await SessionRotation.rotate(req)
        write(req, tenant: tenant, State(citizenID: try account.requireID(), epoch: account.sessionEpoch, started: now, seen: now))
    }

    /// When each tenant's sign-in in this session runs out unless used again: the session row's expiry (`SessionStore`).
    static func deadlines(_ data: SessionData) -> [Date] {
        data.snapshot.compactMap { key, raw in
            guard key.hasPrefix("citizen."), let s = parse(raw) else { return nil }
            return min(s.seen.addingTimeInterval(idleTimeout), s.started.addingTimeInterval(absoluteTimeout))
        }
    }

    /// Marks activity; `false` when the session has run out.
    static func touch(_ req: Request, tenant: Tenant, state: State, now: Date = Date()) -> Bool {
        guard now.timeIntervalSince(state.seen) <= idleTimeout, now.timeIntervalSince(state.started) <= absoluteTimeout else { return false }
        // Written at most once a minute, so ordinary page views do not rewrite the session row.
        if now.timeIntervalSince(state.seen) > 60 {
            var s = state
            s.seen = now
            write(req, tenant: tenant, s)
        }
        return true
    }

    static func end(_ req: Request, tenant: Tenant) {
        req.session.data[key(tenant)] = nil
    }
}

/// A new session id (and CSRF token) at sign-in, keeping the rest of the session's data.
enum SessionRotation {
    static func rotate(_ req: Request) async throws {
        var kept = req.session.data
        kept[CSRFMiddleware.sessionKey] = nil
        if let id = req.session.id {
            try await req.application.sessions.driver.deleteSession(id, for: req).get()
        }
        req.session.id = nil
        req.session.data = kept
    }
}

/// The signed-in citizen of the request's tenant, loaded once by `CitizenAuthMiddleware` (or looked up
/// lazily by pages that only show a different header when someone is signed in).
struct SignedInCitizen: Sendable {
    var account: CitizenAccount
}

extension Request {
    struct CitizenKey: StorageKey { typealias Value = SignedInCitizen }

    /// The signed-in citizen; throws 401 (the middleware turns it into a redirect to the sign-in page).
    var citizen: CitizenAccount {
        get throws {
            guard let c = storage[CitizenKey.self] else { throw Abort(.unauthorized) }
            return c.account
        }
    }

    /// Looks the citizen up from the session, checking the epoch and timeouts; nil when nobody is signed in.
    func loadCitizen(tenant: Tenant) async throws -> CitizenAccount? {
        if let c = storage[CitizenKey.self] { return c.account }
        guard let state = CitizenSession.state(self, tenant: tenant) else { return nil }
        guard CitizenSession.touch(self, tenant: tenant, state: state),
              let account = try await CitizenStore.byID(state.citizenID, tenant: tenant, on: db),
              account.sessionEpoch == state.epoch else {
            CitizenSession.end(self, tenant: tenant)
            return nil
        }
        storage[CitizenKey.self] = SignedInCitizen(account: account)
        return account
    }
}

/// Pages of a citizen's own account. Without a sign-in (or after it ran out): to the sign-in page, coming back
/// afterwards. A form sent after the session ran out gets the same, with a message saying why.
struct CitizenAuthMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let t = try req.tenant
        guard try await req.loadCitizen(tenant: t.tenant) != nil else {
            guard req.method == .GET else {
                req.flash("หมดเวลาการเข้าสู่ระบบ กรุณาเข้าสู่ระบบอีกครั้งแล้วทำรายการใหม่")
                return req.redirect(to: t.url(.login))
            }
            let back = req.url.path + (req.url.query.map { "?" + $0 } ?? "")
            return req.redirect(to: t.url(.login) + "?next=" + (back.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? ""))
        }
        return try await next.respond(to: req)
    }
}

extension CharacterSet {
    /// What may stay unescaped in a query value.
    static let urlQueryValueAllowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/")
}
