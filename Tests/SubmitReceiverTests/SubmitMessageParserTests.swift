import Foundation
import NIOCore
import PlatformWire
import SubmitReceiver
import Submitter
import Testing

@Suite("Receiver: parsing /submit bodies")
struct SubmitMessageParserTests {
    static func parse(_ json: String) throws -> SubmitMessage {
        try SubmitMessageParser.parse(ByteBuffer(string: json))
    }

    static func chunkParts(_ message: SubmitMessage) -> (String, Int, Data)? {
        guard case let .chunk(trace, no, bytes) = message else { return nil }
        return (trace, no, bytes)
    }

    @Test("The endpoint's own chunk bodies decode to the exact bytes, for every length 0 to 200")
    func endpointBodiesRoundTrip() throws {
        let bodies = SubmitBody(filePath: "/tmp/a \"quoted\" \\ name.trace")
        for length in 0...200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
            let body = bytes.withUnsafeBytes { bodies.chunk(no: length * 1000, bytes: $0) }
            let parts = try #require(Self.chunkParts(try SubmitMessageParser.parse(body)))
            #expect(parts.0 == "/tmp/a \"quoted\" \\ name.trace")
            #expect(parts.1 == length * 1000)
            #expect(parts.2 == Data(bytes))
        }
    }

    @Test("Other spellings of the same JSON give the same message (general path)")
    func otherSpellings() throws {
        let expected = Data("hello\n".utf8)
        for json in [
            #"{"no":3,"trace":"/tmp/t","field":"aGVsbG8K"}"#,
            #"{ "trace" : "/tmp/t", "no" : 3, "field" : "aGVsbG8K" }"#,
            #"{"trace":"\/tmp\/t","no":3,"field":"aGVsbG8K"}"#,
            #"{"trace":"/tmp/t","no":3,"field":"aGVsbG8\u004B"}"#,
            #"{"trace":"/tmp/t","no":3,"field":"aGVsbG8K","extra":"ignored"}"#,
        ] {
            let parts = try #require(Self.chunkParts(try Self.parse(json)), "\(json)")
            #expect(parts.0 == "/tmp/t", "\(json)")
            #expect(parts.1 == 3, "\(json)")
            #expect(parts.2 == expected, "\(json)")
        }
        guard case .start("/tmp/t") = try Self.parse(#"{"trace":"/tmp/t","status":"start"}"#) else {
            Issue.record("start")
            return
        }
        guard case .finished("/tmp/t", "e\n", 2) = try Self.parse(#"{"status":"finished","trace":"/tmp/t","stderr":"e\n","code":2}"#) else {
            Issue.record("finished")
            return
        }
    }

    @Test("Bad base64 names the chunk; anything else malformed is not a submit message")
    func malformed() {
        for field in ["aGVsbG8", "aGVs*G8K", "a=VsbG8K", "aGVsbG8K===", "=aGV"] {
            #expect(throws: SubmitMessageParser.Failure.badBase64(no: 7), "\(field)") {
                try Self.parse(#"{"trace":"/tmp/t","no":7,"field":"\#(field)"}"#)
            }
        }
        for json in [
            "", "{", "[]", #"{"trace":"/tmp/t"}"#, #"{"trace":"/tmp/t","status":"begin"}"#,
            #"{"trace":"/tmp/t","no":1.5,"field":""}"#, #"{"trace":"/tmp/t","no":99999999999999999999999,"field":""}"#,
            #"{"trace":"/tmp/t","no":1,"field":"QQ==""#, #"{"trace":"/tmp/t,"no":1,"field":"QQ=="}"#,
        ] {
            #expect(throws: SubmitMessageParser.Failure.notASubmitMessage, "\(json)") { try Self.parse(json) }
        }
    }

    @Test("Base64 decoding inverts encoding and refuses non-alphabet characters")
    func base64RoundTrip() {
        for length in 0...100 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
            let text = Array(Data(bytes).base64EncodedString().utf8)
            var decoded = [UInt8](repeating: 0, count: Base64.maxDecodedLength(of: text.count))
            let count = text.withUnsafeBytes { source in decoded.withUnsafeMutableBytes { Base64.decode(source, into: $0) } }
            #expect(count.map { Array(decoded.prefix($0)) } == bytes, "length \(length)")
        }
        for bad in ["QQ=A", "Q===", "QQ\n=", "QUJD\u{0}UJD"] {
            var decoded = [UInt8](repeating: 0, count: 16)
            #expect(Array(bad.utf8).withUnsafeBytes { source in decoded.withUnsafeMutableBytes { Base64.decode(source, into: $0) } } == nil, "\(bad)")
        }
    }
}
