import Foundation
import Imaging
import Testing

/// JPEG attachments lose their metadata (EXIF with GPS, XMP, comments, what follows the end marker) and keep
/// the picture: byte for byte when no turn is needed, decoded and turned upright when EXIF turned it.
@Suite("JPEG metadata stripping")
struct JPEGMetadataTests {
    static func has(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// SOI, then `segments` (marker, payload), then the fixture's own segments from its first DQT on.
    static func withSegments(_ segments: [(UInt8, [UInt8])], base: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8]
        for (marker, payload) in segments { out += [0xFF, marker] + Build.be16(payload.count + 2) + payload }
        let dqt = (2..<(base.count - 1)).first { base[$0] == 0xFF && base[$0 + 1] == 0xDB }!
        return out + base[dqt...]
    }

    @Test("EXIF, XMP and comments go; JFIF, ICC, Adobe, tables and scan stay byte for byte; trailing data goes")
    func stripped() throws {
        let base = try Fixture.bytes("orient6-gps.jpg")
        let icc = Array("ICC_PROFILE\0".utf8) + [1, 1, 0, 0]
        let adobe = Array("Adobe".utf8) + [0, 100, 0, 0, 0, 0, 1]
        let xmp = Array("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>GPS 13.75</x:xmpmeta>".utf8)
        let jfif = Array("JFIF\0".utf8) + [1, 1, 0, 0, 1, 0, 1, 0, 0]
        let input =
            Self.withSegments(
                [
                    (0xE0, jfif), (0xE1, Array("Exif\0\0".utf8) + [0x88, 0x25]), (0xE1, xmp), (0xE2, icc),
                    (0xEE, adobe), (0xFE, Array("taken at home".utf8)), (0xED, Array("Photoshop 3.0\0".utf8)),
                ],
                base: base) + Array("trailing MPF picture Exif".utf8)
        let out = try JPEGMetadata.stripped(input)
        #expect(!Self.has(out, Array("Exif".utf8)) && !Self.has(out, Array("GPS".utf8)) && !Self.has(out, Array("home".utf8)))
        #expect(!Self.has(out, Array("Photoshop".utf8)) && !Self.has(out, Array("trailing".utf8)))
        let kept = Self.withSegments([(0xE0, jfif), (0xE2, icc), (0xEE, adobe)], base: base)
        let end = (0..<(kept.count - 1)).last { kept[$0] == 0xFF && kept[$0 + 1] == 0xD9 }!
        #expect(out == Array(kept[...(end + 1)]))
        let image = try GDImage.decode(out, as: .jpeg)
        #expect(image.width == 64 && image.height == 48)
    }

    @Test("an EXIF turn is applied: orientation 6 comes out upright and without EXIF; orientation 1 keeps its bytes")
    func cleaned() throws {
        let turned = try JPEGMetadata.cleaned(try Fixture.bytes("orient6-gps.jpg"))
        #expect(!Self.has(turned, Array("Exif".utf8)))
        #expect(ImageOrientation(of: turned, format: .jpeg) == .identity)
        let image = try GDImage.decode(turned, as: .jpeg)
        #expect(image.width == 48 && image.height == 64)
        let plain = Self.withSegments([], base: try Fixture.bytes("orient6-gps.jpg"))
        #expect(try JPEGMetadata.cleaned(plain) == plain)
    }

    @Test("broken or cut-off JPEGs are refused, never trapped on")
    func broken() throws {
        let base = try Fixture.bytes("orient6-gps.jpg")
        #expect(throws: ImagingError.self) { try JPEGMetadata.stripped(Array(base.prefix(base.count - 2))) }
        #expect(throws: ImagingError.self) { try JPEGMetadata.stripped(Array(base.prefix(30))) }
        #expect(throws: ImagingError.self) { try JPEGMetadata.stripped([0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF]) }
        #expect(throws: ImagingError.self) { try JPEGMetadata.stripped([]) }
        #expect(throws: ImagingError.self) { try JPEGMetadata.cleaned(Array("not a jpeg at all".utf8)) }
        for cut in stride(from: 2, to: base.count, by: 7) { _ = try? JPEGMetadata.stripped(Array(base.prefix(cut))) }
    }
}
