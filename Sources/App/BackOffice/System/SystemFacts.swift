import Domain
import Foundation
import Vapor

/// What this deployment runs, as the system page shows it: facts an operator needs, never a URL with its password, a
/// key or a secret.
struct SystemFacts: Equatable {
    var version: String
    var mode: String
    var startedAt: Date
    var uptimeSeconds: Double
    /// "PostgreSQL" or "SQLite": the kind only, never `DATABASE_URL`.
    var database: String
    /// The local folder, or the S3 bucket (with its prefix) and the endpoint's host, never the keys.
    var storage: String
    var tenantsLoaded: Int
    var runsOutboxWorker: Bool

    init(settings: Settings, startedAt: Date, tenantsLoaded: Int, now: Date) {
        version = AppVersion.describe(revision: settings.revision)
        mode = settings.mode.rawValue
        self.startedAt = startedAt
        uptimeSeconds = max(0, now.timeIntervalSince(startedAt))
        database = settings.databaseURL == nil ? "SQLite" : "PostgreSQL"
        storage = Self.describe(settings.fileStorage)
        self.tenantsLoaded = tenantsLoaded
        runsOutboxWorker = settings.runsOutboxWorker
    }

    static func describe(_ location: StorageLocation) -> String {
        switch location {
        case .local(let folder):
            return "โฟลเดอร์ในเครื่อง \(folder.path)"
        case .s3(let s3):
            // Scheme, host and port only (`endpointDescription`): never a user or password written into the endpoint.
            return "S3 bucket \(s3.bucket)\(s3.prefix.isEmpty ? "" : "/" + s3.prefix) ที่ \(s3.endpointDescription)"
        }
    }
}
