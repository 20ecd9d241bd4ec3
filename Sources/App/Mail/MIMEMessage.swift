import Foundation

/// Writes an `OutgoingMail` as an RFC 5322 message: multipart/alternative (text, then HTML), UTF-8 in
/// base64, Thai headers as RFC 2047 encoded words, CRLF line ends.
public enum MIMEMessage {
    public static func render(_ mail: OutgoingMail, boundary: String = "=_eservice_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")) -> String {
        var lines: [String] = []
        lines.append("From: " + header(address: mail.from))
        lines.append("To: " + mail.to.map(header(address:)).joined(separator: ", "))
        lines.append(foldedEncodedHeader(name: "Subject", value: mail.subject))
        lines.append("Date: " + rfc5322Date(mail.date))
        lines.append("Message-ID: <\(mail.messageID)>")
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        lines.append("")
        lines.append("This is a multi-part message in MIME format.")
        for (type, body) in [("text/plain", mail.text), ("text/html", mail.html)] {
            lines.append("--\(boundary)")
            lines.append("Content-Type: \(type); charset=utf-8")
            lines.append("Content-Transfer-Encoding: base64")
            lines.append("")
            lines.append(
                Data(normaliseLineEnds(body).utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]))
        }
        lines.append("--\(boundary)--")
        lines.append("")
        return lines.joined(separator: "\r\n")
    }

    static func normaliseLineEnds(_ s: String) -> String {
        s.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
    }

    static func header(address raw: String) -> String {
        guard let parsed = MailAddress(parsing: raw) else { return raw }
        guard let name = parsed.name else { return parsed.address }
        let isPlainASCII = name.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 32 && $0 != "\"" && $0 != "\\" }
        return (isPlainASCII ? "\"\(name)\"" : encodedWords(name).joined(separator: " ")) + " <\(parsed.address)>"
    }

    /// `Subject: =?UTF-8?B?...?=` split into words of at most 75 characters, continued on folded lines.
    static func foldedEncodedHeader(name: String, value: String) -> String {
        if value.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 }) && value.count + name.count < 76 {
            return "\(name): \(value)"
        }
        return "\(name): " + encodedWords(value).joined(separator: "\r\n ")
    }

    /// Splits on character boundaries so no UTF-8 sequence is cut between words (RFC 2047 §5).
    static func encodedWords(_ text: String) -> [String] {
        let maxBytes = 45  // 45 bytes → 60 base64 chars + 12 of "=?UTF-8?B??=" = 72 ≤ 75
        var words: [String] = []
        var chunk = ""
        for character in text {
            if chunk.utf8.count + String(character).utf8.count > maxBytes {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty || words.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Bangkok")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    /// SMTP DATA: a line that starts with "." gets another (RFC 5321 §4.5.2).
    static func dotStuffed(_ message: String) -> String {
        message.split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }
            .joined(separator: "\r\n")
    }
}
