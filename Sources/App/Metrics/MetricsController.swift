import Domain
import Fluent
import Foundation
import Vapor

/// `GET /metrics`: the Prometheus text, only when the TCP peer is in `METRICS_ALLOW` and the request carries no
/// forwarding header; anyone else gets the ordinary 404. Prometheus scrapes each instance directly, so a request that
/// came through a proxy (nginx adds `X-Forwarded-For`) is never a scrape: judging the forwarded address instead would
/// let any host inside a broad `TRUSTED_PROXIES` range claim `X-Forwarded-For: 127.0.0.1`, and judging nginx's own
/// loopback address would let the world in.
/// No session, no cookie. The outbox gauges come from one grouped query (`OutboxStore.queueSummary`), read at
/// most every `AppMetrics.databaseGaugeTTL`; scrapes in between reuse the values.
struct MetricsController {
    func metrics(req: Request) async throws -> Response {
        guard Self.allows(req, req.application.settings.metricsAllow) else { throw Abort(.notFound) }
        let app = req.application
        let metrics = app.metrics
        metrics.setProcessGauges(tenants: app.tenants.all.count, imageQueue: (try? app.imageWork.load) ?? 0)
        if metrics.claimDatabaseRead() {
            await Self.readDatabase(app: app, metrics: metrics, logger: req.logger)
        }
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
        headers.add(name: .cacheControl, value: "no-store")
        return Response(status: .ok, headers: headers, body: .init(string: metrics.exposition()))
    }

    static func allows(_ req: Request, _ networks: [IPNetwork]) -> Bool {
        guard !req.headers.contains(name: .xForwardedFor), !req.headers.contains(name: .forwarded),
            !req.headers.contains(name: "X-Real-IP"),
            let address = req.remoteAddress.flatMap(IPAddress.init(socketAddress:))
        else { return false }
        return networks.contains { $0.contains(address) }
    }

    /// The pool wait (how long this connection took to come) and the queue, on one connection. A failure keeps the
    /// last values and lets the next scrape try again.
    static func readDatabase(app: Application, metrics: AppMetrics, logger: Logger) async {
        let asked = ContinuousClock.now
        let kinds = Array((app.storage[Application.HandlersKey.self] ?? [:]).keys)
        do {
            try await app.db.withConnection { db in
                metrics.setPoolWait(ContinuousClock.now - asked)
                let summary = try await OutboxStore.queueSummary(now: Date(), on: db)
                metrics.setQueue(summary, registeredKinds: kinds)
            }
        } catch {
            metrics.lastDatabaseRead.withLockedValue { $0 = nil }
            metrics.noteFailure(error)
            logger.warning("metrics: the outbox could not be read", metadata: ["error": .string("\(error)")])
        }
    }
}
