import Foundation
import Testing

@testable import App

/// The throwaway S3 server `scripts/with-s3.sh` starts (`rclone serve s3`, a real S3 implementation), as
/// `TEST_S3_URL` and its keys. Without it the S3 runs are skipped, except under `make test` (`REQUIRE_S3=1`),
/// where a missing server fails the run.
enum TestS3 {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var url: String? { environment["TEST_S3_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var required: Bool { environment["REQUIRE_S3"] == "1" }
    static var available: Bool { url != nil }
    /// The folder rclone serves (the bucket is a folder in it): for changing an object behind the store's back.
    static var directory: URL? { environment["TEST_S3_DIR"].map { URL(fileURLWithPath: $0, isDirectory: true) } }
    static var bucket: String { environment["TEST_S3_BUCKET"] ?? "eservice-test" }

    /// Fails the test when the server is required but missing; false (skip) when it is merely missing.
    static func check() -> Bool {
        if available { return true }
        #expect(!required, "REQUIRE_S3=1 but TEST_S3_URL is unset: run under scripts/with-s3.sh")
        return false
    }

    /// Settings that put an application's files on the test server, under a prefix of their own (each test sees
    /// only its own objects, so a sweep or a listing in one cannot touch another's).
    static func settings(prefix: String = "t-\(UUID().uuidString.lowercased())") -> [String: String] {
        guard let url else { return [:] }
        let withPrefix = url.replacingOccurrences(of: "?", with: "/\(prefix)?", options: [], range: url.range(of: "?"))
        return [
            "STORAGE_URL": withPrefix,
            "S3_ACCESS_KEY_ID": environment["TEST_S3_ACCESS_KEY_ID"] ?? "",
            "S3_SECRET_ACCESS_KEY": environment["TEST_S3_SECRET_ACCESS_KEY"] ?? "",
        ]
    }
}

/// The two file stores every storage test runs on: the local folder always, S3 when the test server is there.
enum TestStorage: CustomStringConvertible, Sendable {
    case local
    case s3

    static var all: [TestStorage] { TestS3.available ? [.local, .s3] : [.local] }

    var description: String {
        switch self {
        case .local: "local folder"
        case .s3: "S3 (rclone)"
        }
    }

    /// Settings for `withApp`.
    func settings() -> [String: String] {
        switch self {
        case .local: [:]
        case .s3: TestS3.settings()
        }
    }
}
