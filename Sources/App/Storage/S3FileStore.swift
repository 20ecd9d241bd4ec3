import AsyncHTTPClient
import Domain
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Files in an S3-compatible bucket (`STORAGE_URL=s3://…`), so that every instance serves every file. Uploads
/// stream from their temporary file with the SHA-256 computed beforehand as the signed `x-amz-content-sha256`
/// (AWS S3 and MinIO refuse bytes that do not match it; `rclone serve s3` does not check); downloads stream from
/// S3 to the response, a piece at a time, and are checked against the recorded hash (`verifiedBody`).
struct S3FileStore: FileStore {
    let client: S3Client
    let threadPool: NIOThreadPool

    var description: String { client.location.description }

    func put(_ data: Data, name: String) async throws {
        let sha256 = Hex.sha256(data)
        try await S3Client.retrying { try await client.putObject(name, body: .bytes(ByteBuffer(bytes: data)), sha256: sha256) }
    }

    func putFile(at path: String, size: Int, sha256: String, name: String, consume: Bool) async throws {
        try await S3Client.retrying {
            guard let (reader, found) = try await FilePieceReader.open(path, pool: threadPool) else {
                throw Abort(.internalServerError, reason: "upload file vanished")
            }
            guard found == size else { throw Abort(.internalServerError, reason: "upload file changed size") }
            try await client.putObject(name, body: .stream(reader.chunks, length: .known(Int64(size))), sha256: sha256)
        }
    }

    func chunks(_ name: String) async throws -> FileChunks? {
        guard let response = try await S3Client.retrying({ try await client.getObject(name) }) else { return nil }
        let body = ResponseBodyReader(response.body)
        return FileChunks(count: response.headers.first(name: "Content-Length").flatMap(Int.init), pull: { try await body.next() })
    }

    func info(_ name: String) async throws -> StoredObject? {
        try await S3Client.retrying { try await client.headObject(name) }.map { StoredObject(name: $0.name, size: $0.size, modified: $0.lastModified) }
    }

    func remove(_ name: String) async throws {
        try await S3Client.retrying { try await client.deleteObject(name) }
    }

    func list(prefix: String, page: ([StoredObject]) async throws -> Void) async throws {
        var token: String?
        var seen: Set<String> = []
        repeat {
            let p = try await S3Client.retrying { [token] in try await client.listObjects(prefix: prefix, continuationToken: token) }
            try await page(p.objects.map { StoredObject(name: $0.name, size: $0.size, modified: $0.lastModified) })
            token = p.nextToken
            // A server that hands back a token it gave before would make this loop for ever.
            if let t = token, !seen.insert(t).inserted { throw Abort(.badGateway, reason: "S3 ListObjectsV2 repeated a continuation token") }
        } while token != nil
    }
}

/// One reader of an S3 response body (its iterator is a mutable value; one consumer pulls at a time).
final class ResponseBodyReader: @unchecked Sendable {
    private var iterator: HTTPClientResponse.Body.AsyncIterator

    init(_ body: HTTPClientResponse.Body) { iterator = body.makeAsyncIterator() }

    func next() async throws -> ByteBuffer? { try await iterator.next() }
}
