import Domain
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Open311 GeoReport v2: every endpoint and every error checked against the spec's rules (required fields,
/// enums, date-time format, JSON and XML element names), filing with an API key, and nothing personal in
/// any answer.
@Suite("Open311 GeoReport v2")
struct Open311Tests {
    static let base = "/t/bangkrathum/open311/v2"

    // MARK: Calling the API

    struct APIAnswer {
        var status: HTTPStatus
        var headers: HTTPHeaders
        var text: String

        func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) }
        func list() throws -> [[String: Any]] { try #require(try json() as? [[String: Any]], "a JSON array of objects: \(text.prefix(300))") }
        func object() throws -> [String: Any] { try #require(try json() as? [String: Any], "a JSON object: \(text.prefix(300))") }
        func xml() throws -> XMLElement {
            #expect(text.hasPrefix(#"<?xml version="1.0" encoding="utf-8"?>"#))
            let doc = try XMLDocument(data: Data(text.utf8), options: [])
            return try #require(doc.rootElement())
        }
    }

    static func call(
        _ app: Application, _ method: HTTPMethod, _ path: String, form: [(String, String)]? = nil,
        headers extra: HTTPHeaders = [:]
    ) async throws -> APIAnswer {
        var headers = extra
        var body = ByteBuffer()
        if let form {
            if !headers.contains(name: .contentType) { headers.add(name: .contentType, value: "application/x-www-form-urlencoded") }
            body = ByteBuffer(string: encode(form))
        }
        var out = APIAnswer(status: .internalServerError, headers: [:], text: "")
        try await app.testing().test(method, path, headers: headers, body: body) { res in
            out = APIAnswer(status: res.status, headers: res.headers, text: res.body.string)
        }
        return out
    }

    static func get(_ app: Application, _ path: String, headers: HTTPHeaders = [:]) async throws -> APIAnswer {
        try await call(app, .GET, path, headers: headers)
    }

    static func encode(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
    }

    static func key(_ app: Application, tenant: String = "bangkrathum", label: String = "ตู้บริการทดสอบ") async throws -> String {
        try await Open311Keys.issue(
            tenant: try Tenant.named(tenant, in: app), label: label,
            by: AuditActor(id: nil, name: "admin"), ip: "127.0.0.1", on: app.db
        ).key
    }

    /// A street-light report that passes every check.
    static func streetLight(key: String) -> [(String, String)] {
        [
            ("api_key", key), ("service_code", "street-light"), ("lat", "16.5734"), ("long", "100.2958"),
            ("address_string", "หน้าวัดบางกระทุ่ม ถนนสายบางกระทุ่ม"), ("description", "ไฟดับสามดวงติดกัน มืดมากตอนกลางคืน"),
            ("attribute[problem]", "ไฟดับ"), ("attribute[lamp_count]", "3"), ("attribute[pole_number]", "BK-112"),
        ]
    }

    // MARK: The spec's rules

    static let dateTime = try! NSRegularExpression(pattern: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"#)

    static func isDateTime(_ value: Any?) -> Bool {
        guard let s = value as? String else { return false }
        return dateTime.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    static let serviceKeys = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
    static let requestKeys = [
        "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
        "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
        "address", "address_id", "zipcode", "lat", "long", "media_url",
    ]
    static let datatypes: Set<String> = ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]

    static func checkService(_ s: [String: Any]) {
        for k in serviceKeys { #expect(s[k] != nil, "service has \(k)") }
        #expect(s["service_code"] is String && s["service_name"] is String && s["description"] is String)
        #expect(s["metadata"] as? Bool != nil, "metadata is a boolean")
        #expect(["realtime", "batch", "blackbox"].contains(s["type"] as? String ?? ""))
        #expect(MenuKey.allCases.map(\.thaiTitle).contains(s["group"] as? String ?? ""))
    }

    static func checkDefinition(_ d: [String: Any], code: String) throws {
        #expect(d["service_code"] as? String == code)
        let attributes = try #require(d["attributes"] as? [[String: Any]])
        for (i, a) in attributes.enumerated() {
            #expect(a["variable"] as? Bool == true)
            #expect((a["code"] as? String)?.isEmpty == false)
            #expect(datatypes.contains(a["datatype"] as? String ?? ""), "datatype \(a["datatype"] ?? "-")")
            #expect(a["required"] as? Bool != nil)
            #expect((a["datatype_description"] as? String)?.isEmpty == false)
            #expect(a["order"] as? Int == i + 1, "order counts from 1")
            #expect((a["description"] as? String)?.isEmpty == false)
            let listType = ["singlevaluelist", "multivaluelist"].contains(a["datatype"] as? String ?? "")
            if listType {
                let values = try #require(a["values"] as? [[String: Any]])
                #expect(!values.isEmpty && values.allSatisfy { $0["key"] is String && $0["name"] is String })
            } else {
                #expect(a["values"] == nil)
            }
        }
    }

    static func checkRequest(_ r: [String: Any]) {
        for k in requestKeys { #expect(r.keys.contains(k), "request has \(k)") }
        #expect((r["service_request_id"] as? String)?.isEmpty == false)
        #expect(["open", "closed"].contains(r["status"] as? String ?? ""), "status is open or closed")
        #expect((r["status_notes"] as? String)?.isEmpty == false)
        for k in ["service_name", "service_code", "agency_responsible"] { #expect((r[k] as? String)?.isEmpty == false, "\(k)") }
        for k in ["requested_datetime", "updated_datetime", "expected_datetime"] { #expect(isDateTime(r[k]), "\(k) is ISO 8601: \(r[k] ?? "-")") }
        for k in ["address_id", "zipcode"] { #expect(r[k] is NSNull, "\(k) is null") }
        #expect(r["media_url"] is NSNull || (r["media_url"] as? String)?.hasPrefix("https://") == true, "media_url is null or the filer's photo")
        for k in ["lat", "long"] { #expect(r[k] is NSNull || r[k] is NSNumber, "\(k) is a number or null") }
    }

    /// An error answer: the status, and a list of {code = status, description}.
    static func checkErrors(_ a: APIAnswer, _ status: HTTPStatus, mentioning: String? = nil, xml: Bool = false) throws {
        #expect(a.status == status, "status \(a.status), expected \(status): \(a.text.prefix(300))")
        if xml {
            #expect(a.headers.contentType?.subType == "xml")
            let root = try a.xml()
            #expect(root.name == "errors")
            let errors = root.elements(forName: "error")
            #expect(!errors.isEmpty)
            for e in errors {
                #expect(e.elements(forName: "code").first?.stringValue == String(status.code))
                #expect(e.elements(forName: "description").first?.stringValue?.isEmpty == false)
            }
            if let mentioning {
                #expect(errors.contains { $0.elements(forName: "description").first?.stringValue?.contains(mentioning) == true }, "mentions \(mentioning)")
            }
        } else {
            #expect(a.headers.contentType?.subType == "json")
            let errors = try a.list()
            #expect(!errors.isEmpty)
            for e in errors {
                #expect(e["code"] as? Int == Int(status.code))
                #expect((e["description"] as? String)?.isEmpty == false)
            }
            if let mentioning {
                #expect(errors.contains { ($0["description"] as? String)?.contains(mentioning) == true }, "mentions \(mentioning): \(a.text)")
            }
        }
    }

    static func text(_ e: XMLElement, _ name: String) -> String? { e.elements(forName: name).first?.stringValue }

    // MARK: Services

    @Test("GET services and service definitions in JSON and XML, by path and on the tenant's host", arguments: TestDatabase.all)
    func services(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let tenant = try Tenant.named("bangkrathum", in: app)
            let list = try await Self.get(app, "\(Self.base)/services.json")
            #expect(list.status == .ok && list.headers.contentType?.subType == "json")
            let services = try list.list()
            #expect(services.count == tenant.config.menus.all.count, "every service of all three menus")
            services.forEach(Self.checkService)
            let light = try #require(services.first { $0["service_code"] as? String == "street-light" })
            #expect(light["service_name"] as? String == "แจ้งซ่อมไฟฟ้าสาธารณะ")
            #expect(light["group"] as? String == "ร้องเรียนร้องทุกข์ออนไลน์" && light["metadata"] as? Bool == true && light["type"] as? String == "realtime")

            let xml = try await Self.get(app, "\(Self.base)/services.xml")
            #expect(xml.status == .ok && xml.headers.contentType?.subType == "xml")
            let root = try xml.xml()
            #expect(root.name == "services")
            let items = root.elements(forName: "service")
            #expect(items.count == services.count && (root.children ?? []).count == services.count)
            for item in items {
                for k in Self.serviceKeys { #expect(item.elements(forName: k).count == 1, "<service> has <\(k)>") }
                #expect(["true", "false"].contains(Self.text(item, "metadata") ?? ""))
            }

            // The definition: location and description are the request's own; the rest are attributes.
            let def = try await Self.get(app, "\(Self.base)/services/street-light.json")
            #expect(def.status == .ok)
            let d = try def.object()
            try Self.checkDefinition(d, code: "street-light")
            let attributes = try #require(d["attributes"] as? [[String: Any]])
            #expect(attributes.map { $0["code"] as? String ?? "" } == ["pole_number", "problem", "lamp_count"])
            let problem = try #require(attributes.first { $0["code"] as? String == "problem" })
            #expect(problem["datatype"] as? String == "singlevaluelist" && problem["required"] as? Bool == true)
            #expect(problem["description"] as? String == "ลักษณะการชำรุด")
            #expect((problem["values"] as? [[String: Any]])?.first?["key"] as? String == "ไฟดับ")
            #expect(attributes.first { $0["code"] as? String == "lamp_count" }?["datatype"] as? String == "number")

            let defXML = try await Self.get(app, "\(Self.base)/services/general-complaint.xml")
            let sd = try defXML.xml()
            #expect(sd.name == "service_definition" && Self.text(sd, "service_code") == "general-complaint")
            let attrs = try #require(sd.elements(forName: "attributes").first).elements(forName: "attribute")
            #expect(attrs.map { Self.text($0, "code") ?? "" } == ["category", "subject", "incident_date", "contact_channels"])
            let channels = try #require(attrs.last)
            #expect(Self.text(channels, "datatype") == "multivaluelist" && Self.text(channels, "variable") == "true")
            let values = try #require(channels.elements(forName: "values").first).elements(forName: "value")
            #expect(values.map { Self.text($0, "key") ?? "" } == ["โทรศัพท์", "อีเมล", "LINE"])
            #expect(Self.text(attrs[2], "datatype") == "datetime")

            // Every service's definition passes, in both formats.
            for service in services {
                let code = try #require(service["service_code"] as? String)
                let j = try await Self.get(app, "\(Self.base)/services/\(code).json")
                try Self.checkDefinition(try j.object(), code: code)
                #expect(try await Self.get(app, "\(Self.base)/services/\(code).xml").xml().name == "service_definition")
            }

            // On the tenant's own host name, and with its jurisdiction_id.
            let host = try await Self.get(app, "/open311/v2/services.json", headers: ["Host": "bangkrathum.localhost"])
            #expect(host.status == .ok)
            #expect(try host.list().count == services.count)
            #expect(try await Self.get(app, "\(Self.base)/services.json?jurisdiction_id=bangkrathum").status == .ok)
        }
    }

    @Test("the form version in force is the definition; an address field becomes one attribute per part", arguments: TestDatabase.all)
    func formInForce(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let t = try Tenant.named("bangkrathum", in: app)
            var form = try #require(try await FormVersions.current(tenant: t, service: "general-complaint", on: app.db)).form
            form.fields.append(FormField(key: "home", type: .address, label: "ที่อยู่ผู้ร้อง", required: true, help: nil, options: nil, maxLength: nil))
            let changed = form
            _ = try await app.db.writeTransaction { db in
                try await FormVersions.save(changed, tenant: t, service: "general-complaint", basedOn: nil, by: nil, now: Date(), on: db)
            }
            let d = try await Self.get(app, "\(Self.base)/services/general-complaint.json").object()
            try Self.checkDefinition(d, code: "general-complaint")
            let codes = (d["attributes"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            #expect(codes.suffix(9) == AddressSelection.Field.allCases.map { "home_\($0.rawValue)" })
            let required = (d["attributes"] as? [[String: Any]] ?? []).filter { $0["required"] as? Bool == true }.compactMap { $0["code"] as? String }
            #expect(required.contains("home_house") && required.contains("home_province") && !required.contains("home_postcode"))

            // Filing with the address parts; the house number never comes back.
            let key = try await Self.key(app)
            var fields: [(String, String)] = [
                ("api_key", key), ("service_code", "general-complaint"), ("description", "เสียงดังจากโรงงานทุกคืน"),
                ("attribute[category]", "อื่น ๆ"), ("attribute[subject]", "เสียงดัง"),
            ]
            let bad = try await Self.call(app, .POST, "\(Self.base)/requests.json", form: fields)
            try Self.checkErrors(bad, .badRequest, mentioning: "attribute[home_house]")
            fields += [
                ("attribute[home_house]", "123/45"), ("attribute[home_province]", "65"), ("attribute[home_district]", "6505"),
                ("attribute[home_subdistrict]", "650501"),
            ]
            let ok = try await Self.call(app, .POST, "\(Self.base)/requests.json", form: fields)
            #expect(ok.status == .created, "\(ok.text)")
            let id = try #require(try ok.list().first?["service_request_id"] as? String)
            let p = try #require(try await PetitionStore.byNumber(id, tenant: t, on: app.db))
            #expect(p.formVersion == 2 && p.answersJSON.contains("123/45"), "filed with the form in force, the address kept for officers")
            for path in ["/requests/\(id).json", "/requests/\(id).xml", "/requests.json", "/requests.xml"] {
                #expect(!(try await Self.get(app, Self.base + path).text.contains("123/45")), "\(path) shows no house number")
            }
        }
    }

    // MARK: Errors outside filing

    @Test("jurisdiction, unknown paths, services and requests, methods: errors in the spec's format", arguments: TestDatabase.all)
    func errors(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/services.json?jurisdiction_id=bangrak"), .notFound, mentioning: "jurisdiction_id")
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/requests.xml?jurisdiction_id=nowhere"), .notFound, xml: true)
            try Self.checkErrors(try await Self.get(app, "/t/no-such-town/open311/v2/services.xml"), .notFound, mentioning: "jurisdiction_id", xml: true)
            try Self.checkErrors(try await Self.get(app, "/t/no-such-town/open311/v2/services.json"), .notFound)
            try Self.checkErrors(try await Self.get(app, "/open311/v2/services.json", headers: ["Host": "portal.localhost"]), .notFound)
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/services/no-such-service.json"), .notFound, mentioning: "no-such-service")
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/services/no-such-service.xml"), .notFound, xml: true)
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/requests/BKT-2569-999999.json"), .notFound, mentioning: "BKT-2569-999999")
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/requests/BKT-2569-999999.xml"), .notFound, xml: true)
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/services.csv"), .notFound)
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/tokens/abc.json"), .notFound)
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/"), .notFound)
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/requests/a/b.xml"), .notFound, xml: true)
            #expect(try await Self.call(app, .HEAD, "\(Self.base)/services.json").status == .ok, "HEAD is answered as GET")
            let delete = try await Self.call(app, .DELETE, "\(Self.base)/requests.json")
            try Self.checkErrors(delete, .methodNotAllowed)
            #expect(delete.headers.first(name: "Allow") == "GET, POST")
            let post = try await Self.call(app, .POST, "\(Self.base)/services.xml", form: [("a", "b")])
            try Self.checkErrors(post, .methodNotAllowed, xml: true)
            #expect(post.headers.first(name: "Allow") == "GET")
            // Bad filters.
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/requests.json?status=pending"), .badRequest, mentioning: "status")
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/requests.json?start_date=yesterday"), .badRequest, mentioning: "start_date")
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/requests.json?end_date=2026-13-01T00:00:00Z"), .badRequest, mentioning: "end_date")
            try Self.checkErrors(
                try await Self.get(app, "\(Self.base)/requests.xml?start_date=2026-12-02T00:00:00Z&end_date=2026-12-01T00:00:00Z"),
                .badRequest, mentioning: "start_date", xml: true)
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/requests.json?page_size=500"), .badRequest, mentioning: "page_size")
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/requests.json?page=0"), .badRequest, mentioning: "page")
            try Self.checkErrors(try await Self.get(app, "\(Self.base)/requests.json?page=x"), .badRequest, mentioning: "page")
        }
    }

    // MARK: Filing: the key

    @Test("POST requests: a missing, wrong, revoked or other tenant's api_key gets 403; body and jurisdiction checks", arguments: TestDatabase.all)
    func apiKeys(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let t = try Tenant.named("bangkrathum", in: app)
            let good = try await Self.key(app)
            let path = "\(Self.base)/requests.json"
            var missing = Self.streetLight(key: good)
            missing.removeFirst()
            try Self.checkErrors(try await Self.call(app, .POST, path, form: missing), .forbidden, mentioning: "api_key")
            try Self.checkErrors(
                try await Self.call(app, .POST, path, form: Self.streetLight(key: "o311_" + RandomToken.make(bytes: 32))), .forbidden, mentioning: "api_key")
            try Self.checkErrors(try await Self.call(app, .POST, "\(Self.base)/requests.xml", form: Self.streetLight(key: "not-a-key")), .forbidden, xml: true)
            // Another tenant's key does not work here; this tenant's key does not work there.
            let other = try await Self.key(app, tenant: "bangrak")
            try Self.checkErrors(try await Self.call(app, .POST, path, form: Self.streetLight(key: other)), .forbidden)
            try Self.checkErrors(try await Self.call(app, .POST, "/t/bangrak/open311/v2/requests.json", form: Self.streetLight(key: good)), .forbidden)
            // The key in the query string is not read.
            try Self.checkErrors(try await Self.call(app, .POST, "\(path)?api_key=\(good)", form: missing), .forbidden)

            #expect(try await Self.call(app, .POST, path, form: Self.streetLight(key: good)).status == .created)
            let record = try #require(try await Open311KeyRecord.query(on: app.db).filter(\.$keyHash == Open311Keys.hash(good)).first())
            #expect(record.lastUsedAt != nil, "the key's last use is noted")
            #expect(try await Open311Keys.revoke(try record.requireID(), tenant: t, by: AuditActor(id: nil, name: "admin"), ip: "-", on: app.db))
            try Self.checkErrors(try await Self.call(app, .POST, path, form: Self.streetLight(key: good)), .forbidden, mentioning: "เพิกถอน")

            // Wrong jurisdiction, a body that is not form-encoded, a body too large.
            let fresh = try await Self.key(app)
            try Self.checkErrors(try await Self.call(app, .POST, path, form: Self.streetLight(key: fresh) + [("jurisdiction_id", "bangrak")]), .notFound)
            let json = try await Self.call(app, .POST, path, form: Self.streetLight(key: fresh), headers: ["Content-Type": "application/json"])
            try Self.checkErrors(json, .unsupportedMediaType)
            let big = try await Self.call(app, .POST, path, form: Self.streetLight(key: fresh) + [("description", String(repeating: "ก", count: 300_000))])
            try Self.checkErrors(big, .payloadTooLarge)
        }
    }

    // MARK: Filing: the form's rules

    @Test("POST requests: invalid attributes get 400 naming them; identity and attachment services 403", arguments: TestDatabase.all)
    func validation(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let key = try await Self.key(app)
            let path = "\(Self.base)/requests.json"
            func without(_ names: Set<String>) -> [(String, String)] { Self.streetLight(key: key).filter { !names.contains($0.0) } }
            func with(_ name: String, _ value: String) -> [(String, String)] { Self.streetLight(key: key).map { $0.0 == name ? ($0.0, value) : $0 } }

            try Self.checkErrors(try await Self.call(app, .POST, path, form: without(["attribute[problem]"])), .badRequest, mentioning: "attribute[problem]")
            try Self.checkErrors(
                try await Self.call(app, .POST, path, form: with("attribute[problem]", "ไม่มีตัวเลือกนี้")), .badRequest, mentioning: "attribute[problem]")
            try Self.checkErrors(
                try await Self.call(app, .POST, path, form: with("attribute[lamp_count]", "สามดวง")), .badRequest, mentioning: "attribute[lamp_count]")
            try Self.checkErrors(
                try await Self.call(app, .POST, path, form: Self.streetLight(key: key) + [("attribute[no_such]", "x")]), .badRequest,
                mentioning: "attribute[no_such]")
            try Self.checkErrors(
                try await Self.call(app, .POST, path, form: Self.streetLight(key: key) + [("attribute[problem]", "ไฟกะพริบ")]), .badRequest,
                mentioning: "attribute[problem]")
            try Self.checkErrors(try await Self.call(app, .POST, path, form: with("lat", "51.5")), .badRequest, mentioning: "lat")
            try Self.checkErrors(try await Self.call(app, .POST, path, form: without(["long"])), .badRequest, mentioning: "long")
            try Self.checkErrors(
                try await Self.call(app, .POST, path, form: without(["lat", "long", "address_string"])), .badRequest, mentioning: "address_string")
            try Self.checkErrors(
                try await Self.call(app, .POST, path, form: with("description", String(repeating: "ก", count: 1001))), .badRequest, mentioning: "description")
            try Self.checkErrors(try await Self.call(app, .POST, path, form: with("media_url", "javascript:alert(1)") + [("media_url", "x")]), .badRequest)
            try Self.checkErrors(
                try await Self.call(app, .POST, path, form: Self.streetLight(key: key) + [("media_url", "file:///etc/passwd")]), .badRequest,
                mentioning: "media_url")
            // An address is published with the report, so only a clean one is taken: no characters a parser must escape
            // (a quote, markup), no user or password, no backslash.
            for bad in ["https://example.com/a\"><script>alert(1)</script>", "https://user:secret@example.com/p.jpg", "https://example.com\\@evil.example/"] {
                try Self.checkErrors(
                    try await Self.call(app, .POST, path, form: Self.streetLight(key: key) + [("media_url", bad)]), .badRequest, mentioning: "media_url")
            }
            // Several problems at once: one error each, in XML too.
            let many = try await Self.call(app, .POST, "\(Self.base)/requests.xml", form: without(["attribute[problem]", "attribute[lamp_count]"]))
            try Self.checkErrors(many, .badRequest, mentioning: "attribute[lamp_count]", xml: true)
            #expect(try many.xml().elements(forName: "error").count == 2)

            try Self.checkErrors(try await Self.call(app, .POST, path, form: without(["service_code"])), .badRequest, mentioning: "service_code")
            try Self.checkErrors(try await Self.call(app, .POST, path, form: with("service_code", "no-such-service")), .notFound)
            // A service that needs a verified identity, and one that needs an attachment.
            let corruption = try await Self.call(
                app, .POST, path,
                form: [
                    ("api_key", key), ("service_code", "corruption-complaint"),
                    ("description", "x"), ("attribute[accused]", "y"),
                ])
            try Self.checkErrors(corruption, .forbidden, mentioning: "ยืนยันตัวตน")
            try Self.checkErrors(try await Self.call(app, .POST, path, form: [("api_key", key), ("service_code", "elderly-allowance")]), .forbidden)
            try Self.checkErrors(
                try await Self.call(app, .POST, path, form: [("api_key", key), ("service_code", "road-repair")]), .forbidden, mentioning: "แนบไฟล์")

            #expect(try await PetitionRecord.query(on: app.db).count() == 0, "nothing was filed")
            // Dates as the spec writes them; the Bangkok day is kept.
            let dated = try await Self.call(
                app, .POST, path,
                form: [
                    ("api_key", key), ("service_code", "general-complaint"), ("description", "กลิ่นเหม็น"),
                    ("attribute[category]", "อื่น ๆ"), ("attribute[subject]", "กลิ่น"),
                    ("attribute[incident_date]", "2026-11-30T20:00:00Z"),
                    ("attribute[contact_channels][]", "LINE"), ("attribute[contact_channels][]", "อีเมล"),
                ])
            #expect(dated.status == .created, "\(dated.text)")
            let p = try #require(try await PetitionRecord.query(on: app.db).first())
            let answers = try StoredJSON.decode(PetitionAnswers.self, from: p.answersJSON)
            #expect(answers["incident_date"]?.value == .date("2026-12-01"))
            #expect(answers["contact_channels"]?.value == .choices(["อีเมล", "LINE"]))
            #expect(answers["details"]?.value == .text("กลิ่นเหม็น"))
        }
    }

    // MARK: Filing and following

    @Test("a filed request is open with its Thai status, is found by the filters, and closes when completed", arguments: TestDatabase.all)
    func fileAndFollow(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let t = try Tenant.named("bangkrathum", in: app)
            let key = try await Self.key(app, label: "แชตบอต LINE")
            let contact: [(String, String)] = [
                ("email", "reporter.somchai@example.com"), ("first_name", "สมชาย"), ("last_name", "รักถิ่น"),
                ("phone", "0899998888"), ("device_id", "kiosk-7"), ("account_id", "acct-991"),
                ("media_url", "https://example.com/photo.jpg"),
            ]
            let filed = try await Self.call(app, .POST, "\(Self.base)/requests.json", form: Self.streetLight(key: key) + contact)
            #expect(filed.status == .created, "\(filed.text)")
            let answer = try #require(try filed.list().first)
            #expect(Set(answer.keys) == ["service_request_id", "service_notice", "account_id"])
            #expect(answer["account_id"] is NSNull)
            let id = try #require(answer["service_request_id"] as? String)
            #expect(id.range(of: #"^BKT-\d{4}-\d{6}$"#, options: .regularExpression) != nil)
            #expect((answer["service_notice"] as? String)?.contains(id) == true)

            // Stored: the API channel, the key, the contact kept private.
            let p = try #require(try await PetitionStore.byNumber(id, tenant: t, on: app.db))
            #expect(p.channel == .open311 && p.citizenID == nil && p.apiKeyID != nil && p.status == .submitted)
            let requester = try StoredJSON.decode(Open311Requester.self, from: try #require(p.requesterJSON))
            #expect(requester.email == "reporter.somchai@example.com" && requester.phone == "0899998888" && requester.client == "แชตบอต LINE")
            #expect(try await PetitionStore.timeline(p, on: app.db).first?.actorKind == "api")

            // One request, in both formats.
            let one = try await Self.get(app, "\(Self.base)/requests/\(id).json")
            let r = try #require(try one.list().first)
            Self.checkRequest(r)
            #expect(try one.list().count == 1)
            #expect(r["status"] as? String == "open" && r["status_notes"] as? String == "ส่งคำร้อง")
            #expect(r["service_code"] as? String == "street-light" && r["agency_responsible"] as? String == t.thaiName)
            #expect(r["address"] as? String == "หน้าวัดบางกระทุ่ม ถนนสายบางกระทุ่ม" && r["description"] as? String == "ไฟดับสามดวงติดกัน มืดมากตอนกลางคืน")
            #expect((r["lat"] as? Double).map { abs($0 - 16.5734) < 1e-9 } == true && (r["long"] as? Double).map { abs($0 - 100.2958) < 1e-9 } == true)
            #expect((r["requested_datetime"] as? String)?.hasSuffix("+07:00") == true)
            // The photo the client filed with (an address it published) is shown with the report it belongs to.
            #expect(r["media_url"] as? String == "https://example.com/photo.jpg")
            let xml = try await Self.get(app, "\(Self.base)/requests/\(id).xml").xml()
            #expect(xml.name == "service_requests")
            let item = try #require(xml.elements(forName: "request").first)
            for k in Self.requestKeys { #expect(item.elements(forName: k).count == 1, "<request> has <\(k)>") }
            #expect(Self.text(item, "status") == "open" && Self.text(item, "service_request_id") == id)
            #expect(Self.text(item, "media_url") == "https://example.com/photo.jpg")
            #expect(Self.isDateTime(Self.text(item, "expected_datetime")))

            // What the client sent about itself is never echoed.
            for path in ["/requests/\(id).json", "/requests/\(id).xml", "/requests.json", "/requests.xml"] {
                let body = try await Self.get(app, Self.base + path).text + filed.text
                for secret in ["reporter.somchai", "สมชาย", "รักถิ่น", "0899998888", "kiosk-7", "acct-991"] {
                    #expect(!body.contains(secret), "\(path) does not show \(secret)")
                }
            }

            // The list and its filters.
            let listed = try await Self.get(app, "\(Self.base)/requests.json").list()
            #expect(listed.map { $0["service_request_id"] as? String } == [id])
            listed.forEach(Self.checkRequest)
            #expect(try await Self.get(app, "\(Self.base)/requests.json?status=open").list().count == 1)
            #expect(try await Self.get(app, "\(Self.base)/requests.json?status=closed").list().isEmpty)
            #expect(try await Self.get(app, "\(Self.base)/requests.json?service_code=road-repair,general-complaint").list().isEmpty)
            #expect(try await Self.get(app, "\(Self.base)/requests.json?service_code=street-light").list().count == 1)
            let future = Open311Time.format(Date().addingTimeInterval(86_400))
            #expect(
                try await Self.get(app, "\(Self.base)/requests.json?start_date=\(future.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)").list()
                    .isEmpty)
            #expect(try await Self.get(app, "\(Self.base)/requests.json?end_date=2020-01-01").list().isEmpty)
            #expect(try await Self.get(app, "\(Self.base)/requests.json?start_date=2020-01-01").list().count == 1)
            // A date-time pasted unencoded (its "+" arrives as a space) and a date alone as end_date (the whole day).
            #expect(try await Self.get(app, "\(Self.base)/requests.json?start_date=2020-01-01T00:00:00+07:00").list().count == 1)
            let today = Open311Time.bangkokDay(Open311Time.format(Date())) ?? ""
            #expect(
                try await Self.get(app, "\(Self.base)/requests.json?start_date=\(today)&end_date=\(today)").list().count == 1,
                "end_date \(today) includes the whole day")
            #expect(
                try await Self.get(app, "\(Self.base)/requests.json?service_request_id=\(id),BKT-2569-999999&status=closed").list().count == 1,
                "service_request_id overrides the other filters")

            // A retry with the same Idempotency-Key is the same request; without one, a new request.
            let again = try await Self.call(app, .POST, "\(Self.base)/requests.json", form: Self.streetLight(key: key), headers: ["Idempotency-Key": "retry-1"])
            let retry = try await Self.call(app, .POST, "\(Self.base)/requests.json", form: Self.streetLight(key: key), headers: ["Idempotency-Key": "retry-1"])
            #expect(again.status == .created && retry.status == .ok)
            #expect(try again.list().first?["service_request_id"] as? String == (try retry.list().first?["service_request_id"] as? String))
            let third = try await Self.call(app, .POST, "\(Self.base)/requests.json", form: Self.streetLight(key: key))
            #expect(third.status == .created)
            #expect(try await PetitionRecord.query(on: app.db).count() == 3)

            // Pages: newest first, a Link to the next page when one is full.
            let page1 = try await Self.get(app, "\(Self.base)/requests.json?page_size=2")
            #expect(try page1.list().count == 2)
            #expect(page1.headers.first(name: "Link")?.contains("page=2") == true)
            let page2 = try await Self.get(app, "\(Self.base)/requests.json?page_size=2&page=2")
            #expect(try page2.list().map { $0["service_request_id"] as? String } == [id])
            #expect(page2.headers.first(name: "Link") == nil)

            // An officer accepts with a note, then completes: closed, the Thai status and the note.
            let officer = PetitionStore.Actor(kind: .staff, id: UUID(), name: "officer1")
            guard
                case .moved(let accepted) = try await PetitionStore.move(
                    p, to: .accepted, note: "ส่งช่างออกตรวจแล้ว", expectedVersion: 1, actor: officer,
                    tenant: t, linkBase: NoticeTestSupport.linkBase, on: app.db)
            else { Issue.record("accepted"); return }
            let open = try #require(try await Self.get(app, "\(Self.base)/requests/\(id).json").list().first)
            #expect(
                open["status"] as? String == "open" && open["status_notes"] as? String == "เจ้าหน้าที่รับเรื่อง",
                "the Thai status only: officers' notes are written to the filer")
            guard
                case .moved = try await PetitionStore.move(
                    accepted, to: .completed, note: "เปลี่ยนหลอดไฟแล้ว", expectedVersion: 2, actor: officer,
                    tenant: t, linkBase: NoticeTestSupport.linkBase, on: app.db)
            else { Issue.record("completed"); return }
            let done = try #require(try await Self.get(app, "\(Self.base)/requests/\(id).json").list().first)
            Self.checkRequest(done)
            #expect(done["status"] as? String == "closed")
            #expect(done["status_notes"] as? String == "ดำเนินการสำเร็จ")
            #expect(try await Self.get(app, "\(Self.base)/requests.json?status=closed").list().map { $0["service_request_id"] as? String } == [id])
            #expect(try await Self.get(app, "\(Self.base)/requests.json?status=open,closed").list().count == 3)

            // Tenant isolation: another tenant sees none of it.
            try Self.checkErrors(try await Self.get(app, "/t/bangrak/open311/v2/requests/\(id).json"), .notFound)
            #expect(try await Self.get(app, "/t/bangrak/open311/v2/requests.json").list().isEmpty)
            #expect(try await Self.get(app, "/t/bangrak/open311/v2/requests.json?service_request_id=\(id)").list().isEmpty)
        }
    }

    // MARK: Nothing personal

    @Test("no endpoint shows a citizen's name, national ID, phone, e-mail or house number", arguments: TestDatabase.all)
    func nothingPersonal(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let t = try Tenant.named("bangkrathum", in: app)
            let client = try await CitizenFixtures.register(app, email: "somsri.jaidee@example.com")
            let citizen = try #require(try await CitizenAccount.query(on: app.db).filter(\.$tenantID == t.id).first())
            let secrets = ["สมศรี", "ใจดี", client.nationalID, "0812345678", "081-234-5678", "somsri.jaidee", "99/1"]

            // A complaint a citizen filed on the website: nothing of what it says is published, not even where.
            let complaint = try #require(t.service("general-complaint"))
            let answers = PetitionAnswers(answers: [
                Answer(key: "category", label: "ประเภทเรื่อง", type: .select, value: .choices(["อื่น ๆ"])),
                Answer(key: "subject", label: "เรื่อง", type: .text, value: .text("สมศรี ใจดี ร้องเรื่องเสียง")),
                Answer(key: "details", label: "รายละเอียด", type: .textarea, value: .text("เสียงดังจากงานก่อสร้างหลังตลาด")),
                Answer(key: "incident_location", label: "สถานที่เกิดเหตุ", type: .location, value: .location(description: "หลังตลาดสด", lat: 16.57, lng: 100.29)),
                Answer(key: "phone", label: "โทรศัพท์", type: .tel, value: .text("0812345678")),
                Answer(key: "mail", label: "อีเมล", type: .email, value: .text("somsri.jaidee@example.com")),
                Answer(
                    key: "home", label: "ที่อยู่", type: .address,
                    value: .address(
                        AddressSelection(
                            houseNumber: "99/1", moo: "3", provinceCode: "65",
                            districtCode: "6505", subdistrictCode: "650501", postcode: "65110"))),
            ])
            let filedComplaint = try await PetitionStore.file(
                PetitionStore.Filing(
                    tenant: t, citizenID: try citizen.requireID(), citizenName: citizen.fullName, menu: complaint.menu, service: complaint.service,
                    formVersion: 1, answersJSON: try StoredJSON.encode(answers), attachments: [], submissionKey: "web-1"), linkBase: NoticeTestSupport.linkBase,
                on: app.db
            ).petition
            // A permit-like service (identity required): nothing of what it says is published, not even the officer's note.
            let allowance = try #require(t.service("elderly-allowance"))
            let personal = PetitionAnswers(answers: [
                Answer(key: "bank_account_name", label: "ชื่อบัญชี", type: .text, value: .text("นางสาวสมศรี ใจดี")),
                Answer(key: "note", label: "หมายเหตุ", type: .textarea, value: .text("ติดต่อ 081-234-5678 บ้านเลขที่ 99/1")),
                Answer(key: "where", label: "ที่อยู่ปัจจุบัน", type: .location, value: .location(description: "บ้านเลขที่ 99/1 หมู่ 3", lat: 16.5, lng: 100.2)),
            ])
            let filedAllowance = try await PetitionStore.file(
                PetitionStore.Filing(
                    tenant: t, citizenID: try citizen.requireID(), citizenName: citizen.fullName, menu: allowance.menu, service: allowance.service,
                    formVersion: 1, answersJSON: try StoredJSON.encode(personal), attachments: [], submissionKey: "web-2"),
                linkBase: NoticeTestSupport.linkBase, on: app.db
            ).petition
            let officer = PetitionStore.Actor(kind: .staff, id: UUID(), name: "officer1")
            _ = try await PetitionStore.move(
                filedAllowance, to: .accepted, note: "โทรหานางสาวสมศรี ใจดี ที่ 081-234-5678 แล้ว", expectedVersion: 1,
                actor: officer, tenant: t, linkBase: NoticeTestSupport.linkBase, on: app.db)
            _ = try await PetitionStore.move(
                filedComplaint, to: .accepted, note: "โทรหาคุณสมศรีที่ 081-234-5678 แล้ว", expectedVersion: 1,
                actor: officer, tenant: t, linkBase: NoticeTestSupport.linkBase, on: app.db)

            var paths = ["/services.json", "/services.xml", "/requests.json", "/requests.xml", "/openapi.json"]
            for n in [filedComplaint.number, filedAllowance.number] { paths += ["/requests/\(n).json", "/requests/\(n).xml"] }
            for s in t.config.menus.all { paths += ["/services/\(s.service.slug).json", "/services/\(s.service.slug).xml"] }
            paths.append("/requests.json?service_request_id=\(filedComplaint.number),\(filedAllowance.number)")
            for path in paths {
                let a = try await Self.get(app, Self.base + path)
                #expect(a.status == .ok, "\(path): \(a.status)")
                for secret in secrets { #expect(!a.text.contains(secret), "\(path) shows \(secret)") }
            }

            let shown = try await Self.get(app, "\(Self.base)/requests.json").list()
            shown.forEach(Self.checkRequest)
            let c = try #require(shown.first { $0["service_request_id"] as? String == filedComplaint.number })
            #expect(c["media_url"] is NSNull, "nothing from the website has a published photo")
            #expect(
                c["description"] is NSNull && c["address"] is NSNull && c["lat"] is NSNull && c["long"] is NSNull,
                "a web petition's text and place are the citizen's, not public")
            #expect(c["status_notes"] as? String == "เจ้าหน้าที่รับเรื่อง", "the officer's note to the filer is not published")
            #expect(!(try await Self.get(app, "\(Self.base)/requests.json").text.contains("หลังตลาดสด")))
            let a = try #require(shown.first { $0["service_request_id"] as? String == filedAllowance.number })
            #expect(a["description"] is NSNull && a["address"] is NSNull && a["lat"] is NSNull && a["long"] is NSNull)
            #expect(a["status_notes"] as? String == "เจ้าหน้าที่รับเรื่อง")
        }
    }

    // MARK: Rate limits

    @Test("too many calls get 429 in the spec's format, per address and per key", arguments: TestDatabase.all)
    func rateLimits(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            var limits = Open311Limits()
            // Windows of an hour: the calls below took over a minute once on a loaded two-core machine, and a window
            // that ends between them lets the fourth through.
            limits.readsPerAddress = .init(limit: 3, window: 3600)
            limits.writesPerKey = .init(limit: 2, window: 3600)
            app.open311Limits = limits
            for _ in 0..<3 { #expect(try await Self.get(app, "\(Self.base)/services.json").status == .ok) }
            let limited = try await Self.get(app, "\(Self.base)/services.xml")
            try Self.checkErrors(limited, .tooManyRequests, xml: true)
            #expect(limited.headers.first(name: "Retry-After") == "3600", "the window's length")

            let key = try await Self.key(app)
            for _ in 0..<2 { #expect(try await Self.call(app, .POST, "\(Self.base)/requests.json", form: Self.streetLight(key: key)).status == .created) }
            try Self.checkErrors(try await Self.call(app, .POST, "\(Self.base)/requests.json", form: Self.streetLight(key: key)), .tooManyRequests)
            // Another key is counted on its own.
            #expect(try await Self.call(app, .POST, "\(Self.base)/requests.json", form: Self.streetLight(key: try await Self.key(app))).status == .created)
        }
    }

    // MARK: The OpenAPI document

    @Test("the OpenAPI document parses and describes every endpoint the API serves", arguments: TestDatabase.all)
    func openAPI(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let served = try await Self.get(app, "\(Self.base)/openapi.json")
            #expect(served.status == .ok)
            let doc = try served.object()
            #expect((doc["openapi"] as? String)?.hasPrefix("3.") == true)
            #expect((doc["servers"] as? [[String: Any]])?.first?["url"] as? String == "/t/bangkrathum/open311/v2")
            let paths = try #require(doc["paths"] as? [String: Any])
            for (path, methods) in Open311Endpoint.documentedPaths {
                let item = try #require(paths[path] as? [String: Any], "\(path) is described")
                for m in methods { #expect(item[m.rawValue.lowercased()] != nil, "\(m) \(path) is described") }
            }
            #expect(Set(paths.keys) == Set(Open311Endpoint.documentedPaths.map(\.path)), "nothing described that is not served")
            // Every described path answers (with sample values), and nothing else does.
            for (path, methods) in Open311Endpoint.documentedPaths where methods.contains(.GET) {
                let concrete = path.replacingOccurrences(of: "{format}", with: "json").replacingOccurrences(of: "{service_code}", with: "street-light")
                    .replacingOccurrences(of: "{service_request_id}", with: "BKT-2569-000001")
                let a = try await Self.get(app, Self.base + concrete)
                #expect(a.status == .ok || (concrete.contains("BKT-") && a.status == .notFound), "\(concrete): \(a.status)")
            }
            let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let request = try #require(schemas["ServiceRequest"] as? [String: Any])
            #expect(Set(((request["properties"] as? [String: Any]) ?? [:]).keys) == Set(Self.requestKeys))

            // The file in the repository is the same document.
            let file = try OpenAPIDocument.load(Repo.root.appendingPathComponent("docs/open311-openapi.yaml"))
            #expect(try JSONSerialization.jsonObject(with: file) is [String: Any])
            // On the tenant's host the server is the host's own path.
            let onHost = try await Self.get(app, "/open311/v2/openapi.json", headers: ["Host": "bangrak.localhost"]).object()
            #expect((onHost["servers"] as? [[String: Any]])?.first?["url"] as? String == "/open311/v2")
        }
    }

    // MARK: Keys in the back office

    @Test("org admins issue (shown once, stored as a hash) and revoke keys; officers and other tenants' admins get 403", arguments: TestDatabase.all)
    func keysPage(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let page = "/backoffice/t/bangkrathum/open311"
            let admin = try await signedInStaff(app, tenant: "bangkrathum", role: .orgAdmin)
            let officer = try await signedInStaff(app, tenant: "bangkrathum", role: .officer)
            let otherAdmin = try await signedInStaff(app, tenant: "bangrak", role: .orgAdmin)

            try await app.testing().test(.GET, "/backoffice/t/bangkrathum/", headers: admin.headers) { res in #expect(res.body.string.contains(page)) }
            try await app.testing().test(.GET, "/backoffice/t/bangkrathum/", headers: officer.headers) { res in #expect(!res.body.string.contains(page)) }
            for client in [officer, otherAdmin] {
                try await app.testing().test(.GET, page, headers: client.headers) { res in #expect(res.status == .forbidden) }
                let (h, b) = client.form(["label": "ตู้บริการ"])
                try await app.testing().test(.POST, page, headers: h, body: ByteBuffer(string: b)) { res in #expect(res.status == .forbidden) }
            }
            try await app.testing().test(.GET, page, headers: admin.headers) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("ยังไม่มีคีย์") && res.body.string.contains("/t/bangkrathum/open311/v2/openapi.json"))
            }
            let (eh, eb) = admin.form(["label": "  "])
            try await app.testing().test(.POST, page, headers: eh, body: ByteBuffer(string: eb)) { res in
                #expect(res.status == .unprocessableEntity)
                #expect(res.body.string.contains("กรุณากรอกชื่อระบบ"))
            }

            // Issued: the key is on this page, once.
            var key = ""
            let (h, b) = admin.form(["label": "ตู้บริการหน้าสำนักงาน"])
            try await app.testing().test(.POST, page, headers: h, body: ByteBuffer(string: b)) { res in
                #expect(res.status == .seeOther && res.headers.first(name: .location) == "\(page)#issued")
            }
            try await app.testing().test(.GET, page, headers: admin.headers) { res in
                #expect(res.status == .ok)
                #expect(res.headers.first(name: .cacheControl) == "no-store")
                let html = res.body.string
                let range = try #require(html.range(of: #"o311_[A-Za-z0-9_-]{43}"#, options: .regularExpression))
                key = String(html[range])
                #expect(html.contains("คัดลอกคีย์นี้เก็บไว้ตอนนี้"))
            }
            let record = try #require(try await Open311KeyRecord.query(on: app.db).first())
            #expect(record.keyHash == RandomToken.hash(key) && record.keyHash != key && record.prefix == String(key.prefix(12)))
            #expect(record.tenantID == "bangkrathum" && record.createdBy == admin.username && record.label == "ตู้บริการหน้าสำนักงาน")
            let sql = try #require(app.db as? any SQLDatabase)
            for table in ["open311_keys", "audit_events", "_fluent_sessions"] {
                let rows = try await sql.raw("SELECT * FROM \(unsafeRaw: table)").all()
                for row in rows {
                    for column in row.allColumns {
                        let value = (try? row.decode(column: column, as: String?.self)) ?? nil
                        #expect(value?.contains(key) != true, "\(table).\(column) holds the key")
                    }
                }
            }
            try await app.testing().test(.GET, page, headers: admin.headers) { res in
                #expect(!res.body.string.contains(key), "shown once")
                #expect(res.body.string.contains(record.prefix) && res.body.string.contains("ตู้บริการหน้าสำนักงาน"))
            }
            #expect(try await Self.call(app, .POST, "\(Self.base)/requests.json", form: Self.streetLight(key: key)).status == .created)

            // Revoke: a confirmation page, then a POST with the CSRF token.
            let revoke = "\(page)/\(try record.requireID().uuidString.lowercased())/revoke"
            try await app.testing().test(.GET, revoke, headers: admin.headers) { res in
                #expect(res.status == .ok && res.body.string.contains("ยืนยันการเพิกถอน"))
            }
            try await app.testing().test(.GET, revoke, headers: officer.headers) { res in #expect(res.status == .forbidden) }
            // Another tenant's admin cannot reach it through their own tenant either.
            let foreign = "/backoffice/t/bangrak/open311/\(try record.requireID().uuidString.lowercased())/revoke"
            let (fh, fb) = otherAdmin.form([:])
            try await app.testing().test(.POST, foreign, headers: fh, body: ByteBuffer(string: fb)) { res in #expect(res.status == .notFound) }
            try await app.testing().test(
                .POST, revoke, headers: ["Cookie": admin.cookie, "Content-Type": "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "")
            ) { res in #expect(res.status == .forbidden, "no CSRF token") }
            #expect(try await Self.call(app, .POST, "\(Self.base)/requests.json", form: Self.streetLight(key: key)).status == .created, "still active")
            let (rh, rb) = admin.form([:])
            try await app.testing().test(.POST, revoke, headers: rh, body: ByteBuffer(string: rb)) { res in
                #expect(res.status == .seeOther && res.headers.first(name: .location) == page)
            }
            try Self.checkErrors(try await Self.call(app, .POST, "\(Self.base)/requests.json", form: Self.streetLight(key: key)), .forbidden)
            try await app.testing().test(.GET, page, headers: admin.headers) { res in
                #expect(res.body.string.contains("เพิกถอนแล้ว") && !res.body.string.contains(revoke))
            }
            let audit = try await AuditLog.list(.init(tenants: ["bangkrathum"]), on: app.db).compactMap(\.action)
            #expect(audit.contains(.open311KeyIssued) && audit.contains(.open311KeyRevoked))
        }
    }

    // MARK: Output writers

    @Test("JSON and XML writers escape what they must and keep Thai as it is")
    func writers() throws {
        let tricky = "ไฟดับ <b>&\"'\\ \n\t end\u{0001}\u{2028}"
        let node = Open311Node.list(
            element: "request", [.object([("a", .string(tricky)), ("n", .number(16.50)), ("i", .int(3)), ("b", .bool(false)), ("z", .null)])])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(node.json.utf8)) as? [[String: Any]])
        #expect(json.first?["a"] as? String == tricky && json.first?["n"] as? Double == 16.5 && json.first?["z"] is NSNull)
        #expect(node.json.contains("ไฟดับ"), "Thai is not escaped")
        let doc = try XMLDocument(data: Data(node.xml(root: "service_requests").utf8), options: [])
        let request = try #require(doc.rootElement()?.elements(forName: "request").first)
        #expect(request.elements(forName: "a").first?.stringValue == tricky.replacingOccurrences(of: "\u{0001}", with: ""))
        #expect(request.elements(forName: "z").first?.stringValue == "")
        #expect(Open311Node.decimal(100.295800) == "100.2958" && Open311Node.decimal(-0.0) == "0")
    }
}
