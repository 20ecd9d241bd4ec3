import Imaging
import Testing

/// Cut, flipped and random bytes of every format: each must give an ImagingError or a valid image, never a
/// crash (a trap or a libgd fault would end the test process).
@Suite("Garbage in, error out")
struct RobustnessTests {
    static let samples: [(String, ImageFormat)] = [
        ("orient6-gps.jpg", .jpeg), ("red-blue.png", .png), ("orient8.png", .png), ("lossy.webp", .webp),
        ("lossless.webp", .webp), ("orient3.webp", .webp), ("plain.heic", .heif), ("irot-exif6.heic", .heif),
        ("plain.avif", .avif), ("plain.gif", .gif),
    ]

    static let marker = Result { try IdentityWatermark(text: "ใช้สำหรับยืนยันตัวตนเท่านั้น") }

    /// Marks the bytes; returns "ok" or the error's name. Anything else than ImagingError fails the test.
    static func attempt(_ bytes: [UInt8], _ format: ImageFormat) throws -> String {
        do {
            let marked = try marker.get().mark(bytes, format: format, maxPixels: 4_000_000)
            #expect(marked.jpeg.starts(with: [0xFF, 0xD8]))
            return "ok"
        } catch let error as ImagingError {
            return "\(error)"
        }
    }

    @Test("every prefix of every sample", arguments: samples)
    func truncated(_ sample: (String, ImageFormat)) throws {
        let bytes = try Fixture.bytes(sample.0)
        var refused = 0
        for n in 0..<bytes.count where try Self.attempt(Array(bytes.prefix(n)), sample.1) != "ok" { refused += 1 }
        #expect(refused > bytes.count / 2, "\(sample.0): only \(refused) of \(bytes.count) prefixes refused")
        #expect(try Self.attempt(bytes, sample.1) == "ok")
    }

    @Test("random byte flips, inserts and deletions", arguments: samples)
    func mutated(_ sample: (String, ImageFormat)) throws {
        let bytes = try Fixture.bytes(sample.0)
        var random = SeededRandom(state: UInt64(bytes.count))
        for _ in 0..<300 {
            var b = bytes
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let i = Int.random(in: 0..<b.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: b[i] = UInt8.random(in: 0...255, using: &random)
                case 1: b[i] ^= 1 << UInt8.random(in: 0..<8, using: &random)
                case 2: b.insert(UInt8.random(in: 0...255, using: &random), at: i)
                default: if b.count > 1 { b.remove(at: i) }
                }
            }
            _ = try Self.attempt(b, sample.1)
        }
    }

    @Test("pure noise and every format's bytes labelled as every other format")
    func noiseAndMislabels() throws {
        var random = SeededRandom(state: 42)
        for format in ImageFormat.allCases {
            for length in [1, 2, 7, 64, 1000] {
                let noise = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                #expect(try Self.attempt(noise, format) != "ok")
            }
            // (libheif also reads AVIF, so HEIF and AVIF are not mislabels of each other.)
            for (name, actual) in Self.samples where actual != format && !([actual, format].allSatisfy { $0 == .heif || $0 == .avif }) {
                #expect(try Self.attempt(try Fixture.bytes(name), format) != "ok", "\(name) as \(format)")
            }
        }
        #expect(try Self.attempt([], .jpeg) == "\(ImagingError.empty)")
    }
}
