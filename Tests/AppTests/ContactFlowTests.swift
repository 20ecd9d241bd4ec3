import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite("Contact form: CSRF, sessions, validation and the outbox together")
struct ContactFlowTests {
    static let valid = [
        "name": "สมชาย ใจดี", "email": "somchai@example.com", "phone": "081-234-5678",
        "subject": "ไฟฟ้าสาธารณะดับ", "body": "ไฟดับทั้งซอย 5 หมู่ 3 มาสามวันแล้ว",
    ]

    @Test("a message is saved with both e-mails in one go; sending the same form twice saves one", arguments: TestDatabase.all)
    func happyPath(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            var form = FormSession(cookie: "", csrf: "", fields: [:])
            try await app.testing().test(.GET, "/t/bangkrathum/contact") { res in
                #expect(res.status == .ok)
                form = try FormSession.from(res)
            }
            let body = formBody(form.fields.merging(Self.valid) { $1 })
            var location = ""
            for _ in 0..<2 {
                try await app.testing().test(
                    .POST, "/t/bangkrathum/contact",
                    headers: [
                        "Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded",
                    ], body: ByteBuffer(string: body)
                ) { res in
                    #expect(res.status == .seeOther)
                    location = res.headers.first(name: .location) ?? ""
                }
            }
            #expect(location.hasPrefix("/t/bangkrathum/contact/sent/"))
            try await app.testing().test(.GET, location) { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("สำเร็จ"))
                #expect(res.body.string.contains("BKT-C"))
            }
            let tenant = try Tenant.named("bangkrathum", in: app)
            #expect(try await ContactStore.list(tenant: tenant, on: app.db).count == 1)
            let jobs = try await OutboxStore.jobs(tenant: tenant, on: app.db)
            #expect(jobs.count == 2)
            #expect(Set(jobs.map { $0.idempotencyKey.split(separator: ":")[0] }) == ["contact-ack", "contact-office"])

            try await app.makeOutboxWorker().runOnce()
            let mails = FileMailer(directory: app.settings.mailDirectory).list()
            #expect(mails.count == 2)
            let ack = try #require(mails.first { $0.mail.to == ["somchai@example.com"] }).mail
            #expect(ack.subject.contains("ได้รับข้อความของท่านแล้ว"))
            #expect(ack.text.contains("BKT-C"), "the reference")
            #expect(!ack.text.contains("ไฟฟ้าสาธารณะดับ") && !ack.html.contains("ไฟฟ้าสาธารณะดับ"), "nothing the sender typed, not even the subject")
            for part in [ack.text, ack.html] {
                #expect(!part.contains("ไฟดับทั้งซอย"), "the acknowledgement does not repeat the message")
                #expect(!part.contains("สมชาย"), "nor the name typed in the form")
            }
            let office = try #require(mails.first { $0.mail.to != ["somchai@example.com"] }).mail
            #expect(office.text.contains("ไฟดับทั้งซอย 5 หมู่ 3"), "the municipality gets the message")
        }
    }

    /// Posts the contact form from `peer` with a new submission token; the status and the page.
    static func send(_ app: Application, _ form: FormSession, peer: String, email: String, tenant: String = "bangkrathum") async throws -> (HTTPStatus, String)
    {
        var fields = form.fields.merging(Self.valid) { $1 }
        fields["email"] = email
        fields["submission"] = RandomToken.make()
        let res = try await respond(
            app, .POST, "/t/\(tenant)/contact", peer: peer,
            headers: ["Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded"], body: formBody(fields))
        return (res.status, res.text)
    }

    @Test(
        "one client address sends at most 5 messages an hour (to any recipients, any tenant): then 429 and a Thai page, nothing saved",
        arguments: TestDatabase.all)
    func limitPerAddress(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            var form = FormSession(cookie: "", csrf: "", fields: [:])
            try await app.testing().test(.GET, "/t/bangkrathum/contact") { form = try FormSession.from($0) }
            for i in 1...ContactController.perAddress.limit {
                let (status, _) = try await Self.send(
                    app, form, peer: "203.0.113.7", email: "person\(i)@example.com", tenant: i % 2 == 0 ? "bangrak" : "bangkrathum")
                #expect(status == .seeOther, "message \(i)")
            }
            let jobsBefore = try await OutboxStore.allJobs(on: app.db).count
            let (status, html) = try await Self.send(app, form, peer: "203.0.113.7", email: "someone-new@example.com")
            #expect(status == .tooManyRequests)
            #expect(html.contains("ส่งข้อความจากเครื่องนี้ครบ 5 ข้อความในหนึ่งชั่วโมงแล้ว") && html.contains("error-summary"))
            #expect(html.contains("value=\"someone-new@example.com\""), "what was typed stays")
            #expect(try await OutboxStore.allJobs(on: app.db).count == jobsBefore, "no e-mail queued")
            let saved =
                try await ContactStore.list(tenant: try Tenant.named("bangkrathum", in: app), on: app.db)
                + ContactStore.list(tenant: try Tenant.named("bangrak", in: app), on: app.db)
            #expect(saved.count == ContactController.perAddress.limit, "the refused message is not saved")
            // Another address is not held back.
            #expect(try await Self.send(app, form, peer: "198.51.100.9", email: "someone-new@example.com").0 == .seeOther)
        }
    }

    @Test(
        "one recipient address gets at most 3 acknowledgements a day, whoever sends them: then 429 and a Thai page",
        arguments: TestDatabase.all)
    func limitPerRecipient(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            var form = FormSession(cookie: "", csrf: "", fields: [:])
            try await app.testing().test(.GET, "/t/bangkrathum/contact") { form = try FormSession.from($0) }
            let victim = "Victim@Example.com"
            for i in 1...ContactController.perRecipient.limit {
                let (status, _) = try await Self.send(
                    app, form, peer: "198.51.100.\(i)", email: i == 2 ? victim.lowercased() : victim,
                    tenant: i == 3 ? "nakhonpathom" : "bangkrathum")
                #expect(status == .seeOther, "message \(i)")
            }
            let (status, html) = try await Self.send(app, form, peer: "198.51.100.200", email: victim)
            #expect(status == .tooManyRequests)
            #expect(html.contains("อีเมลนี้ได้รับการตอบรับจากระบบครบ 3 ครั้งในหนึ่งวันแล้ว") && html.contains("href=\"#email\""))
            let acks = try await OutboxStore.allJobs(on: app.db).filter { $0.idempotencyKey.hasPrefix("contact-ack:") }
            #expect(acks.count == ContactController.perRecipient.limit)
            // Another recipient from the same address goes through.
            #expect(try await Self.send(app, form, peer: "198.51.100.200", email: "other@example.com").0 == .seeOther)
        }
    }

    @Test("the same form sent several times at once saves one message and answers every copy", arguments: TestDatabase.all)
    func concurrentDoubleSubmit(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            var form = FormSession(cookie: "", csrf: "", fields: [:])
            try await app.testing().test(.GET, "/t/bangrak/contact") { form = try FormSession.from($0) }
            let body = formBody(form.fields.merging(Self.valid) { $1 })
            let cookie = form.cookie
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        var status = HTTPStatus.internalServerError
                        try await app.testing().test(
                            .POST, "/t/bangrak/contact",
                            headers: [
                                "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
                            ], body: ByteBuffer(string: body)
                        ) { status = $0.status }
                        return status
                    }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .seeOther }, "\(statuses)")
            let tenant = try Tenant.named("bangrak", in: app)
            #expect(try await ContactStore.list(tenant: tenant, on: app.db).count == 1)
            #expect(try await OutboxStore.jobs(tenant: tenant, on: app.db).count == 2)
        }
    }

    @Test("a post without the CSRF token is refused and nothing is saved", arguments: TestDatabase.all)
    func csrf(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            var form = FormSession(cookie: "", csrf: "", fields: [:])
            try await app.testing().test(.GET, "/t/bangkrathum/contact") { form = try FormSession.from($0) }
            var fields = form.fields.merging(Self.valid) { $1 }
            fields["_csrf"] = "forged"
            for (cookie, body) in [(form.cookie, formBody(fields)), ("", formBody(form.fields.merging(Self.valid) { $1 }))] {
                try await app.testing().test(
                    .POST, "/t/bangkrathum/contact",
                    headers: [
                        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
                    ], body: ByteBuffer(string: body)
                ) { res in
                    #expect(res.status == .forbidden)
                    #expect(res.body.string.contains("แบบฟอร์มหมดอายุ"))
                }
            }
            let tenant = try Tenant.named("bangkrathum", in: app)
            #expect(try await ContactStore.list(tenant: tenant, on: app.db).isEmpty)
            #expect(try await OutboxStore.allJobs(on: app.db).isEmpty)
        }
    }

    @Test("bad input gets Thai messages beside each field, keeps what was typed, and saves nothing")
    func badInput() async throws {
        try await withApp(.sqlite) { app, _ in
            var form = FormSession(cookie: "", csrf: "", fields: [:])
            try await app.testing().test(.GET, "/t/nakhonpathom/contact") { form = try FormSession.from($0) }
            let bad = ["name": "", "email": "not-an-email", "phone": "12ab", "subject": "ทดสอบ <script>", "body": String(repeating: "ก", count: 5001)]
            try await app.testing().test(
                .POST, "/t/nakhonpathom/contact",
                headers: [
                    "Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded",
                ], body: ByteBuffer(string: formBody(form.fields.merging(bad) { $1 }))
            ) { res in
                #expect(res.status == .unprocessableEntity)
                let html = res.body.string
                for message in ["กรุณากรอกชื่อ-นามสกุล", "รูปแบบอีเมลไม่ถูกต้อง", "หมายเลขโทรศัพท์ต้องเป็นตัวเลข", "รายละเอียดยาวเกิน"] {
                    #expect(html.contains(message), "\(message)")
                }
                #expect(html.contains("error-summary"))
                #expect(html.contains("href=\"#email\""))
                #expect(html.contains("value=\"ทดสอบ &lt;script&gt;\""), "typed text kept and escaped")
            }
            #expect(try await OutboxStore.allJobs(on: app.db).isEmpty)
        }
    }

    @Test("two server instances on one database share sessions", arguments: TestDatabase.all)
    func sharedSessions(database: TestDatabase) async throws {
        let env = try await TestEnvironment.make(database)
        var form = FormSession(cookie: "", csrf: "", fields: [:])
        try await withApp(database, environment: env) { first, _ in
            try await first.testing().test(.GET, "/t/bangrak/contact") { form = try FormSession.from($0) }
        }
        try await withApp(database, environment: env) { second, _ in
            try await second.testing().test(
                .POST, "/t/bangrak/contact",
                headers: [
                    "Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded",
                ], body: ByteBuffer(string: formBody(form.fields.merging(Self.valid) { $1 }))
            ) { res in
                #expect(res.status == .seeOther, "the second instance knows the first one's session and CSRF token")
            }
        }
        await env.cleanUp()
    }
}
