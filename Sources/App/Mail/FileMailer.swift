import Crypto
import Foundation

/// The embedded default without `SMTP_URL`: each mail becomes `DATA_DIR/mail/<name>.eml` plus a JSON
/// sidecar for the development mailbox page. A retried job rewrites the same file, so it appears once.
public struct FileMailer: Mailer {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    public func send(_ mail: OutgoingMail) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let name = Self.fileName(for: mail)
        let eml = directory.appendingPathComponent(name + ".eml")
        let json = directory.appendingPathComponent(name + ".json")
        try Data(MIMEMessage.render(mail).utf8).write(to: eml, options: .atomic)
        try JSONEncoder.outbox.encode(mail).write(to: json, options: .atomic)
    }

    static func fileName(for mail: OutgoingMail) -> String {
        let stamp = Int(mail.date.timeIntervalSince1970)
        let digest = SHA256.hash(data: Data(mail.messageID.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        return "\(stamp)-\(digest)"
    }

    /// Mails written so far, newest first.
    public func list() -> [(id: String, mail: OutgoingMail)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted(by: >).compactMap { name in
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path),
                let mail = try? JSONDecoder.outbox.decode(OutgoingMail.self, from: data)
            else { return nil }
            return (String(name.dropLast(5)), mail)
        }
    }

    public func mail(id: String) -> OutgoingMail? {
        guard id.allSatisfy({ $0.isNumber || ("a"..."f").contains($0) || $0 == "-" }),
            let data = FileManager.default.contents(atPath: directory.appendingPathComponent(id + ".json").path)
        else { return nil }
        return try? JSONDecoder.outbox.decode(OutgoingMail.self, from: data)
    }
}
