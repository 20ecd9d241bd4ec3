import Domain
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

/// Complaints with a map pin and photos: the location field's map (Debian's Leaflet, tiles from MAP_TILE_URL)
/// over inputs that work without it, the tenant's area enforced on the plain form post, phone photos in every
/// format stored without EXIF, and the officers' maps of one petition and of the queue.
@Suite("Complaints: map pin, tenant area, phone photos, officers' maps")
struct LocationMapTests {
    static let service = "street-light"
    static let queue = "/backoffice/t/bangkrathum/petitions"
    static let osm = ["MAP_TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png"]

    static func imaging(_ name: String) throws -> Data {
        try Data(contentsOf: Repo.root.appendingPathComponent("Tests/ImagingTests/Fixtures/\(name)"))
    }

    static func answers(lat: String, lng: String) -> [(String, String)] {
        [("light_location", "หน้าวัดบางกระทุ่ม"), ("light_location_lat", lat), ("light_location_lng", lng), ("problem", "ไฟดับ"), ("lamp_count", "2")]
    }

    static func has(_ data: Data, _ marker: String) -> Bool { data.range(of: Data(marker.utf8)) != nil }

    @Test(
        "the form draws the map over inputs that work without it; a pin outside the tenant's area is refused naming it, one inside is filed",
        arguments: TestDatabase.all)
    func areaOnPlainPost(database: TestDatabase) async throws {
        try await withApp(database, settings: Self.osm) { app, env in
            let c = try await CitizenFixtures.register(app)
            let page = try await PetitionFilingTests.open(app, c, service: Self.service)
            for needle in [
                #"data-location-field="light_location""#, #"data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png""#,
                "data-attribution=\"© ผู้ร่วมให้ข้อมูล OpenStreetMap\"", #"data-area="16.7,100.22 16.69,100.42"#,
                #"name="light_location_lat""#, #"name="light_location_lng""#, "data-geolocate", "data-map-canvas",
                #"<script src="/vendor/leaflet/leaflet.js" defer>"#, #"<script src="/js/location-map.js" defer>"#,
                #"href="/vendor/leaflet/leaflet.css""#, #"accept="image/jpeg,.jpg,.jpeg,image/png,.png,image/heic"#,
            ] {
                #expect(page.html.contains(needle), "form shows \(needle)")
            }
            try await app.testing().test(.GET, "\(c.base)/services/\(Self.service)/apply", headers: c.headers) { res in
                let csp = res.headers.first(name: "Content-Security-Policy") ?? ""
                #expect(csp.contains("img-src 'self' data: blob: https://tile.openstreetmap.org;") && csp.contains("script-src 'self';"), "\(csp)")
            }

            // Bangkok is outside Bang Krathum: 422, the message on the latitude input naming the tenant, nothing filed.
            var (h, b) = PetitionFilingTests.body(c, page, answers: Self.answers(lat: "13.7563", lng: "100.5018"), files: [])
            try await app.testing().test(.POST, "\(c.base)/services/\(Self.service)/apply", headers: h, body: b) { res in
                #expect(res.status == .unprocessableEntity)
                let html = res.body.string
                #expect(html.contains("ตำแหน่งที่ระบุ (13.7563, 100.5018) อยู่นอกเขตเทศบาลตำบลบางกระทุ่ม"), "\(html.prefix(300))")
                #expect(html.contains(##"href="#light_location_lat""##), "the error summary links to the input")
                #expect(html.contains(#"value="13.7563""#), "what was typed stays")
            }
            #expect(try await PetitionRecord.query(on: app.db).count() == 0)

            // Inside, typed by hand as a phone without JavaScript sends it (Thai digits too).
            (h, b) = PetitionFilingTests.body(c, page, answers: Self.answers(lat: "๑๖.๕๗๙๑", lng: "100.3012"), files: [])
            try await app.testing().test(.POST, "\(c.base)/services/\(Self.service)/apply", headers: h, body: b) { res in
                #expect(res.status == .seeOther, "\(res.body.string.prefix(500))")
            }
            let p = try #require(try await PetitionRecord.query(on: app.db).first())
            let stored = try StoredJSON.decode(PetitionAnswers.self, from: p.answersJSON)
            #expect(stored["light_location"]?.value == .location(description: "หน้าวัดบางกระทุ่ม", lat: 16.5791, lng: 100.3012))
            _ = env
        }
    }

    @Test(
        "phone photos: JPEG, PNG, HEIC and WebP are taken and stored without EXIF; HEIC and WebP as JPEG the officer's browser shows",
        arguments: TestDatabase.all)
    func photoFormats(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            let c = try await CitizenFixtures.register(app)
            let inputs: [(name: String, data: Data, marker: String, mime: String, storedName: String)] = [
                ("orient6-gps.jpg", try Self.imaging("orient6-gps.jpg"), "Exif\0\0", "image/jpeg", "orient6-gps.jpg"),
                ("orient8.png", try Self.imaging("orient8.png"), "eXIf", "image/png", "orient8.png"),
                ("IMG_0001.HEIC", try Self.imaging("irot-exif6.heic"), "Exif\0\0", "image/jpeg", "IMG_0001.jpg"),
                ("orient3.webp", try Self.imaging("orient3.webp"), "EXIF", "image/jpeg", "orient3.jpg"),
            ]
            for i in inputs { #expect(Self.has(i.data, i.marker), "\(i.name) carries its metadata block") }
            // Three photos at most per complaint: two filings.
            for batch in [Array(inputs.prefix(3)), Array(inputs.suffix(1))] {
                let page = try await PetitionFilingTests.open(app, c, service: Self.service)
                let (h, b) = PetitionFilingTests.body(
                    c, page, answers: Self.answers(lat: "16.5791", lng: "100.3012"), files: batch.map { ("file_photos", $0.name, $0.data) })
                try await app.testing().test(.POST, "\(c.base)/services/\(Self.service)/apply", headers: h, body: b) { res in
                    #expect(res.status == .seeOther, "\(res.body.string.prefix(800))")
                }
            }
            let stored = try await PetitionAttachmentRecord.query(on: app.db).all()
            #expect(stored.count == 4)
            for i in inputs {
                let s = try #require(stored.first { $0.originalName == i.storedName }, "\(i.name) stored as \(i.storedName)")
                #expect(s.mimeType == i.mime, "\(i.name): \(s.mimeType)")
                #expect(s.fileName.hasSuffix(i.mime == "image/png" ? ".png" : ".jpg"))
                let data = try Data(contentsOf: env.dataDirectory.appendingPathComponent("files/\(s.fileName)"))
                #expect(Hex.sha256(data) == s.sha256 && data.count == s.bytes)
                for marker in ["Exif\0\0", "eXIf", "EXIF", "II*\0", "MM\0*"] { #expect(!Self.has(data, marker), "\(i.name) stored without \(marker)") }
            }
        }
    }

    @Test(
        "officers see the pin on the petition page and the queue's petitions on a map, with the list kept below",
        arguments: TestDatabase.all)
    func officerMaps(database: TestDatabase) async throws {
        try await withApp(database, settings: Self.osm) { app, _ in
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let citizen = try await PetitionFixtures.citizen(app)
            let pinned = try await PetitionFixtures.file(app, citizen: citizen)
            let noCoordinates = try StoredJSON.encode(
                PetitionAnswers(answers: [
                    Answer(
                        key: "light_location", label: "ตำแหน่งไฟฟ้าสาธารณะที่ชำรุด", type: .location,
                        value: .location(description: "ซอยข้างตลาด", lat: nil, lng: nil))
                ]))
            let unpinned = try await PetitionFixtures.file(app, citizen: citizen, answersJSON: noCoordinates)

            try await app.testing().test(.GET, "\(Self.queue)/\(pinned.number)", headers: officer.headers) { res in
                #expect(res.status == .ok)
                let html = res.body.string
                #expect(html.contains("data-map ") && html.contains("data-pins=\"[{&quot;label&quot;:&quot;ตำแหน่งไฟฟ้าสาธารณะที่ชำรุด: หน้าวัดบางกระทุ่ม"))
                #expect(html.contains("&quot;lat&quot;:16.57") && html.contains("/vendor/leaflet/leaflet.js") && !html.contains("data-location-field"))
            }
            try await app.testing().test(.GET, "\(Self.queue)/\(unpinned.number)", headers: officer.headers) { res in
                #expect(res.status == .ok && !res.body.string.contains("data-map ") && !res.body.string.contains("leaflet.js"))
            }
            var mapURL = ""
            try await app.testing().test(.GET, Self.queue, headers: officer.headers) { res in
                let html = res.body.string
                #expect(res.status == .ok && !html.contains("data-map "))
                let link = try #require(html.range(of: #"<a href="([^"]*view=map)">ดูบนแผนที่</a>"#, options: .regularExpression))
                mapURL = String(html[link]).components(separatedBy: "\"")[1].replacingOccurrences(of: "&amp;", with: "&")
            }
            try await app.testing().test(.GET, mapURL, headers: officer.headers) { res in
                #expect(res.status == .ok)
                let html = res.body.string
                #expect(html.contains("แผนที่แสดง 1 จาก 2 เรื่องในหน้านี้ (เรื่องที่ไม่ได้ระบุพิกัดไม่แสดงบนแผนที่"), "\(html.prefix(200))")
                #expect(html.contains("&quot;url&quot;:&quot;\\/backoffice\\/t\\/bangkrathum\\/petitions\\/\(pinned.number)&quot;"))
                #expect(html.contains(pinned.number) && html.contains(unpinned.number), "the list stays below the map")
                #expect(html.contains(">ดูเป็นรายการ</a>") && html.contains("map-large"))
            }
        }
    }

    @Test(
        "maps are off unless MAP_TILE_URL names a tile server: no map, no tiles in the policy; the field keeps its inputs and ใช้ตำแหน่งปัจจุบัน; officers get lists",
        arguments: [[:], ["MAP_TILE_URL": "off"]])
    func mapsOff(settings: [String: String]) async throws {
        try await withApp(.sqlite, settings: settings) { app, _ in
            let c = try await CitizenFixtures.register(app)
            let page = try await PetitionFilingTests.open(app, c, service: Self.service)
            #expect(page.html.contains("data-geolocate") && page.html.contains(#"name="light_location_lat""#))
            #expect(!page.html.contains("data-map-canvas") && !page.html.contains("leaflet") && page.html.contains("/js/location-map.js"))
            try await app.testing().test(.GET, "\(c.base)/services/\(Self.service)/apply", headers: c.headers) { res in
                #expect(res.headers.first(name: "Content-Security-Policy")?.contains("img-src 'self' data: blob:;") == true)
            }
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let p = try await PetitionFixtures.file(app, citizen: try await PetitionFixtures.citizen(app))
            try await app.testing().test(.GET, "\(Self.queue)/\(p.number)", headers: officer.headers) { res in
                #expect(res.status == .ok && !res.body.string.contains("data-map "))
            }
            try await app.testing().test(.GET, "\(Self.queue)?view=map", headers: officer.headers) { res in
                #expect(res.status == .ok && !res.body.string.contains("data-map ") && !res.body.string.contains("ดูบนแผนที่"))
            }
        }
    }

    @Test("MAP_TILE_URL: a tile template with {z}, {x}, {y}; {s} only as a whole first label; nothing that could widen the policy")
    func tileSettings() throws {
        func load(_ url: String) throws -> MapSettings {
            try Settings.load(
                from: ["TENANTS_DIR": Repo.path("Tenants"), "DATA_DIR": NSTemporaryDirectory() + "map-settings-test", "MAP_TILE_URL": url],
                workingDirectory: Repo.root.path
            ).map
        }
        let osm = try load("https://tile.openstreetmap.org/{z}/{x}/{y}.png")
        #expect(osm.tileSource == "https://tile.openstreetmap.org" && osm.attribution.contains("OpenStreetMap"))
        #expect(try load("https://{s}.tile.example.org:8443/t/{z}/{x}/{y}.png").tileSource == "https://*.tile.example.org:8443")
        #expect(try load("http://127.0.0.1:9999/{z}/{x}/{y}.png").tileSource == "http://127.0.0.1:9999")
        for bad in [
            "https://{s}/{z}/{x}/{y}.png", "https://tile{s}.example.org/{z}/{x}/{y}.png", "https://{s}.org/{z}/{x}/{y}.png",
            "https://tiles.example.org/{z}/{x}.png", "javascript:alert(1)//{z}{x}{y}", "https://a.org/{z}/{x}/{y}.png; script-src *",
            "https://a.org/{z}/{x}/{y}.png 'unsafe-inline'", "https://user@a.org/{z}/{x}/{y}.png", "https://*.org/{z}/{x}/{y}.png",
            "https://a..org/{z}/{x}/{y}.png",
        ] {
            #expect(throws: Settings.Problems.self, "\(bad)") { try load(bad) }
        }
    }

    @Test("Debian's Leaflet is served at /vendor/leaflet/: the map's files only")
    func leafletFiles() async throws {
        try await withApp(.sqlite) { app, _ in
            for (path, type) in [
                ("/vendor/leaflet/leaflet.js", "text/javascript"), ("/vendor/leaflet/leaflet.css", "text/css"),
                ("/vendor/leaflet/images/marker-icon.png", "image/png"), ("/vendor/leaflet/images/marker-shadow.png", "image/png"),
            ] {
                try await app.testing().test(.GET, path) { res in
                    #expect(res.status == .ok, "\(path): is libjs-leaflet installed (scripts/install-deps.sh)?")
                    #expect(res.headers.contentType?.description.hasPrefix(type) == true, "\(path): \(res.headers.contentType?.description ?? "")")
                    #expect(res.headers.first(name: .cacheControl)?.contains("max-age") == true)
                }
            }
            for path in ["/vendor/leaflet/leaflet.min.js.map", "/vendor/leaflet/..%2F..%2Fleaflet%2Fleaflet.js", "/vendor/leaflet/images/leaflet.js"] {
                try await app.testing().test(.GET, path) { res in #expect(res.status == .notFound, "\(path)") }
            }
        }
    }
}
