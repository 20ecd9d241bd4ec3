import Domain
import Foundation
import Vapor

extension Application {
    struct StaffNationalIDVaultKey: StorageKey { typealias Value = NationalIDVault }

    /// Seals staff national IDs and makes their look-up hash, with keys of their own (not the citizens').
    var staffNationalIDs: NationalIDVault {
        get throws {
            guard let v = storage[StaffNationalIDVaultKey.self] else { throw Abort(.internalServerError, reason: "vault not configured") }
            return v
        }
    }
}

/// The first password of an account an admin creates: the birth date as DDMMYYYY in the Buddhist era (the
/// BMA seed's rule), good for 72 hours from when it was issued; the admin can issue it again.
enum StaffInitialPassword {
    static let lifetime: TimeInterval = 72 * 3600
    static let expiredMessage = "รหัสผ่านเริ่มต้นหมดอายุแล้ว (ใช้ได้ 72 ชั่วโมงนับจากที่ผู้ดูแลระบบออกให้) กรุณาติดต่อผู้ดูแลระบบเพื่อขอรหัสผ่านเริ่มต้นใหม่"
}
