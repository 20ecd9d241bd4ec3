import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Imaging
import Leaf
import Migrations
import NIOCore
import Vapor

/// Sets the application up from checked settings: tenants, database, sessions, views, middleware, routes,
/// mail and the outbox. Reads nothing from the environment itself.
public func configure(_ app: Application, settings: Settings) async throws {
    app.settings = settings
    _ = app.metrics  // made first: its start time is the process's (/metrics and the system page's uptime)
    // The blocking thread pool runs SQLite's statements and file reads and writes. SQLiteNIO waits for a
    // locked database on the thread it runs on (its busy handler retries without giving the thread back), so
    // with NIO's default of one thread per core, connections waiting for the lock could in principle hold
    // every thread while the one holding the lock waits for a thread to COMMIT. More threads than SQLite
    // connections keep one free for the holder. (A hang under load was seen once; this is the likely cause,
    // not a reproduced one.)
    app.threadPool = NIOThreadPool(numberOfThreads: Settings.blockingThreads(cores: System.coreCount))
    // The shared HTTP client (S3 storage, the LINE API): a request's own timeout ends when its headers arrive, so
    // a server that stalls in the middle of a body would hold the request and its connection for good; a read
    // timeout bounds every wait for the next bytes.
    app.http.client.configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
    // Neither S3 nor LINE redirects a request it serves: a redirect would only take the channel's bearer token or a
    // signed request (and LINE's image fetch) somewhere else.
    app.http.client.configuration.redirectConfiguration = .disallow
    try loadGeography(app)
    let started = ContinuousClock.now
    app.tenants = try TenantLoader.loadAll(from: settings.tenantsDirectory)
    app.logger.info(
        "tenants loaded",
        metadata: [
            "count": .stringConvertible(app.tenants.all.count),
            "seconds": .string("\(ContinuousClock.now - started)"),
        ])
    // A LINE channel whose secrets are not in the environment stays off (the back office shows why); say so
    // once here, naming the variables, never their values.
    for tenant in app.tenants.all {
        if case .failure(.missingSecrets(let names)) = LineChannel.resolve(tenant, settings: settings) {
            app.logger.warning(
                "LINE channel is off until these environment variables are set",
                metadata: [
                    "tenant": .string(tenant.slug),
                    "variables": .string(names.joined(separator: ", ")),
                ])
        }
    }

    app.orgUnits = try OrgUnitsLoader.load(tenantsDirectory: settings.tenantsDirectory)
    app.storage[Application.SnifferKey.self] = try FileTypeSniffer()
    app.storage[Application.FileStoreKey.self] = app.makeFileStore(settings.fileStorage)
    let metrics = app.metrics
    metrics.setBuildInfo(revision: settings.revision)
    let imageWork = ImageWorkPool(threads: settings.imageWorkers, queue: settings.imageQueue) { metrics.recordImageWork($0) }
    app.storage[Application.ImageWorkKey.self] = imageWork
    app.lifecycle.use(ImageWorkPoolLifecycle(pool: imageWork))
    app.storage[Application.LineContentGateKey.self] = LineContentGate()
    app.storage[Application.NationalIDVaultKey.self] = NationalIDVault(appSecret: settings.appSecret)
    app.storage[Application.StaffNationalIDVaultKey.self] = NationalIDVault(appSecret: settings.appSecret, purpose: "staff-national-id")

    try PrivateFiles.directory(settings.dataDirectory)
    // A request waits up to 60 s for a connection (the drivers' default is 10 s):
    // in a burst of filings for one tenant, each holds the tenant's number row until it commits, and on SQLite
    // every write of every tenant takes the one writer's turn, so on a slow or busy machine (a disk slow to
    // sync, a backup) the last of a burst is answered late rather than with an error. A 10 s wait failed
    // sixteen filings at once on a loaded CI machine, and 30 s did too (SQLite once, PostgreSQL twice).
    if let url = settings.databaseURL {
        app.databases.use(try .postgres(url: url, maxConnectionsPerEventLoop: 4, connectionPoolTimeout: .seconds(60)), as: .psql)
    } else {
        let file = settings.dataDirectory.appendingPathComponent("eservice.sqlite").path
        try PrivateFiles.file(URL(fileURLWithPath: file))  // 0600 before SQLite opens it (its -wal and -shm follow)
        app.databases.use(
            .sqlite(.file(file), maxConnectionsPerEventLoop: Settings.sqliteConnectionsPerEventLoop, connectionPoolTimeout: .seconds(60)), as: .sqlite)
    }
    app.migrations.add(AllMigrations.list(staffNationalIDs: try app.staffNationalIDs))
    // What admins changed in the back office, laid over the folders. After the database: shutdown runs
    // in reverse order, so the poll stops before the database closes.
    TenantSettingsSync.install(on: app)

    app.sessions.use { _ in UnchangedSessions(base: SessionStore()) }
    let secure = settings.servesOverHTTPS
    app.sessions.configuration = SessionsConfiguration(cookieName: "eservice_session") { id in
        // Max-Age rather than Expires: the same eight hours, without formatting a date on every response.
        HTTPCookies.Value(
            string: id.string, expires: nil, maxAge: 8 * 3600, domain: nil,
            path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }

    app.views.use(.leaf)
    app.leaf.configuration.rootDirectory = settings.viewsDirectory.path + "/"
    app.leaf.cache.isEnabled = settings.mode != .development
    app.publicPageCache = settings.mode == .development ? nil : PublicPageCache()

    app.routes.defaultMaxBodySize = "1mb"
    app.http.server.configuration.serverName = nil
    app.middleware = Middlewares()
    app.middleware.use(AccessLogMiddleware(metrics: app.metrics))
    app.middleware.use(SecurityHeadersMiddleware(https: secure, tileSource: app.settings.map.tileSource))
    let staticFiles = StaticFilesMiddleware(publicDirectory: settings.publicDirectory.path + "/")
    app.middleware.use(PersonalPagesMiddleware(cookieName: app.sessions.configuration.cookieName, staticPrefixes: staticFiles.prefixes))
    app.middleware.use(ErrorPageMiddleware())
    app.middleware.use(InputTextMiddleware())
    app.middleware.use(staticFiles)

    if let smtp = settings.smtp {
        app.mailer = SMTPMailer(settings: smtp, group: app.eventLoopGroup)
    } else {
        app.mailer = FileMailer(directory: settings.mailDirectory)
    }
    // Each feature registers the outbox jobs it runs.
    registerMailJobs(app)
    registerLineJobs(app)
    registerNoticeJobs(app)
    app.registerOutboxHandler(CitizenPasswordReset.kind) { CitizenResetRequestHandler(app: $0) }

    app.asyncCommands.use(WorkerCommand(), as: "worker")
    app.asyncCommands.use(MigrateSchemaCommand(), as: "migrate")
    app.asyncCommands.use(FilesCommand(), as: "files")
    app.asyncCommands.use(BackupCommand(), as: "backup")
    app.asyncCommands.use(RestoreCommand(), as: "restore")

    try routes(app)
}

/// What `serve` adds: the schema brought up to date before the first request (once across instances; with
/// `MIGRATE_ON_START=off` only checked, throwing `SchemaNotCurrent`), and the in-process worker.
public func prepareToServe(_ app: Application, command: String = "serve") async throws {
    if app.settings.migrateOnStart {
        try await SchemaMigrations.migrate(app)
    } else {
        try await SchemaMigrations.requireCurrent(app)
    }
    if command == "serve" { try await PlatformSetupLink.announceWhenListening(app) }
    if command == "serve" { app.lifecycle.use(OrphanSweep()) }
    if command == "serve", app.settings.runsOutboxWorker { app.lifecycle.use(InProcessOutboxWorker()) }
}
