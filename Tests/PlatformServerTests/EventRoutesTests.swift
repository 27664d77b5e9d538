import EndpointTestSupport
import Foundation
import PlatformStore
import PlatformWire
import Testing

@Suite("POST /events (signed, checked whole, kept once) and GET /api/events")
struct EventRoutesTests {
    func event(_ id: String, kind: String = "run-started", time: String = "2026-12-07T15:00:00.000Z", detail: String = "{}") -> String {
        #"{"id": "\#(id)", "time": "\#(time)", "kind": "\#(kind)", "run": "/tmp/a.trace", "detail": \#(detail)}"#
    }

    @Test("Signed posts are stored once per id; a repeated post is 200 and stores nothing more; GET shows them newest first with their endpoint")
    func postAndList() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("viewer")
        let first = try await platform.call(
            "POST",
            "/events",
            as: TestPlatform.first,
            json: "[\(event("a")), \(event("b", time: "2026-12-07T15:01:00Z"))]"
        )
        #expect(first.status == 200 && first.text == #"{"stored":2}"#)
        let again = try await platform.call("POST", "/events", as: TestPlatform.first, json: "[\(event("a"))]")
        #expect(again.status == 200 && again.text == #"{"stored":0}"#)
        let second = try await platform.call(
            "POST",
            "/events",
            as: TestPlatform.second,
            json: "[\(event("a", kind: "run-finished", time: "2026-12-07T15:02:00Z", detail: #"{"code": 0}"#))]"
        )
        #expect(second.status == 200)

        let all = try await platform.call("GET", "/api/events", bearer: token)
        let listed = try #require(try JSONSerialization.jsonObject(with: all.body) as? [[String: Any]])
        #expect(listed.map { $0["id"] as? String } == ["a", "b", "a"])
        #expect(listed.map { $0["endpoint"] as? String } == [TestPlatform.second.uuid, TestPlatform.first.uuid, TestPlatform.first.uuid])
        #expect((listed.first?["detail"] as? [String: Any])?["code"] as? Int == 0)
        #expect(listed.first?["run"] as? String == "/tmp/a.trace" && listed.first?["time"] as? String == "2026-12-07T15:02:00Z")

        let filtered = try await platform.call(
            "GET",
            "/api/events?endpoint=\(TestPlatform.first.uuid)&kind=run-started&since=2026-12-07T15:00:30Z&limit=10",
            bearer: token
        )
        let ids = try #require(try JSONSerialization.jsonObject(with: filtered.body) as? [[String: Any]]).map { $0["id"] as? String }
        #expect(ids == ["b"])
    }

    @Test("A bad event is 400 naming its field and nothing of the post is stored; unsigned is 401; over 500 events 400")
    func refusals() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("viewer")
        let badKind = try await platform.call("POST", "/events", as: TestPlatform.first, json: "[\(event("ok")), \(event("x", kind: "Bad Kind"))]")
        #expect(badKind.status == 400 && badKind.text.contains("[1].kind"))
        let bigDetail = #"{"text": "\#(String(repeating: "x", count: 17 << 10))"}"#
        let big = try await platform.call("POST", "/events", as: TestPlatform.first, json: "[\(event("y", detail: bigDetail))]")
        #expect(big.status == 400 && big.text.contains("[0].detail"))
        let many = "[" + (0...500).map { event("e\($0)") }.joined(separator: ",") + "]"
        #expect(try await platform.call("POST", "/events", as: TestPlatform.first, json: many).status == 400)
        let authorization = TestPlatform.authorizations[TestPlatform.first.uuid]!
        let unsigned = try await HTTPAnswer.call(platform.url, "POST", "/events", authorization: authorization, json: "[\(event("z"))]")
        #expect(unsigned.status == 401)
        #expect(try await platform.platform.events.count() == 0)
        #expect(try await platform.call("GET", "/api/events").status == 401)
        #expect(try await platform.call("GET", "/api/events?since=yesterday", bearer: token).status == 400)
    }

    @Test("endpoint-started gives an endpoint that never registered its version and hostname")
    func endpointStarted() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let started = event("s", kind: "endpoint-started", detail: #"{"version": "9.9.9", "hostname": "db-1", "control": "push"}"#)
        #expect(try await platform.call("POST", "/events", as: TestPlatform.first, json: "[\(started)]").status == 200)
        let record = try #require(try await platform.platform.endpoints.endpoint(TestPlatform.first.uuid))
        #expect(record.version == "9.9.9" && record.hostname == "db-1")
    }
}
