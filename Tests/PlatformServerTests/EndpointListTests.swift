import EndpointTestSupport
import Foundation
import PlatformServer
import PlatformStore
import PlatformWire
import Testing

@Suite("GET /api/endpoints: every field, online from a recent request, a held poll or an answered heartbeat")
struct EndpointListTests {
    static let push = (uuid: "8b3f1c60-3e4d-4f50-a192-334455667788", secret: "push-endpoint-secret")

    func listed(_ platform: TestPlatform, _ token: String) async throws -> [String: [String: JSONValue]] {
        let answer = try await platform.call("GET", "/api/endpoints", bearer: token)
        #expect(answer.status == 200)
        let list = try answer.json([[String: JSONValue]].self)
        return Dictionary(uniqueKeysWithValues: list.map { ($0["uuid"]!.string!, $0) })
    }

    @Test("A declared endpoint never heard from: every field present, null when unknown, byte for byte")
    func neverSeen() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("viewer")
        let answer = try await platform.call("GET", "/api/endpoints", bearer: token)
        #expect(
            answer.text
                == "["
                + [TestPlatform.first.uuid, TestPlatform.second.uuid].map {
                    #"{"analyses":null,"control":null,"hostname":null,"labels":{},"lastSeen":null,"online":false,"url":null,"uuid":"\#($0)","version":null}"#
                }.joined(separator: ",") + "]"
        )
    }

    @Test("A pull endpoint is online while a poll of it is held, and from its requests of the last 90 s")
    func pullOnline() async throws {
        let time = MovableClock()
        let platform = try await TestPlatform(clock: time.clock)
        defer { Task { await platform.stop() } }
        let token = try await platform.token("viewer")
        let registration = """
            {"uuid": "\(TestPlatform.second.uuid)", "hostname": "db-1", "labels": {"role": "db"}, "version": "1.2.3",
             "control": "pull", "analyses": ["cpu-profile"]}
            """
        #expect(try await platform.call("PUT", "/endpoints/\(TestPlatform.second.uuid)", as: TestPlatform.second, json: registration).status == 200)
        var endpoints = try await listed(platform, token)
        #expect(endpoints[TestPlatform.second.uuid]?["online"]?.bool == true)
        #expect(endpoints[TestPlatform.second.uuid]?["hostname"]?.string == "db-1")
        #expect(endpoints[TestPlatform.second.uuid]?["version"]?.string == "1.2.3")
        #expect(endpoints[TestPlatform.second.uuid]?["control"]?.string == "pull")
        #expect(endpoints[TestPlatform.second.uuid]?["labels"]?.object?["role"]?.string == "db")
        #expect(endpoints[TestPlatform.second.uuid]?["analyses"]?.array?.first?.string == "cpu-profile")
        #expect(endpoints[TestPlatform.first.uuid]?["online"]?.bool == false)

        // Ten minutes on, requests are old: only a poll held counts.
        time.advance(seconds: 600)
        async let poll = platform.call("GET", "/tasks?endpoint=\(TestPlatform.first.uuid)&wait=2&nonce=abcdefghijklmnop0000", as: TestPlatform.first)
        try await eventually("a poll of the first endpoint is held", timeout: .seconds(5)) {
            platform.platform.taskArrivals.waiting(on: TestPlatform.first.uuid) > 0
        }
        endpoints = try await listed(platform, token)
        #expect(endpoints[TestPlatform.first.uuid]?["online"]?.bool == true)
        #expect(endpoints[TestPlatform.first.uuid]?["lastSeen"]?.string != nil)
        #expect(endpoints[TestPlatform.second.uuid]?["online"]?.bool == false)
        #expect(try await poll.status == 204)
        endpoints = try await listed(platform, token)
        #expect(endpoints[TestPlatform.first.uuid]?["online"]?.bool == false)
    }

    @Test("A push endpoint is online once its /heartbeat answered a signed call, offline 90 s after its last answer")
    func pushHeartbeat() async throws {
        let time = MovableClock()
        let fake = await FakePushEndpoint()
        defer { fake.stop() }
        let platform = try await TestPlatform(
            configure: { $0.endpoints.append(.init(uuid: Self.push.uuid, secret: Self.push.secret, url: fake.url, labels: ["zone": "eu"])) },
            clock: time.clock
        )
        defer { Task { await platform.stop() } }
        let token = try await platform.token("viewer")
        #expect(try await listed(platform, token)[Self.push.uuid]?["online"]?.bool == false)
        let heartbeat = EndpointHeartbeat(platform: platform.platform, client: URLSessionPushClient(timeout: 5), clock: time.clock)
        await heartbeat.beatOnce()
        let calls = fake.received
        #expect(calls.count == 1)
        #expect(calls.first?.authorization?.hasPrefix(Self.push.uuid) == true)
        #expect(calls.first?.signature?.isEmpty == false)
        var endpoint = try #require(try await listed(platform, token)[Self.push.uuid])
        #expect(endpoint["online"]?.bool == true)
        #expect(endpoint["url"]?.string == fake.url)
        #expect(endpoint["labels"]?.object?["zone"]?.string == "eu")
        // The endpoint stops answering 200: its next heartbeats do not count.
        fake.stopAnswering()
        time.advance(seconds: 60)
        await heartbeat.beatOnce()
        #expect(try await listed(platform, token)[Self.push.uuid]?["online"]?.bool == true)
        time.advance(seconds: 31)
        await heartbeat.beatOnce()
        endpoint = try #require(try await listed(platform, token)[Self.push.uuid])
        #expect(endpoint["online"]?.bool == false)
    }

    @Test("DELETE /api/endpoints/{uuid} forgets it (admin); an unknown uuid is 404")
    func forget() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let admin = try await platform.token("admin")
        #expect(try await platform.call("DELETE", "/api/endpoints/\(TestPlatform.second.uuid)", bearer: admin).status == 204)
        #expect(try await listed(platform, admin).keys.sorted() == [TestPlatform.first.uuid])
        let again = try await platform.call("DELETE", "/api/endpoints/\(TestPlatform.second.uuid)", bearer: admin)
        #expect(again.status == 404 && again.text == #"{"error":"no endpoint \#(TestPlatform.second.uuid)"}"#)
    }
}

/// What the tests read of a JSON answer.
extension JSONValue {
    var string: String? { if case .string(let value) = self { value } else { nil } }
    var bool: Bool? { if case .boolean(let value) = self { value } else { nil } }
    var array: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
    var object: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }
}
