import Domain
import Foundation
import Vapor
import Yams

extension Application {
    struct OrgUnitsKey: StorageKey { typealias Value = OrgUnitTree }

    /// Organisation units (levels 2–4) staff choose from, read at start-up from `Tenants/_org/units.yaml`.
    var orgUnits: OrgUnitTree {
        get { storage[OrgUnitsKey.self] ?? OrgUnitTree([]) }
        set { storage[OrgUnitsKey.self] = newValue }
    }
}

enum OrgUnitsLoader {
    static func load(tenantsDirectory: URL) throws -> OrgUnitTree {
        let file = tenantsDirectory.appendingPathComponent("_org/units.yaml")
        guard let data = FileManager.default.contents(atPath: file.path) else { return OrgUnitTree([]) }
        do {
            return OrgUnitTree(try YAMLDecoder().decode([OrgUnit].self, from: data))
        } catch {
            throw TenantLoader.Failure(problems: [TenantLoader.Problem(file: "_org/units.yaml", field: "(file)", message: "\(error)")])
        }
    }
}
