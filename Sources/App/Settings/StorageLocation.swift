import Foundation

/// Where uploaded files live: `STORAGE_URL`, read once with the other settings.
/// Unset or `file:` → the local folder `DATA_DIR/files` (the embedded default); `file:///abs/path` → that folder;
/// `s3://bucket[/prefix]?endpoint=http://host:port[&region=us-east-1]` → an S3-compatible object store, path-style
/// addressing, keys from `S3_ACCESS_KEY_ID` / `S3_SECRET_ACCESS_KEY`.
public enum StorageLocation: Sendable, Equatable, CustomStringConvertible {
    case local(URL)
    case s3(S3Location)

    public var description: String {
        switch self {
        case .local(let url): "local folder \(url.path)"
        case .s3(let s3): s3.description
        }
    }

    /// Parses `raw` (nil or empty: the default), or says what is wrong (never quoting a key).
    public static func parse(_ raw: String?, dataDirectory: URL, environment: [String: String]) -> Result<StorageLocation, Problem> {
        let defaultFolder = dataDirectory.appendingPathComponent("files", isDirectory: true)
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty, raw != "file:", raw != "file://" else {
            return .success(.local(defaultFolder))
        }
        if raw.hasPrefix("file:") {
            guard let u = URL(string: raw), u.scheme == "file", u.host == nil || u.host == "", u.path.hasPrefix("/"), u.path.count > 1 else {
                return .failure(Problem("STORAGE_URL file: must be file: (DATA_DIR/files) or file:///absolute/folder"))
            }
            return .success(.local(URL(fileURLWithPath: u.path, isDirectory: true)))
        }
        guard raw.hasPrefix("s3://"), let c = URLComponents(string: raw), let bucket = c.host, !bucket.isEmpty else {
            return .failure(Problem("STORAGE_URL must be file: or s3://bucket?endpoint=http://host:port&region=us-east-1"))
        }
        var problems: [String] = []
        // Keys in the address would be printed wherever the store is described (console, a backup's manifest).
        if c.user != nil || c.password != nil {
            problems.append("STORAGE_URL: no user name or password before the bucket; the keys go in S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY")
        }
        let bucketChars = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789.-")
        if !(3...63).contains(bucket.count) || bucket.unicodeScalars.contains(where: { !bucketChars.contains($0) }) {
            problems.append("STORAGE_URL: the bucket name must be 3–63 characters of a–z, 0–9, '.' and '-'")
        }
        var prefix = c.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let prefixChars = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/")
        if prefix.unicodeScalars.contains(where: { !prefixChars.contains($0) }) || prefix.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            problems.append("STORAGE_URL: the key prefix after the bucket may hold only letters, digits, '.', '_', '-' and '/'")
        }
        if !prefix.isEmpty { prefix += "/" }
        let items = c.queryItems ?? []
        func item(_ name: String) -> String? { items.first { $0.name == name }?.value.flatMap { $0.isEmpty ? nil : $0 } }
        for unknown in Set(items.map(\.name)).subtracting(["endpoint", "region"]).sorted() {
            problems.append("STORAGE_URL: unknown parameter '\(unknown)' (endpoint and region are known)")
        }
        var endpoint: URL?
        if let e = item("endpoint") {
            let trimmed = e.hasSuffix("/") ? String(e.dropLast()) : e
            if let u = URL(string: trimmed), u.user != nil || u.password != nil || trimmed.contains("@") {
                problems.append(
                    "STORAGE_URL: the endpoint must not carry a user name or password; the keys go in S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY")
            } else if let u = URL(string: trimmed), ["http", "https"].contains(u.scheme ?? ""), u.host != nil, u.path.isEmpty, u.query == nil,
                u.fragment == nil
            {
                endpoint = u
            } else {
                problems.append("STORAGE_URL: endpoint must be an http(s) address without a path, such as http://127.0.0.1:9000")
            }
        } else {
            problems.append("STORAGE_URL: endpoint= is required (the S3 server's address, e.g. endpoint=https://s3.example.go.th)")
        }
        let region = item("region") ?? "us-east-1"
        if region.isEmpty || region.unicodeScalars.contains(where: { !CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789-").contains($0) }) {
            problems.append("STORAGE_URL: region must be lower-case letters, digits and '-' (got '\(region)')")
        }
        func key(_ name: String) -> String? {
            guard let v = environment[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        let access = key("S3_ACCESS_KEY_ID")
        let secret = key("S3_SECRET_ACCESS_KEY")
        if access == nil { problems.append("S3_ACCESS_KEY_ID is required when STORAGE_URL is s3://") }
        if secret == nil { problems.append("S3_SECRET_ACCESS_KEY is required when STORAGE_URL is s3://") }
        guard problems.isEmpty, let endpoint, let access, let secret else { return .failure(Problem(problems.joined(separator: "; "))) }
        return .success(.s3(S3Location(endpoint: endpoint, bucket: bucket, prefix: prefix, region: region, accessKeyID: access, secretAccessKey: secret)))
    }

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }
}

/// An S3-compatible bucket (path-style: `endpoint/bucket/prefix+name`).
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public var endpoint: URL
    public var bucket: String
    /// "" or a folder-like prefix ending in "/", put before every name.
    public var prefix: String
    public var region: String
    public var accessKeyID: String
    /// Never printed (see `description`).
    public var secretAccessKey: String

    public var description: String { "s3://\(bucket)/\(prefix) at \(endpointDescription) (\(region))" }

    /// The endpoint as scheme://host[:port] only: whatever else an address could carry is never printed.
    public var endpointDescription: String {
        var host = endpoint.host ?? "?"
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }
        return "\(endpoint.scheme ?? "?")://\(host)\(endpoint.port.map { ":\($0)" } ?? "")"
    }
}
