import Domain
import Foundation
import Vapor

/// A tenant's LINE channel with its secrets read from the environment variables its settings name.
struct LineChannel: Sendable {
    let tenant: Tenant
    let settings: LineChannelSettings
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
        return .success(LineChannel(tenant: tenant, settings: line, secret: secret, accessToken: token, apiBase: settings.lineAPIBase))
    }
}

extension Application {
    /// The tenant's LINE channel, or nil when it has none or its secrets are missing.
    func lineChannel(_ tenant: Tenant) -> LineChannel? {
        try? LineChannel.resolve(tenant, settings: settings).get()
    }
}
