import AsyncHTTPClient
import Domain
import Foundation
import NIOCore
import Vapor

/// The parts of LINE's Messaging API this service calls. `LiveLineAPI` talks HTTP to the channel's API base
/// (LINE itself, or a LINE-compatible server in tests).
protocol LineAPI: Sendable {
    /// A push (`body` is the request body: `to` and `messages`) with LINE's retry key: a second push with the
    /// same key is not delivered again (409).
    func push(_ channel: LineChannel, body: Data, retryKey: UUID) async throws -> LinePushResult
    func reply(_ channel: LineChannel, replyToken: String, messages: [LineMessage]) async throws
    /// A link token for LINE's account-link flow (valid 10 minutes, once).
    func linkToken(_ channel: LineChannel, userID: String) async throws -> String
    /// What a user sent as an image (`GET {LINE_DATA_BASE_URL}/v2/bot/message/{id}/content`), written to a file of
    /// `spool` as it arrives and never more than `maxBytes` of it: a longer one is `.tooLarge` (the rest unread).
    func content(_ channel: LineChannel, messageID: String, maxBytes: Int, into spool: UploadSpool) async throws -> LineContent
}

enum LineContent: Sendable {
    case file(StreamedUpload.File)
    case tooLarge
}

enum LinePushResult: Equatable, Sendable {
    case sent
    /// LINE had already accepted a push with this retry key: it was delivered once, before.
    case alreadyAccepted
}

/// An answer other than success. 429 and 5xx are worth another try later; other 4xx are not.
struct LineAPIError: Error, CustomStringConvertible, Sendable {
    var status: Int
    var message: String
    var retryAfterSeconds: Double?

    var isRetryable: Bool { status == 429 || status >= 500 || status == 0 }
    var description: String { "LINE API \(status == 0 ? "unreachable" : "HTTP \(status)"): \(message)" }
}

struct LiveLineAPI: LineAPI {
    let client: any Client
    /// For content, read as a stream (Vapor's client would collect all of it first).
    var http: HTTPClient? = nil
    var threadPool: NIOThreadPool? = nil
    var timeout: TimeAmount = .seconds(10)
    /// The whole photo, from the request to its last byte.
    var contentTimeout: TimeAmount = .seconds(20)

    private struct ReplyBody: Encodable {
        var replyToken: String
        var messages: [LineMessage]
    }

    private struct LinkTokenAnswer: Decodable { var linkToken: String }
    private struct ErrorAnswer: Decodable { var message: String? }

    func push(_ channel: LineChannel, body: Data, retryKey: UUID) async throws -> LinePushResult {
        var headers = HTTPHeaders()
        headers.add(name: "X-Line-Retry-Key", value: retryKey.uuidString.lowercased())
        let response = try await send(channel, .POST, "/v2/bot/message/push", headers: headers, raw: body)
        if response.status == .conflict, response.headers.first(name: "x-line-accepted-request-id") != nil { return .alreadyAccepted }
        try check(response)
        return .sent
    }

    func reply(_ channel: LineChannel, replyToken: String, messages: [LineMessage]) async throws {
        try check(try await send(channel, .POST, "/v2/bot/message/reply", body: ReplyBody(replyToken: replyToken, messages: messages)))
    }

    func linkToken(_ channel: LineChannel, userID: String) async throws -> String {
        let response = try await send(channel, .POST, "/v2/bot/user/\(userID)/linkToken", body: Optional<String>.none)
        try check(response)
        guard let answer = try? response.content.decode(LinkTokenAnswer.self), !answer.linkToken.isEmpty else {
            throw LineAPIError(status: 502, message: "no linkToken in LINE's answer")
        }
        return answer.linkToken
    }

    func content(_ channel: LineChannel, messageID: String, maxBytes: Int, into spool: UploadSpool) async throws -> LineContent {
        guard let http, let threadPool else { throw LineAPIError(status: 0, message: "no HTTP client for LINE content") }
        // LINE's message ids are digits; nothing else goes into the path.
        guard (1...32).contains(messageID.count), messageID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw LineAPIError(status: 400, message: "not a LINE message id")
        }
        // One deadline for the whole fetch: the client's timeout ends when the headers arrive, and its read timeout is
        // per read, so a server sending a byte a minute would otherwise hold the worker's batch for hours.
        let limit = contentTimeout
        return try await withThrowingTaskGroup(of: LineContent?.self) { group in
            group.addTask { try await self.fetch(http, pool: threadPool, channel, messageID: messageID, maxBytes: maxBytes, into: spool) }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(limit.nanoseconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let content = first else {
                throw LineAPIError(status: 0, message: "LINE content took longer than \(limit.nanoseconds / 1_000_000_000) s")
            }
            return content
        }
    }

    private func fetch(
        _ http: HTTPClient, pool threadPool: NIOThreadPool, _ channel: LineChannel, messageID: String, maxBytes: Int, into spool: UploadSpool
    ) async throws -> LineContent {
        var request = HTTPClientRequest(url: channel.dataBase.absoluteString + "/v2/bot/message/\(messageID)/content")
        request.headers.add(name: "Authorization", value: "Bearer \(channel.accessToken)")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: contentTimeout)
        } catch {
            throw LineAPIError(status: 0, message: "\(error)")
        }
        guard response.status == .ok else {
            let text = (try? await response.body.collect(upTo: 1 << 16)).map { String(buffer: $0) } ?? ""
            let message = (try? JSONDecoder().decode(ErrorAnswer.self, from: Data(text.utf8)).message) ?? response.status.reasonPhrase
            throw LineAPIError(status: Int(response.status.code), message: message ?? "")
        }
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > maxBytes { return .tooLarge }
        let index = spool.reserve()
        var size = 0
        var pending = ByteBuffer()
        for try await chunk in response.body {
            size += chunk.readableBytes
            guard size <= maxBytes else { return .tooLarge }
            var chunk = chunk
            pending.writeBuffer(&chunk)
            if pending.readableBytes >= 256 << 10 {
                let write = pending
                pending = ByteBuffer()
                try await threadPool.runIfActive { try spool.apply([.init(index: index, bytes: write, last: false)]) }
            }
        }
        let rest = pending
        try await threadPool.runIfActive { try spool.apply([.init(index: index, bytes: rest, last: true)]) }
        return .file(StreamedUpload.File(filename: "line-\(messageID)", size: size, spool: spool, index: index))
    }

    private func send(
        _ channel: LineChannel, _ method: HTTPMethod, _ path: String, headers extra: HTTPHeaders = [:],
        body: (some Encodable)?
    ) async throws -> ClientResponse {
        try await send(channel, method, path, headers: extra, raw: try body.map { try JSONEncoder.line.encode($0) })
    }

    private func send(
        _ channel: LineChannel, _ method: HTTPMethod, _ path: String, headers extra: HTTPHeaders = [:],
        raw: Data?
    ) async throws -> ClientResponse {
        var headers = extra
        headers.add(name: .authorization, value: "Bearer \(channel.accessToken)")
        var request = ClientRequest(method: method, url: URI(string: channel.apiBase.absoluteString + path), headers: headers, timeout: timeout)
        if let raw {
            request.headers.contentType = .json
            request.body = ByteBuffer(bytes: raw)
        }
        do {
            return try await client.send(request)
        } catch {
            throw LineAPIError(status: 0, message: "\(error)")
        }
    }

    private func check(_ response: ClientResponse) throws {
        guard !(200..<300).contains(response.status.code) else { return }
        let message = (try? response.content.decode(ErrorAnswer.self).message) ?? response.status.reasonPhrase
        // Whole seconds, bounded: "NaN" or "1e309" read as a Double once reached Int(seconds) and trapped.
        let retryAfter = BoundedNumber.int(response.headers.first(name: "Retry-After"), in: 0...86_400).map(Double.init)
        throw LineAPIError(status: Int(response.status.code), message: message ?? "", retryAfterSeconds: retryAfter)
    }
}

extension JSONEncoder {
    /// Thai stays as UTF-8 (LINE counts characters), keys in order for stable bodies.
    static let line: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()
}

extension Application {
    struct LineAPIKey: StorageKey { typealias Value = any LineAPI }

    /// LINE's API as the outbox jobs and pages use it; tests may replace it.
    var lineAPI: any LineAPI {
        get { storage[LineAPIKey.self] ?? LiveLineAPI(client: client, http: http.client.shared, threadPool: threadPool) }
        set { storage[LineAPIKey.self] = newValue }
    }
}
