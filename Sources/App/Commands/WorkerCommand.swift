import Vapor

/// `eservice worker`: runs the outbox worker on its own, beside (or instead of) the one inside `serve`. With
/// `--metrics-port P` it also answers `GET /metrics` (and nothing else) on `--metrics-hostname` (default 127.0.0.1),
/// to the same `METRICS_ALLOW`: its done, failed and delivery counters live in this process.
struct WorkerCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "metrics-port", help: "Serve /metrics (only) on this port (1-65535).")
        var metricsPort: String?
        @Option(name: "metrics-hostname", help: "Address /metrics listens on (default 127.0.0.1).")
        var metricsHostname: String?
    }
    var help: String { "Delivers outbox jobs (e-mail, later LINE) until stopped." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        var listening = false
        if let raw = signature.metricsPort {
            guard let port = Int(raw), (1...65535).contains(port) else {
                throw CommandFailure(description: "--metrics-port must be a port number from 1 to 65535 (got '\(raw.prefix(20))')", status: 64)
            }
            app.responder.use { MetricsOnlyResponder(app: $0) }
            do {
                try await app.server.start(address: .hostname(signature.metricsHostname ?? "127.0.0.1", port: port))
                listening = true
            } catch {
                // Delivering e-mails and LINE pushes matters more than counting them: a busy port costs the counters,
                // not the deliveries (and exiting would only have systemd restart it into the same busy port).
                app.logger.error(
                    "worker: /metrics could not listen; delivering without it",
                    metadata: ["port": .stringConvertible(port), "error": .string("\(error)")])
            }
        }
        let worker = app.makeOutboxWorker(id: "worker-\(ProcessInfo.processInfo.processIdentifier)")
        let task = Task { await worker.run() }
        let (signals, continuation) = AsyncStream.makeStream(of: Void.self)
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            sources.append(source)
        }
        for await _ in signals { break }
        sources.forEach { $0.cancel() }
        task.cancel()
        await task.value
        if listening { await app.server.shutdown() }
    }
}

/// What a worker's listener answers: `GET /metrics` as `serve` does (`MetricsController`, `METRICS_ALLOW`), 404 to
/// anything else; no pages, no sessions.
struct MetricsOnlyResponder: Responder {
    let app: Application

    func respond(to request: Request) -> EventLoopFuture<Response> {
        guard request.method == .GET, request.url.path == "/metrics" else {
            return request.eventLoop.makeSucceededFuture(Response(status: .notFound))
        }
        return request.eventLoop.makeFutureWithTask {
            do {
                return try await MetricsController().metrics(req: request)
            } catch let abort as any AbortError {
                return Response(status: abort.status)
            }
        }
    }
}

/// `eservice migrate [--revert]`: brings the schema up to date (`serve` and `worker` also do this at start-up
/// unless `MIGRATE_ON_START=off`). On PostgreSQL under the migration lock (`SchemaMigrations`), so it may run
/// while instances start.
struct MigrateSchemaCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "revert", help: "Revert the last batch of migrations.")
        var revert: Bool
    }

    var help: String { "Runs the database migrations in Migrations/." }

    func run(using context: CommandContext, signature: Signature) async throws {
        if signature.revert {
            // Only the last batch, as the help says (Fluent's `autoRevert` would revert every batch: the whole schema).
            try await SchemaMigrations.revertLastBatch(context.application)
            context.console.print("Reverted the last batch of migrations.")
        } else {
            try await SchemaMigrations.migrate(context.application)
            context.console.print("Database schema is up to date.")
        }
    }
}
