/// The organisation units staff belong to, in four levels as on the BMA registration form
/// (สำนัก/สำนักงานเขต → กอง/ฝ่าย → กลุ่มงาน → งาน). Level 1 is the municipality (a tenant);
/// levels 2–4 come from `Tenants/_org/units.yaml`. A unit is stored as "tenant/l2/l3/l4".
public struct OrgUnit: Codable, Sendable, Hashable {
    public var code: String
    public var name: String
    public var units: [OrgUnit]?

    public init(code: String, name: String, units: [OrgUnit]? = nil) {
        self.code = code
        self.name = name
        self.units = units
    }
}

public struct OrgUnitTree: Sendable {
    public static let levelTitles = ["สำนัก / สำนักงานเขต / เทศบาล", "กอง / ฝ่าย", "ฝ่าย / กลุ่มงาน", "งาน"]

    public let units: [OrgUnit]

    public init(_ units: [OrgUnit]) { self.units = units }

    /// Every unit of level 2, 3 or 4 with its path code ("palad", "palad/admin", "palad/admin/saraban").
    public func level(_ n: Int) -> [(code: String, parent: String?, name: String)] {
        var out: [(String, String?, String)] = []
        func walk(_ list: [OrgUnit], depth: Int, prefix: String?) {
            for u in list {
                let code = prefix.map { "\($0)/\(u.code)" } ?? u.code
                if depth == n { out.append((code, prefix, u.name)) } else { walk(u.units ?? [], depth: depth + 1, prefix: code) }
            }
        }
        walk(units, depth: 2, prefix: nil)
        return out
    }

    /// Names of the units along a level 2–4 path, or nil when the path is not in the tree or is not a leaf.
    public func names(path: String) -> [String]? {
        var list = units
        var names: [String] = []
        let parts = path.split(separator: "/").map(String.init)
        for (i, code) in parts.enumerated() {
            guard let u = list.first(where: { $0.code == code }) else { return nil }
            names.append(u.name)
            list = u.units ?? []
            if i == parts.count - 1, !list.isEmpty { return nil }
        }
        return names.isEmpty ? nil : names
    }
}
