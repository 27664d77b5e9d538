import Foundation
import EndpointCore
import NIOCore
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

    @Test("A chunk body is byte for byte the SPEC's message, the trace JSON-escaped")
    func chunkBytes() {
        let bytes = Array("{\"a\": 1}\n\u{0}\u{ff}".utf8)
        let body = bytes.withUnsafeBytes { SubmitBody(filePath: "/tmp/x.trace").chunk(no: 12, bytes: $0) }
        #expect(String(buffer: body) == #"{"trace":"/tmp/x.trace","no":12,"field":""# + Data(bytes).base64EncodedString() + #""}"#)

        let odd = SubmitBody(filePath: "/tmp/q\"\\\n.trace").chunk(no: 0, bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        let decoded = try? JSONSerialization.jsonObject(with: Data(odd.readableBytesView)) as? [String: Any]
        #expect(decoded?["trace"] as? String == "/tmp/q\"\\\n.trace")
        #expect(decoded?["no"] as? Int == 0)
        #expect(decoded?["field"] as? String == "")
    }

    @Test("start and finished bodies carry exactly the SPEC's fields")
    func startAndFinished() throws {
        let bodies = SubmitBody(filePath: "/tmp/x.trace")
        #expect(String(buffer: bodies.start()) == #"{"trace":"/tmp/x.trace","status":"start"}"#)
        #expect(String(buffer: bodies.finished(stderr: "e", code: -1)) == #"{"trace":"/tmp/x.trace","stderr":"e","code":-1,"status":"finished"}"#)
        let finished = try #require(try JSONSerialization.jsonObject(with: Data(bodies.finished(stderr: "bad \"probe\"\n", code: 130).readableBytesView)) as? [String: Any])
        #expect(Set(finished.keys) == ["trace", "stderr", "code", "status"])
        #expect(finished["stderr"] as? String == "bad \"probe\"\n")
        #expect(finished["code"] as? Int == 130)
        #expect(finished["status"] as? String == "finished")
    }
}
