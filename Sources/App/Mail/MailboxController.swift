import Domain
import NIOCore
import Vapor

/// Development only (no `SMTP_URL`, not production): the mails the server would have sent, read from
/// `DATA_DIR/mail`, so `make run` can be tried end to end without a mail server. It answers only the machine
/// itself: a peer on the loopback address (127.0.0.0/8, ::1) that did not come through a proxy; anyone else
/// gets 404, as if there were no mailbox.
struct MailboxController {
    struct ListPage: Encodable {
        struct Entry: Encodable {
            var url: String
            var to: String
            var subject: String
            var date: String
        }
        var page: PageChrome
        var mails: [Entry]
    }

    struct MessagePage: Encodable {
        var page: PageChrome
        var from: String
        var to: String
        var subject: String
        var date: String
        var text: String
        var messageID: String
        var backURL: String
    }

    let mailer: FileMailer

    func list(_ req: Request) async throws -> View {
        guard req.isFromThisMachine else { throw Abort(.notFound) }
        let mails = mailer.list().prefix(200).map { item in
            ListPage.Entry(
                url: SiteURL.mailboxMessage(item.id).path, to: item.mail.to.joined(separator: ", "),
                subject: item.mail.subject, date: ThaiDate.shortWithTime(item.mail.date))
        }
        return try await req.view.render("dev/mailbox", ListPage(page: PageChrome(request: req, title: "กล่องจดหมายทดสอบ"), mails: Array(mails)))
    }

    func message(_ req: Request) async throws -> View {
        guard req.isFromThisMachine else { throw Abort(.notFound) }
        guard let id = req.parameters.get("id"), let mail = mailer.mail(id: id) else { throw Abort(.notFound) }
        return try await req.view.render(
            "dev/message",
            MessagePage(
                page: PageChrome(request: req, title: mail.subject), from: mail.from, to: mail.to.joined(separator: ", "),
                subject: mail.subject, date: ThaiDate.shortWithTime(mail.date), text: mail.text, messageID: mail.messageID,
                backURL: SiteURL.mailbox.path))
    }
}

extension Request {
    /// The peer is on the loopback address (127.0.0.0/8, ::1, or 127.x mapped into IPv6) and the request names no
    /// forwarding proxy (a proxy on the same machine would make every visitor look local). It reads the TCP peer
    /// itself, never `clientAddress`, and refuses forwarding headers whoever sent them: through a trusted proxy
    /// (`TRUSTED_PROXIES`) the forwarded address could say 127.0.0.1 as well.
    var isFromThisMachine: Bool {
        guard headers[.xForwardedFor].isEmpty, headers[.forwarded].isEmpty, headers["X-Real-IP"].isEmpty else { return false }
        return Self.isLoopback(remoteAddress)
    }

    static func isLoopback(_ address: SocketAddress?) -> Bool {
        switch address {
        case .v4(let a)?:
            return UInt32(bigEndian: a.address.sin_addr.s_addr) >> 24 == 127
        case .v6(let a)?:
            let bytes = withUnsafeBytes(of: a.address.sin6_addr) { Array($0) }
            guard bytes.count == 16 else { return false }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }  // ::1
            return bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127  // ::ffff:127.x.x.x
        default:
            return false
        }
    }
}
