/// A tenant's LINE Official Account (Messaging API channel): its channel ID, and where the channel secret and the
/// access token are read from. The secrets themselves are never in the tenant's folder or the database.
///
/// The environment variables are the tenant's own: `LINE_<SLUG>_CHANNEL_SECRET` and `LINE_<SLUG>_ACCESS_TOKEN`.
/// Only the tenant's folder (`tenant.yaml`, on the server's disk) may name others, and then only names that begin
/// with `LINE_<SLUG>_`: no tenant can read another tenant's secret or a server setting such as `APP_SECRET`.
/// The back office sets the channel ID alone.
public struct LineChannelSettings: Codable, Sendable, Hashable {
    public var channelID: String
    /// `secret_env` in `tenant.yaml`; nil: `LINE_<SLUG>_CHANNEL_SECRET`.
    public var secretEnv: String?
    /// `token_env` in `tenant.yaml`; nil: `LINE_<SLUG>_ACCESS_TOKEN`.
    public var tokenEnv: String?

    enum CodingKeys: String, CodingKey {
        case channelID = "channel_id"
        case secretEnv = "secret_env"
        case tokenEnv = "token_env"
    }

    public init(channelID: String, secretEnv: String? = nil, tokenEnv: String? = nil) {
        self.channelID = channelID
        self.secretEnv = secretEnv
        self.tokenEnv = tokenEnv
    }

    /// `LINE_<SLUG>_`: the slug upper-cased, `-` (anything but a letter or digit) as `_`.
    public static func envPrefix(slug: String) -> String {
        "LINE_" + slug.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? String($0) : "_" }.joined() + "_"
    }

    /// `LINE_<SLUG>_CHANNEL_SECRET` and `LINE_<SLUG>_ACCESS_TOKEN`: the names a tenant's secrets are read from.
    public static func defaultEnv(slug: String) -> (secret: String, token: String) {
        let p = envPrefix(slug: slug)
        return (p + "CHANNEL_SECRET", p + "ACCESS_TOKEN")
    }

    /// The variables this tenant's secrets are read from: the folder's names where they are the tenant's own
    /// (`LINE_<SLUG>_…`), otherwise the derived ones. Never any other variable, whatever was stored.
    public func envNames(slug: String) -> (secret: String, token: String) {
        let derived = Self.defaultEnv(slug: slug)
        func own(_ name: String?, _ fallback: String) -> String {
            guard let name, Self.isOwnEnvName(name, slug: slug) else { return fallback }
            return name
        }
        let names = (secret: own(secretEnv, derived.secret), token: own(tokenEnv, derived.token))
        return names.secret == names.token ? derived : names
    }

    /// The back office's settings: this channel ID, with the folder's variable names (if any) kept.
    public func withChannelID(_ id: String) -> LineChannelSettings {
        LineChannelSettings(channelID: id, secretEnv: secretEnv, tokenEnv: tokenEnv)
    }

    /// Whether the channel ID is 6–20 digits, as LINE Developers Console shows it.
    public var channelIDProblem: String? {
        (6...20).contains(channelID.count) && channelID.allSatisfy({ $0.isASCII && $0.isNumber })
            ? nil : "Channel ID เป็นตัวเลข 6–20 หลัก ตามที่แสดงใน LINE Developers Console"
    }

    /// What is wrong in a tenant's folder settings, by field (`channel_id`, `secret_env`, `token_env`).
    public func problems(slug: String) -> [(field: String, message: String)] {
        var out: [(String, String)] = []
        if let p = channelIDProblem { out.append(("channel_id", p)) }
        let prefix = Self.envPrefix(slug: slug)
        for (field, name) in [("secret_env", secretEnv), ("token_env", tokenEnv)] {
            guard let name else { continue }
            if !Self.isOwnEnvName(name, slug: slug) {
                out.append(
                    (field, "must be \(prefix)CHANNEL_SECRET or \(prefix)ACCESS_TOKEN, optionally with _<1–3 digits> (a variable of this tenant, not a secret)")
                )
            }
        }
        if let s = secretEnv, let t = tokenEnv, s == t {
            out.append(("token_env", "must differ from secret_env"))
        }
        return out
    }

    static func isEnvName(_ s: String) -> Bool {
        guard (3...64).contains(s.count), let first = s.first, first.isASCII, first.isUppercase else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }
    }

    /// `LINE_<SLUG>_CHANNEL_SECRET` or `LINE_<SLUG>_ACCESS_TOKEN`, optionally with `_<1–3 digits>` (a rotated
    /// secret). Only these endings: with any ending, tenant `a`'s prefix `LINE_A_` would also cover tenant
    /// `a-b`'s `LINE_A_B_CHANNEL_SECRET`; with these, no name splits into two tenants' prefix and ending.
    public static func isOwnEnvName(_ s: String, slug: String) -> Bool {
        let prefix = envPrefix(slug: slug)
        guard isEnvName(s), s.hasPrefix(prefix) else { return false }
        let rest = s.dropFirst(prefix.count)
        for ending in ["CHANNEL_SECRET", "ACCESS_TOKEN"] where rest.hasPrefix(ending) {
            let tail = rest.dropFirst(ending.count)
            if tail.isEmpty { return true }
            let digits = tail.dropFirst()
            return tail.first == "_" && (1...3).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
        }
        return false
    }
}
