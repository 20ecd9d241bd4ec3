import Domain
import Foundation
import Testing
import Vapor

@testable import App

/// A LINE-compatible Messaging API server (`Tests/support/line_server.py`) in a child process: it checks the
/// bearer token and the retry key, validates each body with the official SDK's models, and keeps what it got.
final class LINEServer: @unchecked Sendable {
    static let token = "test-channel-access-token"
    static let secret = "0123456789abcdef0123456789abcdef"

    let port: Int
    private let process: Process

    init() throws {
        process = Process()
        let python = SMTPSink.python
        let args = [Repo.path("Tests/support/line_server.py"), "--host", "127.0.0.1", "--port", "0", "--token", Self.token]
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = python == "/usr/bin/env" ? ["python3"] + args : args
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var seen = Data()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
            let text = String(decoding: seen, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("READY ") }),
                let port = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
            {
                self.port = port
                return
            }
        }
        process.terminate()
        throw TestFailure("LINE server did not start: \(String(decoding: seen, as: UTF8.self))")
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The settings that point the app's `bangkrathum` channel at this server.
    var settings: [String: String] {
        [
            "LINE_API_BASE_URL": baseURL, "LINE_DATA_BASE_URL": baseURL, "LINE_BANGKRATHUM_CHANNEL_SECRET": Self.secret,
            "LINE_BANGKRATHUM_ACCESS_TOKEN": Self.token,
        ]
    }

    struct Delivered: Decodable {
        var kind: String
        var to: String?
        var replyToken: String?
        var retry_key: String?
        var messages: [Message]

        struct Message: Decodable {
            var type: String
            var text: String?
            var altText: String?
        }

        /// What a person reads of it.
        var texts: [String] { messages.compactMap { $0.text ?? $0.altText } }
    }

    struct Received: Decodable {
        var path: String
        var status: Int
        var retry_key: String?
        var auth_ok: Bool
        var accepted: Bool
    }

    func delivered(_ app: Application) async throws -> [Delivered] {
        try await app.client.get(URI(string: baseURL + "/_test/delivered")).content.decode([Delivered].self)
    }

    /// The delivered messages as the server keeps them (Flex contents included), for looking inside.
    func deliveredJSON(_ app: Application) async throws -> String {
        try await app.client.get(URI(string: baseURL + "/_test/delivered")).body.map { String(buffer: $0) } ?? ""
    }

    func requests(_ app: Application) async throws -> [Received] {
        try await app.client.get(URI(string: baseURL + "/_test/requests")).content.decode([Received].self)
    }

    func linkTokens(_ app: Application) async throws -> [String: String] {
        try await app.client.get(URI(string: baseURL + "/_test/link-tokens")).content.decode([String: String].self)
    }

    /// What the content endpoint serves for `messageID`: these bytes, or `size` bytes of a JPEG start and filler.
    func setContent(
        _ app: Application, messageID: String, data: Data? = nil, size: Int? = nil, redirect: String? = nil, delay: Double? = nil
    ) async throws {
        var spec: [String: Any] = ["messageId": messageID]
        if let redirect { spec["redirect"] = redirect }
        if let delay { spec["delay"] = delay }
        if let data { spec["base64"] = data.base64EncodedString() }
        if let size { spec["size"] = size }
        let body = try JSONSerialization.data(withJSONObject: spec)
        let res = try await app.client.post(URI(string: baseURL + "/_test/content")) { req in
            req.headers.contentType = .json
            req.body = ByteBuffer(data: body)
        }
        guard res.status == .ok else { throw TestFailure("content refused: \(res.status)") }
    }

    /// `{"push":[{"status":500}], "hang_seconds": 3}` and the like.
    func script(_ app: Application, _ json: String) async throws {
        let res = try await app.client.post(URI(string: baseURL + "/_test/script")) { req in
            req.headers.contentType = .json
            req.body = ByteBuffer(string: json)
        }
        guard res.status == .ok else { throw TestFailure("script refused: \(res.status)") }
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// Webhook bodies built and signed as LINE does (`Tests/support/line_events.py`, checked with the SDK's parser).
struct LineWebhookFixture: Decodable {
    struct Event: Decodable {
        var type: String
        var webhookEventId: String
        var replyToken: String?
    }

    var body: String
    var signature: String
    var events: [Event]

    /// `events`: `["type": "follow", "user": "U…"]`, `["type": "message", "user": …, "text": "สถานะ"]`, …
    static func make(
        _ events: [[String: Any]], secret: String = LINEServer.secret, redelivery: Bool = false,
        eventIDs: [String?]? = nil
    ) throws -> LineWebhookFixture {
        var spec: [String: Any] = ["secret": secret, "destination": "U" + String(repeating: "0", count: 32), "events": events, "redelivery": redelivery]
        if let eventIDs { spec["event_ids"] = eventIDs.map { $0 as Any? ?? NSNull() } }
        let input = try JSONSerialization.data(withJSONObject: spec)
        let output = try runPython(stdin: input, Repo.path("Tests/support/line_events.py"))
        return try JSONDecoder().decode(LineWebhookFixture.self, from: Data(output.utf8))
    }

    static func user(_ n: Int) -> String { "U" + String(format: "%032x", n) }
}

@discardableResult
func runPython(stdin: Data, _ args: String...) throws -> String {
    let process = Process()
    let python = SMTPSink.python
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = python == "/usr/bin/env" ? ["python3"] + args : args
    let input = Pipe(), out = Pipe()
    process.standardInput = input
    process.standardOutput = out
    try process.run()
    input.fileHandleForWriting.write(stdin)
    try input.fileHandleForWriting.close()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TestFailure("python \(args) exited \(process.terminationStatus)") }
    return String(decoding: data, as: UTF8.self)
}

enum LineTestSupport {
    /// Posts a fixture to the tenant's webhook as LINE would.
    static func post(
        _ app: Application, _ fixture: LineWebhookFixture, signature: String? = nil, body: String? = nil,
        tenant: String = "bangkrathum"
    ) async throws -> HTTPStatus {
        var headers: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]
        if let s = signature ?? Optional(fixture.signature), !s.isEmpty { headers.add(name: "X-Line-Signature", value: s) }
        var status = HTTPStatus.ok
        try await app.testing().test(.POST, "/t/\(tenant)/line/webhook", headers: headers, body: ByteBuffer(string: body ?? fixture.body)) { res in
            status = res.status
        }
        return status
    }

    /// Runs the outbox until nothing is due (`now` moves the worker's clock, for retries and leases).
    @discardableResult
    static func drain(_ app: Application, now: @escaping @Sendable () -> Date = { Date() }) async throws -> Int {
        var options = OutboxWorker.Options()
        options.now = now
        let worker = app.makeOutboxWorker(options: options)
        // The jobs' statements are checked for their tenant like a request's.
        return try await (app.tenantGuard ?? TenantGuard()).checking {
            var total = 0
            for _ in 0..<50 {
                let n = try await worker.runOnce()
                total += n
                if n == 0 { break }
            }
            return total
        }
    }
}
