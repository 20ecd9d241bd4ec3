import Domain
import Foundation

/// A citizen's registration data as label/value rows: the owner's profile page and the officer's
/// identity-review page show the same rows.
struct CitizenDetailRow: Encodable, Equatable {
    var label: String
    var value: String

    /// `nationalID` as the page may show it (the owner and the reviewing officer see it in full).
    static func rows(_ a: CitizenAccount, nationalID: String, geography: ThaiGeography) -> [CitizenDetailRow] {
        [
            .init(label: "ชื่อ–นามสกุล", value: a.fullName),
            .init(label: "เลขประจำตัวประชาชน", value: nationalID),
            .init(label: "วันเกิด", value: ThaiBirthDate.long(iso: a.birthDate)),
            .init(label: "โทรศัพท์มือถือ", value: a.mobile),
            .init(label: "อีเมล", value: a.email),
            .init(label: "ที่อยู่", value: a.address.formatted(in: geography)),
            .init(label: "ลงทะเบียนเมื่อ", value: ThaiDate.shortWithTime(a.createdAt)),
            .init(label: "สถานะการยืนยันตัวตน", value: a.verificationStatus.thai),
        ]
    }
}
