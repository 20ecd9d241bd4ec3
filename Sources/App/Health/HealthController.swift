import Fluent
import SQLKit
import Vapor

/// `/healthz`: the process answers. `/readyz`: the database answers too.
struct HealthController {
    func healthz(_ req: Request) -> Response {
        Response(status: .ok, headers: ["Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"], body: "ok\n")
    }

    func readyz(_ req: Request) async -> Response {
        do {
            guard let sql = req.db as? any SQLDatabase else { throw Abort(.serviceUnavailable) }
            _ = try await sql.raw("SELECT 1 AS ok").first()
            return Response(status: .ok, headers: ["Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"], body: "ready\n")
        } catch {
            req.logger.warning("readiness check failed", metadata: ["error": .string("\(error)")])
            return Response(status: .serviceUnavailable, headers: ["Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"], body: "database unavailable\n")
        }
    }
}
