import Domain
import Foundation
import Vapor

/// The first platform admin's one-time set-up link: issued on a start with no platform admin (24 hours,
/// single use) and printed to standard output. Called by `serve` from `configure`; the page that uses the
/// link is `PlatformSetupController`.
enum PlatformSetupLink {
    /// The path of a new one-time set-up link when there is no platform admin yet, else nil.
    static func issuePath(_ app: Application) async throws -> String? {
        guard try await !StaffStore.platformAdminExists(on: app.db) else { return nil }
        let token = try await app.db.writeTransaction { db in
            try await SingleUseTokens.issue(.staffSetup, for: .staff(nil), on: db)
        }
        return BackOfficeURL.setup(token).path
    }

    /// Called by `serve`: once the server listens (so the address has the port `--port` chose), prints the link.
    static func announceWhenListening(_ app: Application) async throws {
        guard let path = try await issuePath(app) else { return }
        Task {
            var base = app.settings.publicBaseURL?.absoluteString.trimmingSuffix("/")
            for _ in 0..<200 where base == nil {
                if let address = app.http.server.shared.localAddress, let ip = address.ipAddress, let port = address.port {
                    base = "http://\(ip):\(port)"
                } else {
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            let config = app.http.server.configuration
            announce(link: (base ?? "http://\(config.hostname):\(config.port)") + path)
        }
    }

    /// For tests and tools: issues a link and prints it with the configured address.
    @discardableResult
    static func announceIfNeeded(_ app: Application) async throws -> String? {
        guard let path = try await issuePath(app) else { return nil }
        let config = app.http.server.configuration
        let link = (app.settings.publicBaseURL?.absoluteString.trimmingSuffix("/") ?? "http://\(config.hostname):\(config.port)") + path
        announce(link: link)
        return link
    }

    /// Printed, not logged: this link is the only way in, shown once to whoever started the server.
    private static func announce(link: String) {
        print(
            """

            ==> No platform admin exists yet. Create the first platform admin (link valid 24 hours, single use):
                \(link)

            """)
        fflush(nil)  // all output streams: the link must show even when stdout is a pipe
    }
}
