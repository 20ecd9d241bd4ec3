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

public enum ImagingError: Error, Equatable, Sendable {
    case empty
    case tooLarge(bytes: Int)
    case decodeFailed(ImageFormat)
    case encodeFailed
}

/// A decoded image owned by libgd. The pointer never leaves this type; `deinit` frees it.
/// Not Sendable: create, use and drop it on one thread (a blocking-work thread, not an event loop).
public final class GDImage {
    private let image: gdImagePtr

    private init(_ image: gdImagePtr) { self.image = image }

    deinit { gdImageDestroy(image) }

    /// Decodes bytes of a known format. libgd reads from memory; the bytes are not kept.
    public static func decode(_ bytes: [UInt8], as format: ImageFormat) throws -> GDImage {
        guard !bytes.isEmpty else { throw ImagingError.empty }
        guard bytes.count < Int(Int32.max) else { throw ImagingError.tooLarge(bytes: bytes.count) }
        var copy = bytes
        let decoded: gdImagePtr? = copy.withUnsafeMutableBytes { raw in
            let size = Int32(raw.count)
            let base = raw.baseAddress
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

    public var width: Int { Int(image.pointee.sx) }
    public var height: Int { Int(image.pointee.sy) }

    /// RGB of one pixel (alpha ignored), for tests and checks.
    public func rgb(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        let c = gdImageGetTrueColorPixel(image, Int32(x), Int32(y))
        return (UInt8((c >> 16) & 0xFF), UInt8((c >> 8) & 0xFF), UInt8(c & 0xFF))
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
