import Fluent
import Vapor

/// `/healthz`: the process answers. `/readyz`: the database answers too.
struct HealthController {
    func healthz(_ req: Request) -> Response {
        Response(status: .ok, headers: ["Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"], body: "ok\n")
    }

    func readyz(_ req: Request) async -> Response {
        do {
            try await HealthStore.ping(req.db)
            return Response(status: .ok, headers: ["Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"], body: "ready\n")
        } catch {
            req.logger.warning("readiness check failed", metadata: ["error": .string("\(error)")])
            return Response(
                status: .serviceUnavailable, headers: ["Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"], body: "database unavailable\n"
            )
        }
    }
}
