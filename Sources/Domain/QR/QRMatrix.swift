// The module matrix: function patterns, data placement, masking, format and version information,
// and the mask penalty rules (ISO/IEC 18004).
//
// Coordinates: x is the column (0 = left), y the row (0 = top); storage is row-major, `y * size + x`.

extension QRCode {
    struct Matrix {
        let version: Int
        let size: Int
        /// Module colours, `true` = dark.
        var dark: [Bool]
        /// Function modules (finders, separators, timing, alignment, format/version info, dark module):
        /// never hold data and are never masked.
        private(set) var reserved: [Bool]

        /// A matrix with every function pattern drawn; the format information is reserved but written
        /// later by `drawFormatBits`, once the mask is known.
        init(version: Int) {
            self.version = version
            self.size = Tables.size(version: version)
            self.dark = [Bool](repeating: false, count: size * size)
            self.reserved = [Bool](repeating: false, count: size * size)
            drawFunctionPatterns()
        }

        private mutating func set(x: Int, y: Int, dark isDark: Bool) {
            dark[y * size + x] = isDark
            reserved[y * size + x] = true
        }

        // MARK: Function patterns

        private mutating func drawFunctionPatterns() {
            // Timing patterns: row 6 and column 6 alternate, dark on even indices. Drawn first; the finders
            // and alignment patterns then overwrite the parts that overlap them.
            for i in 0..<size {
                set(x: i, y: 6, dark: i % 2 == 0)
                set(x: 6, y: i, dark: i % 2 == 0)
            }

            // Finder patterns (7×7: dark ring, light ring, 3×3 dark core) with their one-module light
            // separators, at the top-left, top-right and bottom-left corners.
            for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
                for dy in -4...4 {
                    for dx in -4...4 {
                        let x = cx + dx, y = cy + dy
                        guard x >= 0, y >= 0, x < size, y < size else { continue }
                        let ring = max(abs(dx), abs(dy))  // 0–1 core, 2 light, 3 dark, 4 separator
                        set(x: x, y: y, dark: ring != 2 && ring != 4)
                    }
                }
            }

            // Alignment patterns (5×5: dark centre, light ring, dark ring) at every pair of centre
            // coordinates, except the three pairs that would overlap a finder.
            let centres = Tables.alignmentCentres(version: version)
            let last = centres.count - 1
            for (i, cy) in centres.enumerated() {
                for (j, cx) in centres.enumerated() {
                    if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) { continue }
                    for dy in -2...2 {
                        for dx in -2...2 {
                            set(x: cx + dx, y: cy + dy, dark: max(abs(dx), abs(dy)) != 1)
                        }
                    }
                }
            }

            // Reserve the format information areas (written for real once the mask is chosen).
            drawFormatBits(bits: 0)
            // The single "dark module" beside the bottom-left finder, always dark.
            set(x: 8, y: size - 8, dark: true)

            // Version information (versions 7 and up): 6-bit version + 12-bit BCH(18,6) remainder with
            // generator x^12 + x^11 + x^10 + x^9 + x^8 + x^5 + x^2 + 1 (0x1F25), not masked. Two 3×6 blocks:
            // above the bottom-left finder and left of the top-right finder, the second the transpose of
            // the first. In the top-right block bit i (0 = least significant) is at column size − 11 + i % 3,
            // row i / 3: bit 0 top left, bit 17 bottom right.
            if version >= 7 {
                let bits = (version << 12) | Self.bchRemainder(version, generator: 0x1F25, degree: 12)
                for i in 0..<18 {
                    let isDark = (bits >> i) & 1 == 1
                    let a = size - 11 + i % 3, b = i / 3
                    set(x: a, y: b, dark: isDark)  // top-right block
                    set(x: b, y: a, dark: isDark)  // bottom-left block
                }
            }
        }

        /// Remainder of `value · x^degree` divided by `generator` over GF(2) (the BCH check bits).
        static func bchRemainder(_ value: Int, generator: Int, degree: Int) -> Int {
            var remainder = value
            for _ in 0..<degree {
                remainder = (remainder << 1) ^ ((remainder >> (degree - 1)) & 1 == 1 ? generator : 0)
            }
            return remainder & ((1 << degree) - 1)
        }

        /// The 15 format bits: 2-bit error-correction indicator and 3-bit mask number, a 10-bit BCH(15,5)
        /// remainder with generator x^10 + x^8 + x^5 + x^4 + x^2 + x + 1 (0x537), all XORed with the fixed
        /// mask 101010000010010 (0x5412) so the result is never all zeros.
        static func formatBits(correction: ErrorCorrection, mask: Int) -> Int {
            // Note the indicators are not in L, M, Q, H order.
            let indicator =
                switch correction {
                case .low: 0b01
                case .medium: 0b00
                case .quartile: 0b11
                case .high: 0b10
                }
            let data = (indicator << 3) | mask
            return ((data << 10) | bchRemainder(data, generator: 0x537, degree: 10)) ^ 0x5412
        }

        mutating func drawFormatBits(correction: ErrorCorrection, mask: Int) {
            drawFormatBits(bits: Self.formatBits(correction: correction, mask: mask))
        }

        /// Writes both copies of the format information. Bit 0 is the least significant.
        private mutating func drawFormatBits(bits: Int) {
            func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
            // Copy 1, around the top-left finder: bits 0–7 down column 8 from the top edge (skipping the
            // timing row 6), bits 8–14 leftwards along row 8 (skipping the timing column 6).
            for i in 0...5 { set(x: 8, y: i, dark: bit(i)) }
            set(x: 8, y: 7, dark: bit(6))
            set(x: 8, y: 8, dark: bit(7))
            set(x: 7, y: 8, dark: bit(8))
            for i in 9...14 { set(x: 14 - i, y: 8, dark: bit(i)) }
            // Copy 2, split: bits 0–7 along row 8 under the top-right finder (right to left),
            // bits 8–14 down column 8 beside the bottom-left finder.
            for i in 0...7 { set(x: size - 1 - i, y: 8, dark: bit(i)) }
            for i in 8...14 { set(x: 8, y: size - 15 + i, dark: bit(i)) }
        }

        // MARK: Data

        /// Places the codeword bits (most significant first) in two-module-wide columns from the right
        /// edge, zig-zagging up then down, skipping function modules and the whole vertical timing column.
        /// Modules left over (the 0–7 remainder bits) stay light before masking.
        mutating func placeData(_ codewords: [UInt8]) {
            let bitCount = codewords.count * 8
            var index = 0
            var upward = true
            var right = size - 1  // right-hand column of the current pair
            while right > 0 {
                if right == 6 { right = 5 }  // column 6 is the vertical timing pattern
                for step in 0..<size {
                    let y = upward ? size - 1 - step : step
                    for dx in 0...1 {
                        let k = y * size + right - dx
                        if reserved[k] { continue }
                        if index < bitCount {
                            dark[k] = (codewords[index >> 3] >> (7 - (index & 7))) & 1 == 1
                            index += 1
                        }
                    }
                }
                upward.toggle()
                right -= 2
            }
            assert(index == bitCount, "codewords do not fill the symbol")
        }

        // MARK: Masking

        /// Data mask condition (ISO/IEC 18004 data mask pattern table), i = row, j = column: where it
        /// holds, the module is inverted.
        static func masks(_ mask: Int, x j: Int, y i: Int) -> Bool {
            switch mask {
            case 0: (i + j) % 2 == 0
            case 1: i % 2 == 0
            case 2: j % 3 == 0
            case 3: (i + j) % 3 == 0
            case 4: (i / 2 + j / 3) % 2 == 0
            case 5: (i * j) % 2 + (i * j) % 3 == 0
            case 6: ((i * j) % 2 + (i * j) % 3) % 2 == 0
            default: ((i + j) % 2 + (i * j) % 3) % 2 == 0
            }
        }

        /// Inverts the data modules where the mask condition holds (applying it twice undoes it).
        mutating func applyMask(_ mask: Int) {
            for y in 0..<size {
                for x in 0..<size where !reserved[y * size + x] && Self.masks(mask, x: x, y: y) {
                    dark[y * size + x].toggle()
                }
            }
        }

        /// The mask whose finished symbol (including its format information) has the lowest penalty;
        /// ties go to the lower mask number.
        func bestMask(correction: ErrorCorrection) -> Int {
            var best = 0
            var bestPenalty = Int.max
            for mask in 0...7 {
                var candidate = self
                candidate.applyMask(mask)
                candidate.drawFormatBits(correction: correction, mask: mask)
                let penalty = Self.penalty(candidate.dark, size: size)
                if penalty < bestPenalty { (best, bestPenalty) = (mask, penalty) }
            }
            return best
        }

        // MARK: Penalty rules (ISO/IEC 18004, evaluation of data masking results)

        /// Sum of the four penalty scores for a finished symbol.
        ///
        /// This runs eight times per symbol, so it reads the modules through a pointer: plain array
        /// subscripts are several times slower in debug builds. Every index stays below `size * size`.
        static func penalty(_ modules: [Bool], size: Int) -> Int {
            precondition(modules.count == size * size)
            return modules.withUnsafeBufferPointer { buffer in
                guard let m = buffer.baseAddress else { return 0 }
                var total = 0

                // Rules 1 and 3, along every row and every column.
                for i in 0..<size {
                    total += linePenalty(m + i * size, step: 1, count: size)
                    total += linePenalty(m + i, step: size, count: size)
                }

                // Rule 2: 3 points for every 2×2 block of one colour (overlapping blocks all count).
                for y in 0..<size - 1 {
                    let top = m + y * size, bottom = top + size
                    for x in 0..<size - 1 {
                        let c = top[x]
                        if c == top[x + 1], c == bottom[x], c == bottom[x + 1] { total += 3 }
                    }
                }

                // Rule 4: 10 points for each full 5 % by which the share of dark modules deviates from
                // 50 %, i.e. 10 · floor(|dark/total − 1/2| · 20).
                var darkCount = 0
                for k in 0..<size * size where m[k] { darkCount += 1 }
                let count = size * size
                total += 10 * (abs(20 * darkCount - 10 * count) / count)
                return total
            }
        }

        /// Rules 1 and 3 along one row or column, the `count` modules `line[0]`, `line[step]`, … :
        ///
        /// - Rule 1: a run of n ≥ 5 modules of one colour scores 3 + (n − 5).
        /// - Rule 3: 40 points for each dark-light-dark-dark-dark-light-dark (1:1:3:1:1) pattern with four
        ///   light modules before or after it (counted once even if both). Beyond the edge counts as light,
        ///   as the quiet zone is; this is the same reading of the spec as ZXing's.
        static func linePenalty(_ line: UnsafePointer<Bool>, step: Int, count: Int) -> Int {
            var penalty = 0
            var runColour = false
            var runLength = 0
            // The last 15 modules seen, newest in bit 0; starting at 0 stands for the light area before
            // the line, and the loop runs 4 modules past the end to slide light modules in after it.
            var window = 0
            for q in 0..<count + 4 {
                let isDark = q < count && line[q * step]
                if q < count {
                    if q > 0 && isDark == runColour {
                        runLength += 1
                    } else {
                        if runLength >= 5 { penalty += runLength - 2 }
                        runColour = isDark
                        runLength = 1
                    }
                }
                window = ((window << 1) | (isDark ? 1 : 0)) & 0x7FFF
                // Bits 14…11: the 4 modules before the candidate; 10…4: the candidate q−10…q−4; 3…0: after.
                if q >= 10, (window >> 4) & 0x7F == 0b1011101, window & 0xF == 0 || window >> 11 == 0 {
                    penalty += 40
                }
            }
            if runLength >= 5 { penalty += runLength - 2 }
            return penalty
        }
    }
}
