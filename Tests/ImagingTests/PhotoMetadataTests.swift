import Foundation
import Imaging
import Testing

/// Photos from a phone camera in every format a form takes (JPEG, PNG, HEIC, WebP) are stored without their
/// EXIF: a GPS position written into each is found in the input and not in what is stored (parsed back with a
/// reader written here, independent of the library's), and the stored picture still decodes.
@Suite("Photo metadata: every format stored without EXIF or GPS")
struct PhotoMetadataTests {
    static let lat = 16.5791, lng = 100.3012

    /// A little-endian TIFF whose IFD0 points to a GPS IFD with N/E latitude and longitude.
    static func gpsTIFF(lat: Double, lng: Double) -> [UInt8] {
        func rational(_ v: Double) -> [UInt8] {
            let d = Int(v), m = Int((v - Double(d)) * 60), s = Int(((v - Double(d)) * 60 - Double(m)) * 60 * 10_000)
            return Build.le32(d) + Build.le32(1) + Build.le32(m) + Build.le32(1) + Build.le32(s) + Build.le32(10_000)
        }
        let gpsIFD = 8 + 2 + 12 + 4
        let data = gpsIFD + 2 + 4 * 12 + 4
        return Array("II".utf8) + Build.le16(42) + Build.le32(8)
            + Build.le16(1) + Build.le16(0x8825) + Build.le16(4) + Build.le32(1) + Build.le32(gpsIFD) + Build.le32(0)
            + Build.le16(4)
            + Build.le16(1) + Build.le16(2) + Build.le32(2) + Array("N".utf8) + [0, 0, 0]
            + Build.le16(2) + Build.le16(5) + Build.le32(3) + Build.le32(data)
            + Build.le16(3) + Build.le16(2) + Build.le32(2) + Array("E".utf8) + [0, 0, 0]
            + Build.le16(4) + Build.le16(5) + Build.le32(3) + Build.le32(data + 24)
            + Build.le32(0) + rational(lat) + rational(lng)
    }

    /// The GPS position of the first EXIF (TIFF) block that has one; nil if none.
    static func gps(in b: [UInt8]) -> (lat: Double, lng: Double)? {
        for t in tiffOffsets(b) {
            let little = b[t] == 0x49
            func u16(_ o: Int) -> Int? {
                let i = t + o
                guard i >= 0, i + 2 <= b.count else { return nil }
                return little ? Int(b[i]) | Int(b[i + 1]) << 8 : Int(b[i]) << 8 | Int(b[i + 1])
            }
            func u32(_ o: Int) -> Int? {
                guard let a = u16(o), let c = u16(o + 2) else { return nil }
                return little ? a | c << 16 : a << 16 | c
            }
            func entry(_ ifd: Int, _ tag: Int) -> Int? {
                guard let n = u16(ifd), n < 500 else { return nil }
                return (0..<n).map { ifd + 2 + $0 * 12 }.first { u16($0) == tag }
            }
            func degrees(_ e: Int) -> Double? {
                guard let off = u32(e + 8) else { return nil }
                var v = 0.0
                for (k, scale) in [1.0, 60, 3600].enumerated() {
                    guard let n = u32(off + k * 8), let d = u32(off + k * 8 + 4), d != 0 else { return nil }
                    v += Double(n) / Double(d) / scale
                }
                return v
            }
            guard let first = u32(4), let pointer = entry(first, 0x8825), let gpsIFD = u32(pointer + 8),
                let latEntry = entry(gpsIFD, 2), let lngEntry = entry(gpsIFD, 4), let lat = degrees(latEntry), let lng = degrees(lngEntry)
            else { continue }
            return (lat, lng)
        }
        return nil
    }

    /// Every TIFF header whose first directory follows it (offset 8), wherever the format keeps it.
    static func tiffOffsets(_ b: [UInt8]) -> [Int] {
        (0..<max(0, b.count - 8)).filter { i in
            b[i..<(i + 8)].elementsEqual([0x49, 0x49, 0x2A, 0, 8, 0, 0, 0]) || b[i..<(i + 8)].elementsEqual([0x4D, 0x4D, 0, 0x2A, 0, 0, 0, 8])
        }
    }

    /// The PNG with an `eXIf` chunk holding `tiff` after IHDR (any `eXIf` it had is dropped).
    static func png(_ png: [UInt8], exif tiff: [UInt8]) -> [UInt8] {
        var out = Array(png[0..<8])
        var i = 8
        while i + 12 <= png.count {
            let length = Int(png[i]) << 24 | Int(png[i + 1]) << 16 | Int(png[i + 2]) << 8 | Int(png[i + 3])
            let type = String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self)
            let chunk = Array(png[i..<(i + 12 + length)])
            if type != "eXIf" { out += chunk }
            if type == "IHDR" {
                let body = Array("eXIf".utf8) + tiff
                out += Build.be32(tiff.count) + body + Build.be32(Build.crc32(body))
            }
            i += 12 + length
        }
        return out
    }

    /// The extended WebP with its `EXIF` chunk's payload replaced by `tiff`, and the RIFF size fixed.
    static func webp(_ webp: [UInt8], exif tiff: [UInt8]) -> [UInt8] {
        var chunks: [UInt8] = []
        var i = 12
        while i + 8 <= webp.count {
            let size = Int(webp[i + 4]) | Int(webp[i + 5]) << 8 | Int(webp[i + 6]) << 16 | Int(webp[i + 7]) << 24
            let type = String(decoding: webp[i..<(i + 4)], as: UTF8.self)
            let padded = size + (size & 1)
            if type == "EXIF" {
                let payload = tiff + (tiff.count & 1 == 1 ? [0] : [])
                chunks += Array("EXIF".utf8) + Build.le32(tiff.count) + payload
            } else {
                chunks += webp[i..<min(webp.count, i + 8 + padded)]
            }
            i += 8 + padded
        }
        return Array("RIFF".utf8) + Build.le32(4 + chunks.count) + Array("WEBP".utf8) + chunks
    }

    static func offset(of needle: [UInt8], in b: [UInt8]) -> Int? {
        (0...(b.count - needle.count)).first { b[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    static func close(_ a: (lat: Double, lng: Double)?) -> Bool {
        guard let a else { return false }
        return abs(a.lat - lat) < 1e-3 && abs(a.lng - lng) < 1e-3
    }

    @Test("JPEG, PNG, HEIC and WebP with a GPS position: the input carries it, the stored photo does not, and still decodes")
    func everyFormat() throws {
        let tiff = Self.gpsTIFF(lat: Self.lat, lng: Self.lng)
        let jpeg = Build.jpeg(
            try Fixture.bytes("orient6-gps.jpg"), replacingAPP1With: [0xFF, 0xE1] + Build.be16(tiff.count + 8) + Array("Exif".utf8) + [0, 0] + tiff)
        let inputs: [(String, [UInt8], ImageFormat, ImageFormat)] = [
            ("JPEG", jpeg, .jpeg, .jpeg),
            ("PNG", Self.png(try Fixture.bytes("red-blue.png"), exif: tiff), .png, .png),
            ("WebP", Self.webp(try Fixture.bytes("orient3.webp"), exif: tiff), .webp, .jpeg),
        ]
        for (name, input, format, stored) in inputs {
            #expect(Self.close(Self.gps(in: input)), "\(name): the test input carries the GPS position")
            _ = try GDImage.load(input, as: format)  // the doctored input is still a valid picture
            let out = try PhotoMetadata.cleaned(input, format: format)
            #expect(out.format == stored, "\(name) is stored as \(stored)")
            #expect(Self.gps(in: out.bytes) == nil && Self.tiffOffsets(out.bytes).isEmpty, "\(name): no EXIF left")
            let back = try GDImage.load(out.bytes, as: out.format)
            #expect(back.width > 0 && back.height > 0)
        }
        // HEIC as a phone writes it: an Exif item (Orientation 6) besides the picture, rotated in the container; stored
        // as a JPEG without it, turned once (libheif applies irot; the Exif value is not applied again).
        let heic = try Fixture.bytes("irot-exif6.heic")
        #expect(!Self.tiffOffsets(heic).isEmpty, "the HEIC fixture carries an Exif block")
        let out = try PhotoMetadata.cleaned(heic, format: .heif)
        #expect(out.format == .jpeg && Self.tiffOffsets(out.bytes).isEmpty)
        let upright = try GDImage.load(out.bytes, as: .jpeg)
        #expect(upright.width == 64 && upright.height == 48, "turned once: \(upright.width)×\(upright.height)")
    }

    @Test("a HEIC grid (as phones write) is sized by its own description: 8000 × 6000 behind a 48 × 64 ispe is refused before decoding")
    func heicGridSize() throws {
        for name in ["plain.heic", "irot-exif6.heic"] {
            var heic = try Fixture.bytes(name)
            let stored = try ImageHeader.dimensions(of: heic, format: .heif)
            let idat = try #require(Self.offset(of: Array("idat".utf8), in: heic), "\(name) keeps its grid in idat")
            let grid = idat + 4  // version 0, flags 0 (16-bit sizes), rows − 1, columns − 1, output width, output height
            #expect(heic[grid] == 0 && heic[grid + 1] & 1 == 0)
            let output = (Int(heic[grid + 4]) << 8 | Int(heic[grid + 5]), Int(heic[grid + 6]) << 8 | Int(heic[grid + 7]))
            #expect(output.0 * output.1 == stored.width * stored.height, "\(name): the grid and ispe agree (\(output) vs \(stored))")
            heic.replaceSubrange((grid + 4)..<(grid + 8), with: Build.be16(8000) + Build.be16(6000))
            let claimed = try ImageHeader.dimensions(of: heic, format: .heif)
            #expect(claimed.width == 8000 && claimed.height == 6000)
            #expect(throws: ImagingError.tooManyPixels(width: 8000, height: 6000)) {
                try PhotoMetadata.cleaned(heic, format: .heif, maxPixels: 40_000_000)
            }
            // A grid description cut short is refused too, never decoded at an unknown size.
            var cut = try Fixture.bytes(name)
            cut.replaceSubrange((idat - 4)..<idat, with: Build.be32(8 + 3))
            #expect(throws: ImagingError.self) { try ImageHeader.check(cut, format: .heif, maxPixels: 40_000_000) }
        }
    }

    @Test("what is not a picture of its format is refused, never stored")
    func refused() throws {
        #expect(throws: ImagingError.self) { try PhotoMetadata.cleaned([], format: .png) }
        #expect(throws: ImagingError.self) { try PhotoMetadata.cleaned(Array("not a picture at all".utf8), format: .webp) }
        #expect(throws: ImagingError.self) { try PhotoMetadata.cleaned(Array(try Fixture.bytes("plain.heic").prefix(100)), format: .heif) }
    }
}
