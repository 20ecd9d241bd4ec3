import Fluent
import Foundation
import Vapor

/// What one citizen account may upload, and the pages for an upload the server will not take now.
/// Counted per file (identity images, profile photos, petition attachments) in the shared rate counters, so
/// every instance sees the same count: `UPLOAD_FILES_PER_HOUR` files an hour (default 30).
enum UploadBudget {
    static func filesPerAccount(_ settings: Settings) -> RateLimiter.Rule {
        RateLimiter.Rule(limit: settings.uploadFilesPerHour, window: 60 * 60)
    }

    static func key(_ account: CitizenAccount) throws -> String { "upload-citizen:\(try account.requireID().uuidString)" }

    /// Before the body is read: the 429 page if the account has already used its files for this hour.
    static func spent(_ req: Request, _ account: CitizenAccount) async throws -> Response? {
        let rule = filesPerAccount(req.application.settings)
        let used = try await RateLimiter.count(try key(account), rule, hits: 0, on: req.db)
        return used >= rule.limit ? try await throttledPage(req) : nil
    }

    /// After the body is read: counts its files; the 429 page if they take the account past its budget
    /// (nothing of the upload is kept then).
    static func spend(_ req: Request, _ account: CitizenAccount, files: Int) async throws -> Response? {
        try await overspent(req.application, account, files: files, on: req.db) ? try await throttledPage(req) : nil
    }

    /// Counts `files` more for the account (a photo sent in the LINE chat counts as an upload); true if that takes
    /// it past its budget, when none of them may be kept.
    static func overspent(_ app: Application, _ account: CitizenAccount, files: Int, on db: any Database) async throws -> Bool {
        guard files > 0 else { return false }
        let rule = filesPerAccount(app.settings)
        return try await RateLimiter.count(try key(account), rule, hits: files, on: db) > rule.limit
    }

    /// True if the account has used this hour's files (nothing counted).
    static func exhausted(_ app: Application, _ account: CitizenAccount, on db: any Database) async throws -> Bool {
        let rule = filesPerAccount(app.settings)
        return try await RateLimiter.count(try key(account), rule, hits: 0, on: db) >= rule.limit
    }

    /// Counts files already kept (the LINE chat checks `exhausted` first and counts once a photo is in the chat).
    static func count(_ app: Application, _ account: CitizenAccount, files: Int, on db: any Database) async throws {
        guard files > 0 else { return }
        _ = try await RateLimiter.count(try key(account), filesPerAccount(app.settings), hits: files, on: db)
    }

    static let busyHeading = "ระบบไม่ว่างชั่วคราว"
    static let busyMessage = "ระบบกำลังประมวลผลรูปภาพจำนวนมาก กรุณาลองใหม่ในอีกสักครู่"
    static let throttledHeading = "ส่งไฟล์ถี่เกินไป"
    static func throttledMessage(_ settings: Settings) -> String {
        "บัญชีหนึ่งส่งไฟล์ได้ไม่เกิน \(settings.uploadFilesPerHour.formatted()) ไฟล์ต่อชั่วโมง ไฟล์ที่ส่งครั้งนี้ยังไม่ถูกบันทึก กรุณารอแล้วลองใหม่ภายหลัง"
    }

    /// The image queue is full (`ImageWorkPool.Busy`): 503 with `Retry-After`; the caller has stored nothing.
    static func busyPage(_ req: Request) async throws -> Response {
        let response = try await page(req, status: .serviceUnavailable, heading: busyHeading, message: busyMessage)
        response.headers.replaceOrAdd(name: .retryAfter, value: String(ImageWorkPool.retryAfterSeconds))
        return response
    }

    static func throttledPage(_ req: Request) async throws -> Response {
        let response = try await page(
            req, status: .tooManyRequests, heading: throttledHeading,
            message: throttledMessage(req.application.settings))
        response.headers.replaceOrAdd(name: .retryAfter, value: String(Int(filesPerAccount(req.application.settings).window)))
        return response
    }

    private static func page(_ req: Request, status: HTTPStatus, heading: String, message: String) async throws -> Response {
        let context = ErrorPageMiddleware.ErrorPage(
            page: PageChrome(request: req, title: heading), status: Int(status.code),
            heading: heading, message: message, requestID: req.id)
        let response = try await req.view.render("errors/error", context).encodeResponse(status: status, for: req)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}
