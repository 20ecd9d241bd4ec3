import Domain
import Foundation
import Testing

@Suite("LINE: lengths counted as LINE counts them")
struct LineTextTests {
    @Test("a Thai label is cut at 20 UTF-16 units between characters, with its ellipsis inside the limit")
    func thaiLabel() throws {
        let name = "ร้องเรียนไฟฟ้าส่องสว่างชำรุด"  // 28 characters as Swift counts them, 28 UTF-16 units
        #expect(name.count < name.unicodeScalars.count || name.utf16.count > 20)
        let fitted = name.lineFitted(20, ellipsis: true)
        #expect(fitted.utf16.count <= 20)
        #expect(fitted.hasSuffix("…"))
        #expect(name.hasPrefix(String(fitted.dropLast())))
        // Tone marks and vowels above a consonant are one Swift Character with it, but count in LINE.
        let marks = String(repeating: "น้ำ", count: 10)  // 10 Characters, 30 UTF-16 units
        #expect(marks.count <= 20 && marks.utf16.count > 20)
        #expect(marks.lineFitted(20, ellipsis: true).utf16.count <= 20)
        // An emoji (two units) is never split in half.
        let emoji = String(repeating: "🚧", count: 15)
        let cut = emoji.lineFitted(20)
        #expect(cut == String(repeating: "🚧", count: 10))
        #expect("สั้น".lineFitted(20, ellipsis: true) == "สั้น")
    }

    @Test("a quick reply's label, data and text stay within LINE's limits when encoded")
    func quickReplyEncoding() throws {
        let item = LineQuickReply(
            "แจ้งท่อระบายน้ำอุดตัน น้ำท่วมขัง", .postback(data: "action=file-service&s=" + String(repeating: "ก", count: 400), displayText: "x"))
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(item)) as? [String: Any])
        let action = try #require(json["action"] as? [String: Any])
        #expect(try #require(action["label"] as? String).utf16.count <= 20)
        #expect(try #require(action["data"] as? String).utf16.count <= 300)
    }
}
