/// Places Thai marks for a renderer that does no shaping.
///
/// Debian's libgd is built without libraqm, so `gdImageStringFT` draws one glyph per character with the font's
/// default mark positions: a tone mark on a consonant without an upper vowel floats high (ซ่อม), marks collide
/// with the tails of ป ฝ ฟ ฬ, and below vowels collide with the tails of ญ ฐ ฎ ฏ. The Thai fonts of
/// fonts-thai-tlwg (and most Thai TrueType fonts) carry the positional variants in the Private Use Area
/// U+F700–U+F71A, so choosing those code points here gives what a full shaper (HarfBuzz) draws with the same font;
/// checked against hb-view for Loma. Text without Thai passes through unchanged.
public enum ThaiShaper {
    public static func shape(_ text: String) -> String {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.unicodeScalars.count + 4)
        var base: UInt32?  // the consonant the marks belong to
        var baseIndex = 0
        var hasAbove = false  // an upper vowel or mark already sits on the base

        func put(_ v: UInt32) { out.append(Unicode.Scalar(v)!) }

        for scalar in text.unicodeScalars {
            let c = scalar.value
            guard let consonant = base else {
                if isConsonant(c) { base = c; baseIndex = out.count; hasAbove = false }
                out.append(scalar)
                continue
            }
            let ascender = ascenders.contains(consonant)
            switch c {
            case _ where isConsonant(c):
                base = c; baseIndex = out.count; hasAbove = false
                out.append(scalar)
            case 0x0E38...0x0E3A:  // below vowels ุ ู and phinthu
                if consonant == 0x0E0E || consonant == 0x0E0F {
                    put(0xF718 + c - 0x0E38)  // lowered under the tails of ฎ ฏ
                } else if let tailless = tailless[consonant] {
                    out[baseIndex] = Unicode.Scalar(tailless)!  // ญ ฐ drop their tail
                    out.append(scalar)
                } else {
                    out.append(scalar)
                }
            case _ where upperLeft[c] != nil:  // upper vowels and nikhahit
                hasAbove = true
                if ascender { put(upperLeft[c]!) } else { out.append(scalar) }
            case 0x0E48...0x0E4C:  // tone marks and thanthakhat
                let k = c - 0x0E48
                if hasAbove {
                    if ascender { put(0xF713 + k) } else { out.append(scalar) }
                } else {
                    put(ascender ? 0xF705 + k : 0xF70A + k)  // lowered, as nothing sits below them
                }
                hasAbove = true
            case 0x0E33:  // sara am: nikhahit goes under any tone mark, then sara aa
                let nikhahit: UInt32 = ascender ? 0xF711 : 0x0E4D
                if let last = out.last?.value, (0xF705...0xF70E).contains(last) {
                    out.removeLast()
                    let k = (last - 0xF705) % 5
                    put(nikhahit)
                    put(ascender ? 0xF713 + k : 0x0E48 + k)
                    put(0x0E32)
                } else if ascender {
                    put(nikhahit)
                    put(0x0E32)
                } else {
                    out.append(scalar)
                }
                base = nil
            default:
                base = nil
                out.append(scalar)
            }
        }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: out)
        return String(result)
    }

    private static func isConsonant(_ c: UInt32) -> Bool { (0x0E01...0x0E2E).contains(c) }

    /// ป ฝ ฟ ฬ: marks above move left, clear of the tail.
    private static let ascenders: Set<UInt32> = [0x0E1B, 0x0E1D, 0x0E1F, 0x0E2C]
    /// ญ ฐ without their tail, used when a vowel goes below.
    private static let tailless: [UInt32: UInt32] = [0x0E0D: 0xF70F, 0x0E10: 0xF700]
    /// Upper vowels (ั ิ ี ึ ื ็) and nikhahit, shifted left for an ascender.
    private static let upperLeft: [UInt32: UInt32] = [
        0x0E31: 0xF710, 0x0E34: 0xF701, 0x0E35: 0xF702, 0x0E36: 0xF703, 0x0E37: 0xF704, 0x0E47: 0xF712, 0x0E4D: 0xF711,
    ]
}
