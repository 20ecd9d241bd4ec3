/// Outbox job kinds are short plain words fixed in code (`email`, `line.push`, `petition.filed`). A row written by an
/// older or newer release, or a kind typed into a URL, could hold anything: this says whether it has a kind's shape
/// (at most 64 ASCII letters, digits, `.`, `_` and `-`), so it may stand as a metrics label or a page's filter.
public enum JobKind {
    public static func isPlain(_ kind: String) -> Bool {
        !kind.isEmpty && kind.utf8.count <= 64
            && kind.utf8.allSatisfy { b in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "_")
                    || b == UInt8(ascii: "-")
            }
    }
}
