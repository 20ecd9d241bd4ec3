import Domain
import Vapor

/// Development only (no `SMTP_URL`, not production): the mails the server would have sent, read from
/// `DATA_DIR/mail`, so `make run` can be tried end to end without a mail server.
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
        let mails = mailer.list().prefix(200).map { item in
            ListPage.Entry(url: SiteURL.mailboxMessage(item.id).path, to: item.mail.to.joined(separator: ", "),
                           subject: item.mail.subject, date: ThaiDate.shortWithTime(item.mail.date))
        }
        return try await req.view.render("dev/mailbox", ListPage(page: PageChrome(request: req, title: "กล่องจดหมายทดสอบ"), mails: Array(mails)))
    }

    func message(_ req: Request) async throws -> View {
        guard let id = req.parameters.get("id"), let mail = mailer.mail(id: id) else { throw Abort(.notFound) }
        return try await req.view.render("dev/message", MessagePage(
            page: PageChrome(request: req, title: mail.subject), from: mail.from, to: mail.to.joined(separator: ", "),
            subject: mail.subject, date: ThaiDate.shortWithTime(mail.date), text: mail.text, messageID: mail.messageID,
            backURL: SiteURL.mailbox.path))
    }
}
