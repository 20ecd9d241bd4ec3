import Domain
import Foundation
import Vapor

/// Every setting the server reads, from the environment, once, at start-up.
/// `Settings.load` names every missing or bad setting in one message.
public struct Settings: Sendable {
    /// SQLite connections per event loop (see `configure`).
    public static let sqliteConnectionsPerEventLoop = 2

    /// Threads of the blocking pool: every SQLite connection may wait on one, plus room for file work.
    public static func blockingThreads(cores: Int) -> Int {
        max(8, sqliteConnectionsPerEventLoop * max(1, cores) + 4)
    }

    public enum Mode: String, Sendable { case development, production, testing }

    public var mode: Mode
    public var dataDirectory: URL
    public var tenantsDirectory: URL
    public var databaseURL: String?
    /// The address people reach the site at; `https` makes cookies Secure.
    public var publicBaseURL: URL?
    public var smtp: SMTPSettings?
    public var mailFrom: String
    public var runsOutboxWorker: Bool
    /// Key for tokens that need one (CSRF binding, hashed single-use tokens). Never logged.
    public var appSecret: [UInt8]
    public var viewsDirectory: URL
    public var publicDirectory: URL
    /// Debian's fonts-thai-tlwg-web (WOFF), served at /fonts/tlwg/ for devices without a Thai font.
    public var webFontsDirectory: URL
    /// bcrypt cost for staff (and later citizen) passwords: `PASSWORD_HASH_COST`, 12 by default.
    public var passwordHashCost: Int = 12
    /// TOTP period for new staff OTP enrolments: `STAFF_OTP_PERIOD`, 30 (every authenticator app) or 180
    /// (the 3-minute codes of the BMA OTP app).
    public var staffOTPPeriod: Int = 30
    /// The TrueType font of the identity-image watermark (`WATERMARK_FONT`; Loma from fonts-thai-tlwg).
    public var watermarkFont: String = Settings.defaultWatermarkFont
    /// How many images may be decoded and watermarked at once (`IMAGE_WORKERS`; default: the core count).
    public var imageWorkers: Int = ProcessInfo.processInfo.activeProcessorCount
    /// How many more images may wait for a worker (`IMAGE_QUEUE`; default twice `IMAGE_WORKERS`); past that an
    /// upload is answered 503 with `Retry-After`.
    public var imageQueue: Int = 2 * ProcessInfo.processInfo.activeProcessorCount
    /// How many files one citizen account may upload in an hour (`UPLOAD_FILES_PER_HOUR`, 1–100,000; default 30).
    public var uploadFilesPerHour: Int = 30
    /// Proxies whose `X-Forwarded-For`/`Forwarded` name the client (`TRUSTED_PROXIES`; default: none, the peer is
    /// the client).
    public var trustedProxies: TrustedProxies = .none
    /// `serve` and `worker` bring the schema up to date at start (`MIGRATE_ON_START`, on by default); off, they
    /// only check it is and refuse to start otherwise (the deploy runs `eservice migrate`).
    public var migrateOnStart: Bool = true
    /// The deployment's revision (`APP_REVISION`, e.g. the git commit it was built from), shown with
    /// `AppVersion.release` on the back office's system page; nil when the deploy does not set it.
    public var revision: String? = nil
    /// Who may read `/metrics` (`METRICS_ALLOW`): the client address (`req.clientAddress`, so behind a trusted proxy
    /// the forwarded one) must lie in one of these ranges. Default: loopback.
    public var metricsAllow: [IPNetwork] = Settings.defaultMetricsAllow
    public static let defaultMetricsAllow: [IPNetwork] = [IPNetwork("127.0.0.0/8")!, IPNetwork("::1/128")!]
    /// `LOG_FORMAT`: `text` (Vapor's console lines) or `json` (one object per line). Logging is set up from it in
    /// `main` before the settings are read (`LogFormat.bootstrap`); it is read here too so a bad value stops start-up.
    public var logFormat: LogFormat = .text
    /// How long data that is no longer needed is kept before the workers' sweeps delete it (`OUTBOX_KEEP_DAYS`, …).
    public var retention = RetentionSettings()
    /// Where uploaded files live (`STORAGE_URL`): the local folder `DATA_DIR/files` by default, or an S3 bucket.
    public var storage: StorageLocation? = nil
    /// The LINE Messaging API (`LINE_API_BASE_URL`, for every tenant): LINE's own unless a test server or a
    /// LINE-compatible gateway is named.
    public var lineAPIBase: URL = Settings.defaultLineAPIBase
    public static let defaultLineAPIBase = URL(string: "https://api.line.me")!
    /// Where LINE keeps what users send (`LINE_DATA_BASE_URL`): images are fetched from its content endpoint.
    public var lineDataBase: URL = Settings.defaultLineDataBase
    public static let defaultLineDataBase = URL(string: "https://api-data.line.me")!
    /// Where LINE's account-link dialog is (`LINE_ACCESS_BASE_URL`): LINE's own unless a test server is named.
    public var lineAccessBase: URL = Settings.defaultLineAccessBase
    public static let defaultLineAccessBase = URL(string: "https://access.line.me")!
    /// Map tiles for the location field and the officers' maps (`MAP_TILE_URL`, `MAP_TILE_ATTRIBUTION`,
    /// `LEAFLET_DIR`): OpenStreetMap's by default; `MAP_TILE_URL=off` draws no map (the fields still work).
    public var map = MapSettings.default
    /// The environment the settings were read from: tenants name the variables that hold their LINE secrets.
    public var environment: [String: String] = [:]
    public static let defaultWatermarkFont = "/usr/share/fonts/truetype/tlwg/Loma.ttf"

    public var servesOverHTTPS: Bool { publicBaseURL?.scheme == "https" }
    /// Mails are written as files under the data directory when no SMTP server is set.
    public var writesMailToFiles: Bool { smtp == nil }
    public var mailDirectory: URL { dataDirectory.appendingPathComponent("mail", isDirectory: true) }
    public var fileStoreDirectory: URL { dataDirectory.appendingPathComponent("files", isDirectory: true) }
    /// The file store `STORAGE_URL` names (unset: the folder `fileStoreDirectory`).
    public var fileStorage: StorageLocation { storage ?? .local(fileStoreDirectory) }

    public struct Problems: Error, CustomStringConvertible {
        public var items: [String]
        public var description: String {
            "The server cannot start; fix these settings:\n" + items.map { "  - \($0)" }.joined(separator: "\n")
        }
    }

    /// Reads settings from `environment` (normally the process environment).
    /// `workingDirectory` anchors relative paths (Views/, Public/, Tenants/, data/).
    public static func load(
        from environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> Settings {
        var problems: [String] = []
        let base = URL(fileURLWithPath: workingDirectory, isDirectory: true)
        func path(_ value: String) -> URL {
            value.hasPrefix("/") ? URL(fileURLWithPath: value, isDirectory: true) : base.appendingPathComponent(value, isDirectory: true)
        }
        func value(_ key: String) -> String? {
            guard let v = environment[key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }

        var mode = Mode.development
        if let raw = value("APP_ENV") {
            if let m = Mode(rawValue: raw) { mode = m } else { problems.append("APP_ENV must be development, production or testing (got '\(raw)')") }
        }

        let dataDirectory = path(value("DATA_DIR") ?? "data")
        let tenantsDirectory = path(value("TENANTS_DIR") ?? "Tenants")
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: tenantsDirectory.path, isDirectory: &isDir) || !isDir.boolValue {
            problems.append("TENANTS_DIR: folder \(tenantsDirectory.path) does not exist")
        }

        var databaseURL: String?
        if let raw = value("DATABASE_URL") {
            if let u = URL(string: raw), ["postgres", "postgresql"].contains(u.scheme ?? ""), u.host != nil {
                databaseURL = raw
            } else {
                problems.append("DATABASE_URL must look like postgres://user:password@host:5432/database")
            }
        }

        var publicBaseURL: URL?
        if let raw = value("PUBLIC_BASE_URL") {
            if let u = URL(string: raw), ["http", "https"].contains(u.scheme ?? ""), u.host != nil {
                publicBaseURL = u
            } else {
                problems.append("PUBLIC_BASE_URL must be an http(s) address such as https://eservice.example.go.th")
            }
        } else if mode == .production {
            problems.append("PUBLIC_BASE_URL is required in production (https://…, it makes cookies Secure)")
        }

        var smtp: SMTPSettings?
        if let raw = value("SMTP_URL") {
            do { smtp = try SMTPSettings(url: raw, caFile: value("SMTP_CA_FILE")) } catch { problems.append("SMTP_URL: \(error)") }
        } else if mode == .production {
            problems.append("SMTP_URL is required in production (smtp://user:password@host:587)")
        }

        let mailFrom = value("MAIL_FROM") ?? "e-Service <no-reply@eservice.localhost>"
        if !mailFrom.contains("@") { problems.append("MAIL_FROM must contain an e-mail address") }
        if mode == .production && value("MAIL_FROM") == nil { problems.append("MAIL_FROM is required in production") }

        var runsWorker = true
        if let raw = value("OUTBOX_WORKER") {
            switch raw.lowercased() {
            case "on", "true", "1": runsWorker = true
            case "off", "false", "0": runsWorker = false
            default: problems.append("OUTBOX_WORKER must be on or off (got '\(raw)')")
            }
        }

        var secret: [UInt8] = []
        if let raw = value("APP_SECRET") {
            if raw.utf8.count < 32 { problems.append("APP_SECRET must be at least 32 characters") } else { secret = Array(raw.utf8) }
        } else if mode == .production {
            problems.append("APP_SECRET is required in production (at least 32 random characters)")
        }

        var hashCost = 12
        if let raw = value("PASSWORD_HASH_COST") {
            if let n = Int(raw), (4...15).contains(n) {
                hashCost = n
            } else {
                problems.append("PASSWORD_HASH_COST must be a number from 4 to 15 (got '\(raw)')")
            }
            if mode == .production, hashCost < 10 { problems.append("PASSWORD_HASH_COST below 10 is for tests only") }
        }
        var otpPeriod = 30
        if let raw = value("STAFF_OTP_PERIOD") {
            if let n = Int(raw), n == 30 || n == 180 { otpPeriod = n } else { problems.append("STAFF_OTP_PERIOD must be 30 or 180 seconds (got '\(raw)')") }
        }

        let watermarkFont = value("WATERMARK_FONT").map { path($0).path } ?? Settings.defaultWatermarkFont
        if !FileManager.default.isReadableFile(atPath: watermarkFont) {
            problems.append("WATERMARK_FONT \(watermarkFont) is not readable (install fonts-thai-tlwg)")
        }
        var imageWorkers = ProcessInfo.processInfo.activeProcessorCount
        if let raw = value("IMAGE_WORKERS") {
            if let n = Int(raw), (1...64).contains(n) {
                imageWorkers = n
            } else {
                problems.append("IMAGE_WORKERS must be a number from 1 to 64 (got '\(raw)')")
            }
        }
        var imageQueue = 2 * imageWorkers
        if let raw = value("IMAGE_QUEUE") {
            if let n = Int(raw), (0...1024).contains(n) {
                imageQueue = n
            } else {
                problems.append("IMAGE_QUEUE must be a number from 0 to 1024 (got '\(raw)')")
            }
        }
        var uploadFilesPerHour = 30
        if let raw = value("UPLOAD_FILES_PER_HOUR") {
            if let n = Int(raw), (1...100_000).contains(n) {
                uploadFilesPerHour = n
            } else {
                problems.append("UPLOAD_FILES_PER_HOUR must be a number from 1 to 100000 (got '\(raw)')")
            }
        }

        var lineAPIBase = Settings.defaultLineAPIBase
        if let raw = value("LINE_API_BASE_URL") {
            if let u = URL(string: raw.hasSuffix("/") ? String(raw.dropLast()) : raw), ["http", "https"].contains(u.scheme ?? ""), u.host != nil {
                lineAPIBase = u
            } else {
                problems.append("LINE_API_BASE_URL must be an http(s) URL (got '\(raw)')")
            }
        }

        var lineDataBase = Settings.defaultLineDataBase
        if let raw = value("LINE_DATA_BASE_URL") {
            if let u = URL(string: raw.hasSuffix("/") ? String(raw.dropLast()) : raw), ["http", "https"].contains(u.scheme ?? ""), u.host != nil {
                lineDataBase = u
            } else {
                problems.append("LINE_DATA_BASE_URL must be an http(s) URL (got '\(raw)')")
            }
        }

        var lineAccessBase = Settings.defaultLineAccessBase
        if let raw = value("LINE_ACCESS_BASE_URL") {
            if let u = URL(string: raw.hasSuffix("/") ? String(raw.dropLast()) : raw), ["http", "https"].contains(u.scheme ?? ""), u.host != nil {
                lineAccessBase = u
            } else {
                problems.append("LINE_ACCESS_BASE_URL must be an http(s) URL (got '\(raw)')")
            }
        }

        var storage: StorageLocation?
        switch StorageLocation.parse(value("STORAGE_URL"), dataDirectory: dataDirectory, environment: environment) {
        case .success(let location): storage = location
        case .failure(let problem): problems.append(problem.description)
        }
        // ID-card images and licences cross the network to the store: in production only over TLS, unless the
        // store is on this machine.
        if mode == .production, case .s3(let s3) = storage, s3.endpoint.scheme == "http",
            !["127.0.0.1", "localhost", "::1", "[::1]"].contains(s3.endpoint.host ?? "")
        {
            problems.append("STORAGE_URL: in production the endpoint must be https:// unless it is on this machine (127.0.0.1, ::1)")
        }

        var trustedProxies = TrustedProxies.none
        if let raw = value("TRUSTED_PROXIES") {
            switch TrustedProxies.parse(raw) {
            case .success(let list): trustedProxies = list
            case .failure(let error):
                problems.append(
                    "TRUSTED_PROXIES must be a comma-separated list of IPv4/IPv6 addresses and CIDR ranges such as 127.0.0.1,10.0.0.0/8,::1: \(error)")
            }
        }
        var migrateOnStart = true
        if let raw = value("MIGRATE_ON_START") {
            switch raw.lowercased() {
            case "on", "true", "1": migrateOnStart = true
            case "off", "false", "0": migrateOnStart = false
            default: problems.append("MIGRATE_ON_START must be on or off (got '\(raw)')")
            }
        }
        var revision: String?
        if let raw = value("APP_REVISION") {
            revision = AppVersion.revision(raw)
            if revision == nil {
                problems.append("APP_REVISION must be 1 to \(AppVersion.revisionMaxLength) letters, digits, '.', '_', '-' or '+' (a git commit or tag)")
            }
        }

        let (map, mapProblems) = MapSettings.read(value, path: path)
        problems += mapProblems

        let (retention, retentionProblems) = RetentionSettings.read(value)
        problems += retentionProblems

        var metricsAllow = Settings.defaultMetricsAllow
        if let raw = value("METRICS_ALLOW") {
            switch TrustedProxies.parse(raw) {
            case .success(let list) where !list.isEmpty: metricsAllow = list.networks
            case .success: problems.append("METRICS_ALLOW must name at least one address or CIDR range")
            case .failure(let error):
                problems.append("METRICS_ALLOW must be a comma-separated list of IPv4/IPv6 addresses and CIDR ranges such as 127.0.0.1,10.0.0.0/8: \(error)")
            }
        }
        var logFormat = LogFormat.text
        switch LogFormat.parse(environment["LOG_FORMAT"]) {
        case .success(let format): logFormat = format
        case .failure(let problem): problems.append(problem.description)
        }

        guard problems.isEmpty else { throw Problems(items: problems) }

        if secret.isEmpty {
            // Development and tests only: a key generated once and kept in the data directory.
            secret = try LocalSecret.loadOrCreate(in: dataDirectory)
        }

        var settings = Settings(
            mode: mode, dataDirectory: dataDirectory, tenantsDirectory: tenantsDirectory, databaseURL: databaseURL,
            publicBaseURL: publicBaseURL, smtp: smtp, mailFrom: mailFrom, runsOutboxWorker: runsWorker,
            appSecret: secret, viewsDirectory: path(value("VIEWS_DIR") ?? "Views"),
            publicDirectory: path(value("PUBLIC_DIR") ?? "Public"),
            webFontsDirectory: path(value("WEB_FONTS_DIR") ?? "/usr/share/fonts/woff/tlwg"),
            passwordHashCost: hashCost, staffOTPPeriod: otpPeriod, watermarkFont: watermarkFont, imageWorkers: imageWorkers, imageQueue: imageQueue,
            uploadFilesPerHour: uploadFilesPerHour, storage: storage,
            lineAPIBase: lineAPIBase, lineAccessBase: lineAccessBase, environment: environment
        )
        settings.trustedProxies = trustedProxies
        settings.lineDataBase = lineDataBase
        settings.migrateOnStart = migrateOnStart
        settings.revision = revision
        settings.metricsAllow = metricsAllow
        settings.logFormat = logFormat
        settings.retention = retention
        settings.map = map
        return settings
    }
}

/// The embedded default's own key, kept at `DATA_DIR/secret.key` (mode 0600).
enum LocalSecret {
    static func loadOrCreate(in directory: URL) throws -> [UInt8] {
        let file = directory.appendingPathComponent("secret.key")
        if let data = FileManager.default.contents(atPath: file.path), data.count >= 32 { return Array(data) }
        try PrivateFiles.directory(directory)
        let key = [UInt8].random(count: 32)
        FileManager.default.createFile(atPath: file.path, contents: Data(key), attributes: [.posixPermissions: 0o600])
        return key
    }
}
