import Foundation
import Vapor
import Yams

/// Registers the API on the tenant's site, by path prefix and on its host name: no session, no CSRF (API
/// clients), errors in the spec's format. Reads the OpenAPI document once.
func registerOpen311(on app: Application) throws {
    app.open311Document = try OpenAPIDocument.load(
        app.settings.viewsDirectory.deletingLastPathComponent()
            .appendingPathComponent("docs/open311-openapi.yaml"))
    let controller = Open311Controller()
    for source in [TenantResolver.Source.pathPrefix, .hostName] {
        let prefix: [PathComponent] = source == .pathPrefix ? [PathComponent(stringLiteral: SiteURL.tenantPrefix), ":tenant"] : []
        let api = app.grouped(prefix).grouped(Open311ErrorMiddleware()).grouped(TenantResolver(source: source)).grouped(Open311URL.components)
        for method in [HTTPMethod.GET, .POST, .PUT, .PATCH, .DELETE] {
            // The API's root itself (an unknown endpoint) and everything below it.
            api.on(method, body: .collect(maxSize: Open311Controller.maxBody), use: controller.dispatch)
            api.on(method, "**", body: .collect(maxSize: Open311Controller.maxBody), use: controller.dispatch)
        }
    }
}

/// The API's OpenAPI document: YAML in the repository, served as JSON.
enum OpenAPIDocument {
    static func load(_ file: URL) throws -> Data {
        let text = try String(contentsOf: file, encoding: .utf8)
        guard let root = try Yams.load(yaml: text) else { throw OpenAPIDocumentError(description: "\(file.path) is empty") }
        let object = try jsonCompatible(root)
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// YAML's maps have keys of any type; JSON's are strings.
    static func jsonCompatible(_ value: Any) throws -> Any {
        switch value {
        case let map as [AnyHashable: Any]:
            var out: [String: Any] = [:]
            for (k, v) in map { out["\(k.base)"] = try jsonCompatible(v) }
            return out
        case let list as [Any]:
            return try list.map(jsonCompatible)
        case is String, is Int, is Double, is Bool:
            return value
        case is NSNull:
            return NSNull()
        default:
            throw OpenAPIDocumentError(description: "open311-openapi.yaml: a value of type \(type(of: value)) has no JSON form")
        }
    }
}

struct OpenAPIDocumentError: Error, CustomStringConvertible {
    var description: String
}
