import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// What went wrong talking to an SMTP server. 4xx replies and lost connections are worth retrying;
/// 5xx replies are not.
public enum SMTPError: Error, CustomStringConvertible {
    case reply(stage: String, code: Int, text: String)
    case connectionClosed(stage: String)
    case tlsRequiredButNotOffered
    case authNotSupported
    case timedOut
    /// The server (or something between us) sent bytes after its 220 to STARTTLS, before the TLS handshake:
    /// they would be read as replies inside the encrypted session (STARTTLS command injection, CVE-2011-0411).
    case dataBeforeTLS

    public var isPermanent: Bool {
        switch self {
        case .reply(_, let code, _): code >= 500
        case .authNotSupported: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .reply(let stage, let code, let text): "SMTP \(stage): \(code) \(text)"
        case .connectionClosed(let stage): "SMTP connection closed during \(stage)"
        case .tlsRequiredButNotOffered: "SMTP server does not offer STARTTLS, which is required"
        case .authNotSupported: "SMTP server offers neither AUTH PLAIN nor AUTH LOGIN"
        case .timedOut: "SMTP conversation timed out"
        case .dataBeforeTLS: "SMTP server sent data after its reply to STARTTLS, before the TLS handshake; not continuing"
        }
    }
}

struct SMTPReply: Sendable {
    var code: Int
    var lines: [String]
    var text: String { lines.joined(separator: " ") }
}

/// Sends mail over SMTP with our own client on SwiftNIO: EHLO, STARTTLS (or implicit TLS), AUTH PLAIN or
/// LOGIN, MAIL/RCPT/DATA. A connection that delivered a message is kept for the next one for a few seconds
/// (`IdleSessions`): a backlog of notices costs one greeting, EHLO and AUTH per connection instead of per
/// message. A kept connection must answer RSET before anything of the next message is sent; if it does not (the
/// server closed it), the message goes over a new connection, so nothing is sent twice. Any failure closes the
/// connection it happened on.
public struct SMTPMailer: Mailer {
    let settings: SMTPSettings
    let group: any EventLoopGroup
    let timeout: TimeAmount
    /// Built once (loading the system's trust store took a fifth of the server's CPU when it was built for every
    /// e-mail); none for a plain local relay (`starttls=off`).
    let tls: Result<NIOSSLContext, any Error>?
    let idle: IdleSessions

    public init(
        settings: SMTPSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, timeout: TimeAmount = .seconds(60),
        keepIdle: Int = 8, idleFor: Duration = .seconds(10)
    ) {
        self.settings = settings
        self.group = group
        self.timeout = timeout
        tls = settings.security == .none ? nil : Result { try Self.makeTLSContext(settings) }
        idle = IdleSessions(limit: keepIdle, idleFor: idleFor)
    }

    public func send(_ mail: OutgoingMail) async throws {
        guard let from = MailAddress(parsing: mail.from) else { throw SMTPError.reply(stage: "MAIL FROM", code: 553, text: "bad sender address") }
        let recipients = mail.to.compactMap { MailAddress(parsing: $0) }
        guard recipients.count == mail.to.count, !recipients.isEmpty else {
            throw SMTPError.reply(stage: "RCPT TO", code: 553, text: "bad recipient address")
        }
        if let kept = idle.take() {
            let deadline = kept.channel.eventLoop.scheduleTask(in: timeout) { kept.channel.close(promise: nil) }
            // Nothing of this message has been sent until RSET is answered: a connection the server closed while
            // it waited is dropped here and the message goes over a new one.
            if (try? await kept.conversation.command("RSET", expect: [250])) != nil {
                do {
                    try await transfer(mail, from: from, to: recipients, on: &kept.conversation)
                } catch {
                    deadline.cancel()
                    kept.channel.close(promise: nil)
                    throw error
                }
                deadline.cancel()
                finish(kept)
                return
            }
            deadline.cancel()
            kept.channel.close(promise: nil)
        }
        let session = try await connect()
        let deadline = session.channel.eventLoop.scheduleTask(in: timeout) { session.channel.close(promise: nil) }
        do {
            try await open(session)
            try await transfer(mail, from: from, to: recipients, on: &session.conversation)
        } catch {
            deadline.cancel()
            session.channel.close(promise: nil)
            throw error
        }
        deadline.cancel()
        finish(session)
    }

    /// Keeps the connection for the next message, or says QUIT when enough are kept.
    private func finish(_ session: Session) {
        session.idleSince = .now
        guard !idle.put(session) else { return }
        Task {
            try? await session.conversation.command("QUIT", expect: [221])
            session.channel.close(promise: nil)
        }
    }

    private func transfer(_ mail: OutgoingMail, from: MailAddress, to recipients: [MailAddress], on conversation: inout Conversation) async throws {
        try await conversation.command("MAIL FROM:<\(from.address)>", expect: [250])
        for rcpt in recipients { try await conversation.command("RCPT TO:<\(rcpt.address)>", expect: [250, 251]) }
        try await conversation.command("DATA", expect: [354])
        try await conversation.send(MIMEMessage.dotStuffed(MIMEMessage.render(mail)) + "\r\n.\r\n")
        try await conversation.expect(250, stage: "end of DATA")
    }

    private func connect() async throws -> Session {
        let tls = try tls?.get()
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SMTPReply.self)
        let host = settings.host
        let implicit = settings.security == .implicitTLS
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(15))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicit, let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: host.isIPAddress ? nil : host))
                    }
                    try channel.pipeline.syncOperations.addHandler(SMTPReplyReader(continuation))
                }
            }
            .connect(host: host, port: settings.port).get()
        return Session(Conversation(channel: channel, replies: stream.makeAsyncIterator()))
    }

    /// The greeting, EHLO, STARTTLS and AUTH: what a connection says once, before its first message.
    private func open(_ session: Session) async throws {
        let tls = try tls?.get()
        let host = settings.host
        let implicit = settings.security == .implicitTLS
        let channel = session.channel
        try await session.conversation.expect(220, stage: "greeting")
        var capabilities = try await session.conversation.ehlo(settings.heloName)
        if !implicit && settings.security != .none {
            let offered = capabilities.contains { $0.uppercased() == "STARTTLS" }
            if offered, let tls {
                // The reader stops at the 220 to STARTTLS: any byte after it, in the same read or before the TLS
                // handler is in place, ends the conversation (nothing read in plain text may pass as a TLS reply).
                try await channel.eventLoop.submit {
                    try channel.pipeline.syncOperations.handler(type: SMTPReplyReader.self).tls = .startTLSSent
                }.get()
                try await session.conversation.command("STARTTLS", expect: [220])
                let open = try await channel.eventLoop.submit { () throws -> Bool in
                    // Gone when the server has already closed the connection (its handlers are removed then).
                    guard let reader = try? channel.pipeline.syncOperations.handler(type: SMTPReplyReader.self) else { return false }
                    guard reader.tls == .awaitingHandshake else { throw SMTPError.dataBeforeTLS }
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: tls, serverHostname: host.isIPAddress ? nil : host), position: .first)
                    reader.tls = .plain
                    return true
                }.get()
                if !open {
                    // Closed right after its 220: the reader has said why (data before the handshake ends the
                    // replies with `dataBeforeTLS`); anything it still holds was read in plain text.
                    _ = try await session.conversation.next(stage: "STARTTLS")
                    throw SMTPError.dataBeforeTLS
                }
                capabilities = try await session.conversation.ehlo(settings.heloName)
            } else if settings.security == .startTLS {
                throw SMTPError.tlsRequiredButNotOffered
            }
        }
        if let user = settings.username, let password = settings.password {
            let auth = capabilities.first { $0.uppercased().hasPrefix("AUTH") }?.uppercased().split(separator: " ").map(String.init) ?? []
            if auth.contains("PLAIN") && !(settings.prefersLogin && auth.contains("LOGIN")) {
                let token = Data(([0] + Array(user.utf8) + [0] + Array(password.utf8))).base64EncodedString()
                try await session.conversation.command("AUTH PLAIN \(token)", expect: [235], stage: "AUTH")
            } else if auth.contains("LOGIN") {
                try await session.conversation.command("AUTH LOGIN", expect: [334], stage: "AUTH")
                try await session.conversation.command(Data(user.utf8).base64EncodedString(), expect: [334], stage: "AUTH")
                try await session.conversation.command(Data(password.utf8).base64EncodedString(), expect: [235], stage: "AUTH")
            } else {
                throw SMTPError.authNotSupported
            }
        }
    }

    /// A connection past its greeting (and TLS and AUTH), used by one message at a time.
    final class Session: @unchecked Sendable {
        /// Kept apart from `conversation`, which a message holds across its awaits: the deadline closes the channel
        /// from the event loop meanwhile.
        let channel: any Channel
        var conversation: Conversation
        var idleSince = ContinuousClock.now

        init(_ conversation: Conversation) {
            channel = conversation.channel
            self.conversation = conversation
        }
    }

    /// Connections kept between messages: at most `limit`, each for at most `idleFor` (servers close idle
    /// connections after minutes; a kept one that was closed fails its RSET and is replaced).
    final class IdleSessions: @unchecked Sendable {
        private let lock = NSLock()
        private var sessions: [Session] = []
        let limit: Int
        let idleFor: Duration

        init(limit: Int, idleFor: Duration) {
            self.limit = limit
            self.idleFor = idleFor
        }

        /// The most recently used connection still young enough; older ones are closed.
        func take() -> Session? {
            lock.lock()
            defer { lock.unlock() }
            while let session = sessions.popLast() {
                if ContinuousClock.now - session.idleSince < idleFor, session.channel.isActive { return session }
                session.channel.close(promise: nil)
            }
            return nil
        }

        /// Keeps it if there is room.
        func put(_ session: Session) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            guard limit > 0, sessions.count < limit else { return false }
            sessions.append(session)
            return true
        }

        var count: Int {
            lock.lock()
            defer { lock.unlock() }
            return sessions.count
        }
    }

    private static func makeTLSContext(_ settings: SMTPSettings) throws -> NIOSSLContext {
        var config = TLSConfiguration.makeClientConfiguration()
        if let ca = settings.caFile { config.additionalTrustRoots = [.file(ca)] }
        return try NIOSSLContext(configuration: config)
    }

    /// One SMTP dialogue: commands out, replies in, in order.
    struct Conversation {
        let channel: any Channel
        var replies: AsyncThrowingStream<SMTPReply, any Error>.AsyncIterator

        mutating func next(stage: String) async throws -> SMTPReply {
            guard let reply = try await replies.next() else { throw SMTPError.connectionClosed(stage: stage) }
            return reply
        }

        @discardableResult
        mutating func expect(_ code: Int, stage: String) async throws -> SMTPReply {
            try await expect([code], stage: stage)
        }

        @discardableResult
        mutating func expect(_ codes: [Int], stage: String) async throws -> SMTPReply {
            let reply = try await next(stage: stage)
            guard codes.contains(reply.code) else { throw SMTPError.reply(stage: stage, code: reply.code, text: reply.text) }
            return reply
        }

        func send(_ text: String) async throws {
            try await channel.writeAndFlush(ByteBuffer(string: text))
        }

        @discardableResult
        mutating func command(_ line: String, expect codes: [Int], stage: String? = nil) async throws -> SMTPReply {
            try await send(line + "\r\n")
            return try await expect(codes, stage: stage ?? String(line.prefix(while: { $0 != ":" && $0 != " " })))
        }

        /// EHLO, returning the extension keywords (STARTTLS, AUTH PLAIN LOGIN, …).
        mutating func ehlo(_ name: String) async throws -> [String] {
            let reply = try await command("EHLO \(name)", expect: [250])
            return Array(reply.lines.dropFirst())
        }
    }
}

/// Splits the server's bytes into replies ("250-…" lines continue, "250 …" ends one).
final class SMTPReplyReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation
    private var buffer = ByteBuffer()
    private var lines: [String] = []

    enum TLSStep { case plain, startTLSSent, awaitingHandshake, refused }
    /// Where STARTTLS stands (read and written on the channel's event loop only).
    var tls = TLSStep.plain

    init(_ continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        guard tls != .awaitingHandshake, tls != .refused else { return refuse(context) }
        buffer.writeBuffer(&incoming)
        while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - buffer.readerIndex + 1
            guard let raw = buffer.readString(length: length) else { break }
            let line = raw.trimmingCharacters(in: .newlines)  // "\r\n" is one Character, so trim scalars
            let code = Int(line.prefix(3)) ?? 0
            let more = line.count > 3 && line[line.index(line.startIndex, offsetBy: 3)] == "-"
            lines.append(line.count > 4 ? String(line.dropFirst(4)) : "")
            if !more {
                continuation.yield(SMTPReply(code: code, lines: lines))
                lines = []
                if tls == .startTLSSent {
                    guard code == 220 else { tls = .plain; continue }
                    tls = .awaitingHandshake
                    // Only the handshake may follow the 220.
                    if buffer.readableBytes > 0 { return refuse(context) }
                    break
                }
            }
        }
        buffer.discardReadBytes()
    }

    private func refuse(_ context: ChannelHandlerContext) {
        tls = .refused
        buffer.clear()
        continuation.finish(throwing: SMTPError.dataBeforeTLS)  // the mailer closes the connection
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}

extension String {
    var isIPAddress: Bool {
        (try? SocketAddress(ipAddress: self, port: 0)) != nil
    }
}
