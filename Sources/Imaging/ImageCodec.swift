import CGD

/// Raster formats libgd can read here. Which one a file is comes from `FileTypeSniffer`, never from its name.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png, jpeg, webp, heif, avif, gif

    public init?(mimeType: String) {
        switch mimeType {
        case "image/png": self = .png
        case "image/jpeg": self = .jpeg
        case "image/webp": self = .webp
        case "image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence": self = .heif
        case "image/avif": self = .avif
        case "image/gif": self = .gif
        default: return nil
        }
    }
}

/// Why an image was refused. The app maps each case to a message for the citizen.
public enum ImagingError: Error, Equatable, Sendable {
    case empty
    case tooLarge(bytes: Int)
    /// The header is not one of the format: garbled, cut short, or a zero size.
    case badHeader(ImageFormat)
    /// The file stops before its end (a JPEG without its end marker), e.g. an upload cut off.
    case truncated(ImageFormat)
    /// The header claims more pixels than allowed; refused before decoding.
    case tooManyPixels(width: Int, height: Int)
    case decodeFailed(ImageFormat)
    case encodeFailed
    /// libgd could not allocate an image.
    case outOfMemory
    /// The watermark font file is not there or not readable.
    case fontMissing(path: String)
    /// The font file is there but FreeType cannot use it.
    case fontUnusable(path: String, reason: String)
}

/// gd's FreeType font cache must be set up once before threads draw text.
private let fontCacheReady: Bool = gdFontCacheSetup() == 0

/// A decoded image owned by libgd. The pointer never leaves this type; `deinit` frees it.
/// Not Sendable: create, use and drop it on one thread (a blocking-work thread, not an event loop).
public final class GDImage {
    private let image: gdImagePtr

    private init(_ image: gdImagePtr) { self.image = image }

    deinit { gdImageDestroy(image) }

    /// Decodes bytes of a known format. libgd reads from memory and keeps nothing.
    /// Prefer `load`, which checks the header first and applies the orientation.
    public static func decode(_ bytes: [UInt8], as format: ImageFormat) throws -> GDImage {
        guard !bytes.isEmpty else { throw ImagingError.empty }
        guard bytes.count < Int(Int32.max) else { throw ImagingError.tooLarge(bytes: bytes.count) }
        // gd's memory reader only reads the buffer it is given, so the bytes are lent, not copied.
        let decoded: gdImagePtr? = bytes.withUnsafeBytes { raw in
            let size = Int32(raw.count)
            let base = UnsafeMutableRawPointer(mutating: raw.baseAddress)
            switch format {
            case .png: return gdImageCreateFromPngPtr(size, base)
            case .jpeg: return gdImageCreateFromJpegPtr(size, base)
            case .webp: return gdImageCreateFromWebpPtr(size, base)
            case .heif: return gdImageCreateFromHeifPtr(size, base)
            case .avif: return gdImageCreateFromAvifPtr(size, base)
            case .gif: return gdImageCreateFromGifPtr(size, base)
            }
        }
        guard let decoded else { throw ImagingError.decodeFailed(format) }
        return GDImage(decoded)
    }

    /// The upright picture, ready to draw on: header checked against `maxPixels` before anything is decoded,
    /// decoded, made truecolor, transparency flattened onto white (JPEG has none), EXIF orientation applied.
    public static func load(_ bytes: [UInt8], as format: ImageFormat, maxPixels: Int = 40_000_000) throws -> GDImage {
        try ImageHeader.check(bytes, format: format, maxPixels: maxPixels)
        let orientation = ImageOrientation(of: bytes, format: format)
        let image = try decode(bytes, as: format)
        let (pixels, overflow) = image.width.multipliedReportingOverflow(by: image.height)
        guard !overflow, pixels <= maxPixels else { throw ImagingError.tooManyPixels(width: image.width, height: image.height) }
        if image.image.pointee.trueColor == 0 {
            guard gdImagePaletteToTrueColor(image.image) != 0 else { throw ImagingError.outOfMemory }
        }
        if format != .jpeg { image.flattenOntoWhite() }
        return try image.oriented(orientation)
    }

    /// A truecolor image of one colour (placeholders, tests).
    public static func filled(width: Int, height: Int, red: UInt8, green: UInt8, blue: UInt8) throws -> GDImage {
        guard width > 0, height > 0, width < Int(Int32.max), height < Int(Int32.max),
            let created = gdImageCreateTrueColor(Int32(width), Int32(height))
        else { throw ImagingError.outOfMemory }
        let image = GDImage(created)
        let c = Int32(red) << 16 | Int32(green) << 8 | Int32(blue)
        for y in 0..<height {
            let row = created.pointee.tpixels[y]!
            for x in 0..<width { row[x] = c }
        }
        return image
    }

    public var width: Int { Int(image.pointee.sx) }
    public var height: Int { Int(image.pointee.sy) }

    /// RGB of one pixel (alpha ignored), for tests and checks.
    public func rgb(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        let c = gdImageGetTrueColorPixel(image, Int32(x), Int32(y))
        return (UInt8((c >> 16) & 0xFF), UInt8((c >> 8) & 0xFF), UInt8(c & 0xFF))
    }

    /// The image turned upright for `orientation`: flips happen in place (returns self); quarter turns
    /// return a new image and this one is freed when the caller drops it.
    public func oriented(_ orientation: ImageOrientation) throws -> GDImage {
        switch orientation {
        case .identity: return self
        case .flipHorizontal: gdImageFlipHorizontal(image)
        case .rotate180: gdImageFlipBoth(image)
        case .flipVertical: gdImageFlipVertical(image)
        case .transpose, .rotate90Clockwise, .transverse, .rotate90CounterClockwise: return try turned(orientation)
        }
        return self
    }

    /// Quarter turns with a transposed copy, tile by tile over gd's row pointers. About 4× faster than
    /// gdImageRotateInterpolated, which goes through a function call per pixel.
    private func turned(_ orientation: ImageOrientation) throws -> GDImage {
        if image.pointee.trueColor == 0, gdImagePaletteToTrueColor(image) == 0 { throw ImagingError.outOfMemory }
        let w = width, h = height
        guard let out = gdImageCreateTrueColor(Int32(h), Int32(w)) else { throw ImagingError.outOfMemory }
        let result = GDImage(out)
        // Output pixel (x, y), x < h and y < w, comes from source (sx, sy):
        let mirrorX = orientation == .transverse || orientation == .rotate90CounterClockwise  // sx = w-1-y, else y
        let mirrorY = orientation == .rotate90Clockwise || orientation == .transverse  // sy = h-1-x, else x
        let source = (0..<h).map { image.pointee.tpixels[$0]! }
        source.withUnsafeBufferPointer { rows in
            let tile = 64
            for y0 in stride(from: 0, to: w, by: tile) {
                for x0 in stride(from: 0, to: h, by: tile) {
                    for y in y0..<min(y0 + tile, w) {
                        let target = out.pointee.tpixels[y]!
                        let sx = mirrorX ? w - 1 - y : y
                        for x in x0..<min(x0 + tile, h) {
                            target[x] = rows[mirrorY ? h - 1 - x : x][sx]
                        }
                    }
                }
            }
        }
        return result
    }

    /// Composites translucent pixels onto white (gd alpha: 0 opaque … 127 transparent), so that a transparent
    /// PNG does not turn black in the JPEG.
    func flattenOntoWhite() {
        guard image.pointee.trueColor != 0 else { return }
        let w = width
        for y in 0..<height {
            let row = image.pointee.tpixels[y]!
            for x in 0..<w {
                let c = row[x]
                let a = (c >> 24) & 0x7F
                guard a != 0 else { continue }
                func mix(_ v: Int32) -> Int32 { (v * (127 - a) + 255 * a + 63) / 127 }
                row[x] = mix((c >> 16) & 0xFF) << 16 | mix((c >> 8) & 0xFF) << 8 | mix(c & 0xFF)
            }
        }
    }

    // MARK: Drawing (for IdentityWatermark)

    /// A gd truecolor colour; `alpha` 0 is opaque, 127 transparent.
    static func color(red: Int, green: Int, blue: Int, alpha: Int) -> Int32 {
        Int32(min(max(alpha, 0), 127) << 24 | (red & 0xFF) << 16 | (green & 0xFF) << 8 | (blue & 0xFF))
    }

    /// Fills a polygon, blending a translucent colour once per pixel.
    func fillPolygon(_ points: [(x: Double, y: Double)], color: Int32) {
        var corners = points.map { gdPoint(x: Self.coordinate($0.x), y: Self.coordinate($0.y)) }
        gdImageAlphaBlending(image, 1)
        gdImageFilledPolygon(image, &corners, Int32(corners.count), color)
    }

    /// Draws UTF-8 `text` with FreeType, baseline starting at (x, y), turned `angle` radians counter-clockwise.
    func drawText(
        _ text: UnsafePointer<CChar>, font: UnsafePointer<CChar>, points: Double, angle: Double,
        x: Double, y: Double, color: Int32
    ) -> String? {
        _ = fontCacheReady
        var box = [Int32](repeating: 0, count: 8)
        gdImageAlphaBlending(image, 1)
        return gdImageStringFT(image, &box, color, font, points, angle, Self.coordinate(x), Self.coordinate(y), text)
            .map { String(cString: $0) }
    }

    /// The horizontal advance of `text` without drawing it, or gd's error message.
    static func textWidth(_ text: UnsafePointer<CChar>, font: UnsafePointer<CChar>, points: Double) -> Result<Double, FontError> {
        _ = fontCacheReady
        var box = [Int32](repeating: 0, count: 8)
        if let error = gdImageStringFT(nil, &box, 0, font, points, 0, 0, 0, text) {
            return .failure(FontError(message: String(cString: error)))
        }
        return .success(Double(box[2] - box[0]))
    }

    struct FontError: Error { var message: String }

    private static func coordinate(_ v: Double) -> Int32 {
        v.isFinite ? Int32(min(max(v, -1e9), 1e9).rounded()) : 0
    }

    public func encodePNG() throws -> [UInt8] {
        try Self.take { size in gdImagePngPtr(image, size) }
    }

    public func encodeJPEG(quality: Int = 85) throws -> [UInt8] {
        try Self.take { size in gdImageJpegPtr(image, size, Int32(min(max(quality, 1), 100))) }
    }

    /// Copies a gd-allocated buffer into Swift memory and frees it.
    private static func take(_ produce: (UnsafeMutablePointer<Int32>) -> UnsafeMutableRawPointer?) throws -> [UInt8] {
        var size: Int32 = 0
        guard let pointer = produce(&size), size > 0 else { throw ImagingError.encodeFailed }
        defer { gdFree(pointer) }
        return Array(UnsafeRawBufferPointer(start: pointer, count: Int(size)))
    }
}
