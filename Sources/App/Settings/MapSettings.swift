import Foundation

/// Where map tiles come from and how the map credits them, and where Debian's Leaflet is.
///
/// `MAP_TILE_URL` is a Leaflet tile template (`https://tile.openstreetmap.org/{z}/{x}/{y}.png`, `{s}` as the
/// whole first label of the host for a subdomain); its origin is added to the pages' `img-src`. Unset, `off`
/// or `none` draws no map: the location field keeps its text and coordinate inputs. Maps are off unless named
/// because every tile a browser loads tells the tile server the visitor's address and where a complaint is:
/// a deployment chooses its tile server (its own, or a provider it has an agreement with); `make run` uses
/// OpenStreetMap's for the demo. `MAP_TILE_ATTRIBUTION` is the credit shown on the map (plain text; OSM's by
/// default for OSM's tiles). `LEAFLET_DIR` is Debian's libjs-leaflet folder, served at `/vendor/leaflet/`.
public struct MapSettings: Sendable, Equatable {
    public var tileURL: String?
    public var attribution: String
    public var leafletDirectory: URL

    public static let osmTiles = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    public static let osmAttribution = "© ผู้ร่วมให้ข้อมูล OpenStreetMap"
    public static let `default` = MapSettings(
        tileURL: nil, attribution: "", leafletDirectory: URL(fileURLWithPath: "/usr/share/javascript/leaflet"))

    public var drawsMaps: Bool { tileURL != nil }

    /// The CSP source for the tiles: `https://tile.openstreetmap.org`, `https://*.tile.example.org` for `{s}`.
    public var tileSource: String? {
        guard let tileURL, let scheme = tileURL.range(of: "://") else { return nil }
        let rest = tileURL[scheme.upperBound...]
        let host = rest.prefix { $0 != "/" }
        return String(tileURL[..<scheme.upperBound]) + host.replacingOccurrences(of: "{s}", with: "*")
    }

    static func read(_ value: (String) -> String?, path: (String) -> URL) -> (MapSettings, [String]) {
        var map = MapSettings.default
        var problems: [String] = []
        if let raw = value("MAP_TILE_URL") {
            if ["off", "none"].contains(raw.lowercased()) {
                map.tileURL = nil
            } else if Self.isTemplate(raw) {
                map.tileURL = raw
                if raw.contains("tile.openstreetmap.org") { map.attribution = osmAttribution }
            } else {
                problems.append(
                    "MAP_TILE_URL must be an http(s) tile address with {z}, {x} and {y} such as \(osmTiles), or off (got '\(raw)')")
            }
        }
        if let raw = value("MAP_TILE_ATTRIBUTION") {
            if raw.count <= 300, !raw.contains(where: { "<>\"".contains($0) || $0.isNewline }) {
                map.attribution = raw
            } else {
                problems.append("MAP_TILE_ATTRIBUTION must be plain text of at most 300 characters (no < > \" or line breaks)")
            }
        }
        if let raw = value("LEAFLET_DIR") { map.leafletDirectory = path(raw) }
        return (map, problems)
    }

    /// http(s), a host of letters, digits, dots, dashes, `{s}` and an optional port, and `{z}`, `{x}`, `{y}`
    /// in the path; no quotes, spaces or user part (it goes into a CSP header and an HTML attribute).
    static func isTemplate(_ raw: String) -> Bool {
        guard raw.count <= 500, raw.hasPrefix("https://") || raw.hasPrefix("http://"),
            ["{z}", "{x}", "{y}"].allSatisfy(raw.contains),
            raw.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 && !"\"'<>\\;,`".unicodeScalars.contains($0) })
        else { return false }
        let afterScheme = raw[raw.range(of: "://")!.upperBound...]
        let host = afterScheme.prefix { $0 != "/" }
        let hostName = host.split(separator: ":", maxSplits: 1)
        // `{s}` only as the whole first label before at least two more ({s}.tile.example.org): its CSP source
        // `*.tile.example.org` then names one provider, where `https://{s}` would allow any host.
        let labels = (hostName.first ?? "").split(separator: ".", omittingEmptySubsequences: false)
        let subdomainOK = !raw.contains("{s}") || (labels.first == "{s}" && labels.count >= 3 && !labels.dropFirst().joined().contains("{"))
        guard let name = hostName.first, !name.isEmpty, !host.contains("@"), subdomainOK,
            labels.allSatisfy({ !$0.isEmpty }),
            name.replacingOccurrences(of: "{s}", with: "a").allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }),
            hostName.count == 1 || (hostName[1].allSatisfy(\.isNumber) && (1...5).contains(hostName[1].count))
        else { return false }
        return true
    }
}
