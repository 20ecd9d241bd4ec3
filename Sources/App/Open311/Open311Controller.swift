import Crypto
import Domain
import Fluent
import Foundation
import Vapor

/// What the API answers at, below `…/open311/v2/`. GeoReport v2 puts the format in the last component
/// (`services.json`, `requests/BKT-2569-000042.xml`), which a route pattern cannot express, so one
/// catch-all route per method hands the rest of the path to `parse`.
enum Open311Endpoint: Equatable, Sendable {
    case services
    case service(String)
    case requests
    case request(String)
    case openAPI

    static func parse(_ components: [String]) -> (endpoint: Open311Endpoint, format: Open311Format)? {
        switch components.count {
        case 1:
            if components[0] == "openapi.json" { return (.openAPI, .json) }
            guard let (name, format) = Open311Format.split(components[0]) else { return nil }
            switch name {
            case "services": return (.services, format)
            case "requests": return (.requests, format)
            default: return nil
            }
        case 2:
            guard let (id, format) = Open311Format.split(components[1]) else { return nil }
            switch components[0] {
            case "services": return (.service(id), format)
            case "requests": return (.request(id), format)
            default: return nil
            }
        default:
            return nil
        }
    }

    var methods: [HTTPMethod] { self == .requests ? [.GET, .POST] : [.GET] }

    /// The OpenAPI path of each endpoint, relative to the server URL (`…/open311/v2`).
    static let documentedPaths: [(path: String, methods: [HTTPMethod])] = [
        ("/services.{format}", [.GET]),
        ("/services/{service_code}.{format}", [.GET]),
        ("/requests.{format}", [.GET, .POST]),
        ("/requests/{service_request_id}.{format}", [.GET]),
        ("/openapi.json", [.GET]),
    ]
}

/// Paths of the API, for links (the back office shows them to the tenant's admin).
enum Open311URL {
    static let components: [PathComponent] = ["open311", "v2"]

    /// `base` is the tenant's base ("/t/{slug}" or "" on its host).
    static func root(base: String) -> String { base + "/open311/v2" }
    static func openAPI(base: String) -> String { root(base: base) + "/openapi.json" }
    static func services(base: String) -> String { root(base: base) + "/services.json" }
}

/// Rate limits of the API, per client address and per key. An application may set its own (tests do).
struct Open311Limits: Sendable {
    var readsPerAddress = RateLimiter.Rule(limit: 300, window: 5 * 60)
    var writesPerAddress = RateLimiter.Rule(limit: 120, window: 60 * 60)
    var writesPerKey = RateLimiter.Rule(limit: 300, window: 60 * 60)
    /// `GET requests`: page size when none is asked for, and the most one page holds.
    var defaultPageSize = 50
    var maxPageSize = 200
    /// `GET requests` without dates covers this many days back (the spec's default).
    var defaultDays = 90
    /// At most this many `service_request_id`s in one call.
    var maxIDs = 200
}

extension Application {
    struct Open311LimitsKey: StorageKey { typealias Value = Open311Limits }
    struct Open311DocumentKey: StorageKey { typealias Value = Data }

    var open311Limits: Open311Limits {
        get { storage[Open311LimitsKey.self] ?? Open311Limits() }
        set { storage[Open311LimitsKey.self] = newValue }
    }

    /// The OpenAPI document as JSON, read from `docs/open311-openapi.yaml` at start-up.
    var open311Document: Data? {
        get { storage[Open311DocumentKey.self] }
        set { storage[Open311DocumentKey.self] = newValue }
    }
}

/// GeoReport v2 for one tenant: `jurisdiction_id` is its slug. See `docs/open311-openapi.yaml`.
struct Open311Controller {
    static let maxBody: ByteCount = "256kb"

    func dispatch(_ req: Request) async throws -> Response {
        let components = req.parameters.getCatchall()
        guard let (endpoint, format) = Open311Endpoint.parse(components) else { throw Open311Error.unknownPath }
        // HEAD is answered as GET (the server sends no body).
        let method = req.method == .HEAD ? .GET : req.method
        guard endpoint.methods.contains(method) else {
            throw Open311Error(
                .methodNotAllowed, "ใช้ได้เฉพาะ \(endpoint.methods.map(\.rawValue).joined(separator: ", "))",
                headers: [("Allow", endpoint.methods.map(\.rawValue).joined(separator: ", "))])
        }
        let t = try req.tenant
        var body: Open311Body
        switch (endpoint, method) {
        case (.requests, .POST):
            body = try await postRequest(req, t)
        default:
            guard let query = Open311Params(urlEncoded: req.url.query ?? "") else { throw Open311Error(.badRequest, "พารามิเตอร์ใน URL เข้ารหัสไม่ถูกต้อง") }
            try checkJurisdiction(query, t)
            try await limit(req, "open311-read:\(req.clientNetwork)", req.application.open311Limits.readsPerAddress)
            switch endpoint {
            case .services: body = try await services(req, t)
            case .service(let code): body = try await definition(req, t, code: code)
            case .requests: body = try await requests(req, t, query)
            case .request(let id): body = try await request(req, t, number: id)
            case .openAPI: return try openAPI(req, t)
            }
            body.headers.append(("Access-Control-Allow-Origin", "*"))
        }
        return body.response(format)
    }

    // MARK: GET services

    func services(_ req: Request, _ t: ResolvedTenant) async throws -> Open311Body {
        var items: [Open311Node] = []
        let forms = try await FormVersions.currentAll(tenant: t.tenant, on: req.db)
        for (menu, service) in t.tenant.config.menus.all {
            let form = forms[service.slug]
            items.append(
                .object([
                    ("service_code", .string(service.slug)),
                    ("service_name", .string(service.name)),
                    ("description", .string(service.description)),
                    ("metadata", .bool(!(form?.fields.isEmpty ?? true))),
                    ("type", .string("realtime")),
                    ("keywords", .string(service.slug.split(separator: "-").joined(separator: ", "))),
                    ("group", .string(menu.thaiTitle)),
                ]))
        }
        return Open311Body(root: "services", node: .list(element: "service", items))
    }

    // MARK: GET services/{code}

    func definition(_ req: Request, _ t: ResolvedTenant, code: String) async throws -> Open311Body {
        guard t.tenant.service(code) != nil, let version = try await FormVersions.current(tenant: t.tenant, service: code, on: req.db) else {
            throw Open311Error(.notFound, "ไม่พบบริการ service_code \(code)")
        }
        let attributes = Open311Form(fields: version.fields).attributes.map { a -> Open311Node in
            var pairs: [(String, Open311Node)] = [
                ("variable", .bool(true)),
                ("code", .string(a.code)),
                ("datatype", .string(a.datatype)),
                ("required", .bool(a.required)),
                ("datatype_description", .string(a.datatypeDescription)),
                ("order", .int(a.order)),
                ("description", .string(a.description)),
            ]
            if let values = a.values {
                pairs.append(("values", .list(element: "value", values.map { .object([("key", .string($0)), ("name", .string($0))]) })))
            }
            return .object(pairs)
        }
        return Open311Body(
            root: "service_definition",
            node: .object([
                ("service_code", .string(code)),
                ("attributes", .list(element: "attribute", attributes)),
            ]))
    }

    // MARK: GET requests

    func requests(_ req: Request, _ t: ResolvedTenant, _ q: Open311Params) async throws -> Open311Body {
        let limits = req.application.open311Limits
        var problems: [String] = []
        var filter = Open311Store.Filter()
        let ids = q.list("service_request_id")
        if !ids.isEmpty {
            if ids.count > limits.maxIDs { problems.append("service_request_id: ขอได้ครั้งละไม่เกิน \(limits.maxIDs) รายการ") }
            filter.numbers = Array(ids.prefix(limits.maxIDs))
            filter.limit = limits.maxIDs
        } else {
            filter.services = q.list("service_code")
            for s in q.list("status") {
                switch s.lowercased() {
                case "open": filter.statuses += PetitionStatus.allCases.filter(\.isOpen)
                case "closed": filter.statuses += PetitionStatus.allCases.filter { !$0.isOpen }
                default: problems.append("status: ต้องเป็น open หรือ closed")
                }
            }
            let start = q["start_date"].map { ($0, Open311Time.parse($0)) }
            // A date alone as end_date means to the end of that day (Bangkok), not its first second.
            let end = q["end_date"].map { text in
                (text, Open311Time.parse(text).map { text.trimmingCharacters(in: .whitespaces).count == 10 ? $0.addingTimeInterval(86_399) : $0 })
            }
            if let (text, date) = start, date == nil { problems.append("start_date: \(text) ไม่ใช่วันเวลาแบบ ISO 8601 เช่น 2026-12-01T00:00:00+07:00") }
            if let (text, date) = end, date == nil { problems.append("end_date: \(text) ไม่ใช่วันเวลาแบบ ISO 8601 เช่น 2026-12-31T23:59:59+07:00") }
            let days = TimeInterval(limits.defaultDays) * 86_400
            switch (start?.1, end?.1) {
            case let (from?, to?):
                if from > to { problems.append("start_date: ต้องไม่หลัง end_date") }
                (filter.from, filter.to) = (from, to)
            case let (from?, nil): filter.from = from
            case let (nil, to?): (filter.from, filter.to) = (to.addingTimeInterval(-days), to)
            case (nil, nil): filter.from = Date().addingTimeInterval(-days)
            }
            let page = q["page"].map { Int($0) } ?? 1
            let size = q["page_size"].map { Int($0) } ?? limits.defaultPageSize
            if page == nil || page! < 1 || page! > 100_000 { problems.append("page: ต้องเป็นจำนวนเต็มตั้งแต่ 1") }
            if size == nil || !(1...limits.maxPageSize).contains(size!) { problems.append("page_size: ต้องเป็นจำนวนเต็ม 1 ถึง \(limits.maxPageSize)") }
            if let page, let size, problems.isEmpty {
                filter.limit = size
                filter.offset = (page - 1) * size
            }
        }
        guard problems.isEmpty else { throw Open311Error(.badRequest, problems) }
        let petitions = try await Open311Store.requests(filter, tenant: t.tenant, on: req.db)
        var body = try await list(petitions, req, t)
        if filter.numbers == nil, petitions.count == filter.limit {
            var next = q.pairs.filter { $0.name != "page" }
            next.append(("page", String(filter.offset / filter.limit + 2)))
            body.headers.append(("Link", "<\(req.url.path)?\(Self.encode(next))>; rel=\"next\""))
        }
        return body
    }

    // MARK: GET requests/{id}

    func request(_ req: Request, _ t: ResolvedTenant, number: String) async throws -> Open311Body {
        // No tracking number holds NUL (and PostgreSQL could not compare one that did).
        guard !number.utf8.contains(0) else { throw Open311Error(.notFound, "ไม่พบคำร้อง service_request_id นี้") }
        guard let p = try await PetitionStore.byNumber(number, tenant: t.tenant, on: req.db) else {
            throw Open311Error(.notFound, "ไม่พบคำร้อง service_request_id \(number)")
        }
        return try await list([p], req, t)
    }

    private func list(_ petitions: [PetitionRecord], _ req: Request, _ t: ResolvedTenant) async throws -> Open311Body {
        let items = petitions.map { Open311RequestView.node($0, tenant: t.tenant) }
        return Open311Body(root: "service_requests", node: .list(element: "request", items))
    }

    // MARK: POST requests

    func postRequest(_ req: Request, _ t: ResolvedTenant) async throws -> Open311Body {
        guard req.headers.contentType?.type == "application", req.headers.contentType?.subType == "x-www-form-urlencoded" else {
            throw Open311Error(.unsupportedMediaType, "ต้องส่งข้อมูลแบบ application/x-www-form-urlencoded ตามข้อกำหนด GeoReport v2")
        }
        // The route collects at most `maxBody`; a body that arrives already whole (as in tests) is checked here.
        if let data = req.body.data, data.readableBytes > Self.maxBody.value {
            throw Open311Error(.payloadTooLarge, "ข้อมูลที่ส่งมาต้องไม่เกิน 256 kB")
        }
        let text = req.body.data.map { String(buffer: $0) } ?? ""
        guard let params = Open311Params(urlEncoded: text) else { throw Open311Error(.badRequest, "ข้อมูลที่ส่งมาเข้ารหัสไม่ถูกต้อง") }
        try checkJurisdiction(params, t)
        let limits = req.application.open311Limits
        try await limit(req, "open311-write:\(req.clientNetwork)", limits.writesPerAddress)

        guard let apiKey = params["api_key"] else { throw Open311Error(.forbidden, "ต้องระบุ api_key (ขอได้จากผู้ดูแลระบบของหน่วยงาน)") }
        guard let key = try await Open311Keys.authenticate(apiKey, tenant: t.tenant, on: req.db) else {
            throw Open311Error(.forbidden, "api_key ไม่ถูกต้อง ถูกเพิกถอนแล้ว หรือไม่ใช่ของหน่วยงานนี้")
        }
        // After the key: a client without one learns nothing more (and the API document's 403 comes first).
        guard params.withNUL.isEmpty else {
            throw Open311Error(.badRequest, params.withNUL.map { "\($0): มีอักขระควบคุม (NUL) ซึ่งใช้ไม่ได้" })
        }
        let keyID = try key.requireID()
        try await limit(req, "open311-key:\(keyID.uuidString.lowercased())", limits.writesPerKey)
        try await Open311Keys.touch(key, on: req.db)

        guard let code = params["service_code"] else { throw Open311Error(.badRequest, "service_code: ต้องระบุรหัสบริการ") }
        guard let (menu, service) = t.tenant.service(code) else { throw Open311Error(.notFound, "ไม่พบบริการ service_code \(code)") }
        if service.requiresVerifiedIdentity(in: menu) {
            throw Open311Error(
                .forbidden, "บริการ “\(service.name)” ต้องยื่นโดยผู้ที่ยืนยันตัวตนแล้วผ่านเว็บไซต์ของหน่วยงาน จึงยื่นผ่าน Open311 API ไม่ได้ (การเรียก API ไม่มีบุคคลที่ยืนยันตัวตนแล้ว)")
        }
        guard let version = try await FormVersions.pin(tenant: t.tenant, service: code, on: req.db) else {
            throw Open311Error(.notFound, "ไม่พบบริการ service_code \(code)")
        }
        let required = version.attachments.filter(\.isRequired)
        if !required.isEmpty {
            throw Open311Error(
                .forbidden,
                "บริการ “\(service.name)” ต้องแนบไฟล์ (\(required.map(\.label).joined(separator: ", "))) ซึ่งส่งผ่าน Open311 API ไม่ได้ กรุณายื่นทางเว็บไซต์ของหน่วยงาน")
        }

        let form = Open311Form(fields: version.fields)
        let (input, inputProblems) = form.input(params)
        let (requester, contactProblems) = Open311Requester.read(params, form: form, client: key.label)
        var problems = inputProblems + contactProblems
        var answers = PetitionAnswers(answers: [])
        switch PetitionAnswers.validate(
            fields: version.fields, input: input, geography: req.application.geography, area: t.tenant.config.serviceArea)
        {
        case .success(let a): answers = a
        case .failure(let invalid): problems += invalid.problems.map { "\(form.apiName(ofInput: $0.input)): \($0.message)" }
        }
        guard problems.isEmpty else { throw Open311Error(.badRequest, problems) }

        let submission: String
        if let given = req.headers.first(name: "Idempotency-Key")?.trimmingCharacters(in: .whitespaces) {
            guard (1...200).contains(given.count), given.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) else {
                throw Open311Error(.badRequest, "Idempotency-Key: ต้องเป็นอักขระ ASCII ที่มองเห็นได้ 1 ถึง 200 ตัว")
            }
            submission = "open311:\(keyID.uuidString.lowercased()):" + RandomToken.hash(given)
        } else {
            submission = "open311:" + UUID().uuidString.lowercased()
        }
        let filing = PetitionStore.Filing(
            tenant: t.tenant, citizenID: nil, citizenName: "Open311: \(key.label)", channel: .open311, apiKeyID: keyID,
            requesterJSON: try StoredJSON.encode(requester), menu: menu, service: service, formVersion: version.number,
            answersJSON: try StoredJSON.encode(answers), attachments: [], submissionKey: submission)
        let (petition, created) = try await PetitionStore.file(filing, linkBase: CitizenMail.linkBase(req, tenant: t.tenant), on: req.db)
        let notice =
            "\(t.tenant.thaiName) ได้รับคำร้องเลขที่ \(petition.number) แล้ว \(Open311RequestView.slaNotice(service)) (ภายใน \(ThaiDate.long(petition.dueAt)))"
        return Open311Body(
            root: "service_requests",
            node: .list(
                element: "request",
                [
                    .object([
                        ("service_request_id", .string(petition.number)),
                        ("service_notice", .string(notice)),
                        ("account_id", .null),
                    ])
                ]), status: created ? .created : .ok)
    }

    // MARK: OpenAPI

    func openAPI(_ req: Request, _ t: ResolvedTenant) throws -> Response {
        guard let data = req.application.open311Document,
            var doc = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw Open311Error(.notFound, []) }
        doc["servers"] = [["url": Open311URL.root(base: t.base), "description": "\(t.tenant.thaiName) (jurisdiction_id \(t.tenant.slug))"]]
        let out = try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(
            status: .ok, headers: ["Content-Type": "application/json; charset=utf-8", "Access-Control-Allow-Origin": "*"],
            body: .init(data: out))
    }

    // MARK: Shared checks

    /// `jurisdiction_id`, when given, must be this tenant's slug.
    func checkJurisdiction(_ params: Open311Params, _ t: ResolvedTenant) throws {
        if let j = params["jurisdiction_id"], j != t.tenant.slug { throw Open311Error.unknownJurisdiction }
    }

    func limit(_ req: Request, _ key: String, _ rule: RateLimiter.Rule) async throws {
        guard try await RateLimiter.allow(key, rule, on: req.db) else {
            throw Open311Error(
                .tooManyRequests, "มีการเรียกใช้ถี่เกินไป (ไม่เกิน \(rule.limit) ครั้งต่อ \(Int(rule.window / 60)) นาที) กรุณารอแล้วลองใหม่",
                headers: [("Retry-After", String(Int(rule.window)))])
        }
    }

    static func encode(_ pairs: [(name: String, value: String)]) -> String {
        // Unreserved characters of RFC 3986 only (`alphanumerics` would let Thai letters through unencoded).
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return pairs.map {
            "\($0.name.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }
        .joined(separator: "&")
    }
}
