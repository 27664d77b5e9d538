import Authentication
import EndpointTestSupport
import Foundation
import PlatformWire
import Testing

/// `Lambda-Signature` through the real daemon (README, "Security notes": signatures): poll
/// answers obeyed only when signed for that very poll, incoming signatures verified (and
/// required when configured), replays refused, and a pull endpoint's port serving
/// `/heartbeat` alone. That the endpoint signs everything it sends is checked by every
/// test that talks to the stand-in platform, which refuses unsigned endpoint requests.
@Suite("Signatures: poll answers, incoming requests, a pull endpoint's port", .serialized)
struct SignatureTests {
    static let template = JSONValue.object([
        "process": .string("/bin/bash"), "functions": .array([.string("xmalloc")]), "traceType": .array([.string("BPF")]),
    ])

    /// A fake platform answering every poll with one task storing `template` (id
    /// `<idPrefix>-<poll number>`), signed or not per `mode`, and a `control: both` endpoint
    /// polling it (its port stays open, so the test can see what ran). The caller stops the fake.
    func endpointPolling(_ mode: HostilePlatformFake.Mode, idPrefix: String) async throws -> (HostilePlatformFake, EndpointProcess) {
        let fake = try await HostilePlatformFake(mode: mode, identity: PullEndpoints.db) { poll in
            PlatformTask(id: "\(idPrefix)-\(poll)", method: "PUT", path: "/trace", body: Self.template)
        }
        let settings = PullEndpoints.db.settings(platformURL: fake.url, control: "both", pollWait: 1)
        do {
            return (fake, try EndpointProcess(platformURL: fake.url, lambda: settings))
        } catch {
            fake.stop()
            throw error
        }
    }

    func storedTemplates(_ endpoint: EndpointProcess) async throws -> Int {
        let answer = try await endpoint.request("GET", "/traces")
        guard answer.status == 200 else { throw MissingValue() }
        return try answer.decoded(as: [JSONValue].self).count
    }

    @Test("A poll answer signed for that very poll runs its task (the control case)")
    func signedAnswerRuns() async throws {
        let (fake, endpoint) = try await endpointPolling(.signedForThisPoll, idPrefix: "signed")
        defer { fake.stop() }
        try await eventually("a task's result arrives", timeout: .seconds(20)) { fake.results.contains("signed-1") }
        #expect(try await storedTemplates(endpoint) >= 1)
    }

    @Test("An answer carrying the poll's own Authorization and Lambda-Signature runs nothing, and the endpoint logs it")
    func copiedHeadersRunNothing() async throws {
        let (fake, endpoint) = try await endpointPolling(.copiesPollHeaders, idPrefix: "copied")
        defer { fake.stop() }
        try await eventually("three polls answered", timeout: .seconds(30)) { fake.polls >= 3 }
        try await eventually("the endpoint logs the ignored answers") {
            endpoint.process.standardError.contains("Ignored a poll answer not signed for this poll")
        }
        #expect(fake.results.isEmpty, "no task ran: \(fake.results)")
        #expect(try await storedTemplates(endpoint) == 0)
    }

    @Test("A signed answer replayed to later polls runs once: the replays are ignored and logged")
    func replayedAnswerRunsOnce() async throws {
        let (fake, endpoint) = try await endpointPolling(.replaysFirstAnswer, idPrefix: "replayed")
        defer { fake.stop() }
        try await eventually("four polls answered", timeout: .seconds(30)) { fake.polls >= 4 }
        try await eventually("the endpoint logs the replays") {
            endpoint.process.standardError.components(separatedBy: "Ignored a poll answer not signed for this poll").count >= 3
        }
        // Obeyed, a replay would send its recorded result again: one arrival means one obeyed answer.
        #expect(fake.results == ["replayed-1"])
        #expect(try await storedTemplates(endpoint) == 1)
    }

    @Test("An unsigned answer runs nothing")
    func unsignedAnswerRunsNothing() async throws {
        let (fake, endpoint) = try await endpointPolling(.unsigned, idPrefix: "unsigned")
        defer { fake.stop() }
        try await eventually("three polls answered", timeout: .seconds(30)) { fake.polls >= 3 }
        try await eventually("the endpoint logs the ignored answers") {
            endpoint.process.standardError.contains("missing Lambda-Signature header")
        }
        #expect(fake.results.isEmpty)
        #expect(try await storedTemplates(endpoint) == 0)
    }

    /// `Lambda-Signature` for a request to `endpoint`, signed with its test secret.
    func signature(
        _ method: String,
        _ path: String,
        body: String = "",
        secret: String = TestConfigDirectory.secret,
        time: Int64 = Int64(Date().timeIntervalSince1970),
        nonce: String = LambdaSignature.makeNonce()
    ) -> [String: String] {
        let signer = MessageSigner(uuid: TestConfigDirectory.endpointUUID, secret: secret)
        return [
            LambdaSignature.headerName: signer.sign(.request, method: method, pathAndQuery: path, body: Data(body.utf8), nonce: nonce, time: time)
                .headerValue
        ]
    }

    @Test("Incoming: a good signature passes; a wrong key, another body, another path, a skewed clock, a malformed value and a replay are 401")
    func incomingVerifiedWhenPresent() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let template = #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#
        #expect(try await endpoint.request("GET", "/traces").status == 200, "unsigned is still fine by default")
        let good = signature("GET", "/traces")
        #expect(try await endpoint.request("GET", "/traces", headers: good).status == 200)
        let replay = try await endpoint.request("GET", "/traces", headers: good)
        #expect(replay.status == 401 && replay.body.contains("already used"), "\(replay.body)")
        let wrongKey = try await endpoint.request("GET", "/traces", headers: signature("GET", "/traces", secret: "not-the-secret"))
        #expect(wrongKey.status == 401 && wrongKey.body.contains("does not verify"), "\(wrongKey.body)")
        let otherBody = try await endpoint.request("PUT", "/trace", json: template, headers: signature("PUT", "/trace", body: "{}"))
        #expect(otherBody.status == 401)
        let otherPath = try await endpoint.request("GET", "/traces", headers: signature("GET", "/containers"))
        #expect(otherPath.status == 401)
        let skewed = try await endpoint.request(
            "GET",
            "/traces",
            headers: signature("GET", "/traces", time: Int64(Date().timeIntervalSince1970) - 400)
        )
        #expect(skewed.status == 401 && skewed.body.contains("300 s"), "\(skewed.body)")
        let malformed = try await endpoint.request("GET", "/traces", headers: [LambdaSignature.headerName: "t=1, n=short, s=00"])
        #expect(malformed.status == 401 && malformed.body.contains("malformed Lambda-Signature"), "\(malformed.body)")
        #expect(try await endpoint.request("GET", "/traces").body == "[]", "nothing refused was stored")
        let stored = try await endpoint.request("PUT", "/trace", json: template, headers: signature("PUT", "/trace", body: template))
        #expect(stored.status == 200, "\(stored.body)")
        for answer in [replay, wrongKey, otherBody, otherPath, skewed, malformed] {
            #expect(!answer.body.contains(TestConfigDirectory.secret))
        }
    }

    @Test("require-signed-requests: true refuses an unsigned request (401) and takes a signed one")
    func requiredWhenConfigured() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["require-signed-requests": "true"])
        let unsigned = try await endpoint.request("GET", "/traces")
        #expect(unsigned.status == 401 && unsigned.body.contains("require-signed-requests"), "\(unsigned.body)")
        #expect(try await endpoint.request("GET", "/traces", headers: signature("GET", "/traces")).status == 200)
        #expect(try await endpoint.request("GET", "/heartbeat").status == 200, "/heartbeat stays open")
    }

    @Test("control: pull serves /heartbeat alone: every other route is 404 on its port, with or without credentials")
    func pullPortServesHeartbeatOnly() async throws {
        let platform = try await LiveStandInPlatform()
        defer { platform.stop() }
        let endpoint = try EndpointProcess(platform: platform, identity: PullEndpoints.db)
        #expect(try await endpoint.request("GET", "/heartbeat").status == 200)
        for (method, path) in [
            ("GET", "/traces"), ("PUT", "/trace"), ("POST", "/trace/start"), ("GET", "/metrics"), ("GET", "/containers"), ("GET", "/analyses"),
        ] {
            let answer = try await endpoint.request(method, path, json: method == "GET" ? nil : "{}")
            #expect(answer.status == 404, "\(method) \(path): \(answer.status) \(answer.body)")
        }
        // Its tasks still run through every route.
        #expect(try await platform.ask(PullEndpoints.db.uuid, "/traces").status == 200)
    }
}
