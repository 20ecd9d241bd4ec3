import Foundation
import Vapor

/// What an approver posts from a table with checkboxes: the chosen ids, approve or reject, and a reason
/// (required to reject). `problem` is the Thai message when the form cannot be acted on.
struct BulkDecision: Content {
    var ids: [String]?
    var action: String?
    var reason: String?

    var chosen: [UUID] { (ids ?? []).compactMap(UUID.init(uuidString:)) }
    var approve: Bool { action == "approve" }
    var cleanReason: String { reason.clean }

    var problem: String? {
        if chosen.isEmpty || !["approve", "reject"].contains(action ?? "") {
            return "กรุณาเลือกคำขออย่างน้อยหนึ่งรายการ แล้วกดอนุมัติหรือไม่อนุมัติ"
        }
        if !approve && cleanReason.isEmpty { return "กรุณาระบุเหตุผลที่ไม่อนุมัติ" }
        return nil
    }
}
