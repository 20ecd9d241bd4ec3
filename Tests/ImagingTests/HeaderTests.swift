import Imaging
import Testing

@Suite("Image headers: size without decoding")
struct HeaderTests {
    static let fixtures: [(String, ImageFormat, Int, Int)] = [
        ("red-blue.png", .png, 64, 48),
        ("orient8.png", .png, 64, 48),
        ("orient6-gps.jpg", .jpeg, 64, 48),
        ("lossy.webp", .webp, 64, 48),  // VP8
        ("lossless.webp", .webp, 64, 48),  // VP8L
        ("orient3.webp", .webp, 64, 48),  // VP8X
        ("plain.heic", .heif, 64, 48),
        ("irot-exif6.heic", .heif, 48, 64),  // stored turned; irot turns it back on decode
        ("plain.avif", .avif, 64, 48),
        ("plain.gif", .gif, 64, 48),
    ]

    @Test("every format's header gives the stored size", arguments: fixtures)
    func dimensions(_ fixture: (String, ImageFormat, Int, Int)) throws {
        let bytes = try Fixture.bytes(fixture.0)
        let size = try ImageHeader.dimensions(of: bytes, format: fixture.1)
        #expect(size.width == fixture.2 && size.height == fixture.3)
    }

    @Test("a header cut short is refused, at every length", arguments: fixtures)
    func truncatedHeader(_ fixture: (String, ImageFormat, Int, Int)) throws {
        let bytes = try Fixture.bytes(fixture.0)
        // Bytes needed to know the size: through IHDR and its CRC, the VP8 frame header, the GIF screen
        // descriptor, the JPEG frame header, or (ISOBMFF) the whole meta box.
        let known: Int
        switch fixture.1 {
        case .png: known = 33
        case .webp: known = 30
        case .gif: known = 13
        case .jpeg: known = try #require(Build.jpegMarkers(bytes).first { $0.0 == 0xC0 }).1 + 9
        case .heif, .avif: known = 100
        }
        for n in 0..<known {
            #expect(throws: ImagingError.self) { try ImageHeader.dimensions(of: Array(bytes.prefix(n)), format: fixture.1) }
        }
        // ISOBMFF: any cut through a box (the meta box or the media data after it) is refused. A cut exactly
        // between two top-level boxes leaves a well-formed header; libheif then refuses the missing data.
        if fixture.1 == .heif || fixture.1 == .avif {
            var boundaries: Set<Int> = [], i = 0
            while i + 4 <= bytes.count { i += Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]); boundaries.insert(i) }
            for n in stride(from: 16, to: bytes.count, by: 3) where !boundaries.contains(n) {
                #expect(throws: ImagingError.badHeader(fixture.1)) { try ImageHeader.dimensions(of: Array(bytes.prefix(n)), format: fixture.1) }
            }
        }
    }

    @Test("a PNG whose IHDR claims 50,000 × 50,000 is refused before decoding")
    func hugePNG() throws {
        let header = Build.pngHeader(width: 50_000, height: 50_000)
        #expect(try ImageHeader.dimensions(of: header, format: .png) == (50_000, 50_000))
        #expect(throws: ImagingError.tooManyPixels(width: 50_000, height: 50_000)) {
            try ImageHeader.check(header, format: .png, maxPixels: 40_000_000)
        }
        // Decoding would fail (there is no image data): tooManyPixels shows nothing was decoded.
        let marker = try IdentityWatermark(text: "ทดสอบ")
        #expect(throws: ImagingError.tooManyPixels(width: 50_000, height: 50_000)) {
            try marker.mark(header + Build.be32(0) + Array("IEND".utf8) + Build.be32(0xAE42_6082), format: .png)
        }
        #expect(throws: ImagingError.tooManyPixels(width: 50_000, height: 50_000)) { try GDImage.load(header, as: .png) }
        // Exactly at the limit passes the header check; one column more does not.
        #expect(try ImageHeader.check(Build.pngHeader(width: 8000, height: 5000), format: .png, maxPixels: 40_000_000) == (8000, 5000))
        #expect(throws: ImagingError.tooManyPixels(width: 8001, height: 5000)) {
            try ImageHeader.check(Build.pngHeader(width: 8001, height: 5000), format: .png, maxPixels: 40_000_000)
        }
    }

    @Test("garbled headers are refused: bad CRC, zero size, wrong chunk, wrong magic")
    func garbled() throws {
        var png = Build.pngHeader(width: 100, height: 100)
        png[20] ^= 0x01  // size changed, CRC no longer matches
        #expect(throws: ImagingError.badHeader(.png)) { try ImageHeader.dimensions(of: png, format: .png) }
        #expect(throws: ImagingError.badHeader(.png)) { try ImageHeader.dimensions(of: Build.pngHeader(width: 0, height: 10), format: .png) }

        var webp = try Fixture.bytes("lossy.webp")
        webp[23] = 0  // VP8 start code
        #expect(throws: ImagingError.badHeader(.webp)) { try ImageHeader.dimensions(of: webp, format: .webp) }

        var heic = try Fixture.bytes("plain.heic")
        heic[4] = UInt8(ascii: "x")  // not ftyp
        #expect(throws: ImagingError.badHeader(.heif)) { try ImageHeader.dimensions(of: heic, format: .heif) }

        let text = try Fixture.bytes("not-really.jpg")
        for format in ImageFormat.allCases {
            #expect(throws: ImagingError.self) { try ImageHeader.dimensions(of: text, format: format) }
        }
        #expect(throws: ImagingError.empty) { try ImageHeader.dimensions(of: [], format: .jpeg) }
    }

    @Test("JPEG: APPn segments are skipped whole, so a thumbnail's frame header inside them is not taken")
    func jpegSkipsAPPn() throws {
        let jpeg = try Fixture.bytes("orient6-gps.jpg")
        // An APP1 whose payload looks like a 16 × 16 SOF0, as an embedded thumbnail's would.
        let fakeSOF: [UInt8] = [0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x10, 0x03]
        let payload = Array("Thumb\0".utf8) + fakeSOF + [UInt8](repeating: 0, count: 20)
        let app1: [UInt8] = [0xFF, 0xE1] + Build.be16(payload.count + 2) + payload
        let tricky = [0xFF, 0xD8] + app1 + jpeg[2...]
        #expect(try ImageHeader.dimensions(of: tricky, format: .jpeg) == (64, 48))
        // Fill bytes (extra 0xFF) before a marker are allowed, and stray bytes between segments are skipped
        // (libjpeg decodes such files with a warning, so the size check must read them too).
        let filled = [0xFF, 0xD8, 0xFF, 0xFF] + jpeg[2...]
        #expect(try ImageHeader.dimensions(of: filled, format: .jpeg) == (64, 48))
        let stray = [0xFF, 0xD8, 0x00, 0x00] + jpeg[2...]
        #expect(try ImageHeader.check(stray, format: .jpeg, maxPixels: 1 << 30) == (64, 48))
        #expect(try GDImage.load(stray, as: .jpeg).width == 48)
    }

    @Test("a JPEG cut anywhere in its scan data is refused as truncated; trailing data after EOI is fine")
    func truncatedJPEG() throws {
        let jpeg = try Fixture.bytes("orient6-gps.jpg")
        let sos = try #require(Build.jpegMarkers(jpeg).first { $0.0 == 0xDA }).1
        for n in stride(from: sos + 20, to: jpeg.count - 1, by: 9) {
            #expect(throws: ImagingError.truncated(.jpeg)) { try ImageHeader.check(Array(jpeg.prefix(n)), format: .jpeg, maxPixels: 1 << 30) }
            #expect(throws: ImagingError.truncated(.jpeg)) { try GDImage.load(Array(jpeg.prefix(n)), as: .jpeg) }
        }
        #expect(try ImageHeader.check(jpeg + Array("trailing junk".utf8), format: .jpeg, maxPixels: 1 << 30) == (64, 48))
    }

    @Test("WebP VP8X and HEIF ispe sizes over the limit are refused")
    func hugeWebPAndHEIF() throws {
        // VP8X canvas 10,000 × 10,000 (stored minus one, 24-bit little-endian)
        var webp = try Fixture.bytes("orient3.webp")
        let big: [UInt8] = [0x0F, 0x27, 0x00]  // 9999
        webp.replaceSubrange(24..<27, with: big)
        webp.replaceSubrange(27..<30, with: big)
        #expect(throws: ImagingError.tooManyPixels(width: 10_000, height: 10_000)) {
            try ImageHeader.check(webp, format: .webp, maxPixels: 40_000_000)
        }
        // heif-enc stores the picture as a grid item (the primary, 64 × 48) over a padded tile: patch every ispe.
        var heic = try Fixture.bytes("plain.heic")
        let ispes = (0..<(heic.count - 4)).filter { Array(heic[$0..<($0 + 4)]) == Array("ispe".utf8) }
        #expect(ispes.count == 2)
        for ispe in ispes { heic.replaceSubrange((ispe + 8)..<(ispe + 16), with: Build.be32(30_000) + Build.be32(20_000)) }
        #expect(throws: ImagingError.tooManyPixels(width: 30_000, height: 20_000)) {
            try ImageHeader.check(heic, format: .heif, maxPixels: 40_000_000)
        }
    }
}
