import Domain
import Foundation
import Yams

/// Reads `Tenants/<slug>/tenant.yaml` folders. Any problem in any file stops start-up with one message
/// that names each file and field.
public enum TenantLoader {
    public struct Problem: Sendable, CustomStringConvertible {
        public var file: String
        public var field: String
        public var message: String
        public var description: String { "\(file): \(field): \(message)" }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var problems: [Problem]
        public var description: String {
            "Tenant configuration is invalid (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
                + problems.map { "  - \($0)" }.joined(separator: "\n")
        }
    }

    public static let fileName = "tenant.yaml"

    /// Loads every folder in `directory` (folders whose names start with "." or "_" are skipped).
    public static func loadAll(from directory: URL) throws -> TenantRegistry {
        let fm = FileManager.default
        let names = try fm.contentsOfDirectory(atPath: directory.path)
            .filter { !$0.hasPrefix(".") && !$0.hasPrefix("_") }
            .filter {
                var d: ObjCBool = false; return fm.fileExists(atPath: directory.appendingPathComponent($0).path, isDirectory: &d) && d.boolValue
            }
            .sorted()

        let catalogues = try loadCatalogues(from: directory.appendingPathComponent(catalogueFolder, isDirectory: true))

        // Parse in parallel: thousands of tenants must start in seconds on two cores.
        let interner = TenantInterner()
        let results = ParallelMap.map(names) { name -> Result<Tenant, Failure> in
            do {
                return .success(
                    try load(
                        slug: name, folder: directory.appendingPathComponent(name, isDirectory: true),
                        catalogues: catalogues, interner: interner))
            } catch let failure as Failure { return .failure(failure) } catch {
                return .failure(Failure(problems: [Problem(file: name, field: "(file)", message: "\(error)")]))
            }
        }

        var tenants: [Tenant] = []
        var problems: [Problem] = []
        for result in results {
            switch result {
            case .success(let t): tenants.append(t)
            case .failure(let f): problems += f.problems
            }
        }
        var hostOwner: [String: String] = [:]
        for tenant in tenants {
            for (i, host) in tenant.config.hosts.enumerated() {
                if let other = hostOwner[host] {
                    problems.append(Problem(file: displayPath(tenant.slug), field: "hosts[\(i)]", message: "'\(host)' is also a host of '\(other)'"))
                }
                hostOwner[host] = tenant.slug
            }
        }
        if tenants.isEmpty && problems.isEmpty {
            problems.append(Problem(file: directory.path, field: "(folder)", message: "no tenant folders found"))
        }
        guard problems.isEmpty else { throw Failure(problems: problems) }
        return TenantRegistry(tenants)
    }

    static func displayPath(_ slug: String) -> String { "Tenants/\(slug)/\(fileName)" }

    /// Shared service catalogues: `Tenants/_catalogues/<name>.yaml`, each holding `menus:` as in a tenant file.
    public static let catalogueFolder = "_catalogues"

    static func loadCatalogues(from folder: URL) throws -> [String: Menus] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [:] }
        var catalogues: [String: Menus] = [:]
        var problems: [Problem] = []
        for name in names.sorted() where name.hasSuffix(".yaml") {
            let key = String(name.dropLast(5))
            let file = "Tenants/\(catalogueFolder)/\(name)"
            do {
                let node = try parse(folder.appendingPathComponent(name), file: file, shape: TenantFileShape.catalogue)
                struct Catalogue: Decodable { var menus: Menus }
                let menus = try decode(Catalogue.self, from: node, file: file).menus
                let found = TenantRules.serviceProblems(in: menus).map { Problem(file: file, field: $0.field, message: $0.message) }
                if found.isEmpty { catalogues[key] = menus } else { problems += found }
            } catch let failure as Failure {
                problems += failure.problems
            }
        }
        guard problems.isEmpty else { throw Failure(problems: problems) }
        return catalogues
    }

    /// Reads a YAML file and checks it has no keys outside `shape`.
    static func parse(_ url: URL, file: String, shape: TenantFileShape.Shape) throws -> Node {
        func fail(_ field: String, _ message: String) -> Failure {
            Failure(problems: [Problem(file: file, field: field, message: message)])
        }
        guard let data = FileManager.default.contents(atPath: url.path) else { throw fail("(file)", "missing") }
        guard let text = String(data: data, encoding: .utf8) else { throw fail("(file)", "is not UTF-8 text") }
        let node: Node
        do {
            // The basic resolver tags every scalar as text; numbers and booleans are read from that text when decoded.
            // The default resolver runs a regular expression per scalar, which made 7,850 tenants take a minute.
            guard let root = try Yams.compose(yaml: text, .basic) else { throw fail("(file)", "is empty") }
            node = root
        } catch let f as Failure { throw f } catch {
            throw fail("(syntax)", "not valid YAML: \(error)")
        }
        let unknown = TenantFileShape.unknownKeys(in: node, shape: shape)
        if !unknown.isEmpty {
            throw Failure(problems: unknown.map { Problem(file: file, field: $0, message: "unknown key (misspelt?)") })
        }
        return node
    }

    static func decode<T: Decodable>(_ type: T.Type, from node: Node, file: String) throws -> T {
        do {
            return try YAMLDecoder().decode(T.self, from: node)
        } catch let error as DecodingError {
            let (path, message) = describe(error)
            throw Failure(problems: [Problem(file: file, field: path, message: message)])
        }
    }

    /// Loads and checks one tenant folder.
    static func load(slug: String, folder: URL, catalogues: [String: Menus] = [:], interner: TenantInterner? = nil) throws -> Tenant {
        let file = displayPath(slug)
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(fileName).path) else {
            throw Failure(problems: [Problem(file: file, field: "(file)", message: "missing; every tenant folder needs a \(fileName)")])
        }
        let node = try parse(folder.appendingPathComponent(fileName), file: file, shape: TenantFileShape.root)
        var config = try decode(TenantConfig.self, from: node, file: file)
        if let name = config.catalogue {
            guard let shared = catalogues[name] else {
                throw Failure(problems: [Problem(file: file, field: "catalogue", message: "no catalogue Tenants/\(catalogueFolder)/\(name).yaml")])
            }
            config.menus = shared.overlaid(with: config.menus)
        }
        var problems = TenantRules.problems(in: config, slug: slug).map { Problem(file: file, field: $0.field, message: $0.message) }
        for (field, name) in [("logo", config.logo), ("terms", config.terms)] {
            if name.contains("/") || name.hasPrefix(".") {
                problems.append(Problem(file: file, field: field, message: "must be a file name in the tenant folder"))
            } else if !FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) {
                problems.append(Problem(file: file, field: field, message: "file '\(name)' not found in Tenants/\(slug)/"))
            }
        }
        guard problems.isEmpty else { throw Failure(problems: problems) }
        return Tenant(slug: slug, config: interner?.intern(config) ?? config, folder: folder)
    }

    static func describe(_ error: DecodingError) -> (String, String) {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let i = key.intValue { out += "[\(i)]" } else { out += out.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return out.isEmpty ? "(root)" : out
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            return (path(ctx.codingPath + [key]), "is required")
        case .typeMismatch(let type, let ctx):
            return (path(ctx.codingPath), "has the wrong type (expected \(typeName(type)))")
        case .valueNotFound(let type, let ctx):
            return (path(ctx.codingPath), "is empty (expected \(typeName(type)))")
        case .dataCorrupted(let ctx):
            return (path(ctx.codingPath), ctx.debugDescription)
        @unknown default:
            return ("(file)", "\(error)")
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "text"
        case is Int.Type: "a whole number"
        case is Bool.Type: "true or false"
        default: String(describing: type).contains("Array") ? "a list" : "a mapping"
        }
    }
}

/// The keys each part of a tenant file may have, so that a misspelt optional key is an error, not silence.
enum TenantFileShape {
    indirect enum Shape: Sendable { case scalar, list(Shape), map([String: Shape]) }

    static let service: Shape = .map([
        "slug": .scalar, "name": .scalar, "description": .scalar, "verified_identity": .scalar, "sla_days": .scalar, "division": .scalar,
        "fields": .list(
            .map([
                "key": .scalar, "type": .scalar, "label": .scalar, "required": .scalar,
                "help": .scalar, "options": .list(.scalar), "max_length": .scalar,
            ])),
        "attachments": .list(
            .map([
                "key": .scalar, "label": .scalar, "required": .scalar, "types": .list(.scalar),
                "max_mb": .scalar, "max_count": .scalar,
            ])),
    ])

    static let menus: Shape = .map(["account": .list(service), "online": .list(service), "complaints": .list(service)])

    static let root: Shape = .map([
        "name": .map(["th": .scalar, "en": .scalar]),
        "code": .scalar,
        "hosts": .list(.scalar),
        "contact": .map(["address": .scalar, "phone": .scalar, "email": .scalar, "website": .scalar, "hours": .scalar]),
        "colors": .map(["primary": .scalar, "accent": .scalar]),
        "logo": .scalar,
        "terms": .scalar,
        "identity": .map(["watermark": .scalar, "max_file_mb": .scalar, "images": .list(.map(["label": .scalar]))]),
        "line": .map(["channel_id": .scalar, "secret_env": .scalar, "token_env": .scalar]),
        "catalogue": .scalar,
        "menus": menus,
        "divisions": .list(.map(["code": .scalar, "name": .scalar])),
        "area": .map(["polygon": .list(.list(.scalar)), "box": .map(["south": .scalar, "west": .scalar, "north": .scalar, "east": .scalar])]),
    ])

    static let catalogue: Shape = .map(["menus": menus])

    static func unknownKeys(in node: Node, shape: Shape) -> [String] {
        var out: [String] = []
        walk(node, shape, "", &out)
        return out
    }

    private static func walk(_ node: Node, _ shape: Shape, _ path: String, _ out: inout [String]) {
        switch (node, shape) {
        case (.mapping(let mapping), .map(let keys)):
            for (k, v) in mapping {
                let name = k.string ?? "?"
                let here = path.isEmpty ? name : "\(path).\(name)"
                if let sub = keys[name] { walk(v, sub, here, &out) } else { out.append(here) }
            }
        case (.sequence(let seq), .list(let element)):
            for (i, item) in seq.enumerated() { walk(item, element, "\(path)[\(i)]", &out) }
        default:
            break  // type mismatches are reported by the decoder with the same path
        }
    }
}
