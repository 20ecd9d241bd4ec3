import AsyncHTTPClient
import Crypto
import Domain
import Fluent
import Foundation
import NIOCore
import Testing
import Vapor
import VaporTesting

@testable import App

/// The file store's contract, run on both stores (the local folder and a real S3 server, `rclone serve s3`
/// from scripts/with-s3.sh), and the application's files going through it: identity images, petition
/// attachments, the orphan sweep, hash checks on every read, and `eservice files copy`.
@Suite("File store: the local folder and S3")
struct FileStoreTests {
    /// `bytes` of varied content (not one repeated byte, so a changed byte changes the hash).
    static func content(_ bytes: Int, seed: UInt8 = 7) -> Data {
        var d = [UInt8](repeating: 0, count: bytes)
        for i in 0..<bytes { d[i] = UInt8(truncatingIfNeeded: i &* 31 &+ Int(seed) &+ i >> 8) }
        return Data(d)
    }

    /// This process's resident memory (VmRSS), in bytes.
    static func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) << 10
    }

    static func temporaryFile(_ data: Data) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("store-test-\(UUID().uuidString).bin")
        try data.write(to: url)
        return url.path
    }

    /// Changes a stored file behind the store's back: the local file rewritten, or the S3 object replaced by a
    /// raw PUT of other bytes (of the same length).
    static func tamper(_ app: Application, _ name: String) async throws {
        let store = app.fileStore
        let original = try await store.read(name, sha256: nil)
        var changed = original
        changed[changed.count / 2] ^= 0xFF
        if let local = store as? LocalFileStore {
            try changed.write(to: local.url(name))
        } else {
            let s3 = try #require(store as? S3FileStore)
            try await s3.client.putObject(name, body: .bytes(ByteBuffer(bytes: changed)), sha256: Hex.sha256(changed))
        }
    }

    @Test("REQUIRE_S3=1 (make test) has an S3 server to test against")
    func serverPresent() {
        #expect(!TestS3.required || TestS3.available, "REQUIRE_S3=1 but TEST_S3_URL is unset: run under scripts/with-s3.sh")
    }

    @Test("save, stream in from a file, read, hash, info, list, delete", arguments: TestStorage.all)
    func contract(storage: TestStorage) async throws {
        try await withApp(.sqlite, settings: storage.settings()) { app, env in
            let store = app.fileStore
            #expect((store is S3FileStore) == (storage == .s3))
            let small = Self.content(1000)
            let a = try await store.save(small, folder: "petitions/bangkrathum", ext: "pdf")
            #expect(try await store.read(a, sha256: Hex.sha256(small)) == small)
            #expect(try await store.info(a)?.size == 1000)

            // Three megabytes streamed from a temporary file (as a spooled upload is), hashed first.
            let big = Self.content(3 << 20, seed: 3)
            let path = try Self.temporaryFile(big)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let adopted = try await store.adoptHashed(path, folder: "petitions/bangkrathum", ext: "pdf")
            #expect(adopted.size == big.count && adopted.sha256 == Hex.sha256(big))
            #expect(try await store.sha256(adopted.name) == adopted.sha256)
            let chunks = try #require(try await store.chunks(adopted.name))
            #expect(chunks.count == big.count)
            var received = 0
            var pieces = 0
            for try await piece in chunks {
                received += piece.readableBytes
                pieces += 1
            }
            #expect(received == big.count && pieces > 1, "read as a stream of pieces, not one buffer")

            let other = try await store.save(Data("x".utf8), folder: "identity/bangkrathum", ext: "jpg")
            var listed: [StoredObject] = []
            try await store.list(prefix: "petitions/") { listed += $0 }
            #expect(Set(listed.map(\.name)) == [a, adopted.name], "only the prefix's files")
            #expect(listed.first { $0.name == adopted.name }?.size == big.count)
            #expect(listed.allSatisfy { abs($0.modified.timeIntervalSinceNow) < 600 })

            try await store.remove(a)
            #expect(try await store.info(a) == nil)
            #expect(try await store.chunks(a) == nil)
            try await store.remove(a)  // a second time: no error
            await #expect(throws: Abort.self) { try await store.read(a, sha256: nil) }
            listed = []
            try await store.list(prefix: "petitions/") { listed += $0 }
            #expect(listed.map(\.name) == [adopted.name])
            #expect(try await store.info(other)?.size == 1)
            if storage == .s3 {
                let local = env.dataDirectory.appendingPathComponent("files")
                #expect(!FileManager.default.fileExists(atPath: local.path), "nothing is written to the local folder")
            }
        }
    }

    @Test("a stored file changed behind the store's back is refused: read throws, a download is cut short", arguments: TestStorage.all)
    func tamperedFile(storage: TestStorage) async throws {
        try await withApp(.sqlite, settings: storage.settings()) { app, _ in
            let store = app.fileStore
            let data = Self.content(600_000)
            let sha = Hex.sha256(data)
            let name = try await store.save(data, folder: "petitions/bangkrathum", ext: "pdf")
            app.get("test-stored", "**") { req async throws -> Response in
                let name = req.parameters.getCatchall().joined(separator: "/")
                return Response(status: .ok, body: try await req.application.fileStore.verifiedBody(name, sha256: sha, logger: req.logger))
            }
            try await app.testing().test(.GET, "/test-stored/\(name)") { res in
                #expect(res.status == .ok && Data(buffer: res.body) == data)
            }

            try await Self.tamper(app, name)
            await #expect(throws: StoredFileMismatch.self) { try await store.read(name, sha256: sha) }
            #expect(try await store.read(name, sha256: nil).count == data.count, "the bytes are there; only the check refuses them")

            // Over a real connection: the status and length were sent, the last piece is held back, and the
            // connection closes short of the length, so no client takes the altered file as whole.
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let outcome: Result<Int, any Error>
            do {
                let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/test-stored/\(name)"), timeout: .seconds(30))
                #expect(response.status == .ok)
                outcome = .success(try await response.body.collect(upTo: 4 << 20).readableBytes)
            } catch {
                outcome = .failure(error)
            }
            try await client.shutdown()
            await app.server.shutdown()
            switch outcome {
            case .success(let n): Issue.record("the altered file was received whole (\(n) bytes)")
            case .failure: break
            }
        }
    }

    @Test("a 20 MB file goes out as a stream from the store, never collected in memory", arguments: TestStorage.all)
    func largeFileStreams(storage: TestStorage) async throws {
        try await withApp(.sqlite, settings: storage.settings()) { app, _ in
            let store = app.fileStore
            let big = Self.content(20 << 20, seed: 11)
            let path = try Self.temporaryFile(big)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let adopted = try await store.adoptHashed(path, folder: "documents/bangkrathum", ext: "pdf")
            let body = try await store.verifiedBody(adopted.name, sha256: adopted.sha256, logger: app.logger)
            #expect(body.buffer == nil, "a stream, not a collected buffer")
            #expect(body.count == big.count, "with its length known up front (Content-Length)")

            app.get("test-big") { req async throws -> Response in
                Response(status: .ok, body: try await req.application.fileStore.verifiedBody(adopted.name, sha256: adopted.sha256, logger: req.logger))
            }
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            var received = 0
            var hasher = SHA256()
            var largestPiece = 0
            var pieces = 0
            let rssBefore = Self.residentBytes()
            var rssPeak = rssBefore
            do {
                let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/test-big"), timeout: .seconds(120))
                #expect(response.status == .ok)
                #expect(response.headers.first(name: "Content-Length") == String(big.count))
                for try await piece in response.body {
                    received += piece.readableBytes
                    largestPiece = max(largestPiece, piece.readableBytes)
                    hasher.update(data: piece.readableBytesView)
                    pieces += 1
                    if pieces % 16 == 0 { rssPeak = max(rssPeak, Self.residentBytes()) }
                }
            } catch {
                Issue.record("download failed: \(error)")
            }
            try await client.shutdown()
            await app.server.shutdown()
            #expect(received == big.count)
            #expect(Hex.string(hasher.finalize()) == adopted.sha256)
            #expect(largestPiece < 4 << 20, "it arrived in pieces (the largest \(largestPiece) bytes)")
            // A figure for the record, not a check (other suites share this process): what the whole process grew
            // by while the server streamed the 20 MB out of the store and the client read it.
            print("[\(storage)] 20 MB streamed in \(pieces) pieces (largest \(largestPiece) B); process RSS grew by at most \((rssPeak - rssBefore) >> 10) KiB")
        }
    }

    @Test("identity images: uploaded, stored, served and their hash checked through the application", arguments: TestDatabase.all, TestStorage.all)
    func identityRoundTrip(database: TestDatabase, storage: TestStorage) async throws {
        try await withApp(database, settings: storage.settings()) { app, env in
            let owner = try await CitizenFixtures.register(app)
            let photo = try TestImages.fixture("id-photo.jpg")
            let (h, b) = CitizenFixtures.identityUpload(owner, files: [("image_0", "a.jpg", photo), ("image_1", "b.jpg", photo)])
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { res in #expect(res.status == .seeOther) }
            let images = try await IdentityImageRecord.query(on: app.db).all()
            #expect(images.count == 2)
            for image in images {
                #expect(try await app.fileStore.info(image.fileName)?.size == image.bytes)
                try await app.testing().test(.GET, "/t/bangkrathum/account/images/\(try image.requireID().uuidString.lowercased())", headers: owner.headers) {
                    res in
                    #expect(res.status == .ok)
                    #expect(Hex.sha256(Data(buffer: res.body)) == image.sha256, "the watermarked JPEG, as recorded")
                }
            }
            #expect(TestImages.storedFiles(env).count == (storage == .local ? 2 : 0), "on S3 nothing is kept on the local disk")

            // Changed behind the application's back: the owner's download fails instead of showing it.
            let first = try #require(images.first)
            try await Self.tamper(app, first.fileName)
            let res = try await respond(
                app, .GET, "/t/bangkrathum/account/images/\(try first.requireID().uuidString.lowercased())", peer: "127.0.0.1", headers: owner.headers)
            #expect(res.status == .ok, "the status was sent before the file was read to its end")
            await #expect(throws: StoredFileMismatch.self, "the body fails: the altered file is never given whole") {
                _ = try await res.body.collect(on: app.eventLoopGroup.next()).get()
            }
        }
    }

    @Test("petition attachments: filed through the pages, stored, downloaded with their hash checked", arguments: TestDatabase.all, TestStorage.all)
    func attachmentRoundTrip(database: TestDatabase, storage: TestStorage) async throws {
        try await withApp(database, settings: storage.settings()) { app, env in
            try await PetitionFilingTests.addAllFieldsService(app)
            let c = try await CitizenFixtures.register(app)
            try await PetitionFilingTests.verify(app, c)
            let page = try await PetitionFilingTests.open(app, c)
            let photo = try TestImages.fixture("id-photo.jpg")
            let (h, b) = PetitionFilingTests.body(c, page, files: [("file_plans", "plan.pdf", samplePDF), ("file_photos", "site.jpg", photo)])
            var location = ""
            try await app.testing().test(.POST, "\(c.base)/services/\(PetitionFilingTests.slug)/apply", headers: h, body: b) { res in
                #expect(res.status == .seeOther, "\(res.body.string.prefix(2000))")
                location = res.headers.first(name: .location) ?? ""
            }
            let petition = try #require(try await PetitionRecord.query(on: app.db).first())
            let stored = try await PetitionStore.attachments(petition, on: app.db)
            #expect(stored.count == 2)
            #expect(PetitionFilingTests.petitionFiles(env).count == (storage == .local ? 2 : 0))
            for s in stored {
                #expect(try await app.fileStore.sha256(s.fileName) == s.sha256)
                let path = "\(c.base)/account/petitions/\(petition.number)/files/\(try s.requireID().uuidString.lowercased())?download=1"
                try await app.testing().test(.GET, path, headers: c.headers) { res in
                    #expect(res.status == .ok)
                    #expect(Hex.sha256(Data(buffer: res.body)) == s.sha256)
                    if s.mimeType == "application/pdf" { #expect(Data(buffer: res.body) == samplePDF) }
                }
            }
            #expect(location.hasSuffix("/filed"))
        }
    }

    @Test(
        "a staff registration's document: streamed into the store, its hash recorded, shown to the platform admin", arguments: TestDatabase.all, TestStorage.all
    )
    func staffDocumentRoundTrip(database: TestDatabase, storage: TestStorage) async throws {
        try await withApp(database, settings: storage.settings()) { app, _ in
            let anon = try await BackOfficeAccessTests.anonymous(app)
            var (headers, body) = StaffAccountTests.registration(nationalID: StaffFixtures.nationalID(), username: "store.test", csrf: anon.csrf)
            headers.add(name: "Cookie", value: anon.cookie)
            try await app.testing().test(.POST, "/backoffice/register", headers: headers, body: body) { res in #expect(res.status == .seeOther) }
            let account = try #require(try await StaffStore.find(username: "store.test", on: app.db))
            let file = try #require(account.documentFile)
            #expect(account.documentSHA256 == Hex.sha256(samplePDF))
            #expect(try await app.fileStore.sha256(file) == Hex.sha256(samplePDF))
            #expect(StaffAccountTests.documentFiles(app).count == (storage == .local ? 1 : 0))
            let platform = try await signedInStaff(app, tenant: nil, role: nil, platformAdmin: true)
            try await get(app, "/backoffice/admin/registrations/\(try account.requireID().uuidString.lowercased())/document", platform) { res in
                #expect(res.status == .ok && Data(buffer: res.body) == samplePDF)
            }
        }
    }

    @Test("the orphan sweep removes an identity file without a record once it is an hour old, on either store", arguments: TestDatabase.all, TestStorage.all)
    func orphanSweep(database: TestDatabase, storage: TestStorage) async throws {
        try await withApp(database, settings: storage.settings()) { app, _ in
            let owner = try await CitizenFixtures.register(app)
            let photo = try TestImages.fixture("id-photo.jpg")
            let (h, b) = CitizenFixtures.identityUpload(owner, files: [("image_0", "a.jpg", photo), ("image_1", "b.jpg", photo)])
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { res in #expect(res.status == .seeOther) }
            let recorded = try await IdentityImageRecord.query(on: app.db).all().map(\.fileName)
            let orphan = try await app.fileStore.save(Data(photo), folder: "identity/bangkrathum", ext: "jpg")
            let petitionFile = try await app.fileStore.save(samplePDF, folder: "petitions/bangkrathum", ext: "pdf")

            #expect(try await IdentityImages.sweepOrphans(app: app) == 0, "a file younger than an hour may still be on its way to a record")
            #expect(try await app.fileStore.info(orphan) != nil)
            // Two hours on: the orphan is old enough; the recorded images are kept however old.
            #expect(try await IdentityImages.sweepOrphans(app: app, now: Date().addingTimeInterval(7200)) == 1)
            #expect(try await app.fileStore.info(orphan) == nil)
            for name in recorded { #expect(try await app.fileStore.info(name) != nil, "a recorded image stays") }
            #expect(try await app.fileStore.info(petitionFile) != nil, "only identity/ is swept")
        }
    }

    @Test("eservice files copy: local folder to S3, every hash checked, idempotent; the application then reads from S3", arguments: TestDatabase.all)
    func copyToS3(database: TestDatabase) async throws {
        guard TestS3.check() else { return }
        let env = try await TestEnvironment.make(database)
        do {
            try await copyToS3(database, env: env)
        } catch {
            await env.cleanUp()
            throw error
        }
        await env.cleanUp()
    }

    func copyToS3(_ database: TestDatabase, env: TestEnvironment) async throws {
        let s3 = TestS3.settings()
        var imageID = ""
        var owner: CitizenClient?
        var recorded: [String: String] = [:]
        try await withApp(database, environment: env) { app, _ in
            let client = try await CitizenFixtures.register(app)
            owner = client
            let photo = try TestImages.fixture("id-photo.jpg")
            let (h, b) = CitizenFixtures.identityUpload(client, files: [("image_0", "a.jpg", photo), ("image_1", "b.jpg", photo)])
            try await app.testing().test(.POST, "/t/bangkrathum/account/identity", headers: h, body: b) { res in #expect(res.status == .seeOther) }
            let images = try await IdentityImageRecord.query(on: app.db).all()
            imageID = try images[0].requireID().uuidString.lowercased()
            for i in images { recorded[i.fileName] = i.sha256 }
            #expect(app.fileStore is LocalFileStore)
        }
        // The command, as `eservice files copy --to …` runs it, with the keys in the environment.
        let out = try await Self.runCopy(database, env: env, settings: s3, to: s3["STORAGE_URL"]!)
        #expect(out.error == nil, "\(out.text)")
        #expect(out.text.contains("copied: 2, already there with the same SHA-256: 0, mismatches: 0"), "\(out.text)")
        // Again: nothing to do.
        let again = try await Self.runCopy(database, env: env, settings: s3, to: s3["STORAGE_URL"]!)
        #expect(again.error == nil && again.text.contains("copied: 0, already there with the same SHA-256: 2, mismatches: 0"), "\(again.text)")

        // The application on S3 serves the copied image (the local files moved aside, so it cannot cheat).
        let localFiles = env.dataDirectory.appendingPathComponent("files")
        try FileManager.default.moveItem(at: localFiles, to: env.dataDirectory.appendingPathComponent("files-old"))
        try await withApp(database, settings: s3, environment: env) { app, _ in
            #expect(app.fileStore is S3FileStore)
            let client = try #require(owner)
            // Signed in again: sessions live in the database, so the same cookie still works.
            try await app.testing().test(.GET, "/t/bangkrathum/account/images/\(imageID)", headers: client.headers) { res in
                #expect(res.status == .ok)
                #expect(recorded.values.contains(Hex.sha256(Data(buffer: res.body))))
            }
            for (name, sha) in recorded { #expect(try await app.fileStore.sha256(name) == sha) }
        }
        try FileManager.default.moveItem(at: env.dataDirectory.appendingPathComponent("files-old"), to: localFiles)

        // A damaged source is reported and the command fails (exit status non-zero): the S3 copy is removed and
        // the local file changed, so it cannot be copied with its recorded hash.
        let (victim, _) = try #require(recorded.first)
        try await withApp(database, settings: s3, environment: env) { app, _ in try await app.fileStore.remove(victim) }
        var bytes = try Data(contentsOf: localFiles.appendingPathComponent(victim))
        bytes[100] ^= 0xFF
        try bytes.write(to: localFiles.appendingPathComponent(victim))
        let damaged = try await Self.runCopy(database, env: env, settings: s3, to: s3["STORAGE_URL"]!)
        #expect(damaged.error != nil, "a mismatch fails the command")
        #expect(damaged.text.contains("mismatches: 1") && damaged.text.contains("mismatch: \(victim)"), "\(damaged.text)")
        try await withApp(database, settings: s3, environment: env) { app, _ in
            let copied = try await app.fileStore.info(victim)
            #expect(copied == nil, "the damaged file was not copied")
        }
    }

    /// Runs `files copy --to URL` in an application configured like `eservice` (STORAGE_URL unset: the local folder).
    static func runCopy(_ database: TestDatabase, env: TestEnvironment, settings: [String: String], to: String) async throws -> (
        text: String, error: (any Error)?
    ) {
        var keys = settings
        keys["STORAGE_URL"] = nil
        var result: (String, (any Error)?) = ("", nil)
        try await withApp(database, settings: keys, environment: env) { app, _ in
            let console = CapturingConsole()
            var context = CommandContext(console: console, input: CommandInput(arguments: ["eservice files copy", "--to", to]))
            context.application = app
            do {
                try await FilesCopyCommand().run(using: &context)
            } catch {
                result.1 = error
            }
            result.0 = console.text
        }
        return result
    }

    @Test("STORAGE_URL and the S3 keys are checked at start; a key is never repeated in a message")
    func settingsChecked() throws {
        let data = URL(fileURLWithPath: "/tmp/eservice-data")
        let keys = ["S3_ACCESS_KEY_ID": "AKIDTEST", "S3_SECRET_ACCESS_KEY": "very-secret-key-123"]
        func parse(_ raw: String?, _ env: [String: String] = keys) -> Result<StorageLocation, StorageLocation.Problem> {
            StorageLocation.parse(raw, dataDirectory: data, environment: env)
        }
        #expect(try parse(nil).get() == .local(data.appendingPathComponent("files", isDirectory: true)))
        #expect(try parse("file:").get() == .local(data.appendingPathComponent("files", isDirectory: true)))
        #expect(try parse("file:///srv/files").get() == .local(URL(fileURLWithPath: "/srv/files", isDirectory: true)))
        guard case .s3(let s3) = try parse("s3://eservice-files?endpoint=http://127.0.0.1:9000").get() else {
            Issue.record("not s3")
            return
        }
        #expect(s3.bucket == "eservice-files" && s3.region == "us-east-1" && s3.prefix == "" && s3.endpoint.absoluteString == "http://127.0.0.1:9000")
        #expect(!s3.description.contains("very-secret"))
        guard case .s3(let p) = try parse("s3://b-1/a/b/?endpoint=https://s3.example.go.th/&region=ap-southeast-7").get() else {
            Issue.record("not s3")
            return
        }
        #expect(p.prefix == "a/b/" && p.region == "ap-southeast-7" && p.endpoint.absoluteString == "https://s3.example.go.th")

        for (raw, needle) in [
            ("ftp://x", "STORAGE_URL must be"), ("s3://bucket", "endpoint= is required"),
            ("s3://bucket?endpoint=ftp://h", "endpoint must be"), ("s3://BadBucket?endpoint=http://h:1", "bucket name"),
            ("s3://bucket?endpoint=http://h:1&region=US-EAST", "region"), ("s3://bucket?endpoint=http://h:1&secret=x", "unknown parameter"),
            ("s3://bucket/../x?endpoint=http://h:1", "key prefix"),
        ] {
            guard case .failure(let problem) = parse(raw) else {
                Issue.record("\(raw) was accepted")
                continue
            }
            #expect(problem.description.contains(needle), "\(raw): \(problem)")
        }
        guard case .failure(let missing) = parse("s3://bucket?endpoint=http://h:1", [:]) else {
            Issue.record("accepted without keys")
            return
        }
        #expect(missing.description.contains("S3_ACCESS_KEY_ID is required") && missing.description.contains("S3_SECRET_ACCESS_KEY is required"))

        // Through Settings.load: the one message that names every problem.
        let base = ["TENANTS_DIR": Repo.path("Tenants"), "DATA_DIR": NSTemporaryDirectory(), "APP_SECRET": String(repeating: "k", count: 40)]
        do {
            _ = try Settings.load(from: base.merging(["STORAGE_URL": "s3://bucket?endpoint=http://h:1", "S3_SECRET_ACCESS_KEY": "very-secret-key-123"]) { $1 })
            Issue.record("Settings.load accepted an s3 STORAGE_URL without S3_ACCESS_KEY_ID")
        } catch let problems as Settings.Problems {
            #expect(problems.description.contains("S3_ACCESS_KEY_ID is required"))
            #expect(!problems.description.contains("very-secret"))
        }
        // In production, images and licences cross the network only over TLS unless the store is on this machine.
        let production = base.merging(keys) { $1 }.merging([
            "APP_ENV": "production", "PUBLIC_BASE_URL": "https://e.example.go.th", "SMTP_URL": "smtp://127.0.0.1:25?starttls=off",
            "MAIL_FROM": "no-reply@example.go.th",
        ]) { $1 }
        for (endpoint, accepted) in [("http://s3.example.go.th", false), ("https://s3.example.go.th", true), ("http://127.0.0.1:9000", true)] {
            do {
                _ = try Settings.load(from: production.merging(["STORAGE_URL": "s3://bucket?endpoint=\(endpoint)"]) { $1 })
                #expect(accepted, "\(endpoint) was accepted in production")
            } catch let problems as Settings.Problems {
                #expect(!accepted && problems.description.contains("must be https://"), "\(endpoint): \(problems)")
            }
        }
        let ok = try Settings.load(from: base.merging(keys.merging(["STORAGE_URL": "s3://bucket?endpoint=http://h:1"]) { $1 }) { $1 })
        #expect(
            ok.fileStorage
                == .s3(
                    S3Location(
                        endpoint: URL(string: "http://h:1")!, bucket: "bucket", prefix: "", region: "us-east-1", accessKeyID: "AKIDTEST",
                        secretAccessKey: "very-secret-key-123")))
    }

    @Test("S3 answers 5xx are tried again (up to three tries), other failures are not")
    func retries() async throws {
        final class Count: @unchecked Sendable { var n = 0 }
        let flaky = Count()
        let value = try await S3Client.retrying(pause: 0.001) {
            flaky.n += 1
            if flaky.n == 1 { throw S3Client.Failure(operation: "PutObject", status: 500, code: "InternalError") }
            return "stored"
        }
        #expect(value == "stored" && flaky.n == 2)
        let down = Count()
        await #expect(throws: S3Client.Failure.self) {
            try await S3Client.retrying(pause: 0.001) { () async throws -> Int in
                down.n += 1
                throw S3Client.Failure(operation: "GetObject", status: 503, code: "SlowDown")
            }
        }
        #expect(down.n == 3)
        let denied = Count()
        await #expect(throws: S3Client.Failure.self) {
            try await S3Client.retrying(pause: 0.001) { () async throws -> Int in
                denied.n += 1
                throw S3Client.Failure(operation: "PutObject", status: 403, code: "AccessDenied")
            }
        }
        #expect(denied.n == 1)
    }

    @Test("ListObjectsV2 answers: keys under the store's prefix, sizes, times, the continuation token")
    func listParsing() {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/identity/</Prefix>
            <IsTruncated>true</IsTruncated><NextContinuationToken>tok&amp;1</NextContinuationToken>
            <Contents><Key>p/identity/a.jpg</Key><LastModified>2026-12-07T01:02:03.000Z</LastModified><Size>12</Size></Contents>
            <Contents><Key>p/identity/b&amp;c.jpg</Key><LastModified>2026-12-07T01:02:04.12Z</LastModified><Size>0</Size></Contents>
            </ListBucketResult>
            """
        let page = S3Client.parseList(xml, storePrefix: "p/")
        #expect(page.objects.map(\.name) == ["identity/a.jpg", "identity/b&c.jpg"])
        #expect(page.objects.map(\.size) == [12, 0])
        #expect(page.objects[0].lastModified == Date(timeIntervalSince1970: 1_796_605_323))
        #expect(abs(page.objects[1].lastModified.timeIntervalSince1970 - 1_796_605_324.12) < 0.001, "two fraction digits, as rclone writes them")
        #expect(page.nextToken == "tok&1")
        #expect(S3Client.parseList(xml.replacingOccurrences(of: "<IsTruncated>true", with: "<IsTruncated>false"), storePrefix: "p/").nextToken == nil)
        // A time written some other way is not read as 1970: the orphan sweep must never take an object for old
        // because its date could not be read (its row may still be committing).
        let odd = S3Client.parseList(xml.replacingOccurrences(of: "2026-12-07T01:02:03.000Z", with: "2026-12-07T01:02:03+07:00"), storePrefix: "p/")
        #expect(odd.objects[0].lastModified == .distantFuture)
    }
}

/// A console that keeps what a command prints.
final class CapturingConsole: Console, @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = ""
    var userInfo: [AnySendableHashable: any Sendable] = [:]
    var size: (width: Int, height: Int) { (120, 40) }
    var text: String { lock.withLock { buffer } }

    func input(isSecure: Bool) -> String { "" }
    func output(_ text: ConsoleText, newLine: Bool) {
        lock.withLock { buffer += text.description + (newLine ? "\n" : "") }
    }
    func clear(_ type: ConsoleClear) {}
    func report(error: String, newLine: Bool) {
        lock.withLock { buffer += error + (newLine ? "\n" : "") }
    }
}
