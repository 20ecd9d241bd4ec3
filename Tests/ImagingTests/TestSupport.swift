import Imaging

/// Byte builders for headers the fixtures do not have. Written independently of the library's readers.
enum Build {
    static func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    static func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16 & 0xFFFF) }

    static func crc32(_ bytes: [UInt8]) -> Int {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 0 ? 0 : 0xEDB8_8320) }
        }
        return Int(~crc)
    }

    /// A PNG signature and IHDR chunk (8-bit RGB) with a correct CRC, and nothing else.
    static func pngHeader(width: Int, height: Int) -> [UInt8] {
        let body = Array("IHDR".utf8) + be32(width) + be32(height) + [8, 2, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be32(13) + body + be32(crc32(body))
    }

    /// An APP1 Exif segment with IFD0 holding Orientation, in either byte order.
    static func exifSegment(orientation: Int, littleEndian: Bool) -> [UInt8] {
        let u16 = littleEndian ? le16 : be16, u32 = littleEndian ? le32 : be32
        let tiff =
            (littleEndian ? Array("II".utf8) : Array("MM".utf8)) + u16(42) + u32(8)
            + u16(2)  // two entries: XResolution first (a RATIONAL pointing past the IFD), then Orientation
            + u16(0x011A) + u16(5) + u32(1) + u32(8 + 2 + 24 + 4)
            + u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0)
            + u32(0)  // no next IFD
            + u32(72) + u32(1)
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        return [0xFF, 0xE1] + be16(payload.count + 2) + payload
    }

    /// The JPEG without its APP1 segments, with `segment` inserted after SOI.
    static func jpeg(_ jpeg: [UInt8], replacingAPP1With segment: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8] + segment
        var i = 2
        while i + 4 <= jpeg.count, jpeg[i] == 0xFF, jpeg[i + 1] != 0xDA {
            let length = Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])
            if jpeg[i + 1] != 0xE1 { out += jpeg[i..<(i + 2 + length)] }
            i += 2 + length
        }
        return out + jpeg[i...]
    }

    /// Offsets of every JPEG marker segment before SOS, as (marker, offset).
    static func jpegMarkers(_ jpeg: [UInt8]) -> [(UInt8, Int)] {
        var result: [(UInt8, Int)] = []
        var i = 2
        while i + 4 <= jpeg.count, jpeg[i] == 0xFF {
            result.append((jpeg[i + 1], i))
            if jpeg[i + 1] == 0xDA { break }
            i += 2 + (Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3]))
        }
        return result
    }
}

extension Array where Element == UInt8 {
    func contains(_ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard n.count <= count else { return false }
        return (0...(count - n.count)).contains { i in self[i..<(i + n.count)].elementsEqual(n) }
    }
}

/// Colour tests that survive lossy codecs.
extension GDImage {
    func isRed(_ x: Int, _ y: Int) -> Bool { let c = rgb(x: x, y: y); return c.red > 150 && c.blue < 110 }
    func isBlue(_ x: Int, _ y: Int) -> Bool { let c = rgb(x: x, y: y); return c.blue > 150 && c.red < 110 }
}

/// A small deterministic generator for the fuzz tests (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
