import Vapor

/// Headers every response carries: CSP (no inline script or style, no framing), nosniff, referrer policy,
/// HSTS over HTTPS, and the request id for matching a report with the logs.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    let https: Bool
    /// The policy every page gets: `contentSecurityPolicy` with the map tiles' origin (`MapSettings.tileSource`)
    /// allowed as images.
    let policy: String

    init(https: Bool, tileSource: String? = nil) {
        self.https = https
        policy = Self.policy(tileSource: tileSource)
    }

    static let contentSecurityPolicy = policy(tileSource: nil)

    static func policy(tileSource: String?) -> String {
        [
            "default-src 'self'", "img-src 'self' data: blob:" + (tileSource.map { " " + $0 } ?? ""), "style-src 'self'",
            "script-src 'self'", "font-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'",
            "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        let h = response.headers
        var headers = h
        if !h.contains(name: "Content-Security-Policy") { headers.replaceOrAdd(name: "Content-Security-Policy", value: policy) }
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        if !h.contains(name: "Referrer-Policy") { headers.replaceOrAdd(name: "Referrer-Policy", value: "strict-origin-when-cross-origin") }
        headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        headers.replaceOrAdd(name: "Cross-Origin-Opener-Policy", value: "same-origin")
        headers.replaceOrAdd(name: "Permissions-Policy", value: "camera=(self), geolocation=(self), microphone=(), payment=()")
        headers.replaceOrAdd(name: "X-Request-ID", value: request.id)
        if https { headers.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains") }
        response.headers = headers
        return response
    }
}

/// One log line per request, carrying the request id and the client's address (`req.clientAddress`: the one a
/// trusted proxy forwards, not the proxy's), and the request's count and time in `/metrics`. Both name the route
/// pattern (`/t/:tenant/contact/sent/:token`), never the raw path or query, so tokens stay out of logs and the
/// series stay few; a file from `Public/` is `(static)` and a request no route matched `(no route)`. The line's
/// metadata has `route`, `status` and `duration_ms` (and `tenant`, which `TenantResolver` adds to the request's
/// logger), so the JSON logs carry them as fields. A request that throws past `ErrorPageMiddleware` is still
/// logged and counted, with the status its error would get.
struct AccessLogMiddleware: AsyncMiddleware {
    let metrics: AppMetrics

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            finish(request, status: (error as? any AbortError)?.status ?? .internalServerError, start: start)
            throw error
        }
        finish(request, status: response.status, start: start)
        return response
    }

    private func finish(_ request: Request, status: HTTPResponseStatus, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let pattern = Self.routeLabel(request)
        metrics.recordRequest(route: pattern, method: request.method, status: status.code, duration: elapsed)
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        request.logger.info(
            "\(request.method) \(pattern) \(status.code)",
            metadata: [
                "route": .string(pattern), "status": .stringConvertible(status.code),
                "duration_ms": .string(String(format: "%.1f", ms)), "client": .string(request.clientAddress),
            ])
    }

    /// The registered route's pattern, `(static)` for a file from `Public/`, or `(no route)`.
    static func routeLabel(_ request: Request) -> String {
        if request.storage[StaticFilesMiddleware.ServedKey.self] == true { return AppMetrics.staticFile }
        return request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? AppMetrics.noRoute
    }
}

/// Files from `Public/`, looked up only for paths under its folders, so page requests cost no file-system
/// look-up.
struct StaticFilesMiddleware: AsyncMiddleware {
    let files: FileMiddleware
    let prefixes: [String]
    /// Set on a request whose path is under a folder of `Public/` (the access log's `(static)`).
    struct ServedKey: StorageKey { typealias Value = Bool }

    init(publicDirectory: String) {
        files = FileMiddleware(publicDirectory: publicDirectory, defaultFile: nil)
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: publicDirectory)) ?? []
        prefixes = folders.filter { !$0.hasPrefix(".") }.map { "/" + $0 }
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let path = request.url.path
        guard prefixes.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) else { return try await next.respond(to: request) }
        request.storage[ServedKey.self] = true
        return try await files.respond(to: request, chainingTo: next)
    }
}
