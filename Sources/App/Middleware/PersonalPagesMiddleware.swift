import Vapor

/// The one place that keeps personal pages out of caches: every response to a request that has a session (a
/// signed-in citizen or staff member, anyone holding a form's CSRF token) or that starts one (a form page) is
/// sent with `Cache-Control: no-store`, error pages included, and so are file, image and document downloads,
/// which are only served to sessions. Untouched: responses that say they are `public` (a tenant's colours and
/// logo, fonts, address lists), the static files under `Public/`, and pages for visitors without a session (a
/// tenant's home and service pages keep their ETag caching).
struct PersonalPagesMiddleware: AsyncMiddleware {
    let cookieName: String
    /// `/css`, `/js`, …: the folders of `Public/` (the same list `StaticFilesMiddleware` serves).
    let staticPrefixes: [String]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        guard request.cookies[cookieName] != nil || response.cookies[cookieName] != nil else { return response }
        let cacheControl = response.headers[.cacheControl].joined(separator: ",").lowercased()
        if cacheControl.contains("no-store") || cacheControl.contains("public") { return response }
        let path = request.url.path
        if staticPrefixes.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) { return response }
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}
