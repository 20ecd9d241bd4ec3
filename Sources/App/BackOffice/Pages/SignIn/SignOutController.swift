import Foundation
import Vapor

/// `POST /backoffice/logout`: audited, the session deleted on the server and its cookie expired.
struct SignOutController {
    func submit(_ req: Request) async throws -> Response {
        if let state = StaffSession.state(req), let account = try await StaffStore.find(state.staffID, on: req.db) {
            try await AuditLog.record(.signOut, on: req, actor: AuditActor(id: account.id, name: account.username), tenant: nil, detail: "")
        }
        StaffSession.end(req)
        return req.redirect(to: BackOfficeURL.login.path + "?signedout=1", redirectType: .normal)
    }
}
