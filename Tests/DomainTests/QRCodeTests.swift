import Domain
import Foundation
import Testing

/// Checks the QR encoder two independent ways:
/// - module-for-module against the Python `qrcode` package (Tests/support/qr_reference.py, run with
///   `<repo>/.venv/bin/python`), with the same version, level and mask forced on both sides;
/// - by decoding rendered images with `zbarimg` (Debian `zbar-tools`) for the automatically chosen mask.
/// Both tools are installed by `scripts/install-deps.sh test`; if either is missing the tests fail and say so.
@Suite("QR code encoder")
struct QRCodeTests {
    static let levels: [(name: String, level: QRCode.ErrorCorrection)] = [
        ("L", .low), ("M", .medium), ("Q", .quartile), ("H", .high),
    ]

    static let samples: [(name: String, text: String)] = [
        ("ascii", "Hello, world! 0123456789"),
        ("thai", "เทศบาลตำบลทดสอบ: ยืนยันตัวตนเจ้าหน้าที่ด้วยแอปยืนยันตัวตน"),
        (
            "otpauth",
            "otpauth://totp/%E0%B9%80%E0%B8%97%E0%B8%A8%E0%B8%9A%E0%B8%B2%E0%B8%A5:staff%40example.go.th"
                + "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=%E0%B9%80%E0%B8%97%E0%B8%A8%E0%B8%9A%E0%B8%B2%E0%B8%A5"
                + "&algorithm=SHA1&digits=6&period=180"
        ),
        (
            "long",
            String(repeating: "คำร้องเลขที่ 2568/000123 ตรวจสอบได้ที่ https://example.go.th/v/AbC123 ", count: 2)
                + String(repeating: "-0123456789", count: 5) + "/view"
        ),  // 300 bytes
        ("digits", "0123456789012345678901234567890"),  // byte mode here; the library alone would pick numeric
    ]

    // MARK: Exact comparison with python-qrcode

    @Test("matches python-qrcode module for module: samples × levels × versions × masks")
    func matchesReferenceForSamples() throws {
        #expect(Self.samples[3].text.utf8.count == 300)
        var cases: [ReferenceCase] = []
        for (sampleIndex, sample) in Self.samples.enumerated() {
            for (levelIndex, level) in Self.levels.enumerated() {
                let automatic = try QRCode(sample.text, correction: level.level)
                let bumped = min(40, automatic.version + 1 + levelIndex)
                // Two masks per sample and level, so every mask is used for every sample.
                let firstMask = (sampleIndex + 2 * levelIndex) % 8
                for (version, mask) in [(automatic.version, firstMask), (bumped, (firstMask + 1) % 8)] {
                    let code = try QRCode(sample.text, correction: level.level, minVersion: version, mask: mask)
                    #expect(code.version == version && code.mask == mask)
                    cases.append(
                        ReferenceCase(
                            name: "\(sample.name) \(level.name) v\(version) mask \(mask)",
                            level: level.name, code: code, bytes: Array(sample.text.utf8)))
                }
            }
        }
        let matched = try Self.compareWithReference(cases)
        #expect(matched == cases.count)
        #expect(cases.count == Self.samples.count * Self.levels.count * 2)
    }

    @Test("matches python-qrcode's capacity and symbols at full capacity for every version and level")
    func matchesReferenceAtEveryCapacity() throws {
        let output = try Self.runReference(["--capacity"])
        var cases: [ReferenceCase] = []
        var seen = 0
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 3, let level = Self.levels.first(where: { $0.name == fields[0] })?.level,
                let version = Int(fields[1]), let capacity = Int(fields[2])
            else { Issue.record("unexpected capacity line: \(line)"); continue }
            seen += 1
            // Printable ASCII that varies from byte to byte, exactly filling the symbol.
            let text = String(decoding: (0..<capacity).map { UInt8(33 + ($0 * 7 + version * 13) % 94) }, as: UTF8.self)
            let mask = (version + Int(fields[0].utf8.first!)) % 8
            let code = try QRCode(text, correction: level, mask: mask)
            #expect(code.version == version, "\(fields[0]) capacity \(capacity) should need version \(version)")
            #expect(code.size == 17 + 4 * version)
            if version < 40 {
                #expect(try QRCode(text + "x", correction: level, mask: 0).version == version + 1)
            } else {
                #expect(throws: QRCode.Problem.tooLong) { try QRCode(text + "x", correction: level, mask: 0) }
            }
            cases.append(
                ReferenceCase(
                    name: "\(fields[0]) v\(version) full (\(capacity) bytes) mask \(mask)",
                    level: String(fields[0]), code: code, bytes: Array(text.utf8)))
        }
        #expect(seen == 160)
        let matched = try Self.compareWithReference(cases)
        #expect(matched == 160)
    }

    // MARK: Decoding with zbarimg

    @Test("zbarimg decodes every sample at every level with the automatically chosen mask")
    func zbarRoundTrip() throws {
        var decoded = 0
        for sample in Self.samples {
            for level in Self.levels {
                let code = try QRCode(sample.text, correction: level.level)
                let text = try Self.zbarDecode(code)
                #expect(text == sample.text, "\(sample.name) at \(level.name), v\(code.version) mask \(code.mask)")
                if text == sample.text { decoded += 1 }
            }
        }
        #expect(decoded == Self.samples.count * Self.levels.count)
    }

    @Test("zbarimg decodes the otpauth URI with each of the eight masks forced")
    func zbarEveryMask() throws {
        let uri = Self.samples[2].text
        for mask in 0...7 {
            let code = try QRCode(uri, mask: mask)
            #expect(try Self.zbarDecode(code) == uri, "mask \(mask)")
        }
    }

    // MARK: API behaviour

    @Test("too long input throws .tooLong; the limit is 2953 bytes at L and 1273 at H")
    func tooLong() throws {
        #expect(try QRCode(String(repeating: "a", count: 2953), correction: .low).version == 40)
        #expect(throws: QRCode.Problem.tooLong) { try QRCode(String(repeating: "a", count: 2954), correction: .low) }
        #expect(try QRCode(String(repeating: "ก", count: 424), correction: .high).version == 40)  // 1272 bytes
        #expect(throws: QRCode.Problem.tooLong) { try QRCode(String(repeating: "ก", count: 425), correction: .high) }
        // minVersion can push a short text past what fits nowhere else, too.
        #expect(throws: QRCode.Problem.tooLong) {
            try QRCode(String(repeating: "a", count: 2400), correction: .medium, minVersion: 40)
        }
    }

    @Test("defaults, minVersion and geometry")
    func basics() throws {
        let code = try QRCode("hello")
        #expect(code.version == 1 && code.size == 21 && code.correction == .medium)
        #expect((0...7).contains(code.mask))
        let big = try QRCode("hello", minVersion: 7)
        #expect(big.version == 7 && big.size == 45)
        // Finder pattern corners and the quiet zone.
        #expect(code.isDark(x: 0, y: 0) && code.isDark(x: 20, y: 0) && code.isDark(x: 0, y: 20))
        #expect(!code.isDark(x: 7, y: 7) && !code.isDark(x: -1, y: 0) && !code.isDark(x: 21, y: 5))
        // The dark module.
        #expect(big.isDark(x: 8, y: big.size - 8))
        // Empty input is allowed.
        #expect(try QRCode("").version == 1)
    }

    @Test("SVG: no styles, one path, the right viewBox, and it draws exactly the dark modules")
    func svg() throws {
        let code = try QRCode(Self.samples[2].text, correction: .medium)
        let svg = code.svg(moduleSize: 3, border: 4, label: "สแกน <QR> & \"ยืนยัน\"")
        let side = code.size + 8
        #expect(!svg.lowercased().contains("style"))
        #expect(svg.hasPrefix("<svg ") && svg.hasSuffix("</svg>"))
        #expect(svg.contains("viewBox=\"0 0 \(side) \(side)\""))
        #expect(svg.contains("width=\"\(side * 3)\"") && svg.contains("height=\"\(side * 3)\""))
        #expect(svg.contains("role=\"img\""))
        #expect(svg.contains("aria-label=\"สแกน &lt;QR&gt; &amp; &quot;ยืนยัน&quot;\""))
        #expect(svg.components(separatedBy: "<path").count == 2)
        #expect(svg.contains("<path fill=\"#000\" d=\""))

        // Redraw the path ("Mx yhNv1h-Nz" per run) and compare with isDark.
        let d = try #require(svg.components(separatedBy: " d=\"").last?.components(separatedBy: "\"").first)
        var drawn = Set<[Int]>()
        for run in d.split(separator: "z") {
            // "Mx yhNv1h-Nz" → [x, y, N, 1, -N]
            let numbers = run.split(whereSeparator: { "Mhv ".contains($0) }).compactMap { Int($0) }
            try #require(numbers.count == 5 && numbers[3] == 1 && numbers[4] == -numbers[2], "bad run \(run)")
            for dx in 0..<numbers[2] { drawn.insert([numbers[0] + dx - 4, numbers[1] - 4]) }
        }
        var expected = Set<[Int]>()
        for y in 0..<code.size { for x in 0..<code.size where code.isDark(x: x, y: y) { expected.insert([x, y]) } }
        #expect(drawn == expected)

        let bare = code.svg(border: 0, label: "x")
        #expect(bare.contains("viewBox=\"0 0 \(code.size) \(code.size)\"") && bare.contains("width=\"\(code.size * 4)\""))
    }

    @Test("encoding 100 bytes is fast")
    func speed() throws {
        let text = String(repeating: "0123456789", count: 10)
        _ = try QRCode(text)
        let clock = ContinuousClock()
        let rounds = 20
        let elapsed = try clock.measure { for _ in 0..<rounds { _ = try QRCode(text) } }
        let perCode = elapsed / rounds
        // Generous bound for loaded CI machines; a debug build typically takes about a millisecond.
        #expect(perCode < .milliseconds(25), "one 100-byte QR code took \(perCode)")
    }

    // MARK: - Support

    struct ReferenceCase {
        var name: String
        var level: String
        var code: QRCode
        var bytes: [UInt8]
    }

    /// The repository root: `$REPO_ROOT`, else two levels up from this file's folder (Tests/DomainTests).
    static var repoRoot: URL {
        if let root = ProcessInfo.processInfo.environment["REPO_ROOT"], !root.isEmpty {
            return URL(fileURLWithPath: root, isDirectory: true)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// Sends the cases to qr_reference.py in one batch and compares every module; returns how many matched.
    static func compareWithReference(_ cases: [ReferenceCase]) throws -> Int {
        let input =
            cases.map { c in
                "\(c.level) \(c.code.version) \(c.code.mask) " + hex(c.bytes)
            }.joined(separator: "\n") + "\n"
        let output = try runReference(["--batch"], stdin: input)
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false)[...]
        var matched = 0
        for c in cases {
            guard let header = lines.popFirst(), header == "= \(c.code.version) \(c.code.mask) \(c.code.size)" else {
                Issue.record("\(c.name): unexpected reference output header")
                return matched
            }
            var differences: [String] = []
            for y in 0..<c.code.size {
                let row = Array(lines.popFirst() ?? "")
                let mine = (0..<c.code.size).map { c.code.isDark(x: $0, y: y) ? Character("1") : Character("0") }
                if row != mine {
                    let columns = (0..<c.code.size).filter { $0 >= row.count || row[$0] != mine[$0] }
                    differences.append("row \(y) columns \(columns.prefix(12))")
                }
            }
            if differences.isEmpty {
                matched += 1
            } else {
                Issue.record("\(c.name): differs from python-qrcode at \(differences.prefix(5).joined(separator: "; "))")
            }
        }
        return matched
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
        return out
    }

    /// Runs Tests/support/qr_reference.py with the repository's virtualenv Python.
    static func runReference(_ arguments: [String], stdin: String = "") throws -> String {
        let python = repoRoot.appendingPathComponent(".venv/bin/python")
        let script = repoRoot.appendingPathComponent("Tests/support/qr_reference.py")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw TestFailure("\(python.path) is missing: run scripts/install-deps.sh test (it creates .venv with qrcode)")
        }
        let result = try run(python.path, [script.path] + arguments, stdin: Data(stdin.utf8))
        if result.status == 3 {
            throw TestFailure(
                "Python package 'qrcode' is not installed in \(python.path): "
                    + "run scripts/install-deps.sh test (or .venv/bin/python -m pip install qrcode). \(result.stderr)")
        }
        guard result.status == 0 else {
            throw TestFailure("qr_reference.py \(arguments.first ?? "") exited \(result.status): \(result.stderr)")
        }
        return String(decoding: result.stdout, as: UTF8.self)
    }

    /// Renders `code` to a binary PGM (4 px per module, 4-module quiet zone) and decodes it with zbarimg.
    static func zbarDecode(_ code: QRCode) throws -> String {
        guard let zbarimg = findExecutable("zbarimg") else {
            throw TestFailure("zbarimg not found on PATH: install Debian's zbar-tools (scripts/install-deps.sh test)")
        }
        let scale = 4, border = 4
        let side = (code.size + 2 * border) * scale
        var image = Data("P5\n\(side) \(side)\n255\n".utf8)
        image.reserveCapacity(image.count + side * side)
        for py in 0..<side {
            for px in 0..<side {
                image.append(code.isDark(x: px / scale - border, y: py / scale - border) ? 0 : 255)
            }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString).pgm")
        try image.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        // -Sbinary: print the payload bytes as they are, instead of zbar guessing a character set.
        let result = try run(zbarimg, ["--raw", "-q", "-Sbinary", file.path])
        guard result.status == 0 else {
            throw TestFailure("zbarimg found no QR code in v\(code.version) mask \(code.mask) (exit \(result.status)) \(result.stderr)")
        }
        return String(decoding: result.stdout, as: UTF8.self)
    }

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs a program with stdin from and stdout/stderr to temporary files (no pipe buffers to fill up).
    static func run(_ executable: String, _ arguments: [String], stdin: Data = Data()) throws
        -> (status: Int32, stdout: Data, stderr: String)
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qr-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inFile = directory.appendingPathComponent("in"), outFile = directory.appendingPathComponent("out"),
            errFile = directory.appendingPathComponent("err")
        try stdin.write(to: inFile)
        try Data().write(to: outFile)
        try Data().write(to: errFile)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let input = try FileHandle(forReadingFrom: inFile), output = try FileHandle(forWritingTo: outFile),
            errors = try FileHandle(forWritingTo: errFile)
        defer { try? input.close(); try? output.close(); try? errors.close() }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        return (
            process.terminationStatus, try Data(contentsOf: outFile),
            String(decoding: try Data(contentsOf: errFile), as: UTF8.self)
        )
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
