import Domain
import Foundation
import Vapor

/// A tenant's LINE channel with its secrets read from the environment variables its settings name.
struct LineChannel: Sendable {
    let tenant: Tenant
    let secret: String
    let accessToken: String
    let apiBase: URL

    enum Problem: Error, Equatable, Sendable {
        case notConfigured
        /// The environment variables named in the settings that are not set.
        case missingSecrets([String])

        var thai: String {
            switch self {
            case .notConfigured: "ยังไม่ได้ตั้งค่าช่องทาง LINE"
            case .missingSecrets(let names): "ไม่พบค่าในตัวแปรสภาพแวดล้อมของเซิร์ฟเวอร์: " + names.joined(separator: ", ")
            }
        }
    }

    static func resolve(_ tenant: Tenant, settings: Settings) -> Result<LineChannel, Problem> {
        guard let line = tenant.config.line else { return .failure(.notConfigured) }
        func env(_ name: String) -> String? {
            guard let v = settings.environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
            return v
        }
        let secret = env(line.secretEnv), token = env(line.tokenEnv)
        guard let secret, let token else {
            return .failure(.missingSecrets([secret == nil ? line.secretEnv : nil, token == nil ? line.tokenEnv : nil].compactMap { $0 }))
        }
        return .success(LineChannel(tenant: tenant, secret: secret, accessToken: token, apiBase: settings.lineAPIBase))
    }
}

extension LineChannel {
    /// An outbox job's payload, tenant and channel; what cannot be read or is gone ends the job for good.
    static func forJob<Payload: Decodable>(_ job: ClaimedJob, _ type: Payload.Type, app: Application) throws -> (Payload, LineChannel) {
        let payload: Payload
        do {
            payload = try JSONDecoder.outbox.decode(Payload.self, from: Data(job.payload.utf8))
        } catch {
            throw OutboxFailure.permanent("payload is not a \(job.kind) job: \(error)")
        }
        guard let slug = job.tenantID, let tenant = app.tenants.tenant(slug: slug) else { throw OutboxFailure.permanent("no such tenant") }
        switch resolve(tenant, settings: app.settings) {
        case .success(let channel): return (payload, channel)
        case .failure(let problem): throw OutboxFailure.permanent(problem.thai)
        }
    }
}

extension Application {
    /// The tenant's LINE channel, or nil when it has none or its secrets are missing.
    func lineChannel(_ tenant: Tenant) -> LineChannel? {
        try? LineChannel.resolve(tenant, settings: settings).get()
    }
}
