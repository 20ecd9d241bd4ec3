/// A photo as it is stored: upright and without what the camera or phone wrote about it (EXIF with its GPS
/// position, XMP, text chunks, thumbnails).
///
/// - JPEG: `JPEGMetadata.cleaned` (the picture's own bytes kept when it needs no turning).
/// - PNG: decoded, turned upright, written again as PNG by libgd (no `eXIf`, `tEXt`, `iTXt` or `zTXt` chunk
///   survives; transparency is flattened onto white).
/// - HEIC/HEIF, WebP, AVIF: decoded, turned upright and written as JPEG, which every officer's browser shows
///   (most cannot show HEIC).
public enum PhotoMetadata {
    public static func cleaned(
        _ bytes: [UInt8], format: ImageFormat, maxPixels: Int = 40_000_000, quality: Int = 90
    ) throws -> (bytes: [UInt8], format: ImageFormat) {
        guard !bytes.isEmpty else { throw ImagingError.empty }
        switch format {
        case .jpeg: return (try JPEGMetadata.cleaned(bytes, maxPixels: maxPixels, quality: quality), .jpeg)
        case .png: return (try GDImage.load(bytes, as: .png, maxPixels: maxPixels).encodePNG(), .png)
        case .heif, .webp, .avif, .gif: return (try GDImage.load(bytes, as: format, maxPixels: maxPixels).encodeJPEG(quality: quality), .jpeg)
        }
    }
}
