import Foundation
import NIOCore
import Testing
import Vapor

@testable import App

@Suite("E-mail")
struct MailTests {
    /// How long the tests' mailers wait for a conversation: the deadline guards against a server that stops
    /// answering, which these tests do not exercise, and the whole suite on two cores has held one exchange with a
    /// local server for over a minute (the default), closing the channel under it.
    static let patience: TimeAmount = .seconds(300)

    static let subject = "เทศบาลตำบลบางกระทุ่ม แจ้งผลคำร้อง: ดำเนินการสำเร็จ ✔ (BKT-2569-000042)"

    static func mail(key: String = "test-\(UUID().uuidString)") -> OutgoingMail {
        OutgoingMail(
            from: "เทศบาลตำบลบางกระทุ่ม <no-reply@bangkrathum.localhost>",
            to: ["สมหญิง รักดี <somying@example.com>"],
            subject: subject,
            text: "เรียน คุณสมหญิง\n\nคำร้องของท่านดำเนินการสำเร็จแล้ว\n.บรรทัดที่ขึ้นต้นด้วยจุด\n",
            html: "<p>เรียน คุณสมหญิง</p><p>คำร้องของท่าน<strong>ดำเนินการสำเร็จ</strong>แล้ว</p>",
            messageID: EmailOutbox.messageID(for: key, from: "no-reply@bangkrathum.localhost")
        )
    }

    static func checkDelivered(_ file: URL, _ mail: OutgoingMail) throws {
        let parsed = try ParsedMail.parse(file)
        #expect(parsed.subject == subject)
        #expect(parsed.from.contains("เทศบาลตำบลบางกระทุ่ม") && parsed.from.contains("no-reply@bangkrathum.localhost"))
        #expect(parsed.to.contains("somying@example.com"))
        #expect(parsed.messageID == "<\(mail.messageID)>")
        #expect(parsed.mimeVersion == "1.0")
        #expect(parsed.date != nil)
        #expect(parsed.parts.map(\.type) == ["text/plain", "text/html"])
        #expect(parsed.parts.allSatisfy { $0.charset == "utf-8" })
        #expect(parsed.parts[0].body.contains("คำร้องของท่านดำเนินการสำเร็จแล้ว"))
        #expect(parsed.parts[0].body.contains("\n.บรรทัดที่ขึ้นต้นด้วยจุด"), "dot-stuffing undone by the server")
        #expect(parsed.parts[1].body.contains("<strong>ดำเนินการสำเร็จ</strong>"))
    }

    @Test("a Thai multipart message reaches a real SMTP server with AUTH PLAIN/LOGIN")
    func plainAuth() async throws {
        let sink = try SMTPSink(auth: "mailer:pa ss@word")
        defer { sink.stop() }
        let settings = try SMTPSettings(url: "smtp://mailer:pa%20ss%40word@127.0.0.1:\(sink.port)?starttls=off")
        let mail = Self.mail()
        try await SMTPMailer(settings: settings, timeout: Self.patience).send(mail)
        let files = sink.messages()
        #expect(files.count == 1)
        try Self.checkDelivered(try #require(files.first), mail)
        let meta = try String(contentsOf: files[0].deletingPathExtension().appendingPathExtension("json"), encoding: .utf8)
        #expect(meta.contains("\"auth_user\": \"mailer\""))

        let login = try SMTPSettings(url: "smtp://mailer:pa%20ss%40word@127.0.0.1:\(sink.port)?starttls=off&auth=login")
        #expect(login.prefersLogin)
        try await SMTPMailer(settings: login, timeout: Self.patience).send(Self.mail())
        #expect(sink.messages().count == 2, "AUTH LOGIN works too")
    }

    @Test("mails one after another share a kept connection; one the server closed meanwhile is replaced, nothing sent twice")
    func keptConnections() async throws {
        func ports(_ sink: SMTPSink) throws -> [Int] {
            try sink.messages().map { file in
                let meta = try Data(contentsOf: file.deletingPathExtension().appendingPathExtension("json"))
                return try #require((try JSONSerialization.jsonObject(with: meta) as? [String: Any])?["peer_port"] as? Int)
            }
        }
        let sink = try SMTPSink()
        let settings = try SMTPSettings(url: "smtp://127.0.0.1:\(sink.port)?starttls=off")
        let mailer = SMTPMailer(settings: settings, timeout: Self.patience)
        for _ in 0..<3 { try await mailer.send(Self.mail()) }
        #expect(try ports(sink).count == 3)
        #expect(Set(try ports(sink)).count == 1, "three mails, one connection")
        #expect(mailer.idle.count == 1)

        // Without keeping, each mail has its own connection (what the figure above is compared with).
        let single = SMTPMailer(settings: settings, timeout: Self.patience, keepIdle: 0)
        for _ in 0..<2 { try await single.send(Self.mail()) }
        #expect(Set(try ports(sink).suffix(2)).count == 2 && single.idle.count == 0)

        // The server goes away and another answers at the same address: the kept connection is dead, so the next
        // mail goes over a new one, once.
        sink.stop()
        let again = try SMTPSink(port: sink.port)
        defer { again.stop() }
        let last = Self.mail()
        try await mailer.send(last)
        #expect(again.messages().count == 1)
        try Self.checkDelivered(try #require(again.messages().first), last)
    }

    @Test("STARTTLS is used when offered, and a wrong password is a permanent failure")
    func startTLS() async throws {
        let cert = try makeTestCertificate()
        let sink = try SMTPSink(auth: "mailer:secret", tls: cert)
        defer { sink.stop() }
        let good = try SMTPSettings(url: "smtp://mailer:secret@127.0.0.1:\(sink.port)", caFile: cert.cert)
        #expect(good.security == .startTLS)
        let mail = Self.mail()
        try await SMTPMailer(settings: good, timeout: Self.patience).send(mail)
        try Self.checkDelivered(try #require(sink.messages().first), mail)

        let wrong = try SMTPSettings(url: "smtp://mailer:wrong@127.0.0.1:\(sink.port)", caFile: cert.cert)
        let error = try await #require(throws: SMTPError.self) { try await SMTPMailer(settings: wrong, timeout: Self.patience).send(Self.mail()) }
        #expect(error.isPermanent)
        #expect(sink.messages().count == 1)
    }

    @Test("a certificate we do not trust stops the mail before the password is sent")
    func untrustedCertificate() async throws {
        let cert = try makeTestCertificate()
        let sink = try SMTPSink(auth: "mailer:secret", tls: cert)
        defer { sink.stop() }
        let settings = try SMTPSettings(url: "smtp://mailer:secret@127.0.0.1:\(sink.port)")
        let error = try await #require(throws: (any Error).self) { try await SMTPMailer(settings: settings, timeout: Self.patience).send(Self.mail()) }
        #expect(!(error is SMTPError), "the TLS handshake is what fails: \(error)")
        #expect(sink.messages().isEmpty)
    }

    @Test("an e-mail job whose SMTP server is down is retried and delivered once it is back")
    func serverDownThenBack() async throws {
        let port = try freePort()
        try await withApp(.sqlite, settings: ["SMTP_URL": "smtp://127.0.0.1:\(port)?starttls=off"]) { app, _ in
            let mail = Self.mail(key: "down-then-up")
            try await OutboxStore.enqueue(tenant: nil, kind: EmailOutbox.kind, payload: mail, idempotencyKey: "down-then-up", on: app.db)
            let clock = TestClock()
            var options = OutboxWorker.Options()
            options.retry = .init(baseDelaySeconds: 5, maxDelaySeconds: 60, maxAttempts: 5)
            options.now = { clock.now() }
            let worker = app.makeOutboxWorker(options: options)
            #expect(try await worker.runOnce() == 1)
            var job = try #require(try await OutboxStore.allJobs(on: app.db).first)
            #expect(job.status == .pending && job.attempts == 1 && job.lastError != nil)

            let sink = try SMTPSink(port: port)
            defer { sink.stop() }
            clock.advance(10)
            #expect(try await worker.runOnce() == 1)
            job = try #require(try await OutboxStore.allJobs(on: app.db).first)
            #expect(job.status == .done && job.attempts == 2)
            #expect(sink.messages().count == 1)
            try Self.checkDelivered(sink.messages()[0], mail)
        }
    }

    @Test("an e-mail job that always fails ends as failed with the server's answer")
    func alwaysFails() async throws {
        let sink = try SMTPSink(failFirst: 100)
        defer { sink.stop() }
        try await withApp(.sqlite, settings: ["SMTP_URL": "smtp://127.0.0.1:\(sink.port)?starttls=off"]) { app, _ in
            try await OutboxStore.enqueue(tenant: nil, kind: EmailOutbox.kind, payload: Self.mail(), idempotencyKey: "doomed", maxAttempts: 3, on: app.db)
            let clock = TestClock()
            var options = OutboxWorker.Options()
            options.retry = .init(baseDelaySeconds: 5, maxDelaySeconds: 60, maxAttempts: 3)
            options.now = { clock.now() }
            let worker = app.makeOutboxWorker(options: options)
            for _ in 0..<3 {
                #expect(try await worker.runOnce() == 1)
                clock.advance(30)
            }
            let job = try #require(try await OutboxStore.allJobs(on: app.db).first)
            #expect(job.status == .failed && job.attempts == 3)
            #expect(job.lastError?.contains("451") == true)
            #expect(sink.messages().isEmpty)
        }
    }

    @Test("MIME: long Thai subjects become RFC 2047 words of at most 75 characters, lines end in CRLF")
    func mimeShape() {
        let raw = MIMEMessage.render(Self.mail(), boundary: "b")
        let lines = raw.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.count <= 998 })
        #expect(!raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        let words = raw.components(separatedBy: "=?UTF-8?B?").dropFirst()
        #expect(!words.isEmpty)
        for word in raw.split(separator: " ") where word.hasPrefix("=?UTF-8?B?") { #expect(word.count <= 75) }
        #expect(raw.contains("Content-Type: multipart/alternative; boundary=\"b\""))
        #expect(raw.hasSuffix("--b--\r\n"))
    }

    @Test("without SMTP_URL mails are written as .eml files and listed in the development mailbox")
    func fileMailer() async throws {
        try await withApp(.sqlite) { app, env in
            let mail = Self.mail()
            try await OutboxStore.enqueue(tenant: nil, kind: EmailOutbox.kind, payload: mail, idempotencyKey: "file-1", on: app.db)
            try await app.makeOutboxWorker().runOnce()
            let dir = env.dataDirectory.appendingPathComponent("mail")
            let emls = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".eml") }
            #expect(emls.count == 1)
            try Self.checkDelivered(dir.appendingPathComponent(emls[0]), mail)
            let res = try await respond(app, .GET, "/dev/mailbox", peer: "127.0.0.1")
            #expect(res.status == .ok)
            #expect(res.text.contains("ดำเนินการสำเร็จ"))
        }
    }

    @Test("the development mailbox answers only the loopback address (127.0.0.0/8, ::1), not through a proxy; others get 404")
    func mailboxLoopbackOnly() async throws {
        try await withApp(.sqlite) { app, _ in
            try await OutboxStore.enqueue(tenant: nil, kind: EmailOutbox.kind, payload: Self.mail(), idempotencyKey: "loopback-1", on: app.db)
            try await app.makeOutboxWorker().runOnce()
            let list = try await respond(app, .GET, "/dev/mailbox", peer: "127.0.0.1")
            #expect(list.status == .ok)
            let link = try #require(list.text.range(of: #"/dev/mailbox/[^"]+"#, options: .regularExpression).map { String(list.text[$0]) })
            for peer in ["127.0.0.1", "127.45.6.7", "::1", "::ffff:127.0.0.1"] {
                for path in ["/dev/mailbox", link] {
                    let res = try await respond(app, .GET, path, peer: peer)
                    #expect(res.status == .ok, "\(peer) \(path)")
                    #expect(res.text.contains("ดำเนินการสำเร็จ"), "\(peer) \(path)")
                }
            }
            for peer in ["203.0.113.5", "10.0.0.1", "192.168.1.20", "128.0.0.1", "::2", "2001:db8::1", "::ffff:10.0.0.1", nil] as [String?] {
                for path in ["/dev/mailbox", link] {
                    let res = try await respond(app, .GET, path, peer: peer)
                    #expect(res.status == .notFound, "\(peer ?? "no peer") \(path)")
                    #expect(!res.text.contains("ดำเนินการสำเร็จ"))
                }
            }
            // A proxy on this machine forwards someone else's request.
            for header in ["X-Forwarded-For", "Forwarded", "X-Real-IP"] {
                let res = try await respond(app, .GET, "/dev/mailbox", peer: "127.0.0.1", headers: [header: "203.0.113.5"])
                #expect(res.status == .notFound, "\(header)")
            }
        }
    }

    @Test("a server that sends data after its 220 to STARTTLS, before the handshake, is refused: no AUTH, no mail")
    func startTLSInjection() async throws {
        let cert = try makeTestCertificate()
        for split in [false, true] {
            let server = try await InjectingSMTPServer.start(splitInjection: split)
            let settings = try SMTPSettings(url: "smtp://mailer:secret@127.0.0.1:\(server.port)", caFile: cert.cert)
            let error = try await #require(throws: (any Error).self) { try await SMTPMailer(settings: settings, timeout: Self.patience).send(Self.mail()) }
            let commands = await server.stop()
            #expect(commands.contains("STARTTLS"), "\(commands)")
            #expect(
                !commands.contains { $0.hasPrefix("AUTH") || $0.hasPrefix("MAIL") || $0.hasPrefix("RCPT") || $0 == "DATA" },
                "nothing after STARTTLS in plain text: \(commands)")
            if !split {
                #expect((error as? SMTPError).map { if case .dataBeforeTLS = $0 { true } else { false } } == true, "\(error)")
            }
        }
    }
}
