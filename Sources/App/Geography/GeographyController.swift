import Domain
import Foundation
import Vapor

/// `GET /geo/provinces/:code`: one province's districts and sub-districts as JSON, for
/// `Public/js/address-picker.js`. The same on every host (tenant hosts included), public and cacheable
/// for a day: the lists change only with a new release of the data.
///
/// ```json
/// { "province": {"code": "65", "name": "พิษณุโลก"},
///   "districts": [{"code": "6505", "name": "บางกระทุ่ม"}, …],
///   "subdistricts": {"6505": [{"code": "650501", "name": "บางกระทุ่ม", "postcode": "65110", "postcodes": ["65110"]}, …]} }
/// ```
/// Lists are in Thai order. `postcode` is empty when the sub-district has several `postcodes` (the
/// person then types the one of their address).
struct GeographyController {
    static let provincePattern: [PathComponent] = ["geo", "provinces", ":code"]

    /// The absolute path of a province's lists; the same on tenant hosts and path-prefixed tenant pages.
    static func provincePath(_ code: String) -> String { "/geo/provinces/\(code)" }

    struct Area: Encodable, Sendable {
        var code: String
        var name: String
    }

    struct SubArea: Encodable, Sendable {
        var code: String
        var name: String
        var postcode: String
        var postcodes: [String]
    }

    struct ProvinceAreas: Encodable, Sendable {
        var province: Area
        var districts: [Area]
        var subdistricts: [String: [SubArea]]
    }

    func register(on routes: any RoutesBuilder) {
        routes.get(Self.provincePattern, use: province)
    }

    func province(_ req: Request) async throws -> Response {
        let code = req.parameters.get("code") ?? ""
        guard let areas = Self.areas(ofProvince: code, in: req.application.geography) else {
            return Self.json(
                ["error": "ไม่พบจังหวัดนี้", "code": String(code.prefix(10))], status: .notFound,
                cacheControl: "no-store")
        }
        return Self.json(areas, status: .ok, cacheControl: "public, max-age=86400")
    }

    /// The body of `/geo/provinces/<code>`, or nil for a code that names no province.
    static func areas(ofProvince code: String, in geography: ThaiGeography) -> ProvinceAreas? {
        guard let province = geography.province(code: code) else { return nil }
        let districts = geography.districts(inProvince: province.code)
        var subdistricts: [String: [SubArea]] = [:]
        for d in districts {
            subdistricts[d.code] = geography.subdistricts(inDistrict: d.code).map {
                SubArea(code: $0.code, name: $0.name, postcode: $0.postcode ?? "", postcodes: $0.postcodes)
            }
        }
        return ProvinceAreas(
            province: Area(code: province.code, name: province.name),
            districts: districts.map { Area(code: $0.code, name: $0.name) }, subdistricts: subdistricts)
    }

    private static func json(_ value: some Encodable, status: HTTPStatus, cacheControl: String) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: ["Content-Type": "application/json; charset=utf-8", "Cache-Control": cacheControl],
            body: .init(data: body))
    }
}

extension Application {
    struct GeographyKey: StorageKey { typealias Value = ThaiGeography }

    /// Thailand's provinces, districts, sub-districts and postcodes, loaded once by `loadGeography(_:)`.
    var geography: ThaiGeography {
        get {
            guard let g = storage[GeographyKey.self] else { fatalError("loadGeography(_:) has not run") }
            return g
        }
        set { storage[GeographyKey.self] = newValue }
    }
}

/// Loads `Resources/geothai/` (provinces, districts, sub-districts, postcodes) into `app.geography`.
/// Called once from `configure`; a missing or broken file stops the server with a message naming it.
/// `directory` defaults to `Resources/geothai` beside the Views folder (both live at the repository root,
/// the server's working directory). The parsed data is shared by every Application in the process, so
/// test suites that build many applications read the files once.
func loadGeography(_ app: Application, directory: URL? = nil) throws {
    let dir =
        directory
        ?? app.settings.viewsDirectory.deletingLastPathComponent()
        .appendingPathComponent("Resources", isDirectory: true).appendingPathComponent("geothai", isDirectory: true)
    let started = ContinuousClock.now
    app.geography = try GeographyCache.shared.geography(at: dir)
    app.logger.debug(
        "geography loaded",
        metadata: [
            "provinces": .stringConvertible(app.geography.provinces.count),
            "seconds": .string("\(ContinuousClock.now - started)"),
        ])
}

/// One parsed copy of the data per directory, for the whole process (the data never changes while it runs).
private final class GeographyCache: @unchecked Sendable {
    static let shared = GeographyCache()
    private let lock = NSLock()
    private var loaded: [String: ThaiGeography] = [:]

    func geography(at directory: URL) throws -> ThaiGeography {
        let key = directory.standardizedFileURL.path
        lock.lock()
        defer { lock.unlock() }
        if let g = loaded[key] { return g }
        do {
            let g = try ThaiGeography(directory: directory)
            loaded[key] = g
            return g
        } catch {
            throw GeographyLoadFailure(directory: key, underlying: error)
        }
    }
}

struct GeographyLoadFailure: Error, CustomStringConvertible {
    var directory: String
    var underlying: any Error
    var description: String { "The server cannot start: the address data in \(directory) cannot be loaded (\(underlying))" }
}
