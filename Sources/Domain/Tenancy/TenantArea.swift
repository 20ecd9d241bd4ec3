/// Where a municipality serves, as its `tenant.yaml` draws it: a polygon of `[lat, lng]` corners, or a box.
///
///     area:
///       polygon: [[16.66, 100.21], [16.66, 100.41], [16.48, 100.41], [16.48, 100.21]]
///     # or
///     area:
///       box: {south: 16.48, west: 100.21, north: 16.66, east: 100.41}
///
/// A complaint's pin must fall inside it (the edge counts as inside). Every corner lies in Thailand's ranges
/// (`PetitionAnswers.latitudes`, `.longitudes`); a polygon has 3 to 1,000 corners.
public struct TenantArea: Codable, Sendable, Hashable {
    public struct Point: Sendable, Hashable {
        public var lat: Double
        public var lng: Double

        public init(lat: Double, lng: Double) {
            self.lat = lat
            self.lng = lng
        }
    }

    public struct Box: Codable, Sendable, Hashable {
        public var south: Double
        public var west: Double
        public var north: Double
        public var east: Double

        public init(south: Double, west: Double, north: Double, east: Double) {
            self.south = south
            self.west = west
            self.north = north
            self.east = east
        }
    }

    public static let maxCorners = 1000

    /// The corners in order (a box as its four corners).
    public let corners: [Point]

    public init(corners: [Point]) throws {
        guard (3...Self.maxCorners).contains(corners.count) else { throw Problem("area: a polygon needs 3 to \(Self.maxCorners) corners") }
        for p in corners where !PetitionAnswers.latitudes.contains(p.lat) || !PetitionAnswers.longitudes.contains(p.lng) {
            throw Problem("area: corner [\(p.lat), \(p.lng)] is not in Thailand (latitude 5–21, longitude 97–106)")
        }
        self.corners = corners
    }

    public init(box: Box) throws {
        guard box.south < box.north, box.west < box.east else { throw Problem("area: box needs south < north and west < east") }
        try self.init(corners: [
            Point(lat: box.north, lng: box.west), Point(lat: box.north, lng: box.east), Point(lat: box.south, lng: box.east),
            Point(lat: box.south, lng: box.west),
        ])
    }

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// South-west and north-east corners of the smallest box around the area.
    public var bounds: (south: Double, west: Double, north: Double, east: Double) {
        let lats = corners.map(\.lat), lngs = corners.map(\.lng)
        return (lats.min() ?? 0, lngs.min() ?? 0, lats.max() ?? 0, lngs.max() ?? 0)
    }

    /// The middle of `bounds`: where an empty map starts.
    public var center: Point {
        let b = bounds
        return Point(lat: (b.south + b.north) / 2, lng: (b.west + b.east) / 2)
    }

    /// Whether the point is inside the polygon or on its edge (even-odd rule on the plane of degrees, which is
    /// exact enough for an area a few tens of kilometres across).
    public func contains(lat: Double, lng: Double) -> Bool {
        guard lat.isFinite, lng.isFinite else { return false }
        var inside = false
        var j = corners.count - 1
        for i in corners.indices {
            let a = corners[i], b = corners[j]
            if Self.onSegment(lat, lng, a, b) { return true }
            if (a.lat > lat) != (b.lat > lat) {
                let crossLng = (b.lng - a.lng) * (lat - a.lat) / (b.lat - a.lat) + a.lng
                if lng < crossLng { inside.toggle() }
            }
            j = i
        }
        return inside
    }

    private static func onSegment(_ lat: Double, _ lng: Double, _ a: Point, _ b: Point) -> Bool {
        let cross = (b.lat - a.lat) * (lng - a.lng) - (b.lng - a.lng) * (lat - a.lat)
        guard abs(cross) <= 1e-12 else { return false }
        return lat >= min(a.lat, b.lat) - 1e-12 && lat <= max(a.lat, b.lat) + 1e-12 && lng >= min(a.lng, b.lng) - 1e-12
            && lng <= max(a.lng, b.lng) + 1e-12
    }

    private enum CodingKeys: String, CodingKey { case polygon, box }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let polygon = try c.decodeIfPresent([[Double]].self, forKey: .polygon)
        let box = try c.decodeIfPresent(Box.self, forKey: .box)
        do {
            switch (polygon, box) {
            case let (polygon?, nil):
                guard polygon.allSatisfy({ $0.count == 2 }) else { throw Problem("area: each polygon corner is [latitude, longitude]") }
                try self.init(corners: polygon.map { Point(lat: $0[0], lng: $0[1]) })
            case let (nil, box?): try self.init(box: box)
            default: throw Problem("area: give either polygon or box")
            }
        } catch let problem as Problem {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: problem.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(corners.map { [$0.lat, $0.lng] }, forKey: .polygon)
    }
}

/// The area a location answer must fall in, with the name a refusal gives it.
public struct ServiceArea: Sendable, Hashable {
    public var area: TenantArea
    /// The municipality's Thai name: "ตำแหน่งที่ปักหมุดอยู่นอกเขตเทศบาลตำบลบางกระทุ่ม".
    public var ownerName: String

    public init(area: TenantArea, ownerName: String) {
        self.area = area
        self.ownerName = ownerName
    }
}
