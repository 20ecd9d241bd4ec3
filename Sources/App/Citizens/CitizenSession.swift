import Domain
import Foundation
import Vapor

/// A citizen's sign-in to one tenant's e-Service, kept in the server-side session by the one sign-in machinery
/// (`SignInSessions`) under a key per tenant (the same browser may use two municipalities). Timeouts are
/// `SignInPolicy.citizenSession` (60 minutes idle, 12 hours); raising the account's `session_epoch` (password
/// reset) ends every other session.
enum CitizenSession {
    typealias State = SignIn

    static func state(_ req: Request, tenant: Tenant) -> State? {
        // Without a session, asking would start one (a row and a cookie for every visitor of a public page).
        SignInSessions.current(req, .citizen(tenant: tenant.slug))
    }

    /// Signs in: a new session id and CSRF token first (a planted session id is worth nothing); whatever else
    /// the session held (another tenant's sign-in, a back-office sign-in) is kept.
    static func begin(_ req: Request, tenant: Tenant, account: CitizenAccount, now: Date = Date()) async throws {
        try await SignInSessions.begin(
            req,
            SignIn(
                person: .citizen(tenant: tenant.slug), accountID: try account.requireID(), stage: .signedIn,
                epoch: account.sessionEpoch, started: now, seen: now), keepingOtherData: true)
    }

    /// Marks activity; `false` when the session has run out.
    static func touch(_ req: Request, tenant: Tenant, state: State, now: Date = Date()) -> Bool {
        SignInSessions.touch(req, state, now: now)
    }

    static func end(_ req: Request, tenant: Tenant) {
        SignInSessions.end(req, .citizen(tenant: tenant.slug))
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
            account.sessionEpoch == state.epoch
        else {
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
