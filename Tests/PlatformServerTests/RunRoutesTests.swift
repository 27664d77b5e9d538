import EndpointTestSupport
import Foundation
import PlatformStore
import PlatformWire
import Testing

@Suite("GET /api/runs, /api/runs/{id} and its stream, followed live")
struct RunRoutesTests {
    func submit(_ platform: TestPlatform, _ trace: String, no: Int, _ bytes: Data) async throws {
        let answer = try await platform.call(
            "PUT",
            "/submit",
            as: TestPlatform.first,
            json: #"{"trace": "\#(trace)", "no": \#(no), "field": "\#(bytes.base64EncodedString())"}"#
        )
        #expect(answer.status == 200)
    }

    func finish(_ platform: TestPlatform, _ trace: String, code: Int = 0) async throws {
        let json = #"{"trace": "\#(trace)", "stderr": "bye\n", "code": \#(code), "status": "finished"}"#
        #expect(try await platform.call("PUT", "/submit", as: TestPlatform.first, json: json).status == 200)
    }

    /// `count` lines of `{"type": "value", "data": [N]}`, cut into pieces of `size` bytes.
    func pieces(lines count: Int, size: Int) -> (whole: Data, pieces: [Data]) {
        let whole = Data((0..<count).map { "{\"type\": \"value\", \"data\": [\($0)]}\n" }.joined().utf8)
        return (whole, stride(from: 0, to: whole.count, by: size).map { Data(whole[$0..<min($0 + size, whole.count)]) })
    }

    @Test("A run's stream is its contiguous bytes byte for byte, read in pages past 64 chunks; the run's view and the list")
    func streamAndView() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("viewer")
        let (whole, pieces) = pieces(lines: 400, size: 97)
        #expect(pieces.count > 2 * 64)
        for (no, piece) in pieces.enumerated() { try await submit(platform, "/tmp/s.trace", no: no, piece) }
        // A chunk ahead of a gap is not part of the stream yet.
        try await submit(platform, "/tmp/s.trace", no: pieces.count + 1, Data("ahead\n".utf8))
        let run = try #require(try await platform.platform.runs.run(endpoint: TestPlatform.first.uuid, filePath: "/tmp/s.trace"))
        let stream = try await platform.call("GET", "/api/runs/\(run.id)/stream", bearer: token)
        #expect(stream.status == 200 && stream.headers["content-type"] == "application/x-ndjson")
        #expect(stream.body == whole)

        try await finish(platform, "/tmp/s.trace", code: 3)
        let view = try await platform.call("GET", "/api/runs/\(run.id)", bearer: token)
        #expect(view.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: view.body) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "id", "endpoint", "session", "filePath", "analysis", "started", "finished", "code", "stderr", "bytes", "chunks", "complete", "gaps",
            ]
        )
        #expect(object["id"] as? String == run.id && object["endpoint"] as? String == TestPlatform.first.uuid)
        #expect(object["filePath"] as? String == "/tmp/s.trace" && object["code"] as? Int == 3 && object["stderr"] as? String == "bye\n")
        #expect(object["bytes"] as? Int == whole.count && object["chunks"] as? Int == pieces.count && object["complete"] as? Bool == false)
        #expect(object["session"] is NSNull && (object["gaps"] as? [Any])?.isEmpty == true)
        #expect(ISOTime.milliseconds(object["started"] as? String ?? "") != nil && ISOTime.milliseconds(object["finished"] as? String ?? "") != nil)

        try await submit(platform, "/tmp/other.trace", no: 0, Data("x\n".utf8))
        let list = try await platform.call("GET", "/api/runs?limit=1", bearer: token)
        let listed = try #require(try JSONSerialization.jsonObject(with: list.body) as? [[String: Any]])
        #expect(listed.count == 1 && listed.first?["filePath"] as? String == "/tmp/other.trace")
        let byEndpoint = try await platform.call("GET", "/api/runs?endpoint=\(TestPlatform.second.uuid)", bearer: token)
        #expect(byEndpoint.text == "[]")
    }

    @Test("Without a token 401; unknown or malformed ids 404; a bad limit or follow 400")
    func refusals() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("viewer")
        #expect(try await platform.call("GET", "/api/runs").status == 401)
        #expect(try await platform.call("GET", "/api/runs/x/stream").status == 401)
        #expect(try await platform.call("GET", "/api/runs/no-such-run", bearer: token).status == 404)
        #expect(try await platform.call("GET", "/api/runs/no-such-run/stream", bearer: token).status == 404)
        #expect(try await platform.call("GET", "/api/runs/a.b", bearer: token).status == 404)
        let limit = try await platform.call("GET", "/api/runs?limit=0", bearer: token)
        #expect(limit.status == 400 && limit.text.contains("limit"))
        try await submit(platform, "/tmp/f.trace", no: 0, Data("x\n".utf8))
        let run = try #require(try await platform.platform.runs.run(endpoint: TestPlatform.first.uuid, filePath: "/tmp/f.trace"))
        #expect(try await platform.call("GET", "/api/runs/\(run.id)/stream?follow=yes", bearer: token).status == 400)
    }

    @Test("follow=true writes a live run's bytes as they are committed, and ends once it finished")
    func follow() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("viewer")
        try await submit(platform, "/tmp/live.trace", no: 0, Data("first\n".utf8))
        let run = try #require(try await platform.platform.runs.run(endpoint: TestPlatform.first.uuid, filePath: "/tmp/live.trace"))
        let reader = try await StreamReader.open("\(platform.url)/api/runs/\(run.id)/stream?follow=true", bearer: token)
        try await reader.waitFor(Data("first\n".utf8))
        try await submit(platform, "/tmp/live.trace", no: 1, Data("second\n".utf8))
        try await reader.waitFor(Data("first\nsecond\n".utf8))
        #expect(!reader.ended)
        try await submit(platform, "/tmp/live.trace", no: 2, Data("third\n".utf8))
        try await finish(platform, "/tmp/live.trace")
        try await reader.waitForEnd()
        #expect(reader.received == Data("first\nsecond\nthird\n".utf8))
    }
}
