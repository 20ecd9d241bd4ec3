import App
import Foundation
import Vapor

/// Entry point only: logging, settings, configure, run.
@main
enum Entry {
    static func main() async throws {
        var env = try Environment.detect()
        try LogFormat.bootstrap(from: &env)  // LOG_LEVEL and LOG_FORMAT (text, or one JSON object per line)
        // APP_ENV=production makes Vapor's environment production too when `--env`/VAPOR_ENV name none: in its
        // development environment Leaf turns the template cache off whatever configure asks, and every page
        // then reads and parses its templates again (a third of a list page's CPU). Logging is set up above, as before.
        if env == .development, ProcessInfo.processInfo.environment["APP_ENV"]?.trimmingCharacters(in: .whitespaces) == "production" {
            env = Environment(name: Environment.production.name, arguments: env.arguments)
        }
        let settings: Settings
        do {
            settings = try Settings.load()
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(78)  // EX_CONFIG
        }
        let app = try await Application.make(env)
        do {
            try await configure(app, settings: settings)
            let command = CommandLine.arguments.dropFirst().first { !$0.hasPrefix("-") } ?? "serve"
            if command == "serve" || command == "worker" { try await prepareToServe(app, command: command) }
            try await app.execute()
        } catch let failure as TenantLoader.Failure {
            FileHandle.standardError.write(Data("\(failure)\n".utf8))
            try? await app.asyncShutdown()
            exit(78)
        } catch let stale as SchemaNotCurrent {
            FileHandle.standardError.write(Data("\(stale)\n".utf8))
            try? await app.asyncShutdown()
            exit(78)
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("\(failure)\n".utf8))
            try? await app.asyncShutdown()
            exit(failure.status)
        } catch {
            app.logger.report(error: error)
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}
