// Reed–Solomon error correction over GF(2^8) as QR Code uses it (ISO/IEC 18004):
// field polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D), generator element α = 2, and for n ECC codewords the
// generator polynomial g(x) = (x − α^0)(x − α^1)…(x − α^(n−1)). The ECC codewords are the remainder of
// data(x) · x^n divided by g(x). (In GF(2^8) subtraction is XOR, the same as addition.)

extension QRCode {
    enum ReedSolomon {
        /// `exp[i] = α^i` for i in 0..<255, repeated once more so products of logs need no `% 255`.
        private static let exp: [UInt8] = {
            var table = [UInt8](repeating: 0, count: 510)
            var value = 1
            for i in 0..<255 {
                table[i] = UInt8(value)
                table[i + 255] = UInt8(value)
                value <<= 1
                if value & 0x100 != 0 { value ^= 0x11D }
            }
            return table
        }()

        /// `log[α^i] = i`; `log[0]` is unused.
        private static let log: [Int] = {
            var table = [Int](repeating: 0, count: 256)
            for i in 0..<255 { table[Int(exp[i])] = i }
            return table
        }()

        static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
            if a == 0 || b == 0 { return 0 }
            return exp[log[Int(a)] + log[Int(b)]]
        }

        /// Coefficients of g(x), highest power first; the leading coefficient is always 1.
        static func generator(degree: Int) -> [UInt8] {
            var poly: [UInt8] = [1]
            for i in 0..<degree {
                // poly · (x + α^i)
                var next = [UInt8](repeating: 0, count: poly.count + 1)
                for (j, coefficient) in poly.enumerated() {
                    next[j] ^= coefficient
                    next[j + 1] ^= multiply(coefficient, exp[i])
                }
                poly = next
            }
            return poly
        }

        /// The ECC codewords for `data`: (data(x) · x^n) mod g(x), by polynomial long division
        /// (a shift register holding the running remainder).
        static func remainder(of data: [UInt8], generator: [UInt8]) -> [UInt8] {
            let degree = generator.count - 1
            var remainder = [UInt8](repeating: 0, count: degree)
            guard degree > 0 else { return remainder }
            for byte in data {
                let factor = byte ^ remainder[0]
                for j in 0..<degree - 1 { remainder[j] = remainder[j + 1] }
                remainder[degree - 1] = 0
                if factor != 0 {
                    for j in 0..<degree { remainder[j] ^= multiply(generator[j + 1], factor) }
                }
            }
            return remainder
        }
    }
}
