import Imaging
import Testing

/// Every fixture stores 64 × 48 blue pixels with a red 16 × 12 block in the stored top-left corner.
@Suite("EXIF orientation: read from JPEG, PNG and WebP, applied once after decoding")
struct OrientationTests {
    @Test("the Orientation tag is read from each container")
    func read() throws {
        #expect(ImageOrientation(of: try Fixture.bytes("orient6-gps.jpg"), format: .jpeg) == .rotate90Clockwise)
        #expect(ImageOrientation(of: try Fixture.bytes("orient8.png"), format: .png) == .rotate90CounterClockwise)
        #expect(ImageOrientation(of: try Fixture.bytes("orient3.webp"), format: .webp) == .rotate180)
        #expect(ImageOrientation(of: try Fixture.bytes("red-blue.png"), format: .png) == .identity)
        #expect(ImageOrientation(of: try Fixture.bytes("lossy.webp"), format: .webp) == .identity)
        // HEIF: the container's irot is applied by libheif; the Exif copy is deliberately not read.
        #expect(ImageOrientation(of: try Fixture.bytes("irot-exif6.heic"), format: .heif) == .identity)
    }

    @Test("JPEG Orientation 6 with GPS: width and height swap, the red corner lands top-right")
    func jpegRotate90() throws {
        let image = try GDImage.load(try Fixture.bytes("orient6-gps.jpg"), as: .jpeg)
        #expect(image.width == 48 && image.height == 64)
        #expect(image.isRed(45, 3))
        #expect(image.isBlue(3, 3) && image.isBlue(45, 60) && image.isBlue(3, 60))
    }

    @Test("PNG eXIf Orientation 8: turned counter-clockwise, red bottom-left")
    func pngRotate270() throws {
        let image = try GDImage.load(try Fixture.bytes("orient8.png"), as: .png)
        #expect(image.width == 48 && image.height == 64)
        #expect(image.isRed(3, 60))
        #expect(image.isBlue(3, 3) && image.isBlue(45, 3) && image.isBlue(45, 60))
    }

    @Test("WebP EXIF Orientation 3: turned half round, red bottom-right")
    func webpRotate180() throws {
        let image = try GDImage.load(try Fixture.bytes("orient3.webp"), as: .webp)
        #expect(image.width == 64 && image.height == 48)
        #expect(image.isRed(60, 45))
        #expect(image.isBlue(3, 3))
    }

    @Test("HEIC with irot and Exif Orientation 6 (as phones write it): libheif turns it once, we do not turn it again")
    func heifNotTwice() throws {
        let image = try GDImage.load(try Fixture.bytes("irot-exif6.heic"), as: .heif)
        // Stored 48 × 64 (ispe); irot makes it 64 × 48 with red top-left again. Applying Exif too would give 48 × 64.
        #expect(image.width == 64 && image.height == 48)
        #expect(image.isRed(3, 3) && image.isBlue(60, 3) && image.isBlue(3, 45))
        let plain = try GDImage.load(try Fixture.bytes("plain.heic"), as: .heif)
        #expect(plain.width == 64 && plain.height == 48 && plain.isRed(3, 3))
    }

    /// Where stored pixel (sx, sy) of a w × h image is shown, per the EXIF specification's wording.
    static func shown(_ o: Int, _ sx: Int, _ sy: Int, _ w: Int, _ h: Int) -> (Int, Int) {
        switch o {
        case 2: (w - 1 - sx, sy)  // mirrored left-right
        case 3: (w - 1 - sx, h - 1 - sy)  // half turn
        case 4: (sx, h - 1 - sy)  // mirrored top-bottom
        case 5: (sy, sx)  // mirrored along the main diagonal
        case 6: (h - 1 - sy, sx)  // quarter turn clockwise
        case 7: (h - 1 - sy, w - 1 - sx)  // mirrored along the other diagonal
        case 8: (sy, w - 1 - sx)  // quarter turn counter-clockwise
        default: (sx, sy)
        }
    }

    @Test("all 8 orientations, in little- and big-endian TIFF", arguments: 1...8, [true, false])
    func allEight(orientation: Int, littleEndian: Bool) throws {
        let source = try Fixture.bytes("orient6-gps.jpg")
        let jpeg = Build.jpeg(source, replacingAPP1With: Build.exifSegment(orientation: orientation, littleEndian: littleEndian))
        #expect(ImageOrientation(of: jpeg, format: .jpeg).rawValue == orientation)
        let image = try GDImage.load(jpeg, as: .jpeg)
        let turned = orientation >= 5
        #expect(image.width == (turned ? 48 : 64) && image.height == (turned ? 64 : 48))
        // Sample inside the red block (stored 3…12 × 3…8) and in three blue corners.
        let red = Self.shown(orientation, 6, 5, 64, 48)
        #expect(image.isRed(red.0, red.1), "orientation \(orientation): red at \(red)")
        for (sx, sy) in [(60, 3), (3, 44), (60, 44)] {
            let blue = Self.shown(orientation, sx, sy, 64, 48)
            #expect(image.isBlue(blue.0, blue.1), "orientation \(orientation): blue at \(blue)")
        }
    }

    @Test("a broken or out-of-range Orientation is ignored, not trusted")
    func brokenTag() throws {
        let source = try Fixture.bytes("orient6-gps.jpg")
        for value in [0, 9, 0xFFFF] {
            let jpeg = Build.jpeg(source, replacingAPP1With: Build.exifSegment(orientation: value, littleEndian: true))
            #expect(ImageOrientation(of: jpeg, format: .jpeg) == .identity)
        }
        var segment = Build.exifSegment(orientation: 6, littleEndian: false)
        segment[10 + 4] = 0xFF  // IFD0 offset now points far past the end
        let jpeg = Build.jpeg(source, replacingAPP1With: segment)
        #expect(ImageOrientation(of: jpeg, format: .jpeg) == .identity)
        #expect(try GDImage.load(jpeg, as: .jpeg).width == 64)
    }
}
