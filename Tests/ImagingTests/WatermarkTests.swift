import Foundation
import Imaging
import Testing

@Suite("Identity watermark")
struct WatermarkTests {
    static let text = "ใช้สำหรับยืนยันตัวตนกับ เทศบาลตำบลบางกระทุ่ม เท่านั้น 1 ธ.ค. 2569"

    /// A light grey JPEG, like the paper of a copied card.
    static func grey(_ width: Int, _ height: Int) throws -> [UInt8] {
        try GDImage.filled(width: width, height: height, red: 225, green: 228, blue: 232).encodeJPEG(quality: 95)
    }

    /// Pixels the watermark changed (any channel moved by more than 40 from the grey input).
    static func marked(_ image: GDImage) -> (Int, Int) -> Bool {
        { x, y in
            let c = image.rgb(x: x, y: y)
            return abs(Int(c.red) - 225) > 40 || abs(Int(c.green) - 228) > 40 || abs(Int(c.blue) - 232) > 40
        }
    }

    static let sizes: [(Int, Int)] = [(640, 480), (480, 640), (1600, 1200), (120, 90), (40, 30), (2000, 150)]

    @Test("marks cover the image from corner to corner and both diagonals cross them", arguments: sizes)
    func coverage(size: (Int, Int)) throws {
        let (w, h) = size
        let marked = try IdentityWatermark(text: Self.text).mark(try Self.grey(w, h), format: .jpeg)
        #expect(marked.width == w && marked.height == h)
        let image = try GDImage.decode(marked.jpeg, as: .jpeg)
        let isMarked = Self.marked(image)

        // Both diagonals pass through marked pixels, in each third of their length.
        for thirds in 0..<3 {
            let steps = (thirds * 200)..<((thirds + 1) * 200)
            let falling = steps.filter { i in isMarked(i * (w - 1) / 599, i * (h - 1) / 599) }.count
            let rising = steps.filter { i in isMarked(i * (w - 1) / 599, (h - 1) - i * (h - 1) / 599) }.count
            #expect(falling > 0 && rising > 0, "\(w)×\(h), third \(thirds): falling \(falling), rising \(rising)")
        }
        // Marked pixels reach every edge and every corner region.
        let layout = IdentityWatermark.Layout(width: w, height: h)
        let reach = Int(2.5 * layout.em)  // a corner region: within 2.5 em of the corner
        var minX = w, maxX = 0, minY = h, maxY = 0
        var corners = [false, false, false, false]
        for y in 0..<h {
            for x in 0..<w where isMarked(x, y) {
                minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
                let left = x < reach, right = x >= w - reach, top = y < reach, bottom = y >= h - reach
                if left && top { corners[0] = true }
                if right && top { corners[1] = true }
                if left && bottom { corners[2] = true }
                if right && bottom { corners[3] = true }
            }
        }
        #expect(minX <= 1 && maxX >= w - 2 && minY <= 1 && maxY >= h - 2, "\(w)×\(h): marks span \(minX)…\(maxX) × \(minY)…\(maxY)")
        #expect(corners == [true, true, true, true], "\(w)×\(h): corner regions marked \(corners)")
    }

    @Test("the band is translucent: the picture shows through the lines and the text")
    func translucent() throws {
        // On black, an opaque mark would be the full colour (170, 20, 20); translucent it is darker.
        let black = try GDImage.filled(width: 400, height: 300, red: 0, green: 0, blue: 0).encodeJPEG(quality: 95)
        let image = try GDImage.decode(try IdentityWatermark(text: Self.text).mark(black, format: .jpeg).jpeg, as: .jpeg)
        var brightest = 0
        for y in stride(from: 0, to: 300, by: 2) { for x in stride(from: 0, to: 400, by: 2) { brightest = max(brightest, Int(image.rgb(x: x, y: y).red)) } }
        #expect(brightest > 60 && brightest < 130, "strongest red \(brightest)")
    }

    @Test("the text is drawn between the lines (not only the lines)")
    func textDrawn() throws {
        let grey = try Self.grey(800, 600)
        let withText = try IdentityWatermark(text: Self.text).mark(grey, format: .jpeg)
        let linesOnly = try IdentityWatermark(text: "").mark(grey, format: .jpeg)
        let a = try GDImage.decode(withText.jpeg, as: .jpeg), b = try GDImage.decode(linesOnly.jpeg, as: .jpeg)
        let isMarkedA = Self.marked(a), isMarkedB = Self.marked(b)
        var textPixels = 0
        for y in stride(from: 0, to: 600, by: 2) { for x in stride(from: 0, to: 800, by: 2) where isMarkedA(x, y) && !isMarkedB(x, y) { textPixels += 1 } }
        #expect(textPixels > 2000, "text pixels: \(textPixels)")
    }

    @Test("no metadata survives: the JPEG with GPS comes out without EXIF, GPS or APP1, upright")
    func noMetadata() throws {
        let input = try Fixture.bytes("orient6-gps.jpg")
        #expect(input.contains("Exif") && input.contains("TestPhone"))
        let marked = try IdentityWatermark(text: Self.text).mark(input, format: .jpeg)
        #expect(marked.width == 48 && marked.height == 64)
        #expect(marked.jpeg.starts(with: [0xFF, 0xD8, 0xFF]))
        #expect(!marked.jpeg.contains("Exif") && !marked.jpeg.contains("GPS") && !marked.jpeg.contains("TestPhone"))
        #expect(!Build.jpegMarkers(marked.jpeg).contains { $0.0 == 0xE1 }, "no APP1 segment")
        #expect(ImageOrientation(of: marked.jpeg, format: .jpeg) == .identity)
        let decoded = try GDImage.decode(marked.jpeg, as: .jpeg)
        #expect(decoded.width == 48 && decoded.height == 64)
    }

    @Test(
        "every accepted format comes out as a marked, upright JPEG",
        arguments: [
            ("red-blue.png", ImageFormat.png, 64, 48), ("orient8.png", .png, 48, 64), ("lossy.webp", .webp, 64, 48),
            ("lossless.webp", .webp, 64, 48), ("orient3.webp", .webp, 64, 48), ("plain.heic", .heif, 64, 48),
            ("irot-exif6.heic", .heif, 64, 48), ("plain.gif", .gif, 64, 48), ("plain.avif", .avif, 64, 48),
        ])
    func formats(_ fixture: (String, ImageFormat, Int, Int)) throws {
        let marked = try IdentityWatermark(text: Self.text).mark(try Fixture.bytes(fixture.0), format: fixture.1)
        #expect(marked.width == fixture.2 && marked.height == fixture.3)
        #expect(try GDImage.decode(marked.jpeg, as: .jpeg).width == fixture.2)
    }

    @Test("a transparent PNG is put on white, not black")
    func transparency() throws {
        // RGBA PNG, fully transparent black, built by hand: IHDR colour type 6, one zlib-stored IDAT.
        let w = 8, h = 8
        var raw: [UInt8] = []
        for _ in 0..<h { raw += [0] + [UInt8](repeating: 0, count: 4 * w) }
        let png = Self.png(width: w, height: h, colourType: 6, raw: raw)
        let image = try GDImage.load(png, as: .png)
        #expect(image.rgb(x: 4, y: 4) == (255, 255, 255))
    }

    static func png(width: Int, height: Int, colourType: UInt8, raw: [UInt8]) -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return Build.be32(data.count) + body + Build.be32(Build.crc32(body))
        }
        // zlib: header, one stored block, Adler-32
        var a = 1, b = 0
        for byte in raw { a = (a + Int(byte)) % 65521; b = (b + a) % 65521 }
        let zlib: [UInt8] = [0x78, 0x01, 0x01] + Build.le16(raw.count) + Build.le16(~raw.count & 0xFFFF) + raw + Build.be32(b << 16 | a)
        let ihdr = Build.be32(width) + Build.be32(height) + [8, colourType, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", zlib) + chunk("IEND", [])
    }

    @Test("the font: default Loma, an override, a clear error when missing or not a font")
    func font() throws {
        #expect(try WatermarkFont.locate() == WatermarkFont.lomaPath)
        #expect(try IdentityWatermark(text: "x").fontPath == WatermarkFont.lomaPath)
        let garuda = "/usr/share/fonts/truetype/tlwg/Garuda.ttf"
        #expect(try IdentityWatermark(text: "x", fontPath: garuda).fontPath == garuda)
        #expect(throws: ImagingError.fontMissing(path: "/nonexistent/Loma.ttf")) {
            try IdentityWatermark(text: "x", fontPath: "/nonexistent/Loma.ttf")
        }
        let notAFont = Fixture.directory.appendingPathComponent("sample.pdf").path
        #expect {
            try IdentityWatermark(text: "x", fontPath: notAFont)
        } throws: { error in
            if case ImagingError.fontUnusable(let path, _) = error { return path == notAFont }
            return false
        }
    }

    @Test("text size follows the image, never under 24 px per em")
    func layout() {
        #expect(IdentityWatermark.Layout(width: 4000, height: 3000).em == 125)
        #expect(IdentityWatermark.Layout(width: 3000, height: 4000).em == 125)
        #expect(IdentityWatermark.Layout(width: 320, height: 240).em == 24)
        let l = IdentityWatermark.Layout(width: 4000, height: 3000)
        #expect(abs(l.angle - atan2(3000.0, 4000.0)) < 1e-9, "bands follow the rising diagonal")
        // The outermost bands pass through the corners (0, 0) and (w, h).
        #expect(abs(Double(l.bandsEachSide) * l.period - (2000 * sin(l.angle) + 1500 * cos(l.angle))) < 1e-6)
    }

    @Test("images are marked concurrently (gd's font cache is shared)")
    func concurrent() async throws {
        let grey = try Self.grey(300, 200)
        let marker = try IdentityWatermark(text: Self.text)
        let sizes = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try marker.mark(grey, format: .jpeg).jpeg.count } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(sizes.count == 8 && Set(sizes).count == 1, "same input, same output")
    }
}
