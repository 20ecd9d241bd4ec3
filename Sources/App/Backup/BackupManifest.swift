import Crypto
import Domain
import Foundation

/// `manifest.json` of a backup folder: what `eservice backup` wrote and what `eservice restore` checks before it
/// writes anything. Written last (under a temporary name, then renamed), so a folder without one is not a
/// finished backup.
struct BackupManifest: Codable, Sendable, Equatable {
    static let fileName = "manifest.json"
    static let formatName = "eservice-backup"
    /// The manifest versions this binary reads (and the one it writes).
    static let currentVersion = 1

    var format: String
    var version: Int
    var created: Date
    /// The release that made it (`AppVersion.describe`: "0.15.0 (APP_REVISION)"); restore goes by `migrations`.
    var app: String?
    /// The migrations recorded in the copied database, in the order they ran: the schema the copy has.
    var migrations: [String]
    var database: DatabasePart
    var storage: StoragePart
    /// HMAC-SHA256 of a fixed text under `APP_SECRET` (`BackupKeyCheck`): restore refuses another secret.
    var keyCheck: String

    struct DatabasePart: Codable, Sendable, Equatable {
        /// `sqlite` or `postgresql`.
        var kind: String
        /// The copy's file name in the folder (`database.sqlite`, or `database.pgdump`: pg_dump's custom format).
        var file: String
        var bytes: Int
        var sha256: String
    }

    struct StoragePart: Codable, Sendable, Equatable {
        /// The store the backup was made from: `local` (its files always copied under `files/`) or `s3` (only the
        /// list, the bucket keeping the files, unless made with `--with-files`).
        var kind: String
        /// The store the backup was made from (a folder or `s3://bucket/prefix at endpoint`; never a key).
        var location: String
        /// Whether the files are in the folder (`files/`), or only listed.
        var filesCopied: Bool
        /// The list of every file the copied database names: `files.json`, its SHA-256, count and total size.
        var list: String
        var listSHA256: String
        var count: Int
        var bytes: Int
        /// Files the copied database names that were deleted, with their rows, between the snapshot and their copy
        /// (not in the list; restore names them). nil in a backup made before this was recorded.
        var deletedAfterSnapshot: [String]? = nil
    }

    static func decode(_ data: Data) throws -> BackupManifest {
        try decoder.decode(BackupManifest.self, from: data)
    }

    func encoded() throws -> Data { try Self.encoder.encode(self) }

    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }

    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }
}

/// One line of `files.json`: a stored file the copied database names.
struct BackupFileEntry: Codable, Sendable, Equatable {
    var name: String
    var bytes: Int
    var sha256: String
}

/// Shows whether a backup was made under the same `APP_SECRET` without revealing anything of it: national IDs and
/// other sealed values in the copy open only with that secret.
enum BackupKeyCheck {
    static let text = "eservice backup key check v1"

    static func value(appSecret: [UInt8]) -> String {
        Hex.string(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: appSecret)))
    }
}
