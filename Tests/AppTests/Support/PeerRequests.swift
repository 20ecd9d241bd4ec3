import Foundation
import NIOCore
import Vapor

@testable import App

/// A request through the application's responder as if it came from `peer` (VaporTesting's in-memory requests
/// have no peer address): for rules that depend on the client's address.
func respond(
    _ app: Application, _ method: HTTPMethod, _ path: String, peer: String?, headers: HTTPHeaders = [:],
    body: String? = nil
) async throws -> Response {
    let request = Request(
        application: app, method: method, url: URI(string: path), headers: headers,
        collectedBody: body.map { ByteBuffer(string: $0) },
        remoteAddress: try peer.map { try SocketAddress(ipAddress: $0, port: 40_000) },
        logger: app.logger, on: app.eventLoopGroup.next())
    return try await app.responder.respond(to: request).get()
}

extension Response {
    /// The body as text (pages and errors are rendered whole).
    var text: String { body.string ?? "" }
}
