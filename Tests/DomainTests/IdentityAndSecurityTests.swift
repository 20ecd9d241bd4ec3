import Domain
import Foundation
import Testing

@Suite("National ID, one-time codes and the password rule")
struct IdentityAndSecurityTests {
    @Test("a national ID needs 13 digits and a matching check digit", arguments: ["1101700203450", "3-1015-00123-45-9", "1 2345 67890 12 1"])
    func validIDs(raw: String) throws {
        let id = try ThaiNationalID(raw)
        #expect(id.digits.count == 13)
        #expect(!id.masked.contains(id.digits.prefix(9)))
        #expect("\(id)" == id.masked, "printing an ID never shows it whole")
    }

    @Test("wrong check digits and shapes are refused with a Thai message")
    func invalidIDs() throws {
        #expect(throws: ThaiNationalID.Problem.checksum) { try ThaiNationalID("1101700203451") }
        #expect(throws: ThaiNationalID.Problem.notThirteenDigits) { try ThaiNationalID("110170020345") }
        #expect(try ThaiNationalID("๑-๑๐๑๗-๐๐๒๐๓-๔๕-๐").digits == "1101700203450", "Thai digits, as Thai keyboards type them")
        #expect(try ThaiNationalID("1\u{00A0}1017\u{2013}00203 45 0").digits == "1101700203450", "other spaces and dashes")
        #expect(throws: ThaiNationalID.Problem.notThirteenDigits) { try ThaiNationalID("11017002034x0") }
        #expect(throws: ThaiNationalID.Problem.notThirteenDigits) { try ThaiNationalID("11017002034500") }
        #expect(throws: ThaiNationalID.Problem.notThirteenDigits) { try ThaiNationalID("") }
        #expect(throws: ThaiNationalID.Problem.notThirteenDigits) { try ThaiNationalID("1-1017-00203-45-0/") }
        #expect(throws: ThaiNationalID.Problem.checksum) { try ThaiNationalID("1-1017-00203-45-1") }
        #expect(try ThaiNationalID("1101700203450").masked == "x-xxxx-xxxxx-45-0")
        #expect(ThaiNationalID.Problem.checksum.thai.contains("ไม่ถูกต้อง"))
        #expect(try ThaiNationalID("1234567890121").formatted == "1-2345-67890-12-1")
    }

    /// RFC 6238 Appendix B, SHA-1, secret "12345678901234567890", 8 digits.
    @Test(
        "TOTP matches the RFC 6238 test vectors",
        arguments: [
            (59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
        ])
    func rfcVectors(time: Int, expected: String) {
        let totp = TOTP(secret: Array("12345678901234567890".utf8), period: 30, digits: 8)
        #expect(totp.code(at: Date(timeIntervalSince1970: TimeInterval(time))) == expected)
    }

    @Test("a code works within one step of drift, only once, and a 180-second period gives 3-minute codes")
    func verify() {
        let totp = TOTP(secret: TOTP.generateSecret())
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let code = totp.code(at: now)
        let step = totp.verify(code, at: now.addingTimeInterval(25))
        #expect(step != nil)
        #expect(totp.verify(code, at: now.addingTimeInterval(95)) == nil, "three steps later it has expired")
        #expect(totp.verify(code, at: now, lastUsedStep: step) == nil, "a used code does not work again")
        #expect(totp.verify("12345", at: now) == nil && totp.verify("abcdef", at: now) == nil)
        let slow = TOTP(secret: totp.secret, period: 180)
        let slowCode = slow.code(at: now)
        #expect(slow.verify(slowCode, at: now.addingTimeInterval(170)) != nil)
    }

    @Test("base32 and the otpauth URI an authenticator app reads")
    func provisioning() {
        #expect(Base32.encode(Array("foobar".utf8)) == "MZXW6YTBOI")
        #expect(Base32.decode("mzxw 6ytb oi==") == Array("foobar".utf8))
        #expect(Base32.decode("not base32!") == nil)
        let uri = TOTP(secret: Array("12345678901234567890".utf8), period: 180).provisioningURI(account: "somchai", issuer: "e-Service")
        #expect(uri == "otpauth://totp/e-Service%3Asomchai?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=e-Service&algorithm=SHA1&digits=6&period=180")
    }

    @Test("the password rule of the seed, with long passphrases and common passwords refused")
    func passwords() {
        #expect(PasswordPolicy.problems("Kh0nKaen#Rain").isEmpty)
        #expect(PasswordPolicy.problems(String(repeating: "Aa1!", count: 20)).isEmpty, "80 characters are fine")
        #expect(PasswordPolicy.problems("short1!A").isEmpty)
        #expect(PasswordPolicy.problems("Aa1!") == [.tooShort])
        #expect(Set(PasswordPolicy.problems("alllowercase")) == [.noUpper, .noDigit, .noSpecial])
        #expect(PasswordPolicy.problems("P@ssw0rd") == [.common])
        for weak in ["Password2569!", "P@ssw0rd1!", "Qwerty@12345", "Bangkok#2569", "!Welcome123", "Admin_2024", "Thailand@1"] {
            #expect(PasswordPolicy.problems(weak).contains(.common), "\(weak)")
        }
        for fine in ["Krathum#Citizen2569", "Sawasdee#Krub-Phuket9", "Tambon#Admin2569", "Street#Light2569"] {
            #expect(!PasswordPolicy.problems(fine).contains(.common), "\(fine)")
        }
        #expect(PasswordPolicy.problems("Somchai#2569", personal: ["somchai"]) == [.containsPersonalInfo])
        #expect(PasswordPolicy.strength("P@ssw0rd") == .low)
        #expect(PasswordPolicy.strength("Kh0nKaen#Rain") == .veryHigh)
        #expect(PasswordPolicy.strength("abcdefgh1") < PasswordPolicy.strength("Abcdefgh1!"))
        #expect(PasswordPolicy.Problem.noSpecial.thai.contains("$ @ # ! _"))
    }
}
