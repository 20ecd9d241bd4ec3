import Domain
import Foundation

/// A map as a page draws it (`Views/partials/map.leaf`, `Public/js/location-map.js` with Debian's Leaflet):
/// either the pin of one location field, which the person drags or taps (`field` names the field; its
/// `<field>_lat` and `<field>_lng` inputs stay on the page, so the form works without the map), or read-only
/// pins (an officer's petition, the queue). With `MAP_TILE_URL` off there are no tiles and no map is drawn:
/// the location field keeps its text, coordinates and "ใช้ตำแหน่งปัจจุบัน".
struct MapView: Encodable, Sendable {
    struct Pin: Encodable, Sendable {
        var lat: Double
        var lng: Double
        var label: String
        /// Where the pin's popup links (the petition), if anywhere.
        var url: String?
    }

    /// The location field this map sets; nil for a read-only map.
    var field: String?
    /// nil: no map drawn (`MAP_TILE_URL=off`).
    var tiles: String?
    var attribution: String
    /// Where an empty map opens: the tenant's area, else the middle of Thailand.
    var center: String
    var zoom: Int
    /// The tenant's area outline, "lat,lng lat,lng …"; "" without one.
    var area: String
    /// Read-only pins as JSON (`[{"lat":…,"lng":…,"label":…,"url":…}]`).
    var pins: String
    var label: String

    init(settings: MapSettings, area: TenantArea?, field: String? = nil, pins: [Pin] = [], label: String) {
        self.field = field
        tiles = settings.tileURL
        attribution = settings.attribution
        let middle = area?.center ?? .init(lat: 13.0, lng: 101.0)
        center = "\(middle.lat),\(middle.lng)"
        zoom = area == nil ? 6 : 13
        self.area = area?.corners.map { "\($0.lat),\($0.lng)" }.joined(separator: " ") ?? ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        self.pins = (try? String(decoding: encoder.encode(pins), as: UTF8.self)) ?? "[]"
        self.label = label
    }
}

extension MapView {
    /// A pin for each location answer with coordinates, labelled with its field and description.
    static func pins(_ answers: PetitionAnswers, url: String? = nil, prefix: String = "") -> [Pin] {
        answers.answers.compactMap { a in
            guard case let .location(description, lat?, lng?) = a.value else { return nil }
            let text = description.isEmpty ? a.label : "\(a.label): \(description)"
            return Pin(lat: lat, lng: lng, label: prefix + text, url: url)
        }
    }
}
