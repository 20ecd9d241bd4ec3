import Crypto
import Foundation
import Vapor

/// Rendered public pages that are the same for every visitor without a session (a tenant's home and
/// service pages), kept in memory with an ETag. Tenant configuration only changes at start-up today;
/// a feature that lets admins change it at run time must call `removeAll()` (or drop the tenant's keys).
/// Pages for signed-in visitors are never taken from here.
final class PublicPageCache: @unchecked Sendable {
    struct Entry {
        var body: ByteBuffer
        var etag: String
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    func entry(_ key: String) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        return entries[key]
    }

    func store(_ key: String, body: ByteBuffer) -> Entry {
        let digest = SHA256.hash(data: Data(body.readableBytesView)).prefix(12).map { String(format: "%02x", $0) }.joined()
        let entry = Entry(body: body, etag: "\"\(digest)\"")
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= capacity, let victim = entries.keys.first { entries.removeValue(forKey: victim) }
        entries[key] = entry
        return entry
    }

    func removeAll() {
        lock.lock()
        entries.removeAll()
        lock.unlock()
    }
}

extension Application {
    struct PageCacheKey: StorageKey { typealias Value = PublicPageCache }

    /// Nil in development, where templates change while the server runs.
    var publicPageCache: PublicPageCache? {
        get { storage[PageCacheKey.self] }
        set { storage[PageCacheKey.self] = newValue }
    }
}

extension Request {
    /// Serves `key` from the page cache when the visitor has no session, rendering it on a miss;
    /// answers 304 when the browser already has this version.
    func cachedPublicPage(_ key: String, render: () async throws -> View) async throws -> Response {
        let sessionCookie = application.sessions.configuration.cookieName
        guard let cache = application.publicPageCache, cookies[sessionCookie] == nil else {
            return try await render().encodeResponse(for: self)
        }
        let entry: PublicPageCache.Entry
        if let hit = cache.entry(key) { entry = hit } else { entry = cache.store(key, body: try await render().data) }
        var headers: HTTPHeaders = ["Content-Type": "text/html; charset=utf-8", "ETag": entry.etag, "Cache-Control": "no-cache"]
        if self.headers.first(name: .ifNoneMatch) == entry.etag {
            headers.remove(name: .contentType)
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(buffer: entry.body))
    }
}
