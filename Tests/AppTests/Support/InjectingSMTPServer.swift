import Foundation
import NIOCore
import NIOPosix

/// A real SMTP server on 127.0.0.1 that misbehaves the way a STARTTLS command injection does: its answer to
/// STARTTLS is `220 ready\r\n250 injected\r\n` in one write (or the 250 a moment later, `splitInjection`). It
/// never speaks TLS; it keeps every line it received, for checking what the client sent in plain text.
final class InjectingSMTPServer: @unchecked Sendable {
    let port: Int
    private let channel: any Channel
    private let log: Log

    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    private init(port: Int, channel: any Channel, log: Log) {
        self.port = port
        self.channel = channel
        self.log = log
    }

    static func start(splitInjection: Bool) async throws -> InjectingSMTPServer {
        let log = Log()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(Handler(split: splitInjection, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw TestFailure("no port") }
        return InjectingSMTPServer(port: port, channel: channel, log: log)
    }

    /// Stops listening; the lines received.
    func stop() async -> [String] {
        try? await channel.close()
        return log.all
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let split: Bool
        let log: Log
        var buffer = ByteBuffer()

        init(split: Bool, log: Log) {
            self.split = split
            self.log = log
        }

        func channelActive(context: ChannelHandlerContext) {
            send(context, "220 evil.example ESMTP\r\n")
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            buffer.writeBuffer(&incoming)
            while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let line = (buffer.readString(length: newline - buffer.readerIndex + 1) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                log.add(line)
                let verb = line.uppercased()
                if verb.hasPrefix("EHLO") {
                    send(context, "250-evil.example\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n")
                } else if verb == "STARTTLS" {
                    if split {
                        send(context, "220 ready\r\n")
                        let channel = context.channel
                        channel.eventLoop.scheduleTask(in: .milliseconds(1)) {
                            channel.writeAndFlush(ByteBuffer(string: "250 injected\r\n"), promise: nil)
                        }
                    } else {
                        send(context, "220 ready\r\n250 injected\r\n")
                    }
                } else if verb == "QUIT" {
                    send(context, "221 bye\r\n")
                } else {
                    send(context, "250 ok\r\n")
                }
            }
            buffer.discardReadBytes()
        }

        private func send(_ context: ChannelHandlerContext, _ text: String) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
        }
    }
}
