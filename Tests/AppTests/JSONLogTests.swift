import Foundation
import Logging
import Testing
import Vapor

@testable import App

/// Lines a `JSONLogHandler` wrote, kept for a test to read.
final class WrittenLines: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func write(_ line: String) { lock.withLock { text += line } }
    var raw: String { lock.withLock { text } }
    /// Every line, each parsed as one JSON object (a line that is not one fails the test).
    func objects() throws -> [[String: Any]] {
        let all = lock.withLock { text }
        #expect(all.hasSuffix("\n"))
        return try all.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any], "not an object: \(line)")
        }
    }
}

@Suite("JSON logs (LOG_FORMAT=json)")
struct JSONLogTests {
    static func logger(_ lines: WrittenLines, level: Logger.Level = .info) -> Logger {
        Logger(label: "test") { label in JSONLogHandler(label: label, level: level, write: { lines.write($0) }) }
    }

    @Test("each event is one line holding one JSON object, whatever the message and metadata hold")
    func escaping() throws {
        let lines = WrittenLines()
        var logger = Self.logger(lines)
        logger[metadataKey: "request-id"] = "R-1"
        let awkward = "ชื่อ \"คำร้อง\"\nline two\r\n\ttab \\ back\u{0}nul\u{1b}[31mred\u{7f}\u{2028}sep 🙂 é"
        logger.info(
            "\(awkward)",
            metadata: [
                "nested": .dictionary(["a": .array([.string("x\ny"), .dictionary(["ไทย": "ค่า"])]), "b": .stringConvertible(42)]),
                "time": "not the time", "level": "not the level", "message": "not the message", "meta.time": "a key of its own",
                "status": .stringConvertible(200), "duration_ms": .string("12.5"), "odd_status": .stringConvertible(7),
            ])
        logger.warning("second")
        logger.debug("not written: below the level")
        logger.error("status that is not a number", metadata: ["status": "2e3", "duration_ms": "-1"])

        let objects = try lines.objects()
        #expect(objects.count == 3)
        let first = objects[0]
        #expect(first["message"] as? String == awkward, "round-trips exactly, Thai and controls included")
        #expect(first["level"] as? String == "info")
        #expect(first["request-id"] as? String == "R-1")
        #expect(first["meta.meta.time"] as? String == "not the time", "a renamed key does not repeat a key the line has")
        #expect(first["meta.time"] as? String == "a key of its own")
        // Each key once (JSONSerialization would keep either of two equal keys without a word).
        let firstLine = try #require(lines.raw.split(separator: "\n").first)
        #expect(firstLine.ranges(of: "\"meta.time\":").count == 1)
        // U+2028 and U+2029 are escaped, not written raw (a JSON parser accepts them raw; JavaScript log viewers do not).
        #expect(!lines.raw.unicodeScalars.contains { $0.value == 0x2028 || $0.value == 0x2029 })
        #expect(lines.raw.contains("\\u2028"))
        #expect(first["meta.level"] as? String == "not the level")
        #expect(first["meta.message"] as? String == "not the message")
        #expect(first["status"] as? Int == 200)
        #expect(first["duration_ms"] as? Double == 12.5)
        #expect(first["odd_status"] as? String == "7", "only status and duration_ms are numbers")
        let nested = try #require(first["nested"] as? [String: Any])
        #expect(nested["b"] as? String == "42")
        let array = try #require(nested["a"] as? [Any])
        #expect(array.first as? String == "x\ny")
        #expect((array.last as? [String: Any])?["ไทย"] as? String == "ค่า")
        let time = try #require(first["time"] as? String)
        #expect(time.wholeMatch(of: #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/#) != nil, "\(time)")
        #expect(objects[1]["message"] as? String == "second" && objects[1]["level"] as? String == "warning")
        #expect(objects[2]["status"] as? String == "2e3" && objects[2]["duration_ms"] as? String == "-1")
    }

    @Test("times are UTC with milliseconds")
    func timestamps() {
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 1_796_618_926.123_9)) == "2026-12-07T04:48:46.123Z")
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }

    @Test("LOG_FORMAT: unset or text is text, json is json, anything else is refused naming it")
    func format() throws {
        #expect(try LogFormat.parse(nil).get() == .text)
        #expect(try LogFormat.parse(" ").get() == .text)
        #expect(try LogFormat.parse("JSON").get() == .json)
        guard case .failure(let problem) = LogFormat.parse("logfmt") else {
            Issue.record("logfmt accepted")
            return
        }
        #expect(problem.description.contains("LOG_FORMAT"))
    }

    @Test("a request's access line carries request id, route, tenant, status, duration and client, and no raw path")
    func accessLine() async throws {
        try await withApp(.sqlite) { app, _ in
            let lines = WrittenLines()
            app.logger = Self.logger(lines)
            let token = "tok-\(UUID().uuidString)"
            _ = try await respond(app, .GET, "/t/bangkrathum/contact?x=\(token)", peer: "192.0.2.44")
            _ = try await respond(app, .GET, "/t/bangkrathum/contact/sent/\(token)", peer: "192.0.2.44")
            let objects = try lines.objects()
            let access = try #require(objects.first { ($0["message"] as? String)?.hasPrefix("GET /t/:tenant/contact 200") == true })
            #expect(access["route"] as? String == "/t/:tenant/contact")
            #expect(access["tenant"] as? String == "bangkrathum")
            #expect(access["status"] as? Int == 200)
            #expect((access["duration_ms"] as? Double).map { $0 >= 0 } == true)
            #expect(access["client"] as? String == "192.0.2.44")
            #expect((access["request-id"] as? String)?.isEmpty == false)
            #expect(access["level"] as? String == "info")
            let sent = try #require(objects.first { ($0["route"] as? String) == "/t/:tenant/contact/sent/:token" })
            #expect(sent["status"] is Int)
            let all = objects.map { String(describing: $0) }.joined()
            #expect(!all.contains(token), "neither the query nor a token in the path is logged")
        }
    }
}
