import Foundation

/// The one check for a redirect target somebody supplied (`next=` of the staff and citizen sign-ins): only a
/// path on this site. A browser reads `//host`, `/\host` (and `/<TAB>/host`, since it drops tabs and new
/// lines) as another site, and a CR/LF in a `Location` header starts a header of the attacker's choosing.
public enum LocalRedirect {
    /// Longer targets are refused rather than cut.
    public static let maxLength = 2_000

    /// `raw` when it is a path on this site, otherwise nil:
    /// - it starts with exactly one `/` (not `//`, not `/\`), so there is no scheme and no host;
    /// - it is printable ASCII (0x21–0x7E): no control character (NUL, TAB, CR, LF, DEL, …), no space, no
    ///   backslash anywhere;
    /// - its percent-decoded form (decoded up to three times, so `%250d` counts too) has no control
    ///   character and no backslash either, and does not start with `//` (a server or proxy that decodes
    ///   the path before acting on it must not meet one);
    /// - it is at most `maxLength` bytes; malformed percent-encoding (`%zz`, `%ff` alone) is refused.
    public static func path(_ raw: String?) -> String? {
        guard let raw, !raw.isEmpty, raw.utf8.count <= maxLength else { return nil }
        guard raw.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "\\") }) else { return nil }
        guard raw.hasPrefix("/"), !raw.hasPrefix("//") else { return nil }
        var current = raw
        for round in 0..<3 {
            guard current.contains("%") else { break }
            // The target itself must be well formed; a later round that does not decode has nothing more to hide.
            guard let decoded = current.removingPercentEncoding else { if round == 0 { return nil } else { break } }
            guard !decoded.unicodeScalars.contains(where: isForbidden), !decoded.hasPrefix("//") else { return nil }
            if decoded == current { break }
            current = decoded
        }
        return raw
    }

    /// Control characters (C0, DEL, C1), the Unicode line and paragraph separators, and the backslash.
    private static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
            || scalar == "\\"
    }
}
