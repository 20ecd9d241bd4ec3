import Foundation
import Testing

/// A real SMTP server (aiosmtpd, `Tests/support/smtp_sink.py`) in a child process, saving what it receives.
final class SMTPSink: @unchecked Sendable {
    let port: Int
    let directory: URL
    private let process: Process

    static var python: String {
        let venv = Repo.path(".venv/bin/python")
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/env"
    }

    init(port: Int? = nil, auth: String? = nil, tls: (cert: String, key: String)? = nil, failFirst: Int = 0) throws {
        self.port = try port ?? freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var args = [Repo.path("Tests/support/smtp_sink.py"), "--host", "127.0.0.1", "--port", "\(self.port)", "--dir", directory.path]
        if let auth { args += ["--auth", auth] }
        if let tls { args += ["--starttls-cert", tls.cert, "--starttls-key", tls.key] }
        if failFirst > 0 { args += ["--fail-first", "\(failFirst)"] }
        process = Process()
        let python = Self.python
        if python == "/usr/bin/env" {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["python3"] + args
        } else {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = args
        }
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // Wait for "READY <port>".
        let handle = out.fileHandleForReading
        var seen = Data()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
            if String(decoding: seen, as: UTF8.self).contains("READY") { return }
        }
        process.terminate()
        throw TestFailure("SMTP sink did not start: \(String(decoding: seen, as: UTF8.self))")
    }

    /// Saved messages, oldest first.
    func messages() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".eml") }
            .sorted { Int($0.dropLast(4)) ?? 0 < Int($1.dropLast(4)) ?? 0 }
            .map { directory.appendingPathComponent($0) }
    }

    func stop() {
        // SIGKILL: a child of a test process may inherit a blocked SIGTERM. Each message is already on disk.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Parses an .eml with Python's standard `email` package (an independent parser, not ours).
struct ParsedMail: Decodable {
    struct Part: Decodable {
        var type: String
        var charset: String?
        var body: String
    }
    var subject: String
    var from: String
    var to: String
    var date: String?
    var messageID: String?
    var mimeVersion: String?
    var parts: [Part]

    enum CodingKeys: String, CodingKey {
        case subject, from, to, date, parts
        case messageID = "message_id"
        case mimeVersion = "mime_version"
    }

    static func parse(_ file: URL) throws -> ParsedMail {
        let output = try runPython(Repo.path("Tests/support/parse_eml.py"), file.path)
        return try JSONDecoder().decode(ParsedMail.self, from: Data(output.utf8))
    }
}

@discardableResult
func runPython(_ args: String...) throws -> String {
    let process = Process()
    let python = SMTPSink.python
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = python == "/usr/bin/env" ? ["python3"] + args : args
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TestFailure("python \(args) exited \(process.terminationStatus)") }
    return String(decoding: data, as: UTF8.self)
}

/// A self-signed certificate for 127.0.0.1 / localhost (`Tests/support/make_test_cert.sh`).
func makeTestCertificate() throws -> (cert: String, key: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cert-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [Repo.path("Tests/support/make_test_cert.sh"), dir.path]
    process.standardOutput = Pipe()
    try process.run()
    process.waitUntilExit()
    let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
    guard FileManager.default.fileExists(atPath: cert), FileManager.default.fileExists(atPath: key) else {
        throw TestFailure("no certificate made in \(dir.path)")
    }
    return (cert, key)
}
