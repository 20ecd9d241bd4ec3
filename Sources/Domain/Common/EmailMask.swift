/// Text from outside (a mail server's reply, an API's error) with every e-mail address in it masked to its first
/// letter and domain: `s***@example.co.th`. Such text goes to logs, the outbox's last error and the system page,
/// none of which may hold a person's address.
public enum EmailMask {
    public static func masking(_ text: String) -> String {
        let pattern = /([A-Za-z0-9._%+\-]+)@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})/
        return text.replacing(pattern) { match in "\(match.output.1.prefix(1))***@\(match.output.2)" }
    }
}
