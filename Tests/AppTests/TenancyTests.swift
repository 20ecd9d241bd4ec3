import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite("Tenant isolation")
struct TenancyTests {
    static func message(_ subject: String) -> NewContactMessage {
        NewContactMessage(name: "สมชาย ใจดี", email: "somchai@example.com", phone: nil, subject: subject, body: "ไฟดับหน้าบ้าน")
    }

    @Test("through the store: one tenant cannot read another's rows", arguments: TestDatabase.all)
    func store(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let a = try Tenant.named("bangkrathum", in: app)
            let b = try Tenant.named("nakhonpathom", in: app)
            let token = RandomToken.make()
            let (saved, created) = try await ContactStore.create(
                tenant: a, token: token, reference: ContactStore.newReference(tenant: a),
                message: Self.message("เรื่องของ A"), on: app.db)
            #expect(created)
            #expect(try await ContactStore.find(tenant: a, token: token, on: app.db)?.reference == saved.reference)
            #expect(try await ContactStore.find(tenant: b, token: token, on: app.db) == nil)
            #expect(try await ContactStore.list(tenant: b, on: app.db).isEmpty)
            #expect(try await ContactStore.list(tenant: a, on: app.db).count == 1)

            // B writing with A's token makes B's own row; A's row is untouched.
            let (bSaved, bCreated) = try await ContactStore.create(
                tenant: b, token: token, reference: ContactStore.newReference(tenant: b),
                message: Self.message("เรื่องของ B"), on: app.db)
            #expect(bCreated && bSaved.subject == "เรื่องของ B")
            #expect(try await ContactStore.find(tenant: a, token: token, on: app.db)?.subject == "เรื่องของ A")

            try await OutboxStore.enqueue(tenant: a, kind: "note", payload: Note(text: "a"), idempotencyKey: "a-job", on: app.db)
            #expect(try await OutboxStore.jobs(tenant: b, on: app.db).isEmpty)
            #expect(try await OutboxStore.jobs(tenant: a, on: app.db).map(\.idempotencyKey) == ["a-job"])
        }
    }

    @Test("through HTTP: another tenant's page for a message is not found", arguments: TestDatabase.all)
    func http(database: TestDatabase) async throws {
        try await withApp(database) { app, _ in
            let a = try Tenant.named("bangkrathum", in: app)
            let token = RandomToken.make()
            _ = try await ContactStore.create(tenant: a, token: token, reference: "BKT-C2569-AAAAAA", message: Self.message("ลับเฉพาะ A"), on: app.db)
            try await app.testing().test(.GET, "/t/bangkrathum/contact/sent/\(token)") { res in
                #expect(res.status == .ok)
                #expect(res.body.string.contains("BKT-C2569-AAAAAA"))
            }
            for (path, headers) in [
                ("/t/nakhonpathom/contact/sent/\(token)", HTTPHeaders()),
                ("/contact/sent/\(token)", ["Host": "bangrak.localhost"] as HTTPHeaders),
            ] {
                try await app.testing().test(.GET, path, headers: headers) { res in
                    #expect(res.status == .notFound)
                    #expect(!res.body.string.contains("ลับเฉพาะ"))
                }
            }
        }
    }
}
