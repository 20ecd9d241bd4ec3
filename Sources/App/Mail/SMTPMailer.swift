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
/// LOGIN, MAIL/RCPT/DATA. One connection per message keeps failures independent.
public struct SMTPMailer: Mailer {
    let settings: SMTPSettings
    let group: any EventLoopGroup
    let timeout: TimeAmount
    /// Built once (loading the system's trust store took a fifth of the server's CPU when it was built for every
    /// e-mail); none for a plain local relay (`starttls=off`).
    let tls: Result<NIOSSLContext, any Error>?

    public init(settings: SMTPSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, timeout: TimeAmount = .seconds(60)) {
        self.settings = settings
        self.group = group
        self.timeout = timeout
        tls = settings.security == .none ? nil : Result { try Self.makeTLSContext(settings) }
    }

    public func send(_ mail: OutgoingMail) async throws {
        guard let from = MailAddress(parsing: mail.from) else { throw SMTPError.reply(stage: "MAIL FROM", code: 553, text: "bad sender address") }
        let recipients = mail.to.compactMap { MailAddress(parsing: $0) }
        guard recipients.count == mail.to.count, !recipients.isEmpty else {
            throw SMTPError.reply(stage: "RCPT TO", code: 553, text: "bad recipient address")
        }
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
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        var conversation = Conversation(channel: channel, replies: stream.makeAsyncIterator())
        try await conversation.expect(220, stage: "greeting")
        var capabilities = try await conversation.ehlo(settings.heloName)
        if !implicit && settings.security != .none {
            let offered = capabilities.contains { $0.uppercased() == "STARTTLS" }
            if offered, let tls {
                // The reader stops at the 220 to STARTTLS: any byte after it, in the same read or before the TLS
                // handler is in place, ends the conversation (nothing read in plain text may pass as a TLS reply).
                try await channel.eventLoop.submit {
                    try channel.pipeline.syncOperations.handler(type: SMTPReplyReader.self).tls = .startTLSSent
                }.get()
                try await conversation.command("STARTTLS", expect: [220])
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
                    _ = try await conversation.next(stage: "STARTTLS")
                    throw SMTPError.dataBeforeTLS
                }
                capabilities = try await conversation.ehlo(settings.heloName)
            } else if settings.security == .startTLS {
                throw SMTPError.tlsRequiredButNotOffered
            }
        }
        if let user = settings.username, let password = settings.password {
            let auth = capabilities.first { $0.uppercased().hasPrefix("AUTH") }?.uppercased().split(separator: " ").map(String.init) ?? []
            if auth.contains("PLAIN") && !(settings.prefersLogin && auth.contains("LOGIN")) {
                let token = Data(([0] + Array(user.utf8) + [0] + Array(password.utf8))).base64EncodedString()
                try await conversation.command("AUTH PLAIN \(token)", expect: [235], stage: "AUTH")
            } else if auth.contains("LOGIN") {
                try await conversation.command("AUTH LOGIN", expect: [334], stage: "AUTH")
                try await conversation.command(Data(user.utf8).base64EncodedString(), expect: [334], stage: "AUTH")
                try await conversation.command(Data(password.utf8).base64EncodedString(), expect: [235], stage: "AUTH")
            } else {
                throw SMTPError.authNotSupported
            }
        }
        try await conversation.command("MAIL FROM:<\(from.address)>", expect: [250])
        for rcpt in recipients { try await conversation.command("RCPT TO:<\(rcpt.address)>", expect: [250, 251]) }
        try await conversation.command("DATA", expect: [354])
        try await conversation.send(MIMEMessage.dotStuffed(MIMEMessage.render(mail)) + "\r\n.\r\n")
        try await conversation.expect(250, stage: "end of DATA")
        try? await conversation.command("QUIT", expect: [221])
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
