/// A tenant's LINE Official Account (Messaging API channel): its channel ID, and the names of the environment
/// variables that hold the channel secret and the access token. The secrets themselves are never in the
/// tenant's folder or the database.
public struct LineChannelSettings: Codable, Sendable, Hashable {
    public var channelID: String
    public var secretEnv: String
    public var tokenEnv: String

    enum CodingKeys: String, CodingKey {
        case channelID = "channel_id"
        case secretEnv = "secret_env"
        case tokenEnv = "token_env"
    }

    public init(channelID: String, secretEnv: String, tokenEnv: String) {
        self.channelID = channelID
        self.secretEnv = secretEnv
        self.tokenEnv = tokenEnv
    }

    /// `LINE_<SLUG>_CHANNEL_SECRET` and `LINE_<SLUG>_ACCESS_TOKEN`: the names a tenant gets unless it says otherwise.
    public static func defaultEnv(slug: String) -> (secret: String, token: String) {
        let s = slug.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
        return ("LINE_\(s)_CHANNEL_SECRET", "LINE_\(s)_ACCESS_TOKEN")
    }

    /// Thai messages for what is wrong, by field (`channel_id`, `secret_env`, `token_env`).
    public func problems() -> [(field: String, message: String)] {
        var out: [(String, String)] = []
        if !(6...20).contains(channelID.count) || !channelID.allSatisfy({ $0.isASCII && $0.isNumber }) {
            out.append(("channel_id", "Channel ID เป็นตัวเลข 6–20 หลัก ตามที่แสดงใน LINE Developers Console"))
        }
        for (field, name) in [("secret_env", secretEnv), ("token_env", tokenEnv)] where !Self.isEnvName(name) {
            out.append((field, "ชื่อตัวแปรสภาพแวดล้อมใช้ได้เฉพาะ A–Z ตัวเลข และ _ ขึ้นต้นด้วยตัวอักษร ยาว 3–64 ตัว (ใส่ชื่อตัวแปร ไม่ใช่ค่าลับ)"))
        }
        if secretEnv == tokenEnv, Self.isEnvName(secretEnv) {
            out.append(("token_env", "ตัวแปรของ access token ต้องไม่ใช่ตัวเดียวกับของ channel secret"))
        }
        return out
    }

    static func isEnvName(_ s: String) -> Bool {
        guard (3...64).contains(s.count), let first = s.first, first.isASCII, first.isUppercase else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }
    }
}
