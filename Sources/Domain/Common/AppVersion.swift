/// What code a deployment runs: the release written here, and the revision the deploy names (`APP_REVISION`, e.g.
/// the git commit it built from). The system page shows both; neither is a secret.
public enum AppVersion {
    /// Raised with each release.
    public static let release = "0.15.0"

    /// The longest revision accepted.
    public static let revisionMaxLength = 64

    /// `raw` as a revision when it is 1–64 ASCII letters, digits, `.`, `_`, `-` or `+` (a commit hash, a tag, a
    /// build number); nil otherwise. Plain on purpose: it is shown on pages and may serve as a metric label.
    public static func revision(_ raw: String) -> String? {
        guard (1...revisionMaxLength).contains(raw.utf8.count),
            raw.utf8.allSatisfy({ b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F || b == 0x2D || b == 0x2B
            })
        else { return nil }
        return raw
    }

    /// "0.15.0" or "0.15.0 (a1b2c3d)".
    public static func describe(revision: String?) -> String {
        revision.map { "\(release) (\($0))" } ?? release
    }
}
