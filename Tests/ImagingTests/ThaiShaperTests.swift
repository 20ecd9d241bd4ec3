import Imaging
import Testing

@Suite("Thai mark placement for libgd without libraqm")
struct ThaiShaperTests {
    static func scalars(_ s: String) -> [UInt32] { ThaiShaper.shape(s).unicodeScalars.map(\.value) }

    @Test("a tone mark with nothing above drops to the low form; over an upper vowel it stays")
    func toneMarks() {
        #expect(Self.scalars("ซ่อม") == [0x0E0B, 0xF70A, 0x0E2D, 0x0E21])
        #expect(Self.scalars("ที่") == [0x0E17, 0x0E35, 0x0E48])
        #expect(Self.scalars("เท่านั้น") == [0x0E40, 0x0E17, 0xF70A, 0x0E32, 0x0E19, 0x0E31, 0x0E49, 0x0E19])
        #expect(Self.scalars("กระทุ่ม") == [0x0E01, 0x0E23, 0x0E30, 0x0E17, 0x0E38, 0xF70A, 0x0E21])
        #expect(Self.scalars("ยืนยันตัวตน") == Array("ยืนยันตัวตน".unicodeScalars.map(\.value)))
    }

    @Test("ป ฝ ฟ ฬ push marks left; ญ ฐ lose their tail and ฎ ฏ lower the vowel below")
    func tails() {
        #expect(Self.scalars("ป่า") == [0x0E1B, 0xF705, 0x0E32])
        #expect(Self.scalars("ปั้น") == [0x0E1B, 0xF710, 0xF714, 0x0E19])
        #expect(Self.scalars("ฝี") == [0x0E1D, 0xF702])
        #expect(Self.scalars("ฐุ") == [0xF700, 0x0E38])
        #expect(Self.scalars("ญู") == [0xF70F, 0x0E39])
        #expect(Self.scalars("ฎุ") == [0x0E0E, 0xF718])
    }

    @Test("sara am after a tone mark: nikhahit first, the tone mark above it, then sara aa")
    func saraAm() {
        #expect(Self.scalars("น้ำ") == [0x0E19, 0x0E4D, 0x0E49, 0x0E32])
        #expect(Self.scalars("ตำ") == [0x0E15, 0x0E33])
        #expect(Self.scalars("ป่ำ") == [0x0E1B, 0xF711, 0xF713, 0x0E32])
    }

    @Test("text without Thai, digits and stray marks pass through")
    func passThrough() {
        #expect(ThaiShaper.shape("ID 1234 ธ.ค. 2569") == "ID 1234 ธ.ค. 2569")
        #expect(ThaiShaper.shape("") == "")
        #expect(Self.scalars("\u{0E48}a") == [0x0E48, 0x61])
    }
}
