import EndpointTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Heartbeat, authentication and error shape")
struct HeartbeatAndAuthRouteTests {
    @Test("GET /heartbeat needs no header and answers alive with the current UTC time")
    func heartbeat() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/heartbeat", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                struct Heartbeat: Decodable {
                    let status: String
                    let time: String
                }
                let beat = try JSONDecoder().decode(Heartbeat.self, from: Data(buffer: response.body))
                #expect(beat.status == "alive")
                #expect(beat.time.hasSuffix("Z"))
                let time = try Date(beat.time, strategy: .iso8601)
                #expect(abs(time.timeIntervalSinceNow) < 5)
                #expect(response.text == #"{"status":"alive","time":"\#(beat.time)"}"#)
            }
        }
    }

    @Test("Every other route answers 401 with a JSON error without a valid header")
    func unauthenticated() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        let wrongSecret =
            TestConfigDirectory.endpointUUID + "$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0MQ$zGgwmYUpTi4VqU7YUyZYzc+ug4kHRYbNX2zz5PQEsMI"
        let wrongUUID = "00000000-0000-4000-8000-000000000000" + TestEndpoint.authorization.dropFirst(36)
        let headers: [(HTTPFields, String)] = [
            ([:], "missing Authorization header"),
            ([.authorization: "garbage"], "malformed Authorization header: expected <endpoint-uuid><argon2 encoded hash>"),
            // The same text for both: it must not tell a guessed uuid is this endpoint's.
            ([.authorization: wrongUUID], "Authorization header does not verify for this endpoint (wrong endpoint uuid or secret)"),
            ([.authorization: wrongSecret], "Authorization header does not verify for this endpoint (wrong endpoint uuid or secret)"),
        ]
        let routes: [(String, HTTPRequest.Method)] = [("/traces", .get), ("/trace", .put), ("/trace/remove", .post)]
        try await endpoint.application().test(.router) { client in
            for (uri, method) in routes {
                for (header, reason) in headers {
                    var fields = header
                    fields[.contentType] = "application/json"
                    try await client.execute(
                        uri: uri,
                        method: method,
                        headers: fields,
                        body: #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#.buffer
                    ) { response in
                        #expect(response.status == .unauthorized)
                        #expect(response.text == errorBody(reason))
                    }
                }
            }
            // Nothing was stored by the refused PUTs.
            try await client.execute(uri: "/traces", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(response.text == "[]")
            }
        }
    }

    @Test("argon2i and argon2id headers made by the argon2 CLI are both accepted")
    func acceptedVariants() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            for header in [TestEndpoint.authorization, TestEndpoint.authorizationID] {
                try await client.execute(uri: "/traces", method: .get, headers: [.authorization: header]) { response in
                    #expect(response.status == .ok)
                    #expect(response.text == "[]")
                }
            }
        }
    }

    @Test("A header asking for more argon2 memory than the cap is refused")
    func overCap() async throws {
        let endpoint = try TestEndpoint(lambda: ["auth-max-argon2-memory-kib": "1024"])
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/traces", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(response.status == .unauthorized)
                #expect(response.text == errorBody("Authorization hash refused: m=4096 exceeds this endpoint's limit of 1024 KiB"))
            }
        }
    }

    @Test("Unknown routes answer 404, a known route with another method 405 with Allow, in the same JSON shape")
    func unknownRoute() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.text == errorBody("no route GET /nowhere"))
            }
            try await client.execute(uri: "/traces", method: .delete, headers: TestEndpoint.authHeaders) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD")
                #expect(response.text == errorBody("method DELETE is not allowed on /traces; allowed: GET, HEAD"))
            }
            // No authentication needed to learn a route's methods (the route list is public).
            try await client.execute(uri: "/trace", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "PUT")
            }
        }
    }

    @Test("HEAD on a GET route: the GET's status and headers without a body, authenticated like the GET")
    func headRequests() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/heartbeat", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/traces", method: .head) { response in
                #expect(response.status == .unauthorized)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/traces", method: .head, headers: TestEndpoint.authHeaders) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/trace", method: .head, headers: TestEndpoint.authHeaders) { response in
                #expect(response.status == .methodNotAllowed, "PUT /trace has no HEAD")
                #expect(response.headers[.allow] == "PUT")
            }
        }
    }
}
