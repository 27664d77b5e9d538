import Foundation
import NIOCore
import PlatformWire
import Submitter
import Testing

@Suite("Submit bodies and base64")
struct SubmitBodyTests {
    @Test("Base64 matches Foundation's for every length 0 to 300 and all byte values")
    func base64MatchesFoundation() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...300 {
            let bytes = length == 256 ? (0...255).map(UInt8.init) : (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var encoded = [UInt8](repeating: 0, count: Base64.encodedLength(of: length))
            let written = bytes.withUnsafeBytes { source in encoded.withUnsafeMutableBytes { Base64.encode(source, into: $0) } }
            #expect(written == encoded.count)
            #expect(String(decoding: encoded, as: UTF8.self) == Data(bytes).base64EncodedString(), "length \(length)")
        }
    }

    @Test("A chunk body is byte for byte the documented message, the trace JSON-escaped")
    func chunkBytes() throws {
        let bytes = Array("{\"a\": 1}\n\u{0}\u{ff}".utf8)
        let body = bytes.withUnsafeBytes { SubmitBody(filePath: "/tmp/x.trace").chunk(no: 12, bytes: $0) }
        #expect(String(buffer: body) == #"{"trace":"/tmp/x.trace","no":12,"field":""# + Data(bytes).base64EncodedString() + #""}"#)

        let odd = SubmitBody(filePath: "/tmp/q\"\\\n.trace").chunk(no: 0, bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        // Decoded as the platform would read it: the escaping gives the path back.
        let decoded = try JSONDecoder().decode(ChunkMessage.self, from: Data(odd.readableBytesView))
        #expect(decoded.trace == "/tmp/q\"\\\n.trace")
        #expect(decoded.no == 0)
        #expect(decoded.field == "")
    }

    @Test("start and finished bodies carry exactly the documented fields")
    func startAndFinished() throws {
        let bodies = SubmitBody(filePath: "/tmp/x.trace")
        #expect(String(buffer: bodies.start()) == #"{"trace":"/tmp/x.trace","status":"start"}"#)
        #expect(String(buffer: bodies.finished(stderr: "e", code: -1)) == #"{"trace":"/tmp/x.trace","stderr":"e","code":-1,"status":"finished"}"#)
        let body = Data(bodies.finished(stderr: "bad \"probe\"\n", code: 130).readableBytesView)
        #expect(try JSONDecoder().decode(MessageKeys.self, from: body).keys == ["trace", "stderr", "code", "status"])
        let finished = try JSONDecoder().decode(FinishedMessage.self, from: body)
        #expect(finished.stderr == "bad \"probe\"\n")
        #expect(finished.code == 130)
        #expect(finished.status == "finished")
    }
}

// The /submit messages as docs/platform-openapi.yaml defines them, decoded the way a platform reads them.

/// `{"trace": ..., "no": N, "field": "<base64>"}`.
struct ChunkMessage: Decodable {
    let trace: String
    let no: Int
    let field: String
}

/// `{"trace": ..., "stderr": ..., "code": N, "status": "finished"}`.
struct FinishedMessage: Decodable {
    let trace: String
    let stderr: String
    let code: Int32
    let status: String
}

/// The top-level keys of a JSON object, for "exactly these fields" (a Decodable struct
/// ignores keys it does not name).
struct MessageKeys: Decodable {
    let keys: Set<String>

    struct AnyKey: CodingKey {
        let stringValue: String
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        keys = Set(try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue))
    }
}
