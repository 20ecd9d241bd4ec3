// Error-correction block tables (ISO/IEC 18004, error correction characteristics for QR Code) and the
// symbol geometry the capacities derive from.

extension QRCode {
    enum Tables {
        /// Reed–Solomon codewords per block, indexed `[level][version]` (index 0 unused), levels L, M, Q, H.
        private static let eccCodewordsPerBlock: [[Int]] = [
            //   1   2   3   4   5   6   7   8   9  10  11  12  13  14  15  16  17  18  19  20
            //  21  22  23  24  25  26  27  28  29  30  31  32  33  34  35  36  37  38  39  40
            [
                0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28,
                28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
            ],  // L
            [
                0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
                26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
            ],  // M
            [
                0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
                28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
            ],  // Q
            [
                0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
                30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
            ],  // H
        ]

        /// Number of Reed–Solomon blocks, indexed `[level][version]` (index 0 unused), levels L, M, Q, H.
        private static let blockCounts: [[Int]] = [
            //   1   2   3   4   5   6   7   8   9  10  11  12  13  14  15  16  17  18  19  20
            //  21  22  23  24  25  26  27  28  29  30  31  32  33  34  35  36  37  38  39  40
            [
                0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8,
                8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25,
            ],  // L
            [
                0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
                17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
            ],  // M
            [
                0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
                23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68,
            ],  // Q
            [
                0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
                25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81,
            ],  // H
        ]

        private static func row(_ correction: ErrorCorrection) -> Int {
            switch correction {
            case .low: 0
            case .medium: 1
            case .quartile: 2
            case .high: 3
            }
        }

        static func eccCodewordsPerBlock(version: Int, correction: ErrorCorrection) -> Int {
            eccCodewordsPerBlock[row(correction)][version]
        }

        static func blockCount(version: Int, correction: ErrorCorrection) -> Int {
            blockCounts[row(correction)][version]
        }

        /// Modules per side.
        static func size(version: Int) -> Int { 17 + 4 * version }

        /// Centre coordinates of the alignment patterns along one axis (ISO/IEC 18004 alignment pattern
        /// annex). The first is always 6 and the last `size - 7`; the rest are spaced back from the last by
        /// `(last - 6) / (count - 1)` rounded up to an even number, so any slack lands in the gap after 6.
        /// Version 32 is the one exception: the table spaces it by 26 where the rule gives 28.
        static func alignmentCentres(version: Int) -> [Int] {
            guard version >= 2 else { return [] }
            let count = version / 7 + 2
            let last = size(version: version) - 7
            let step = version == 32 ? 26 : (last - 6 + 2 * (count - 1) - 1) / (2 * (count - 1)) * 2
            var centres = [6]
            for index in stride(from: count - 2, through: 0, by: -1) { centres.append(last - index * step) }
            return centres
        }

        /// Modules left for codewords and remainder bits once the function patterns are drawn.
        static func rawDataModules(version: Int) -> Int {
            let size = size(version: version)
            var modules = size * size
            modules -= 3 * 64  // three finders with their separators (8×8 each)
            modules -= 2 * 15 + 1  // two copies of the format information, and the dark module
            modules -= 2 * (size - 16)  // the two timing patterns between the separators
            let perAxis = alignmentCentres(version: version).count
            if perAxis > 0 {
                modules -= 25 * (perAxis * perAxis - 3)  // all combinations except the three under finders…
                modules += 2 * 5 * (perAxis - 2)  // …less the 5 modules each of those on a timing line
            }
            if version >= 7 { modules -= 2 * 18 }  // two copies of the version information
            return modules
        }

        /// All codewords (data + ECC); the `rawDataModules % 8` modules left over are remainder bits.
        static func totalCodewords(version: Int) -> Int { rawDataModules(version: version) / 8 }

        static func dataCodewords(version: Int, correction: ErrorCorrection) -> Int {
            totalCodewords(version: version)
                - blockCount(version: version, correction: correction)
                * eccCodewordsPerBlock(version: version, correction: correction)
        }
    }
}
