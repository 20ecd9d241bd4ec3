import Foundation

/// An e-mail ready to send: rendered text and HTML, fixed when the job is written.
public struct OutgoingMail: Codable, Sendable, Equatable {
    public var from: String
    public var to: [String]
    public var subject: String
    public var text: String
    public var html: String
    /// Without angle brackets. Derived from the job's idempotency key, so a retried job carries the same id.
    public var messageID: String
    public var date: Date

    public init(from: String, to: [String], subject: String, text: String, html: String, messageID: String, date: Date = Date()) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
    }
}

/// Sends mail. Live: `SMTPMailer`; embedded default: `FileMailer`; tests may pass their own.
public protocol Mailer: Sendable {
    func send(_ mail: OutgoingMail) async throws
}

/// "ชื่อ <a@b>" split into its display name and address.
public struct MailAddress: Sendable, Equatable {
    public var name: String?
    public var address: String

    public init(name: String? = nil, address: String) {
        self.name = name
        self.address = address
    }

    public init?(parsing raw: String) {
        let s = raw.trimmingCharacters(in: .whitespaces)
        if let open = s.lastIndex(of: "<"), s.hasSuffix(">") {
            let addr = String(s[s.index(after: open)..<s.index(before: s.endIndex)])
            var name = s[..<open].trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
            self.init(name: name.isEmpty ? nil : name, address: addr)
        } else {
            self.init(name: nil, address: s)
        }
        guard MailAddress.isPlausible(address) else { return nil }
    }

    /// Letters, digits and the usual punctuation, one "@", a dot in the domain, no spaces or controls.
    public static func isPlausible(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), address.count <= 254 else { return false }
        return address.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 32 && !"<>()[],;:\\\"".unicodeScalars.contains($0) }
    }
}
