import EndpointTestSupport
import Foundation
import PlatformStore
import PlatformWire
import Testing

@Suite("The endpoint-facing routes: authenticated, signed, committed before answered")
struct EndpointRoutesTests {
    func submit(_ platform: TestPlatform, _ json: String, as endpoint: (uuid: String, secret: String) = TestPlatform.first) async throws -> Int {
        try await platform.call("PUT", "/submit", as: endpoint, json: json).status
    }

    @Test("A stream in order, a repeated chunk (200, nothing changes), the same no with other bytes (409)")
    func stream() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        #expect(try await submit(platform, #"{"trace": "/tmp/r.trace", "status": "start"}"#) == 200)
        #expect(try await submit(platform, #"{"trace": "/tmp/r.trace", "no": 0, "field": "\#(Data("one\n".utf8).base64EncodedString())"}"#) == 200)
        #expect(try await submit(platform, #"{"trace": "/tmp/r.trace", "no": 0, "field": "\#(Data("one\n".utf8).base64EncodedString())"}"#) == 200)
        #expect(try await submit(platform, #"{"trace": "/tmp/r.trace", "no": 0, "field": "\#(Data("two\n".utf8).base64EncodedString())"}"#) == 409)
        #expect(try await submit(platform, #"{"trace": "/tmp/r.trace", "stderr": "", "code": 0, "status": "finished"}"#) == 200)
        let run = try #require(try await platform.platform.runs.run(endpoint: TestPlatform.first.uuid, filePath: "/tmp/r.trace"))
        #expect(run.complete && run.bytes == 4 && run.chunks == 1)
    }

    @Test("Unsigned, wrongly signed or unknown-endpoint requests are 401 and store nothing")
    func refusals() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let body = #"{"trace": "/tmp/x.trace", "status": "start"}"#
        let authorization = TestPlatform.authorizations[TestPlatform.first.uuid]!
        let unsigned = try await HTTPAnswer.call(platform.url, "PUT", "/submit", authorization: authorization, json: body)
        #expect(unsigned.status == 401)
        let wrongSecret = try await HTTPAnswer.call(
            platform.url,
            "PUT",
            "/submit",
            authorization: authorization,
            signingSecret: "not-the-secret",
            json: body
        )
        #expect(wrongSecret.status == 401)
        let none = try await HTTPAnswer.call(platform.url, "PUT", "/submit", json: body)
        #expect(none.status == 401)
        #expect(try await platform.platform.runs.runs().isEmpty)
    }

    @Test("A task is handed to its endpoint's poll once, signed for that poll; its result is taken only from that endpoint")
    func tasks() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let task = PlatformTask(id: "t-1", method: "GET", path: "/heartbeat", query: [:], body: nil)
        try await platform.platform.tasks.enqueue(task, for: TestPlatform.first.uuid)
        platform.platform.taskArrivals.signal(TestPlatform.first.uuid)
        let nonce = "abcdefghijklmnop1234"
        let poll = try await platform.call("GET", "/tasks?endpoint=\(TestPlatform.first.uuid)&wait=0&nonce=\(nonce)", as: TestPlatform.first)
        #expect(poll.status == 200)
        #expect(try poll.json([PlatformTask].self).map(\.id) == ["t-1"])
        #expect(poll.headers["lambda-signature"]?.contains("n=\(nonce)") == true)
        let again = try await platform.call("GET", "/tasks?endpoint=\(TestPlatform.first.uuid)&wait=0&nonce=\(nonce)x", as: TestPlatform.first)
        #expect(again.status == 204)
        let forged = try await platform.call(
            "PUT",
            "/tasks/t-1/result",
            as: TestPlatform.second,
            json: #"{"endpoint": "\#(TestPlatform.second.uuid)", "status": 200, "body": {}}"#
        )
        #expect(forged.status == 403)
        let result = try await platform.call(
            "PUT",
            "/tasks/t-1/result",
            as: TestPlatform.first,
            json: #"{"endpoint": "\#(TestPlatform.first.uuid)", "status": 200, "body": {"ok": true}}"#
        )
        #expect(result.status == 200)
        let record = try #require(try await platform.platform.tasks.task("t-1"))
        #expect(record.resultStatus == 200 && record.resultBody == #"{"ok":true}"#)
    }

    @Test("A poll held is answered as soon as a task for it is queued")
    func longPoll() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        async let poll = platform.call("GET", "/tasks?endpoint=\(TestPlatform.first.uuid)&wait=2&nonce=qrstuvwxyz0123456789", as: TestPlatform.first)
        try await Task.sleep(for: .milliseconds(300))
        try await platform.platform.tasks.enqueue(
            PlatformTask(id: "t-2", method: "GET", path: "/heartbeat", query: [:], body: nil),
            for: TestPlatform.first.uuid
        )
        platform.platform.taskArrivals.signal(TestPlatform.first.uuid)
        let answer = try await poll
        #expect(answer.status == 200)
    }
}
