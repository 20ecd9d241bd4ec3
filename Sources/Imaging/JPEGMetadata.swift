/// A JPEG without what a camera or phone says about the picture: EXIF (with its GPS position), XMP, IPTC,
/// comments, thumbnails and the extra pictures of an MPF file are dropped; what the picture needs to show the
/// same (JFIF, the ICC colour profile, Adobe's colour transform, the tables, frames and scans) is kept byte for
/// byte. A picture whose EXIF orientation turns it is decoded, turned upright and written again, because
/// without its EXIF block a viewer would show it sideways.
public enum JPEGMetadata {
    /// The picture upright and without metadata: the same picture bytes when the orientation is the identity
    /// (or absent), else decoded (refused above `maxPixels` before decoding), turned and encoded at `quality`.
    public static func cleaned(_ bytes: [UInt8], maxPixels: Int = 40_000_000, quality: Int = 90) throws -> [UInt8] {
        guard !bytes.isEmpty else { throw ImagingError.empty }
        let orientation = ImageOrientation(of: bytes, format: .jpeg)
        guard orientation == .identity else {
            // libgd writes a bare JFIF JPEG: nothing of the original's metadata survives.
            return try GDImage.load(bytes, as: .jpeg, maxPixels: maxPixels).encodeJPEG(quality: quality)
        }
        try ImageHeader.check(bytes, format: .jpeg, maxPixels: maxPixels)
        return try stripped(bytes)
    }

    /// The JPEG with its metadata segments left out and nothing else changed; stops at the end marker (what
    /// follows it, such as an MPF file's second picture with its own EXIF, is left out too).
    /// Throws `badHeader` for a broken marker structure and `truncated` when the end marker is missing.
    public static func stripped(_ b: [UInt8]) throws -> [UInt8] {
        let n = b.count
        guard n >= 4, b[0] == 0xFF, b[1] == 0xD8 else { throw ImagingError.badHeader(.jpeg) }
        var out: [UInt8] = [0xFF, 0xD8]
        out.reserveCapacity(n)
        var i = 2
        var inScan = false
        while true {
            if inScan {
                // Entropy-coded data: a 0xFF is followed by 0x00 (a stuffed byte) or a restart marker, else a marker.
                let start = i
                while i + 1 < n, !(b[i] == 0xFF && b[i + 1] != 0x00 && !(0xD0...0xD7).contains(b[i + 1])) { i += 1 }
                guard i + 1 < n else { throw ImagingError.truncated(.jpeg) }
                out.append(contentsOf: b[start..<i])
                inScan = false
            }
            while i < n, b[i] != 0xFF { i += 1 }  // stray bytes between segments: libjpeg skips them too
            while i < n, b[i] == 0xFF { i += 1 }  // fill bytes
            guard i < n else { throw ImagingError.truncated(.jpeg) }
            let marker = b[i]
            i += 1
            switch marker {
            case 0xD9:
                out.append(contentsOf: [0xFF, 0xD9])
                return out
            case 0x01, 0xD0...0xD7:
                out.append(contentsOf: [0xFF, marker])
            case 0x00, 0xD8:
                throw ImagingError.badHeader(.jpeg)
            default:
                guard n - i >= 2 else { throw ImagingError.truncated(.jpeg) }
                let length = Int(b[i]) << 8 | Int(b[i + 1])
                guard length >= 2, length <= n - i else { throw ImagingError.badHeader(.jpeg) }
                if keeps(marker, payload: b[(i + 2)..<(i + length)]) {
                    out.append(contentsOf: [0xFF, marker])
                    out.append(contentsOf: b[i..<(i + length)])
                }
                i += length
                if marker == 0xDA { inScan = true }
            }
        }
    }

    /// Tables, frames and scans stay; of the application segments only JFIF (APP0), the ICC profile (APP2) and
    /// Adobe's colour transform (APP14, which changes how the colours decode); comments go.
    static func keeps(_ marker: UInt8, payload: ArraySlice<UInt8>) -> Bool {
        switch marker {
        case 0xE0: payload.starts(with: Array("JFIF\0".utf8))
        case 0xE2: payload.starts(with: Array("ICC_PROFILE\0".utf8))
        case 0xEE: payload.starts(with: Array("Adobe".utf8))
        case 0xE1, 0xE3...0xED, 0xEF, 0xFE: false
        default: true
        }
    }
}
