import Vapor

/// `/fonts/tlwg/<name>.woff`: Thai web fonts from Debian's fonts-thai-tlwg-web, for devices that have no
/// Thai font of their own (the CSS names the system's Thai fonts first, so most phones never fetch these).
struct WebFontController {
    let directory: URL

    func font(_ req: Request) async throws -> Response {
        guard let name = req.parameters.get("file"), name.hasSuffix(".woff"),
            name.dropLast(5).allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        else {
            throw Abort(.notFound)
        }
        let path = directory.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else { throw Abort(.notFound) }
        let response = try await req.fileio.asyncStreamFile(at: path)
        response.headers.contentType = HTTPMediaType(type: "font", subType: "woff")
        response.headers.cacheControl = .init(isPublic: true, maxAge: 30 * 24 * 3600)
        return response
    }
}
