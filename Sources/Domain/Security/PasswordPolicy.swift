/// The password rule of the seed (e-Service manual): at least 8 characters with upper case, lower case,
/// a digit and a special character such as $ @ # ! _; long passphrases allowed (up to 128); very common
/// passwords refused even when they fit the pattern. Also rates strength for the meter
/// ("รหัสผ่าน มีความปลอดภัยระดับ…").
public enum PasswordPolicy {
    public static let minLength = 8
    public static let maxLength = 128

    /// The rule as every form states it (under each new-password field, staff and citizens alike).
    public static let ruleThai = "อย่างน้อย 8 ตัวอักษร ประกอบด้วยตัวพิมพ์ใหญ่ ตัวพิมพ์เล็ก ตัวเลข และอักขระพิเศษ เช่น $ @ # ! _ (ยาวได้ถึง 128 ตัวอักษร ใช้ประโยคยาว ๆ ได้)"

    /// A problem with a new password and its confirmation, named by the form field it belongs to.
    public struct FieldProblem: Equatable, Sendable {
        public enum Field: Sendable, Equatable { case password, confirm }
        public let field: Field
        public let thai: String
    }

    /// The checks of every "new password" form: the password given and fitting the rule (without the
    /// person's own details), and the confirmation given and the same.
    public static func newPasswordProblems(_ password: String, confirm: String, personal: [String]) -> [FieldProblem] {
        var out: [FieldProblem] = []
        if password.isEmpty {
            out.append(.init(field: .password, thai: "กรุณาตั้งรหัสผ่านใหม่"))
        } else if let problem = problems(password, personal: personal).first {
            out.append(.init(field: .password, thai: problem.thai))
        }
        if confirm.isEmpty {
            out.append(.init(field: .confirm, thai: "กรุณายืนยันรหัสผ่านใหม่"))
        } else if confirm != password {
            out.append(.init(field: .confirm, thai: "รหัสผ่านที่ยืนยันไม่ตรงกัน"))
        }
        return out
    }

    public enum Problem: Equatable, Sendable, CaseIterable {
        case tooShort, tooLong, noUpper, noLower, noDigit, noSpecial, common, containsPersonalInfo

        public var thai: String {
            switch self {
            case .tooShort: "รหัสผ่านต้องมีอย่างน้อย \(PasswordPolicy.minLength) ตัวอักษร"
            case .tooLong: "รหัสผ่านยาวได้ไม่เกิน \(PasswordPolicy.maxLength) ตัวอักษร"
            case .noUpper: "ต้องมีตัวอักษรภาษาอังกฤษพิมพ์ใหญ่อย่างน้อย 1 ตัว"
            case .noLower: "ต้องมีตัวอักษรภาษาอังกฤษพิมพ์เล็กอย่างน้อย 1 ตัว"
            case .noDigit: "ต้องมีตัวเลขอย่างน้อย 1 ตัว"
            case .noSpecial: "ต้องมีอักขระพิเศษอย่างน้อย 1 ตัว เช่น $ @ # ! _"
            case .common: "รหัสผ่านนี้ถูกใช้กันทั่วไปและคาดเดาได้ง่าย กรุณาตั้งรหัสผ่านอื่น"
            case .containsPersonalInfo: "รหัสผ่านต้องไม่มีเลขประจำตัวประชาชน ชื่อ หรือวันเกิดของท่าน"
            }
        }
    }

    public enum Strength: Int, Comparable, Sendable {
        case low, medium, high, veryHigh

        public var thai: String {
            switch self {
            case .low: "ต่ำ"
            case .medium: "ปานกลาง"
            case .high: "สูง"
            case .veryHigh: "สูงมาก"
            }
        }

        public static func < (a: Strength, b: Strength) -> Bool { a.rawValue < b.rawValue }
    }

    /// Passwords that fit the pattern and are still among the first an attacker tries.
    static let common: Set<String> = [
        "p@ssw0rd", "p@ssword1", "p@ssw0rd1", "p@ssw0rd!", "password1!", "password@1", "password@123", "passw0rd!",
        "passw0rd@", "welcome1!", "welcome@1", "welcome@123", "qwerty1!", "qwerty@1", "qwerty@123", "qwerty123!",
        "admin@123", "admin@1234", "admin123!", "abc@1234", "abc@12345", "abcd@1234", "abc123!@#", "aa@123456",
        "aa123456!", "a@123456", "a1234567!", "zaq1@wsx", "1qaz@wsx", "1qaz!qaz", "q1w2e3r4!", "iloveyou1!",
        "bangkok@123", "bangkok1!", "thailand@123", "thailand1!", "sawasdee1!", "changeme1!", "letmein1!", "test@1234",
    ]

    /// Words at the heart of the passwords people choose first, in any case, with look-alike digits and
    /// symbols (P@ssw0rd), and with digits or symbols around them (Password2569!, !Qwerty123).
    static let commonWords: Set<String> = [
        "password", "passw", "pass", "qwerty", "qwertyuiop", "asdf", "asdfgh", "zxcvbn", "abcd", "abcdef",
        "admin", "administrator", "welcome", "letmein", "iloveyou", "loveyou", "love", "changeme", "secret", "login",
        "test", "user", "master", "monkey", "dragon", "sunshine", "princess", "football", "baseball", "superman",
        "bangkok", "thailand", "sawasdee", "sawadee", "chiangmai", "phuket", "thai", "krub",
        "zaqwsx", "qazwsx", "qweasd", "eservice", "government",
    ]

    static func isCommon(_ password: String) -> Bool {
        let lowered = password.lowercased()
        if common.contains(lowered) { return true }
        let lookAlikes: [Character: Character] = ["@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t"]
        // The letters left after look-alikes are read as letters and the other digits and symbols dropped.
        let core = String(
            lowered.compactMap { c -> Character? in
                if let l = lookAlikes[c] { return l }
                return c.isLetter ? c : nil
            })
        let bare = String(lowered.filter(\.isLetter))
        return isCommonWord(core) || isCommonWord(bare)
    }

    /// A common word, alone or followed by at most three digits or symbols read as letters (P@ssw0rd1! → "passwordii").
    private static func isCommonWord(_ word: String) -> Bool {
        if commonWords.contains(word) { return true }
        return commonWords.contains { base in
            word.count - base.count <= 3 && word.hasPrefix(base) && word.dropFirst(base.count).allSatisfy { "aeiost".contains($0) }
        }
    }

    public static func problems(_ password: String, personal: [String] = []) -> [Problem] {
        var out: [Problem] = []
        if password.count < minLength { out.append(.tooShort) }
        if password.count > maxLength { out.append(.tooLong) }
        if !password.contains(where: { $0.isASCII && $0.isUppercase }) { out.append(.noUpper) }
        if !password.contains(where: { $0.isASCII && $0.isLowercase }) { out.append(.noLower) }
        if !password.contains(where: { $0.isASCII && $0.isNumber }) { out.append(.noDigit) }
        if !password.contains(where: { !($0.isLetter || $0.isNumber) }) { out.append(.noSpecial) }
        if isCommon(password) { out.append(.common) }
        let lowered = password.lowercased()
        if personal.contains(where: { $0.count >= 4 && lowered.contains($0.lowercased()) }) { out.append(.containsPersonalInfo) }
        return out
    }

    /// A rough rating for the live meter: length and the kinds of characters, held down for common passwords.
    public static func strength(_ password: String) -> Strength {
        if password.count < minLength || isCommon(password) { return .low }
        let kinds = [
            password.contains { $0.isASCII && $0.isUppercase }, password.contains { $0.isASCII && $0.isLowercase },
            password.contains { $0.isNumber }, password.contains { !($0.isLetter || $0.isNumber) },
        ].filter { $0 }.count
        let score = kinds + (password.count >= 12 ? 1 : 0) + (password.count >= 16 ? 1 : 0)
        switch score {
        case ...2: return .low
        case 3: return .medium
        case 4: return .high
        default: return .veryHigh
        }
    }
}
