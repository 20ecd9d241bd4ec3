import Domain
import Testing

@Suite("E-mail addresses masked in outside text")
struct EmailMaskTests {
    @Test("every address keeps only its first letter and domain; other text is unchanged")
    func masks() {
        let text = "550 5.1.1 <somchai.r@example.co.th>: unknown; copy to a.b+c@mail.go.th ok"
        #expect(EmailMask.masking(text) == "550 5.1.1 <s***@example.co.th>: unknown; copy to a***@mail.go.th ok")
        #expect(EmailMask.masking("connection refused (port 25)") == "connection refused (port 25)")
        #expect(EmailMask.masking("ส่งไม่ได้ สมชาย@ไทย") == "ส่งไม่ได้ สมชาย@ไทย")
    }
}
