import Vapor

/// `eservice worker`: runs the outbox worker on its own, beside (or instead of) the one inside `serve`.
struct WorkerCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Delivers outbox jobs (e-mail, later LINE) until stopped." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
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
