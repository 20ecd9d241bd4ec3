import Domain
import Foundation
import Testing

/// Vectors from AWS's published SigV4 test suite (`aws-sig-v4-test-suite`: credentials AKIDEXAMPLE, region
/// us-east-1, service `service`, 2015-08-30 12:36:00 UTC). The expected canonical requests, strings to sign and
/// signatures are the suite's own, copied from its `.creq`, `.sts` and `.authz` files, not from this code.
@Suite("SigV4 signing: AWS's published test suite")
struct SigV4Tests {
    static let signer = SigV4Signer(
        credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service")
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z
    static let base = [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]

    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var path: String
        var query: [(String, String)] = []
        var extraHeaders: [(String, String)] = []
        var body: String = ""
        var signedHeaders: String = "host;x-amz-date"
        var signature: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(name: "get-vanilla", method: "GET", path: "/", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(
            name: "get-vanilla-query-order-key-case", method: "GET", path: "/", query: [("Param2", "value2"), ("Param1", "value1")],
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Vector(
            name: "get-vanilla-query-order-key", method: "GET", path: "/", query: [("Param1", "value2"), ("Param1", "Value1")],
            signature: "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"),
        Vector(
            name: "get-vanilla-query-unreserved", method: "GET", path: "/",
            query: [
                ("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
            ],
            signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
        Vector(
            name: "get-vanilla-utf8-query", method: "GET", path: "/", query: [("\u{1234}", "bar")],
            signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        Vector(name: "get-utf8", method: "GET", path: "/\u{1234}", signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        Vector(name: "get-space", method: "GET", path: "/example space/", signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
        Vector(
            name: "get-header-value-trim", method: "GET", path: "/", extraHeaders: [("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
            signedHeaders: "host;my-header1;my-header2;x-amz-date", signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        Vector(name: "post-vanilla", method: "POST", path: "/", signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Vector(
            name: "post-header-key-sort", method: "POST", path: "/", extraHeaders: [("My-Header1", "value1")],
            signedHeaders: "host;my-header1;x-amz-date", signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
        Vector(
            name: "post-x-www-form-urlencoded", method: "POST", path: "/", extraHeaders: [("Content-Type", "application/x-www-form-urlencoded")],
            body: "Param1=value1", signedHeaders: "content-type;host;x-amz-date",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
    ]

    static func request(_ v: Vector) -> SigV4Signer.Request {
        SigV4Signer.Request(
            method: v.method, path: v.path, query: v.query, headers: base + v.extraHeaders,
            payloadHash: Hex.sha256(Data(v.body.utf8)))
    }

    @Test("the suite's Authorization header", arguments: vectors)
    func authorization(_ v: Vector) {
        let expected =
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=\(v.signedHeaders), Signature=\(v.signature)"
        #expect(Self.signer.authorization(Self.request(v), date: Self.date) == expected)
    }

    @Test("get-vanilla: the suite's canonical request and string to sign")
    func getVanillaSteps() {
        let v = Self.vectors[0]
        let creq = Self.signer.canonicalRequest(Self.request(v))
        #expect(
            creq
                == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        #expect(
            Self.signer.stringToSign(canonicalRequest: creq, date: Self.date)
                == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        )
    }

    @Test("post-x-www-form-urlencoded: the suite's canonical request (the body's hash, the signed content type)")
    func formSteps() {
        let v = Self.vectors.first { $0.name == "post-x-www-form-urlencoded" }!
        let creq = Self.signer.canonicalRequest(Self.request(v))
        #expect(
            creq
                == "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
        )
        #expect(
            Self.signer.stringToSign(canonicalRequest: creq, date: Self.date)
                == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"
        )
    }

    @Test("AWS's S3 GetObject example (service s3, a Range header, the empty payload's hash)")
    func s3Example() {
        // From the S3 API reference's "Example: GET Object" (examplebucket, 2013-05-24).
        let signer = SigV4Signer(
            credentials: .init(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), region: "us-east-1")
        let date = Date(timeIntervalSince1970: 1_369_353_600)  // 20130524T000000Z
        let r = SigV4Signer.Request(
            method: "GET", path: "/test.txt",
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"), ("x-amz-content-sha256", SigV4Signer.emptyPayloadHash),
                ("x-amz-date", "20130524T000000Z"),
            ], payloadHash: SigV4Signer.emptyPayloadHash)
        #expect(SigV4Signer.amzDate(date) == "20130524T000000Z")
        #expect(signer.signature(r, date: date) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test("the secret never shows in a description")
    func secretHidden() {
        #expect(!"\(Self.signer.credentials)".contains("EXAMPLEKEY"))
    }
}
