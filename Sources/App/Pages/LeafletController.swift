import Vapor

/// `/vendor/leaflet/…`: Debian's libjs-leaflet (`LEAFLET_DIR`), the map library of the location field and the
/// officers' maps, served by us so no page loads script from elsewhere. Only the files a map uses.
struct LeafletController {
    let directory: URL

    static let files: [String: HTTPMediaType] = [
        "leaflet.js": .init(type: "text", subType: "javascript", parameters: ["charset": "utf-8"]),
        "leaflet.css": .init(type: "text", subType: "css", parameters: ["charset": "utf-8"]),
        "images/marker-icon.png": .png, "images/marker-icon-2x.png": .png, "images/marker-shadow.png": .png,
        "images/layers.png": .png, "images/layers-2x.png": .png,
    ]

    func register(on app: Application) {
        app.get("vendor", "leaflet", ":file", use: file)
        app.get("vendor", "leaflet", "images", ":file") { req in try await file(req, folder: "images/") }
    }

    @Sendable func file(_ req: Request) async throws -> Response { try await file(req, folder: "") }

    func file(_ req: Request, folder: String) async throws -> Response {
        guard let name = req.parameters.get("file"), let type = Self.files[folder + name] else { throw Abort(.notFound) }
        let path = directory.appendingPathComponent(folder + name).path
        guard FileManager.default.fileExists(atPath: path) else { throw Abort(.notFound) }
        let response = try await req.fileio.asyncStreamFile(at: path)
        response.headers.contentType = type
        response.headers.cacheControl = .init(isPublic: true, maxAge: 7 * 24 * 3600)
        return response
    }
}
