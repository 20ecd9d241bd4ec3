import Domain
import Foundation

/// The queue table's rows, written here rather than in `queue.leaf`: with up to 200 rows of nine values each,
/// Leaf's tag evaluation and escaping took over a third of the page's server time (8.9 ms of CPU for 50 rows,
/// 18.4 ms for 200, measured with `perf` under `make bench`). Every value goes through `HTMLText.escaped`.
enum PetitionQueueRows {
    /// `divisions`: code → Thai name, for the "กอง/ผู้รับผิดชอบ" cell.
    static func html(_ rows: [PetitionQueue.Row], tenant: Tenant, now: Date, divisions: [String: String] = [:]) -> String {
        var out = ""
        out.reserveCapacity(rows.count * 900)
        for r in rows {
            let status = PetitionStatus(rawValue: r.status) ?? .submitted
            let citizen = r.citizenName ?? (r.channel == PetitionChannel.open311.rawValue ? "ยื่นผ่าน Open311" : "–")
            let division = r.division.map { divisions[$0] ?? $0 } ?? "ไม่ระบุกอง"
            let holder = r.assigneeName.map { HTMLText.escaped($0) } ?? "<span class=\"muted\">ยังไม่มีผู้รับผิดชอบ</span>"
            let overdue = status.isOpen && r.dueAt < now ? " <strong class=\"overdue\">เกินกำหนด</strong>" : ""
            out += """
                <tr class="petition-row">
                    <td data-label="เลขที่คำร้อง"><a href="\(HTMLText.escaped(BackOfficeURL.petition(tenant.slug, r.number).path))" \
                class="petition-number">\(HTMLText.escaped(r.number))</a></td>
                    <td data-label="บริการ">\(HTMLText.escaped(r.serviceName))</td>
                    <td data-label="ผู้ยื่น">\(HTMLText.escaped(citizen))</td>
                    <td data-label="กอง/ผู้รับผิดชอบ">\(HTMLText.escaped(division))<br>\(holder)</td>
                    <td data-label="ยื่นเมื่อ">\(HTMLText.escaped(ThaiDate.shortWithTime(r.createdAt)))</td>
                    <td data-label="กำหนดเสร็จ">\(HTMLText.escaped(ThaiDate.long(r.dueAt)))\(overdue)</td>
                    <td data-label="สถานะ"><span class="status-badge petition-status-\(status.rawValue)">\(HTMLText.escaped(status.thai))</span></td>
                  </tr>

                """
        }
        return out
    }
}
