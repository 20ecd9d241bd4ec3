/// Reads what an image says about itself without decoding it: its stored pixel size (to refuse huge images
/// before libgd allocates them), its EXIF orientation, and whether a JPEG is complete.
/// Every read is bounds-checked; garbage gives `ImagingError.badHeader`, never a trap.
public enum ImageHeader {
    /// The stored width and height, before any orientation is applied. HEIF/AVIF: the primary item's `ispe`
    /// property (else the largest `ispe`); for a grid or overlay primary (phones write grids) the larger of that
    /// and its own output size, which is what libheif decodes to. libheif rotates by `irot` on decode, which keeps
    /// the pixel count.
    public static func dimensions(of bytes: [UInt8], format: ImageFormat) throws -> (width: Int, height: Int) {
        guard !bytes.isEmpty else { throw ImagingError.empty }
        let size: (width: Int, height: Int)?
        switch format {
        case .png: size = png(bytes)
        case .jpeg: size = jpeg(bytes)
        case .webp: size = webp(bytes)
        case .heif, .avif: size = isobmff(bytes)
        case .gif: size = gif(bytes)
        }
        guard let size, size.width > 0, size.height > 0 else { throw ImagingError.badHeader(format) }
        return size
    }

    /// Refuses an image whose header claims more than `maxPixels` pixels; returns the stored size.
    @discardableResult
    public static func check(_ bytes: [UInt8], format: ImageFormat, maxPixels: Int) throws -> (width: Int, height: Int) {
        let size = try dimensions(of: bytes, format: format)
        let (pixels, overflow) = size.width.multipliedReportingOverflow(by: size.height)
        guard !overflow, pixels <= maxPixels else { throw ImagingError.tooManyPixels(width: size.width, height: size.height) }
        if format == .jpeg, !jpegHasEnd(bytes) { throw ImagingError.truncated(format) }
        return size
    }

    // MARK: PNG

    private static func png(_ b: [UInt8]) -> (width: Int, height: Int)? {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard b.count >= 33, b.starts(with: signature), b.be32(8) == 13, b.tag(12) == "IHDR",
            let w = b.be32(16), let h = b.be32(20), let crc = b.be32(29),
            w <= Int(Int32.max), h <= Int(Int32.max), CRC32.of(b, 12..<29) == crc
        else { return nil }
        return (w, h)
    }

    // MARK: JPEG

    /// Calls `body(marker, payloadStart, payloadLength)` for each segment before the first SOS; `body` returns
    /// false to stop. Returns false if the marker structure is broken or ends before SOS.
    @discardableResult
    static func jpegSegments(_ b: [UInt8], _ body: (UInt8, Int, Int) -> Bool) -> Bool {
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { return false }
        var i = 2
        while i < b.count {
            while i < b.count, b[i] != 0xFF { i += 1 }  // stray bytes between segments: libjpeg skips them too
            while i < b.count, b[i] == 0xFF { i += 1 }  // fill bytes
            guard i < b.count else { return false }
            let marker = b[i]
            i += 1
            if marker == 0x01 || (0xD0...0xD8).contains(marker) { continue }  // no length
            if marker == 0xD9 { return false }
            guard let length = b.be16(i), length >= 2, length <= b.count - i else { return false }
            if !body(marker, i + 2, length - 2) { return true }
            if marker == 0xDA { return true }
            i += length
        }
        return false
    }

    private static func jpeg(_ b: [UInt8]) -> (width: Int, height: Int)? {
        var size: (width: Int, height: Int)?
        jpegSegments(b) { marker, start, length in
            // SOF0-3, 5-7, 9-11, 13-15 (C4 DHT, C8 JPG and CC DAC are not frames)
            guard (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) else { return marker != 0xDA }
            if length >= 6, let h = b.be16(start + 1), let w = b.be16(start + 3) { size = (w, h) }
            return false
        }
        return size
    }

    /// A whole JPEG has an EOI marker after its scan data (0xFF 0xD9 cannot occur inside entropy-coded data;
    /// trailing data after EOI is allowed). libjpeg pads a cut-off file with grey instead of failing.
    static func jpegHasEnd(_ b: [UInt8]) -> Bool {
        var scanStart: Int?
        jpegSegments(b) { marker, start, length in
            if marker == 0xDA { scanStart = start + length }
            return true
        }
        guard let scanStart else { return false }
        return b.withUnsafeBufferPointer { p in
            var i = p.count - 2
            while i >= scanStart {
                if p[i + 1] == 0xD9, p[i] == 0xFF { return true }
                i -= 1
            }
            return false
        }
    }

    // MARK: WebP

    private static func webp(_ b: [UInt8]) -> (width: Int, height: Int)? {
        guard b.count >= 30, b.tag(0) == "RIFF", b.tag(8) == "WEBP", let chunk = b.tag(12), let length = b.le32(16),
            length <= b.count - 20
        else { return nil }
        let d = 20
        switch chunk {
        case "VP8 ":  // key frame: 3-byte tag (bit 0 clear), start code 9D 01 2A, 14-bit sizes
            guard length >= 10, b[d] & 1 == 0, b[d + 3] == 0x9D, b[d + 4] == 0x01, b[d + 5] == 0x2A,
                let w = b.le16(d + 6), let h = b.le16(d + 8)
            else { return nil }
            return (w & 0x3FFF, h & 0x3FFF)
        case "VP8L":  // signature 0x2F, then 14 bits width-1, 14 bits height-1
            guard length >= 5, b[d] == 0x2F, let bits = b.le32(d + 1) else { return nil }
            return ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        case "VP8X":  // flags, 3 reserved, 24-bit canvas width-1 and height-1
            guard length >= 10, let w = b.le24(d + 4), let h = b.le24(d + 7) else { return nil }
            return (w + 1, h + 1)
        default:
            return nil
        }
    }

    // MARK: GIF

    private static func gif(_ b: [UInt8]) -> (width: Int, height: Int)? {
        guard b.count >= 13, b.tag(0) == "GIF8", b[4] == 0x37 || b[4] == 0x39, b[5] == 0x61,
            let w = b.le16(6), let h = b.le16(8)
        else { return nil }
        return (w, h)
    }

    // MARK: HEIF / AVIF (ISO base media file format)

    /// One box: its type and the range of its payload.
    private struct Box {
        var type: String
        var payload: Range<Int>
    }

    /// The boxes inside `range`; nil if any box overruns it.
    private static func boxes(_ b: [UInt8], in range: Range<Int>) -> [Box]? {
        var result: [Box] = []
        var i = range.lowerBound
        while i < range.upperBound {
            guard range.upperBound - i >= 8, let size32 = b.be32(i), let type = b.tag(i + 4) else { return nil }
            var header = 8, size = size32
            if size32 == 1 {
                guard range.upperBound - i >= 16, let large = b.be64(i + 8) else { return nil }
                header = 16
                size = large
            } else if size32 == 0 {
                size = range.upperBound - i
            }
            guard size >= header, size <= range.upperBound - i else { return nil }
            result.append(Box(type: type, payload: (i + header)..<(i + size)))
            i += size
        }
        return result
    }

    private static func isobmff(_ b: [UInt8]) -> (width: Int, height: Int)? {
        guard b.count >= 16, b.tag(4) == "ftyp", let top = boxes(b, in: 0..<b.count),
            let meta = top.first(where: { $0.type == "meta" }), meta.payload.count >= 4,
            let inMeta = boxes(b, in: (meta.payload.lowerBound + 4)..<meta.payload.upperBound),
            let iprp = inMeta.first(where: { $0.type == "iprp" }),
            let inIprp = boxes(b, in: iprp.payload),
            let ipco = inIprp.first(where: { $0.type == "ipco" }),
            let properties = boxes(b, in: ipco.payload)
        else { return nil }

        func ispe(_ box: Box) -> (width: Int, height: Int)? {
            guard box.type == "ispe", box.payload.count >= 12,
                let w = b.be32(box.payload.lowerBound + 4), let h = b.be32(box.payload.lowerBound + 8)
            else { return nil }
            return (w, h)
        }

        func larger(_ a: (width: Int, height: Int)?, _ c: (width: Int, height: Int)?) -> (width: Int, height: Int)? {
            guard let a else { return c }
            guard let c else { return a }
            return Double(a.width) * Double(a.height) >= Double(c.width) * Double(c.height) ? a : c
        }
        let largest = properties.compactMap(ispe).reduce(nil, larger)
        // The primary item's ispe, through pitm and ipma.
        guard let pitm = inMeta.first(where: { $0.type == "pitm" }), let primary = primaryItem(b, pitm) else { return largest }
        var primarySize: (width: Int, height: Int)?
        for ipma in inIprp where ipma.type == "ipma" && primarySize == nil {
            for index in associations(b, ipma, item: primary) ?? [] where index >= 1 && index <= properties.count {
                if let size = ispe(properties[index - 1]) {
                    primarySize = size
                    break
                }
            }
        }
        // A grid or overlay (what phones write) is decoded at the size its own description gives, which need not
        // match its ispe (libheif decodes the tiles one at a time into that picture): the larger of the two counts,
        // and a description that cannot be read refuses the file.
        if let type = itemType(b, inMeta, item: primary), type == "grid" || type == "iovl" {
            guard let data = itemData(b, inMeta, item: primary), let output = derivedSize(b, data, type: type) else { return nil }
            return larger(primarySize, output)
        }
        if let primarySize { return primarySize }
        return largest
    }

    /// The item's type from `iinf` (infe version 2 or 3); nil if it is not listed.
    private static func itemType(_ b: [UInt8], _ inMeta: [Box], item: Int) -> String? {
        guard let iinf = inMeta.first(where: { $0.type == "iinf" }), iinf.payload.count >= 6 else { return nil }
        let start = iinf.payload.lowerBound
        let header = b[start] == 0 ? 6 : 8
        guard iinf.payload.count >= header, let entries = boxes(b, in: (start + header)..<iinf.payload.upperBound) else { return nil }
        for infe in entries where infe.type == "infe" && infe.payload.count >= 4 {
            let p = infe.payload.lowerBound
            let version = b[p]
            guard version >= 2 else { continue }
            let idSize = version == 2 ? 2 : 4
            guard let id = idSize == 2 ? b.be16(p + 4) : b.be32(p + 4), id == item,
                let type = b.tag(p + 4 + idSize + 2), p + 4 + idSize + 6 <= infe.payload.upperBound
            else { continue }
            return type
        }
        return nil
    }

    /// The bytes of the item's first extent (a grid or overlay description is small), from `idat` or the file,
    /// located through `iloc`; nil when anything is out of bounds.
    private static func itemData(_ b: [UInt8], _ inMeta: [Box], item: Int) -> Range<Int>? {
        guard let iloc = inMeta.first(where: { $0.type == "iloc" }), iloc.payload.count >= 8 else { return nil }
        let end = iloc.payload.upperBound
        var i = iloc.payload.lowerBound
        let version = b[i]
        guard version <= 2 else { return nil }
        let offsetSize = Int(b[i + 4] >> 4), lengthSize = Int(b[i + 4] & 0xF), baseSize = Int(b[i + 5] >> 4)
        let indexSize = version >= 1 ? Int(b[i + 5] & 0xF) : 0
        guard [offsetSize, lengthSize, baseSize, indexSize].allSatisfy({ [0, 4, 8].contains($0) }) else { return nil }
        i += 6
        func read(_ n: Int) -> Int? {
            guard end - i >= n else { return nil }
            defer { i += n }
            switch n {
            case 0: return 0
            case 2: return b.be16(i)
            case 4: return b.be32(i)
            case 8: return b.be64(i)
            default: return nil
            }
        }
        guard let count = read(version < 2 ? 2 : 4), count <= 100_000 else { return nil }
        for _ in 0..<count {
            guard let id = read(version < 2 ? 2 : 4) else { return nil }
            var method = 0
            if version >= 1 {
                guard let m = read(2) else { return nil }
                method = m & 0xF
            }
            guard read(2) != nil, let base = read(baseSize), let extents = read(2), extents <= 10_000 else { return nil }
            var first: (offset: Int, length: Int)?
            for _ in 0..<extents {
                if indexSize > 0 { guard read(indexSize) != nil else { return nil } }
                guard let offset = read(offsetSize), let length = read(lengthSize) else { return nil }
                if first == nil { first = (offset, length) }
            }
            guard id == item, let first else { continue }
            let (start, overflow) = base.addingReportingOverflow(first.offset)
            guard !overflow, first.length >= 0 else { return nil }
            let origin: Range<Int>
            switch method {
            case 0: origin = 0..<b.count
            case 1:
                guard let idat = inMeta.first(where: { $0.type == "idat" }) else { return nil }
                origin = idat.payload
            default: return nil
            }
            let length = first.length == 0 ? origin.count - start : first.length
            guard start >= 0, length >= 0, start <= origin.count - length else { return nil }
            return (origin.lowerBound + start)..<(origin.lowerBound + start + length)
        }
        return nil
    }

    /// The output size a grid (`ImageGrid`) or overlay (`ImageOverlay`) description gives.
    private static func derivedSize(_ b: [UInt8], _ data: Range<Int>, type: String) -> (width: Int, height: Int)? {
        let p = data.lowerBound
        guard data.count >= 2, b[p] == 0 else { return nil }
        let wide = b[p + 1] & 1 == 1
        let at = p + (type == "grid" ? 4 : 2 + 4 * (wide ? 4 : 2))
        let field = wide ? 4 : 2
        guard at + 2 * field <= data.upperBound,
            let w = wide ? b.be32(at) : b.be16(at), let h = wide ? b.be32(at + field) : b.be16(at + field)
        else { return nil }
        return (w, h)
    }

    private static func primaryItem(_ b: [UInt8], _ pitm: Box) -> Int? {
        let p = pitm.payload.lowerBound
        guard pitm.payload.count >= 6 else { return nil }
        return b[p] == 0 ? b.be16(p + 4) : (pitm.payload.count >= 8 ? b.be32(p + 4) : nil)
    }

    /// The 1-based ipco indices associated with `item` in an ipma box.
    private static func associations(_ b: [UInt8], _ ipma: Box, item: Int) -> [Int]? {
        let end = ipma.payload.upperBound
        var i = ipma.payload.lowerBound
        guard end - i >= 8, let count = b.be32(i + 4) else { return nil }
        let version = b[i], wideIndex = b[i + 3] & 1 == 1
        i += 8
        for _ in 0..<count {
            let idSize = version < 1 ? 2 : 4
            guard end - i >= idSize + 1, let id = idSize == 2 ? b.be16(i) : b.be32(i) else { return nil }
            i += idSize
            let n = Int(b[i])
            i += 1
            let entrySize = wideIndex ? 2 : 1
            guard end - i >= n * entrySize else { return nil }
            if id == item {
                return (0..<n).map { k in
                    wideIndex ? (b.be16(i + 2 * k) ?? 0) & 0x7FFF : Int(b[i + k] & 0x7F)
                }
            }
            i += n * entrySize
        }
        return []
    }
}

/// How a stored image must be turned to be shown upright: the EXIF Orientation values 1–8.
public enum ImageOrientation: Int, Sendable, CaseIterable {
    case identity = 1, flipHorizontal, rotate180, flipVertical, transpose, rotate90Clockwise, transverse, rotate90CounterClockwise

    /// True when showing the image swaps its width and height.
    public var swapsAxes: Bool { rawValue >= 5 }

    /// The Orientation tag of the image's EXIF block (JPEG APP1, PNG eXIf, WebP EXIF); `.identity` when there is
    /// none or it is unreadable. HEIF: always `.identity`, because libheif already applies the container's
    /// irot/imir on decode and HEIF readers must ignore the EXIF copy (applying both would turn it twice).
    /// AVIF: `.identity` too (libavif leaves irot/imir to the caller; the app does not accept AVIF).
    public init(of bytes: [UInt8], format: ImageFormat) {
        let tiff: Int?
        switch format {
        case .jpeg: tiff = Self.jpegExif(bytes)
        case .png: tiff = Self.pngExif(bytes)
        case .webp: tiff = Self.webpExif(bytes)
        case .heif, .avif, .gif: tiff = nil
        }
        self = tiff.flatMap { Self.tiffOrientation(bytes, at: $0) } ?? .identity
    }

    private static let exifPrefix: [UInt8] = Array("Exif\0\0".utf8)

    private static func hasExifPrefix(_ b: [UInt8], at i: Int) -> Bool {
        i >= 0 && i <= b.count - 6 && b[i..<(i + 6)].elementsEqual(exifPrefix)
    }

    private static func jpegExif(_ b: [UInt8]) -> Int? {
        var tiff: Int?
        ImageHeader.jpegSegments(b) { marker, start, length in
            if marker == 0xE1, length >= 14, hasExifPrefix(b, at: start) { tiff = start + 6; return false }
            return marker != 0xDA
        }
        return tiff
    }

    private static func pngExif(_ b: [UInt8]) -> Int? {
        var i = 8
        while b.count - i >= 12, let length = b.be32(i), let type = b.tag(i + 4), length <= b.count - i - 12 {
            if type == "eXIf" { return hasExifPrefix(b, at: i + 8) ? i + 14 : i + 8 }
            if type == "IEND" { return nil }
            i += 12 + length
        }
        return nil
    }

    private static func webpExif(_ b: [UInt8]) -> Int? {
        guard b.count >= 12, b.tag(0) == "RIFF", b.tag(8) == "WEBP" else { return nil }
        var i = 12
        while b.count - i >= 8, let type = b.tag(i), let length = b.le32(i + 4), length <= b.count - i - 8 {
            if type == "EXIF" { return hasExifPrefix(b, at: i + 8) ? i + 14 : i + 8 }
            i += 8 + length + (length & 1)
        }
        return nil
    }

    /// Orientation (tag 0x0112, SHORT) in IFD0 of the TIFF structure at `t`.
    private static func tiffOrientation(_ b: [UInt8], at t: Int) -> ImageOrientation? {
        guard b.count - t >= 8 else { return nil }
        let little: Bool
        switch (b[t], b[t + 1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ i: Int) -> Int? { little ? b.le16(i) : b.be16(i) }
        func u32(_ i: Int) -> Int? { little ? b.le32(i) : b.be32(i) }
        guard u16(t + 2) == 42, let ifd = u32(t + 4), ifd <= b.count - t - 2, let count = u16(t + ifd) else { return nil }
        for k in 0..<count {
            let entry = t + ifd + 2 + 12 * k
            guard entry <= b.count - 12 else { return nil }
            if u16(entry) == 0x0112 {
                guard u16(entry + 2) == 3, let value = u16(entry + 8) else { return nil }
                return ImageOrientation(rawValue: value)
            }
        }
        return nil
    }
}

// MARK: - Bounds-checked reads (nil past the end, never a trap)

extension Array where Element == UInt8 {
    @inline(__always) private func has(_ i: Int, _ n: Int) -> Bool { i >= 0 && i <= count - n }

    func be16(_ i: Int) -> Int? { has(i, 2) ? Int(self[i]) << 8 | Int(self[i + 1]) : nil }
    func le16(_ i: Int) -> Int? { has(i, 2) ? Int(self[i + 1]) << 8 | Int(self[i]) : nil }
    func le24(_ i: Int) -> Int? { has(i, 3) ? Int(self[i + 2]) << 16 | Int(self[i + 1]) << 8 | Int(self[i]) : nil }
    func be32(_ i: Int) -> Int? {
        has(i, 4) ? Int(self[i]) << 24 | Int(self[i + 1]) << 16 | Int(self[i + 2]) << 8 | Int(self[i + 3]) : nil
    }
    func le32(_ i: Int) -> Int? {
        has(i, 4) ? Int(self[i + 3]) << 24 | Int(self[i + 2]) << 16 | Int(self[i + 1]) << 8 | Int(self[i]) : nil
    }
    /// A 64-bit big-endian size; nil if it does not fit in Int.
    func be64(_ i: Int) -> Int? {
        guard let high = be32(i), let low = be32(i + 4), high <= Int(Int32.max) else { return nil }
        return high << 32 | low
    }
    /// Four bytes as ASCII (a chunk or box type); nil if not printable.
    func tag(_ i: Int) -> String? {
        guard has(i, 4), self[i..<(i + 4)].allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        return String(decoding: self[i..<(i + 4)], as: UTF8.self)
    }
}

/// CRC-32 as PNG uses it (polynomial 0xEDB88320).
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func of(_ bytes: [UInt8], _ range: Range<Int>) -> Int {
        var c: UInt32 = 0xFFFF_FFFF
        for i in range { c = table[Int((c ^ UInt32(bytes[i])) & 0xFF)] ^ (c >> 8) }
        return Int(c ^ 0xFFFF_FFFF)
    }
}
