import Domain
import Fluent
import FluentKit
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// The e-mails waiting in the outbox, newest last (the notice events waiting are run first, as the worker
/// would, so the e-mails they cause are among them).
func queuedMails(_ app: Application) async throws -> [OutgoingMail] {
    try await NoticeTestSupport.run(app)
    let sql = try #require(app.db as? any SQLDatabase)
    return try await sql.raw("SELECT payload FROM outbox_jobs WHERE kind = \(bind: EmailOutbox.kind) ORDER BY created_at").all()
        .map { try JSONDecoder.outbox.decode(OutgoingMail.self, from: Data(try $0.decode(column: "payload", as: String.self).utf8)) }
}

func post(
    _ app: Application, _ path: String, _ client: StaffClient, _ fields: [String: String],
    _ check: (TestingHTTPResponse) async throws -> Void
) async throws {
    let (headers, body) = client.form(fields)
    try await app.testing().test(.POST, path, headers: headers, body: ByteBuffer(string: body), afterResponse: check)
}

func get(_ app: Application, _ path: String, _ client: StaffClient, _ check: (TestingHTTPResponse) async throws -> Void) async throws {
    try await app.testing().test(.GET, path, headers: client.headers, afterResponse: check)
}

@Suite("Back office: rights, requests and approvals")
struct AccessRequestTests {
    @Test("request → approve → the right works; reject → it does not; remove → gone on the next request", arguments: TestDatabase.all)
    func lifecycle(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin, username: "bkt.admin")
            let staff = try await signedInStaff(app, tenant: nil, role: nil, username: "somchai.j")
            try await get(app, "/backoffice/t/bangkrathum/", staff) { #expect($0.status == .forbidden) }

            // Request Officer rights in bangkrathum.
            try await post(app, "/backoffice/requests", staff, ["tenant": "bangkrathum", "role": "officer", "note": "งานธุรการ"]) { res in
                #expect(res.status == .seeOther)
            }
            // The same request again is refused while the first waits.
            try await post(app, "/backoffice/requests", staff, ["tenant": "bangkrathum", "role": "officer"]) { res in
                #expect(res.status == .conflict)
                #expect(res.body.string.contains("รอตรวจสอบอยู่แล้ว"))
            }
            try await get(app, "/backoffice/requests", staff) { res in
                #expect(res.body.string.contains("รอตรวจสอบ"))
                #expect(res.body.string.contains("AR-\(ThaiDate.buddhistYear(of: Date()))-000001"))
            }
            let request = try #require(try await AccessRequestRecord.query(on: app.db).first())

            // Another tenant's admin may not decide it; nothing changes.
            let otherAdmin = try await signedInStaff(app, tenant: "nakhonpathom", role: .orgAdmin)
            try await get(app, "/backoffice/approvals", otherAdmin) { #expect(!$0.body.string.contains(request.number)) }
            try await post(app, "/backoffice/approvals", otherAdmin, ["ids[]": request.id!.uuidString, "action": "approve"]) {
                #expect($0.status == .forbidden)
            }
            #expect(try await AccessRequestRecord.find(request.id, on: app.db)?.status == .pending)

            // Rejecting needs a reason.
            try await post(app, "/backoffice/approvals", admin, ["ids[]": request.id!.uuidString, "action": "reject"]) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("กรุณาระบุเหตุผลที่ไม่อนุมัติ"))
            }
            // Approve in the bulk table: the right works at once.
            try await get(app, "/backoffice/approvals", admin) { res in
                #expect(res.body.string.contains(request.number))
                #expect(res.body.string.contains("name=\"ids[]\""))
            }
            try await post(app, "/backoffice/approvals", admin, ["ids[]": request.id!.uuidString, "action": "approve"]) { #expect($0.status == .seeOther) }
            try await get(app, "/backoffice/t/bangkrathum/", staff) { #expect($0.status == .ok) }
            try await get(app, "/backoffice/", staff) { res in
                #expect(res.body.string.contains("BKT"))
                #expect(res.body.string.contains("ระบบงานเจ้าหน้าที่ เทศบาล"))
            }
            let mails = try await queuedMails(app)
            #expect(mails.contains { $0.to == ["somchai.j@example.go.th"] && $0.subject.contains("อนุมัติ") })
            // An officer may not open the tenant's admin pages.
            try await get(app, "/backoffice/t/bangkrathum/staff", staff) { #expect($0.status == .forbidden) }

            // Ask for Organization admin: a tenant's admin cannot grant that; a platform admin can reject it.
            try await post(app, "/backoffice/requests", staff, ["tenant": "bangkrathum", "role": "org_admin"]) { #expect($0.status == .seeOther) }
            let second = try #require(try await AccessRequestRecord.query(on: app.db).filter(\.$roleRaw == "org_admin").first())
            try await post(app, "/backoffice/approvals", admin, ["ids[]": second.id!.uuidString, "action": "approve"]) { #expect($0.status == .forbidden) }
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            try await post(app, "/backoffice/approvals", platform, ["ids[]": second.id!.uuidString, "action": "reject", "reason": "มีผู้ดูแลแล้ว"]) {
                #expect($0.status == .seeOther)
            }
            try await get(app, "/backoffice/t/bangkrathum/staff", staff) { #expect($0.status == .forbidden) }
            try await get(app, "/backoffice/requests", staff) { res in
                #expect(res.body.string.contains("ไม่อนุมัติ"))
                #expect(res.body.string.contains("มีผู้ดูแลแล้ว"))
            }

            // Remove the right: gone on the next request.
            try await post(app, "/backoffice/t/bangkrathum/staff/revoke", admin, ["staff": staff.id.uuidString, "role": "officer"]) {
                #expect($0.status == .seeOther)
            }
            try await get(app, "/backoffice/t/bangkrathum/", staff) { #expect($0.status == .forbidden) }

            // All of it is in the audit log, and the tenant's admin sees only their tenant's events.
            let actions = try await AuditLog.list(.init(), on: app.db).map(\.actionRaw)
            for a in [AuditAction.accessRequested, .accessApproved, .accessRejected, .rightRemoved] { #expect(actions.contains(a.rawValue)) }
            try await get(app, "/backoffice/audit", admin) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("ถอนสิทธิ์การใช้งาน"))
                #expect(!res.body.string.contains("เทศบาลนครนครปฐม"))
            }
            try await get(app, "/backoffice/audit?tenant=nakhonpathom", admin) { #expect($0.status == .forbidden) }
        }
    }

    @Test("approving many requests at once, from the table with checkboxes", arguments: TestDatabase.all)
    func bulk(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let admin = try await signedInStaff(app, tenant: "bangrak", role: .orgAdmin)
            var ids: [String] = []
            for i in 0..<3 {
                let s = try await signedInStaff(app, tenant: nil, role: nil, username: "bulk\(i)")
                try await post(app, "/backoffice/requests", s, ["tenant": "bangrak", "role": "officer"]) { #expect($0.status == .seeOther) }
            }
            ids = try await AccessRequestRecord.query(on: app.db).all().compactMap { $0.id?.uuidString }
            let (headers, _) = admin.form([:])
            let body = formBody(["_csrf": admin.csrf, "action": "approve"]) + ids.map { "&ids%5B%5D=\($0)" }.joined()
            try await app.testing().test(.POST, "/backoffice/approvals", headers: headers, body: ByteBuffer(string: body)) { #expect($0.status == .seeOther) }
            let grants = try await StaffGrantRecord.query(on: app.db).filter(\.$tenantID == "bangrak").filter(\.$roleRaw == "officer").count()
            #expect(grants == 3)
        }
    }
}
