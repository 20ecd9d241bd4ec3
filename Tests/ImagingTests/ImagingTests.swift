import Foundation
import Imaging
import Testing

enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }
}

@Suite("libgd and libmagic wrappers")
struct ImagingTests {
    @Test("decode a PNG, re-encode it as PNG and JPEG, decode again: same size, same colours")
    func roundTrip() throws {
        let png = try GDImage.decode(try Fixture.bytes("red-blue.png"), as: .png)
        #expect(png.width == 64 && png.height == 48)
        let left = png.rgb(x: 5, y: 5), right = png.rgb(x: 60, y: 40)
        #expect(left.red == 200 && left.blue == 30)
        #expect(right.blue == 200 && right.red == 30)

        let again = try GDImage.decode(try png.encodePNG(), as: .png)
        #expect(again.width == 64 && again.height == 48 && again.rgb(x: 5, y: 5).red == 200)

        let jpeg = try png.encodeJPEG(quality: 90)
        #expect(jpeg.starts(with: [0xFF, 0xD8, 0xFF]))
        let fromJPEG = try GDImage.decode(jpeg, as: .jpeg)
        #expect(fromJPEG.width == 64 && fromJPEG.height == 48)
        #expect(abs(Int(fromJPEG.rgb(x: 5, y: 5).red) - 200) < 12, "JPEG is lossy, but not that lossy")
    }

    @Test("corrupt, truncated or mislabelled bytes are refused, not crashed on")
    func corrupt() throws {
        let png = try Fixture.bytes("red-blue.png")
        #expect(throws: ImagingError.self) { try GDImage.decode(Array(png.prefix(40)), as: .png) }
        #expect(throws: ImagingError.self) { try GDImage.decode(try Fixture.bytes("not-really.jpg"), as: .jpeg) }
        #expect(throws: ImagingError.empty) { try GDImage.decode([], as: .png) }
    }

    @Test("libmagic tells the type from content, not from the name")
    func sniff() throws {
        let sniffer = try FileTypeSniffer()
        #expect(sniffer.mimeType(of: try Fixture.bytes("red-blue.png")) == "image/png")
        let jpeg = try GDImage.decode(try Fixture.bytes("red-blue.png"), as: .png).encodeJPEG()
        #expect(sniffer.mimeType(of: jpeg) == "image/jpeg")
        #expect(sniffer.mimeType(of: try Fixture.bytes("sample.pdf")) == "application/pdf")
        #expect(sniffer.mimeType(of: try Fixture.bytes("not-really.jpg")) == "text/plain")
        #expect(ImageFormat(mimeType: sniffer.mimeType(of: try Fixture.bytes("not-really.jpg"))) == nil)
    }

    @Test("the sniffer is safe to share between threads")
    func concurrentSniffing() async throws {
        let sniffer = try FileTypeSniffer()
        let png = try Fixture.bytes("red-blue.png"), pdf = try Fixture.bytes("sample.pdf")
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<200 {
                group.addTask { i.isMultiple(of: 2) ? sniffer.mimeType(of: png) == "image/png" : sniffer.mimeType(of: pdf) == "application/pdf" }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 200 && results.allSatisfy { $0 })
    }
}
