import Domain
import Foundation
import Testing

/// The tenant's area in `tenant.yaml` and the location answers it refuses.
@Suite("Tenant area")
struct TenantAreaTests {
    /// An L-shaped area: the notch (north-east) is outside although inside the bounding box.
    static let lShape = try! TenantArea(corners: [
        .init(lat: 16.70, lng: 100.20), .init(lat: 16.70, lng: 100.30), .init(lat: 16.60, lng: 100.30),
        .init(lat: 16.60, lng: 100.40), .init(lat: 16.50, lng: 100.40), .init(lat: 16.50, lng: 100.20),
    ])

    @Test("a polygon: inside, outside, the notch of a concave shape, corners and edges count as inside")
    func polygon() {
        let a = Self.lShape
        #expect(a.contains(lat: 16.65, lng: 100.25))
        #expect(a.contains(lat: 16.55, lng: 100.35))
        #expect(!a.contains(lat: 16.65, lng: 100.35), "the notch lies inside the bounding box but outside the area")
        #expect(!a.contains(lat: 13.7563, lng: 100.5018))
        #expect(a.contains(lat: 16.70, lng: 100.20) && a.contains(lat: 16.60, lng: 100.35) && a.contains(lat: 16.55, lng: 100.20))
        #expect(!a.contains(lat: .nan, lng: 100.25) && !a.contains(lat: 16.6, lng: .infinity))
        let b = a.bounds
        #expect(b.south == 16.50 && b.west == 100.20 && b.north == 16.70 && b.east == 100.40)
        #expect(abs(a.center.lat - 16.60) < 1e-9 && abs(a.center.lng - 100.30) < 1e-9)
    }

    @Test("tenant.yaml: a polygon or a box; anything else names what is wrong")
    func decoding() throws {
        func decode(_ json: String) throws -> TenantArea { try JSONDecoder().decode(TenantArea.self, from: Data(json.utf8)) }
        let box = try decode(#"{"box": {"south": 13.712, "west": 100.505, "north": 13.742, "east": 100.545}}"#)
        #expect(box.contains(lat: 13.73, lng: 100.52) && !box.contains(lat: 13.75, lng: 100.52))
        let polygon = try decode(#"{"polygon": [[16.7, 100.22], [16.69, 100.42], [16.52, 100.45], [16.44, 100.33], [16.5, 100.2]]}"#)
        #expect(polygon.contains(lat: 16.5791, lng: 100.3012) && polygon.corners.count == 5)
        #expect(try decode(String(decoding: try JSONEncoder().encode(polygon), as: UTF8.self)) == polygon, "encodes back to the same area")
        for (bad, says) in [
            (#"{"polygon": [[16.7, 100.2], [16.6, 100.3]]}"#, "3 to 1000 corners"),
            (#"{"polygon": [[16.7, 100.2, 1], [16.6, 100.3], [16.5, 100.2]]}"#, "[latitude, longitude]"),
            (#"{"polygon": [[51.5, -0.1], [16.6, 100.3], [16.5, 100.2]]}"#, "not in Thailand"),
            (#"{"box": {"south": 13.8, "west": 100.5, "north": 13.7, "east": 100.6}}"#, "south < north"),
            (#"{}"#, "either polygon or box"),
            (
                #"{"box": {"south": 13.7, "west": 100.5, "north": 13.8, "east": 100.6}, "polygon": [[16.7, 100.2], [16.6, 100.3], [16.5, 100.2]]}"#,
                "either polygon or box"
            ),
        ] {
            do {
                _ = try decode(bad)
                Issue.record("taken: \(bad)")
            } catch {
                #expect("\(error)".contains(says), "\(bad): \(error)")
            }
        }
    }

    @Test("a location answer outside the area is refused with the tenant's name; inside, or without coordinates, it is taken")
    func answers() {
        let field = FormField(key: "spot", type: .location, label: "ตำแหน่ง", required: true, help: nil, options: nil, maxLength: nil)
        let area = ServiceArea(area: Self.lShape, ownerName: "เทศบาลตำบลบางกระทุ่ม")
        func check(_ lat: String, _ lng: String) -> Result<PetitionAnswers, PetitionAnswers.Invalid> {
            PetitionAnswers.validate(
                fields: [field], input: ["spot": ["หน้าวัด"], "spot_lat": [lat], "spot_lng": [lng]], geography: PetitionAnswersTests.geography,
                area: area)
        }
        guard case .success(let inside) = check("16.65", "100.25") else {
            Issue.record("inside refused")
            return
        }
        #expect(inside["spot"]?.value == .location(description: "หน้าวัด", lat: 16.65, lng: 100.25))
        guard case .failure(let outside) = check("16.65", "100.35") else {
            Issue.record("outside taken")
            return
        }
        #expect(outside.problems.count == 1 && outside.problems[0].input == "spot_lat")
        #expect(outside.problems[0].message.contains("อยู่นอกเขตเทศบาลตำบลบางกระทุ่ม") && outside.problems[0].message.contains("16.65, 100.35"))
        if case .failure = check("", "") { Issue.record("a description alone is taken (no coordinates to check)") }
        if case .failure = PetitionAnswers.validate(
            fields: [field], input: ["spot": ["หน้าวัด"], "spot_lat": ["13.75"], "spot_lng": ["100.5"]], geography: PetitionAnswersTests.geography)
        {
            Issue.record("without an area, anywhere in Thailand is taken")
        }
    }
}
