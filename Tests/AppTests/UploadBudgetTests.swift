import Dispatch
import Domain
import Fluent
import Foundation
import Imaging
import Testing
import Vapor
import VaporTesting

@testable import App

/// Uploads within budget (issue 12, item 8; EXIF of item 9): spooled to disk and refused with 413 while they
/// arrive, a bounded image queue (503 with Retry-After), a per-account hourly number of files (429), and JPEG
/// attachments stored without their EXIF/GPS block.
@Suite("Uploads: spooled, bounded queue, hourly budget, no EXIF")
struct UploadBudgetTests {
    /// Temporary upload files left in `DATA_DIR/tmp/uploads/`.
    static func spooled(_ env: TestEnvironment) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: env.dataDirectory.appendingPathComponent("tmp/uploads").path)) ?? []
    }

    static func account(_ app: Application, _ c: CitizenClient) async throws -> CitizenAccount {
        let hash = try app.nationalIDs.lookupHash(try ThaiNationalID(c.nationalID))
        return try #require(try await CitizenAccount.query(on: app.db).filter(\.$nationalIDHash == hash).first())
    }

    /// Every identity image the tenant asks for, as the identity page sends them.
    static func identityFiles(_ app: Application, _ data: Data) throws -> [(field: String, filename: String, data: Data)] {
        try Tenant.named("bangkrathum", in: app).config.identity.images.indices.map { ("image_\($0)", "id-\($0).jpg", data) }
    }

    /// Holds the only image worker busy until `release` (IMAGE_WORKERS=1, IMAGE_QUEUE=0: the queue is full).
    final class WorkerBlock: Sendable {
        let gate = DispatchSemaphore(value: 0)
        let task: Task<Void, any Error>

        init(_ app: Application) async throws {
            let pool = try app.imageWork
            let gate = self.gate
            task = Task { try await pool.run { gate.wait() } }
            for _ in 0..<500 where pool.load < 1 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(pool.load == 1)
        }

        func release() async throws {
            gate.signal()
            try await task.value
        }
    }

    @Test("a full image queue: 503 with Retry-After and the Thai page; no record, no file, no temporary file", arguments: TestDatabase.all)
    func fullQueue(database: TestDatabase) async throws {
        try await withApp(database, settings: ["IMAGE_WORKERS": "1", "IMAGE_QUEUE": "0"]) { app, env in
            let c = try await CitizenFixtures.register(app)
            let photo = try TestImages.fixture("id-photo.jpg")
            let block = try await WorkerBlock(app)
            let (h, b) = CitizenFixtures.identityUpload(c, files: try Self.identityFiles(app, photo) + [("profile_photo", "me.jpg", photo)])
            try await app.testing().test(.POST, "\(c.base)/account/identity", headers: h, body: b) { res in
                #expect(res.status == .serviceUnavailable)
                #expect(res.headers.first(name: .retryAfter).flatMap(Int.init) == ImageWorkPool.retryAfterSeconds)
                #expect(res.body.string.contains("ระบบกำลังประมวลผลรูปภาพจำนวนมาก กรุณาลองใหม่ในอีกสักครู่"))
            }
            // The profile page's photo too.
            var m = Multipart()
            m.field("_csrf", c.csrf)
            m.file("profile_photo", filename: "me.jpg", type: "image/jpeg", data: photo)
            var (ph, pb) = m.finished()
            ph.add(name: "Cookie", value: c.cookie)
            try await app.testing().test(.POST, "\(c.base)/account/profile/photo", headers: ph, body: pb) { res in
                #expect(res.status == .serviceUnavailable && res.headers.first(name: .retryAfter) != nil)
            }
            // A petition whose JPEG attachment must lose its EXIF block goes through the same queue: its PDF,
            // already moved into the store, is removed again.
            try await PetitionFilingTests.addAllFieldsService(app)
            try await PetitionFilingTests.verify(app, c)
            let page = try await PetitionFilingTests.open(app, c)
            let (fh, fb) = PetitionFilingTests.body(c, page, files: [("file_plans", "plan.pdf", samplePDF), ("file_photos", "site.jpg", photo)])
            try await app.testing().test(.POST, "\(c.base)/services/\(PetitionFilingTests.slug)/apply", headers: fh, body: fb) { res in
                #expect(res.status == .serviceUnavailable && res.headers.first(name: .retryAfter) != nil)
                #expect(res.body.string.contains("ระบบกำลังประมวลผลรูปภาพจำนวนมาก"))
            }
            try await block.release()

            #expect(try await IdentityImageRecord.query(on: app.db).count() == 0)
            #expect(TestImages.storedFiles(env).isEmpty)
            #expect(try await PetitionRecord.query(on: app.db).count() == 0)
            #expect(try await PetitionAttachmentRecord.query(on: app.db).count() == 0)
            #expect(PetitionFilingTests.petitionFiles(env).isEmpty)
            #expect(Self.spooled(env).isEmpty, "no temporary upload is left: \(Self.spooled(env))")
            let account = try await Self.account(app, c)
            #expect(account.imagesSubmittedAt == nil, "the account did not reach the officers' queue")

            // With the worker free again, the same photo goes through.
            try await app.testing().test(.POST, "\(c.base)/account/profile/photo", headers: ph, body: pb) { res in
                #expect(res.status == .seeOther)
            }
            #expect(try await IdentityImageRecord.query(on: app.db).count() == 1)
            #expect(Self.spooled(env).isEmpty)
        }
    }

    @Test("30 files per account per hour: the next upload (photo or attachment) gets 429 and keeps nothing", arguments: TestDatabase.all)
    func hourlyLimit(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            try await PetitionFilingTests.addAllFieldsService(app)
            let c = try await CitizenFixtures.register(app)
            try await PetitionFilingTests.verify(app, c)
            let other = try await CitizenFixtures.register(app)
            let photo = try TestImages.fixture("id-photo.jpg")
            func upload(_ client: CitizenClient) async throws -> TestingHTTPResponse {
                var m = Multipart()
                m.field("_csrf", client.csrf)
                m.file("profile_photo", filename: "me.jpg", type: "image/jpeg", data: photo)
                var (h, b) = m.finished()
                h.add(name: "Cookie", value: client.cookie)
                return try await app.testing().sendRequest(.POST, "\(client.base)/account/profile/photo", headers: h, body: b)
            }
            // The first 29 files of the hour (as if sent earlier), then the 30th through the page.
            let key = try UploadBudget.key(try await Self.account(app, c))
            let rule = UploadBudget.filesPerAccount(app.settings)
            #expect(rule.limit == 30, "the default budget")
            _ = try await RateLimiter.count(key, rule, hits: rule.limit - 1, on: app.db)
            #expect(try await upload(c).status == .seeOther, "the 30th file is taken")
            #expect(try await IdentityImageRecord.query(on: app.db).count() == 1)

            let refused = try await upload(c)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.body.string.contains("ส่งไฟล์ได้ไม่เกิน 30 ไฟล์ต่อชั่วโมง"))
            let page = try await PetitionFilingTests.open(app, c)
            let (fh, fb) = PetitionFilingTests.body(c, page)
            try await app.testing().test(.POST, "\(c.base)/services/\(PetitionFilingTests.slug)/apply", headers: fh, body: fb) { res in
                #expect(res.status == .tooManyRequests)
            }
            #expect(try await IdentityImageRecord.query(on: app.db).count() == 1)
            #expect(TestImages.storedFiles(env).count == 1)
            #expect(try await PetitionRecord.query(on: app.db).count() == 0)
            #expect(PetitionFilingTests.petitionFiles(env).isEmpty)
            #expect(Self.spooled(env).isEmpty)

            // The budget is the account's: another citizen uploads as usual.
            #expect(try await upload(other).status == .seeOther)
        }
    }

    @Test(
        "an upload over the limit, streamed over a real connection: 413 with the Thai message, no temporary file",
        arguments: TestDatabase.all)
    func overSize(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            try await PetitionFilingTests.addAllFieldsService(app)
            let c = try await CitizenFixtures.register(app)
            let port = try freePort()
            try await app.server.start(address: .hostname("127.0.0.1", port: port))

            // An identity image past the tenant's 10 MB: refused while it arrives, in 32 KB pieces.
            let jpeg = try TestImages.fixture("id-photo.jpg")
            var big = jpeg
            big.append(Data(repeating: 0x55, count: (10 << 20) + 1 - jpeg.count))
            let (h, b) = CitizenFixtures.identityUpload(c, files: [("image_0", "big.jpg", big)])
            let answer = try await RawHTTP.post(port: port, path: "\(c.base)/account/identity", headers: h, body: b)
            #expect(answer.status == 413, "\(answer.head) \(answer.body.prefix(300))")
            #expect(answer.body.contains("ไฟล์มีขนาดใหญ่เกิน 10 MB"))

            // A petition attachment past its rule's 1 MB, after a JPEG that was already spooled whole.
            try await PetitionFilingTests.verify(app, c)
            let page = try await PetitionFilingTests.open(app, c)
            var pdf = samplePDF
            pdf.append(Data(repeating: 0x20, count: (1 << 20) + 1 - samplePDF.count + 1))
            let (fh, fb) = PetitionFilingTests.body(c, page, files: [("file_photos", "a.jpg", jpeg), ("file_plans", "big.pdf", pdf)])
            let filing = try await RawHTTP.post(port: port, path: "\(c.base)/services/\(PetitionFilingTests.slug)/apply", headers: fh, body: fb)
            #expect(filing.status == 413, "\(filing.head)")
            #expect(filing.body.contains("มีขนาดเกิน 1 MB"))
            await app.server.shutdown()

            #expect(Self.spooled(env).isEmpty, "no temporary upload is left: \(Self.spooled(env))")
            #expect(TestImages.storedFiles(env).isEmpty)
            #expect(PetitionFilingTests.petitionFiles(env).isEmpty)
            #expect(try await IdentityImageRecord.query(on: app.db).count() == 0)
            #expect(try await PetitionRecord.query(on: app.db).count() == 0)
        }
    }

    @Test(
        "a JPEG attachment is stored without EXIF or GPS: the same picture bytes, or turned upright when EXIF turned it",
        arguments: TestDatabase.all)
    func exifStripped(database: TestDatabase) async throws {
        try await withApp(database) { app, env in
            try await PetitionFilingTests.addAllFieldsService(app)
            let c = try await CitizenFixtures.register(app)
            try await PetitionFilingTests.verify(app, c)
            let upright = [UInt8](try TestImages.fixture("id-photo.jpg"))  // Orientation 1, GPS position
            let turned = [UInt8](try Data(contentsOf: Repo.root.appendingPathComponent("Tests/ImagingTests/Fixtures/orient6-gps.jpg")))
            for original in [upright, turned] {
                #expect(original.contains(subsequence: Array("Exif".utf8)) && original.contains(subsequence: [0x88, 0x25]), "the fixture has GPS")
            }
            var downloads: [[UInt8]] = []
            for (name, original) in [("site.jpg", upright), ("turned.jpg", turned)] {
                let page = try await PetitionFilingTests.open(app, c)
                let (h, b) = PetitionFilingTests.body(c, page, files: [("file_plans", "plan.pdf", samplePDF), ("file_photos", name, Data(original))])
                var location = ""
                try await app.testing().test(.POST, "\(c.base)/services/\(PetitionFilingTests.slug)/apply", headers: h, body: b) { res in
                    #expect(res.status == .seeOther, "\(res.body.string.prefix(1000))")
                    location = res.headers.first(name: .location) ?? ""
                }
                let number = try #require(location.split(separator: "/").dropLast().last.map(String.init))
                let petition = try #require(try await PetitionRecord.query(on: app.db).filter(\.$number == number).first())
                let photo = try #require(try await PetitionStore.attachments(petition, on: app.db).first { $0.mimeType == "image/jpeg" })
                try await app.testing().test(
                    .GET, "\(c.base)/account/petitions/\(number)/files/\(try photo.requireID())?download=1",
                    headers: c.headers
                ) { res in
                    #expect(res.status == .ok)
                    downloads.append(Array(res.body.readableBytesView))
                }
                let onDisk = [UInt8](try Data(contentsOf: env.dataDirectory.appendingPathComponent("files/\(photo.fileName)")))
                #expect(downloads.last == onDisk && photo.bytes == onDisk.count)
            }
            #expect(downloads.count == 2)
            for stored in downloads {
                #expect(!stored.contains(subsequence: Array("Exif".utf8)), "no Exif block")
                #expect(!stored.contains(subsequence: [0x88, 0x25]) && !stored.contains(subsequence: Array("GPS".utf8)), "no GPS tag")
                #expect(!stored.contains(subsequence: [0xFF, 0xE1]), "no APP1 segment")
            }
            // Orientation 1: the same bytes without the APP1 segment (lossless), and it still decodes.
            let app1End = 20 + 2 + (Int(upright[22]) << 8 | Int(upright[23]))
            #expect(upright[20] == 0xFF && upright[21] == 0xE1)
            #expect(downloads[0] == Array(upright[0..<20] + upright[app1End...]))
            let decoded = try GDImage.decode(downloads[0], as: .jpeg)
            #expect(decoded.width == 1000 && decoded.height == 750)
            // Orientation 6: written again upright (64 × 48 stored → 48 × 64 shown, the red block top right).
            let shown = try GDImage.decode(downloads[1], as: .jpeg)
            #expect(shown.width == 48 && shown.height == 64)
            let corner = shown.rgb(x: 42, y: 4)
            #expect(corner.red > 180 && corner.blue < 100, "red block at the top right: \(corner)")
            #expect(Self.spooled(env).isEmpty)
        }
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return false }
        for i in 0...(count - needle.count) where self[i] == needle[0] && Array(self[i..<(i + needle.count)]) == needle { return true }
        return false
    }
}

/// A client that sends the body in pieces over a real connection, as a phone does, and stops sending when the
/// server has answered (a refusal while the body arrives). Runs on its own thread: it blocks.
enum RawHTTP {
    struct Answer: Sendable {
        var status: Int
        var head: String
        var body: String
    }

    static func post(port: Int, path: String, headers: HTTPHeaders, body: ByteBuffer, piece: Int = 32 << 10) async throws -> Answer {
        let bytes = Array(body.readableBytesView)
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try exchange(port: port, path: path, headers: headers, body: bytes, piece: piece) })
            }
        }
    }

    private static func exchange(port: Int, path: String, headers: HTTPHeaders, body: [UInt8], piece: Int) throws -> Answer {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket") }
        defer { close(fd) }
        // Generous: under `make test` some fifty suites share two cores with this server (10 s ran out once).
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // A send that gives up early leaves the server waiting for the rest of the body and the test for an answer
        // that never comes: under load the server may not read for a few seconds.
        var short = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &short, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { throw TestFailure("connect") }
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (name, value) in headers where name.lowercased() != "content-length" { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        func send(_ part: ArraySlice<UInt8>) -> Bool {
            part.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Glibc.send(fd, raw.baseAddress! + done, raw.count - done, Int32(MSG_NOSIGNAL))
                    if n <= 0 { return false }
                    done += n
                }
                return true
            }
        }
        _ = send(ArraySlice(Array(head.utf8)))
        var offset = 0
        while offset < body.count {
            // Stop once the server has answered (it refused the upload while it arrived).
            var probe = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&probe, 1, 0) > 0 { break }
            let end = min(offset + piece, body.count)
            guard send(body[offset..<end]) else { break }
            offset = end
            usleep(1000)
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        let text = String(decoding: received, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let statusLine = parts.first?.split(separator: "\r\n").first ?? ""
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return Answer(status: status, head: parts.first ?? "", body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}
