// QR Code Model 2 encoder (ISO/IEC 18004), written from the specification, no dependencies.
//
// Pipeline (one function per step, in this file and its siblings under Sources/Domain/QR):
//   1. text → UTF-8 bytes → one byte-mode segment (QRCode.dataCodewords)
//   2. smallest version that fits the chosen error-correction level (QRCode.smallestVersion, QRTables.swift)
//   3. split into Reed–Solomon blocks, add ECC, interleave (QRCode.interleavedCodewords, QRReedSolomon.swift)
//   4. draw function patterns, place the bits in the zig-zag order, mask, format/version info (QRMatrix.swift)
//   5. pick the mask with the lowest penalty (QRMatrix.swift), render (isDark / svg in QRCode+SVG.swift)

/// A QR Code symbol holding UTF-8 text in byte mode.
///
/// ```swift
/// let qr = try QRCode(totp.provisioningURI(account: email, issuer: "เทศบาล"))
/// let html = qr.svg(label: "QR code for your authenticator app")
/// ```
public struct QRCode: Sendable {
    /// Error-correction level: roughly 7 %, 15 %, 25 % and 30 % of the codewords can be restored.
    public enum ErrorCorrection: Sendable, CaseIterable {
        case low, medium, quartile, high
    }

    public enum Problem: Error {
        /// The text does not fit in a version-40 symbol at the requested level (nor from `minVersion` on).
        case tooLong
    }

    /// Symbol version, 1...40.
    public let version: Int
    /// Modules per side: 17 + 4 × version (without the quiet zone).
    public let size: Int
    /// The data mask pattern used, 0...7.
    public let mask: Int
    /// The error-correction level the symbol was made with.
    public let correction: ErrorCorrection

    /// Module colours, row-major (`y * size + x`), `true` = dark.
    private let modules: [Bool]

    /// Encodes `text` (as UTF-8, byte mode) in the smallest version ≥ `minVersion` that holds it.
    ///
    /// - Parameters:
    ///   - minVersion: 1...40; a larger version than needed is mainly useful for tests.
    ///   - mask: 0...7 to force a data mask; `nil` evaluates all eight and keeps the one with the lowest penalty.
    /// - Throws: `Problem.tooLong` if the text does not fit.
    public init(_ text: String, correction: ErrorCorrection = .medium, minVersion: Int = 1, mask: Int? = nil) throws {
        try self.init(bytes: Array(text.utf8), correction: correction, minVersion: minVersion, mask: mask)
    }

    /// Encodes arbitrary bytes in byte mode (readers usually interpret them as UTF-8 or ISO-8859-1).
    public init(bytes: [UInt8], correction: ErrorCorrection = .medium, minVersion: Int = 1, mask: Int? = nil) throws {
        precondition((1...40).contains(minVersion), "QRCode: minVersion must be 1...40, got \(minVersion)")
        if let mask { precondition((0...7).contains(mask), "QRCode: mask must be 0...7, got \(mask)") }

        guard let version = Self.smallestVersion(forByteCount: bytes.count, correction: correction, from: minVersion)
        else { throw Problem.tooLong }

        let data = Self.dataCodewords(bytes, version: version, correction: correction)
        let codewords = Self.interleavedCodewords(data, version: version, correction: correction)

        var matrix = Matrix(version: version)
        matrix.placeData(codewords)
        let chosen = mask ?? matrix.bestMask(correction: correction)
        matrix.applyMask(chosen)
        matrix.drawFormatBits(correction: correction, mask: chosen)

        self.version = version
        self.size = matrix.size
        self.mask = chosen
        self.correction = correction
        self.modules = matrix.dark
    }

    /// Whether the module at column `x`, row `y` is dark. Coordinates outside the symbol (the quiet zone) are light.
    public func isDark(x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < size, y < size else { return false }
        return modules[y * size + x]
    }

    // MARK: - Data encoding

    /// Mode indicator for byte mode.
    private static let byteModeIndicator: UInt32 = 0b0100

    /// Length of the character-count field in byte mode: 8 bits for versions 1–9, 16 bits for 10–40.
    static func characterCountBits(version: Int) -> Int {
        version <= 9 ? 8 : 16
    }

    /// The smallest version in `from...40` whose data capacity holds a byte-mode segment of `count` bytes.
    static func smallestVersion(forByteCount count: Int, correction: ErrorCorrection, from minVersion: Int) -> Int? {
        for version in minVersion...40 {
            let neededBits = 4 + characterCountBits(version: version) + 8 * count
            if neededBits <= 8 * Tables.dataCodewords(version: version, correction: correction) {
                return version
            }
        }
        return nil
    }

    /// The data codewords: mode indicator, character count, the bytes, terminator, bit padding to a byte
    /// boundary, then the alternating pad codewords 0xEC 0x11 up to the capacity.
    static func dataCodewords(_ bytes: [UInt8], version: Int, correction: ErrorCorrection) -> [UInt8] {
        let capacity = Tables.dataCodewords(version: version, correction: correction)
        var bits = BitWriter(capacity: capacity)
        bits.append(byteModeIndicator, count: 4)
        bits.append(UInt32(bytes.count), count: characterCountBits(version: version))
        for byte in bytes { bits.append(UInt32(byte), count: 8) }

        // Terminator: up to four 0 bits, fewer if the symbol is full.
        bits.append(0, count: min(4, capacity * 8 - bits.count))
        // Pad with 0 bits to the next codeword boundary.
        bits.append(0, count: (8 - bits.count % 8) % 8)

        var out = bits.bytes
        var pad: UInt8 = 0xEC
        while out.count < capacity {
            out.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        return out
    }

    /// Splits the data codewords into the version's blocks, appends each block's Reed–Solomon codewords and
    /// interleaves: first data codeword of every block, then the second, …, then the ECC codewords likewise.
    ///
    /// When the codewords do not divide evenly, the first blocks ("group 1") are one data codeword shorter
    /// than the rest ("group 2"); every block has the same number of ECC codewords.
    static func interleavedCodewords(_ data: [UInt8], version: Int, correction: ErrorCorrection) -> [UInt8] {
        let blockCount = Tables.blockCount(version: version, correction: correction)
        let eccLength = Tables.eccCodewordsPerBlock(version: version, correction: correction)
        let total = Tables.totalCodewords(version: version)
        let shortBlocks = blockCount - total % blockCount
        let shortDataLength = total / blockCount - eccLength
        let generator = ReedSolomon.generator(degree: eccLength)

        var dataBlocks: [[UInt8]] = []
        var eccBlocks: [[UInt8]] = []
        var start = 0
        for index in 0..<blockCount {
            let length = shortDataLength + (index < shortBlocks ? 0 : 1)
            let block = Array(data[start..<start + length])
            start += length
            dataBlocks.append(block)
            eccBlocks.append(ReedSolomon.remainder(of: block, generator: generator))
        }
        assert(start == data.count, "data codewords do not match the block structure")

        var out: [UInt8] = []
        out.reserveCapacity(total)
        for column in 0...shortDataLength {  // the last column exists only in the long blocks
            for block in dataBlocks where column < block.count { out.append(block[column]) }
        }
        for column in 0..<eccLength {
            for block in eccBlocks { out.append(block[column]) }
        }
        assert(out.count == total)
        return out
    }
}

extension QRCode {
    /// Appends bit fields most significant bit first and packs them into bytes.
    struct BitWriter {
        private(set) var bytes: [UInt8] = []
        private(set) var count = 0

        init(capacity: Int) { bytes.reserveCapacity(capacity) }

        mutating func append(_ value: UInt32, count length: Int) {
            precondition(length >= 0 && length <= 32 && (length == 32 || value >> UInt32(length) == 0))
            for shift in stride(from: length - 1, through: 0, by: -1) {
                if count % 8 == 0 { bytes.append(0) }
                if (value >> UInt32(shift)) & 1 == 1 { bytes[bytes.count - 1] |= 0x80 >> UInt8(count % 8) }
                count += 1
            }
        }
    }
}
