import Foundation
import Logging
import NIOConcurrencyHelpers
import Vapor

/// How log lines are written (`LOG_FORMAT`): Vapor's console text, or one JSON object per line for a log store.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json

    /// `LOG_FORMAT` as written in the environment: unset or empty is `text`; anything but `text` or `json` is an
    /// error (`Settings.load` names it).
    public static func parse(_ raw: String?) -> Result<LogFormat, Problem> {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return .success(.text) }
        guard let format = LogFormat(rawValue: raw.lowercased()) else { return .failure(Problem(value: raw)) }
        return .success(format)
    }

    public struct Problem: Error, CustomStringConvertible {
        public var value: String
        public var description: String { "LOG_FORMAT must be text or json (got '\(value.prefix(40))')" }
    }

    /// Sets up logging for the process from `LOG_LEVEL`/`--log` and `LOG_FORMAT`, before the settings are read (so
    /// that their own problems are logged in the chosen format). A bad `LOG_FORMAT` leaves the text format here;
    /// `Settings.load` then refuses to start, naming it.
    public static func bootstrap(from environment: inout Environment, processEnvironment: [String: String] = ProcessInfo.processInfo.environment)
        throws
    {
        switch parse(processEnvironment["LOG_FORMAT"]) {
        case .success(.json):
            try LoggingSystem.bootstrap(from: &environment) { level in
                { label in JSONLogHandler(label: label, level: level) }
            }
        default:
            try LoggingSystem.bootstrap(from: &environment)
        }
    }
}

/// Writes every log event as one JSON object on one line (`LOG_FORMAT=json`):
///
///     {"time":"2026-12-07T04:48:46.123Z","level":"info","message":"GET /t/:tenant/contact 200",
///      "request-id":"…","tenant":"bangkrathum","route":"/t/:tenant/contact","status":200,"duration_ms":3.1,…}
///
/// `time` is UTC with milliseconds; then `level` and `message`; then the metadata under the keys the text logs use
/// (the handler's, the metadata provider's, the event's, the later winning), nested dictionaries and arrays as JSON
/// objects and arrays. A metadata key named `time`, `level` or `message` is written as `meta.time` and so on.
/// `status` (a number from 100 to 999) and `duration_ms` (a decimal number) are written as JSON numbers, every
/// other value as a string. Strings are escaped as RFC 8259 asks (quotes, backslashes, every control character,
/// U+2028 and U+2029), so a message with newlines stays one line; text that is not valid Unicode cannot occur
/// (Swift strings are), so Thai stays UTF-8 as it is.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    let label: String
    let write: @Sendable (String) -> Void

    public init(label: String, level: Logger.Level = .info, metadataProvider: Logger.MetadataProvider? = nil, write: (@Sendable (String) -> Void)? = nil) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
        self.write = write ?? StandardOutputLines.write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        write(Self.line(event: event, metadata: merged(event.metadata), time: Date()))
    }

    private func merged(_ event: Logger.Metadata?) -> Logger.Metadata {
        var all = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { all.merge(provided) { $1 } }
        if let event, !event.isEmpty { all.merge(event) { $1 } }
        return all
    }

    static let reserved: Set<String> = ["time", "level", "message"]
    /// Keys whose values are numbers in the access line.
    static let numericKeys: Set<String> = ["status", "duration_ms"]

    /// One line (ending in a newline) for `event` with `metadata` at `time`; keys are sorted so lines compare.
    static func line(event: LogEvent, metadata: Logger.Metadata, time: Date) -> String {
        var out = "{\"time\":\""
        out += timestamp(time)
        out += "\",\"level\":\""
        out += event.level.rawValue
        out += "\",\"message\":"
        appendString(event.message.description, to: &out)
        for key in metadata.keys.sorted() {
            out += ","
            appendString(reserved.contains(key) ? renamed(key, among: metadata) : key, to: &out)
            out += ":"
            let value = metadata[key]!
            if numericKeys.contains(key), let number = number(value) {
                out += number
            } else {
                appendValue(value, to: &out)
            }
        }
        out += "}\n"
        return out
    }

    /// `meta.time` for a metadata key `time`, or `meta.meta.time` if `meta.time` is a key too, and so on: every key
    /// of a line is written once.
    static func renamed(_ key: String, among metadata: Logger.Metadata) -> String {
        var name = "meta." + key
        while metadata[name] != nil { name = "meta." + name }
        return name
    }

    /// A plain decimal number (digits, at most one point, no sign or exponent) as written, for `numericKeys`.
    static func number(_ value: Logger.Metadata.Value) -> String? {
        let text: String
        switch value {
        case .string(let s): text = s
        case .stringConvertible(let c): text = c.description
        default: return nil
        }
        let utf8 = text.utf8
        guard (1...32).contains(utf8.count), utf8.first != UInt8(ascii: "."), utf8.last != UInt8(ascii: ".") else { return nil }
        var points = 0
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                points += 1
            } else if !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                return nil
            }
        }
        guard points <= 1 else { return nil }
        // JSON allows no leading zeros ("007"): such a value stays a string.
        if utf8.count > 1, utf8.first == UInt8(ascii: "0"), Array(utf8)[1] != UInt8(ascii: ".") { return nil }
        return text
    }

    static func appendValue(_ value: Logger.Metadata.Value, to out: inout String) {
        switch value {
        case .string(let s): appendString(s, to: &out)
        case .stringConvertible(let c): appendString(c.description, to: &out)
        case .dictionary(let d):
            out += "{"
            for (i, key) in d.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                appendString(key, to: &out)
                out += ":"
                appendValue(d[key]!, to: &out)
            }
            out += "}"
        case .array(let a):
            out += "["
            for (i, item) in a.enumerated() {
                if i > 0 { out += "," }
                appendValue(item, to: &out)
            }
            out += "]"
        }
    }

    static let hexDigits = Array("0123456789abcdef".unicodeScalars)

    /// A JSON string literal: `"`, `\` and every control character (U+0000–U+001F, U+007F) escaped, and U+2028/U+2029
    /// too (JavaScript line terminators); everything else as it is.
    static func appendString(_ s: String, to out: inout String) {
        out += "\""
        var scalars = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": scalars.append(contentsOf: "\\\"".unicodeScalars)
            case "\\": scalars.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": scalars.append(contentsOf: "\\n".unicodeScalars)
            case "\r": scalars.append(contentsOf: "\\r".unicodeScalars)
            case "\t": scalars.append(contentsOf: "\\t".unicodeScalars)
            default:
                let v = scalar.value
                if v < 0x20 || v == 0x7f || v == 0x2028 || v == 0x2029 {
                    scalars.append(contentsOf: "\\u".unicodeScalars)
                    for shift in [12, 8, 4, 0] { scalars.append(hexDigits[Int((v >> UInt32(shift)) & 0xf)]) }
                } else {
                    scalars.append(scalar)
                }
            }
        }
        out.unicodeScalars.append(contentsOf: scalars)
        out += "\""
    }

    /// `2026-12-07T04:48:46.123Z`.
    static func timestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        guard interval.isFinite, abs(interval) < 1e12 else { return "1970-01-01T00:00:00.000Z" }
        var millis = Int64((interval * 1000).rounded(.down))
        let ms = Int(((millis % 1000) + 1000) % 1000)
        millis -= Int64(ms)
        var seconds = time_t(millis / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ n: Int32, _ width: Int) -> String {
            let s = String(n)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ms), 3))Z"
    }
}

/// Whole lines to standard output, one writer at a time, so lines from several threads never interleave.
enum StandardOutputLines {
    private static let lock = NIOLock()

    static let write: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        lock.withLock {
            bytes.withUnsafeMutableBytes { buffer in
                var offset = 0
                var waits = 0
                while offset < buffer.count {
                    let n = Foundation.write(STDOUT_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                    if n > 0 {
                        offset += n
                    } else if n < 0 && errno == EINTR {
                        continue
                    } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && waits < 100 {
                        waits += 1  // a non-blocking pipe that is full: up to 100 ms for the reader
                        usleep(1000)
                    } else {
                        // Standard output is gone or stays full: the rest of the line is dropped, the server goes on.
                        // A line cut short still ends, so the next one is not glued onto it.
                        if offset > 0 { _ = "\n".withCString { Foundation.write(STDOUT_FILENO, $0, 1) } }
                        return
                    }
                }
            }
        }
    }
}
