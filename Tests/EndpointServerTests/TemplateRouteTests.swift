import EndpointTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Template routes: PUT /trace, GET /traces, POST /trace/remove")
struct TemplateRouteTests {
    static let bashTemplate = #"{"process":"/bin/bash","functions":["xmalloc","xfree"],"environment":[],"value":[],"options":[],"traceType":["BPF"]}"#
    static let bashStored =
        #"{"binary":\#(BinaryFacts.bash.json),"info":{"environment":[],"functions":["xmalloc","xfree"],"options":[],"process":"/bin/bash","traceType":["BPF"],"value":[]},"traceNo":1}"#

    /// Runs `body` against a fresh endpoint holding one stored template, then checks
    /// that the store still holds exactly that template.
    func withOneTemplate(lambda: [String: String] = [:], _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let endpoint = try TestEndpoint(lambda: lambda)
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/trace", method: .put, headers: TestEndpoint.jsonHeaders, body: Self.bashTemplate.buffer) { response in
                #expect(response.status == .ok)
            }
            try await body(client)
            try await client.execute(uri: "/traces", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(response.text == "[\(Self.bashStored)]", "the store changed")
            }
        }
    }

    @Test("PUT /trace stores a template and answers it with its number; GET /traces lists it")
    func storeAndList() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/trace", method: .put, headers: TestEndpoint.jsonHeaders, body: Self.bashTemplate.buffer) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(response.text == Self.bashStored)
            }
            // The seed's spelling `funtions`, missing lists, unknown fields, a charset parameter.
            let second = #"{"process":"/bin/bash","funtions":["xmalloc"],"traceType":["STAP","BPF"],"options":["-v"],"comment":"ignored"}"#
            try await client.execute(
                uri: "/trace",
                method: .put,
                headers: [.authorization: TestEndpoint.authorization, .contentType: "application/json; charset=utf-8"],
                body: second.buffer
            ) { response in
                #expect(response.status == .ok)
                #expect(
                    response.text
                        == #"{"binary":\#(BinaryFacts.bash.json),"info":{"environment":[],"functions":["xmalloc"],"options":["-v"],"process":"/bin/bash","traceType":["STAP","BPF"],"value":[]},"traceNo":2}"#
                )
            }
            try await client.execute(uri: "/traces", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(response.status == .ok)
                #expect(
                    response.text
                        == "[\(Self.bashStored),{\"binary\":\(BinaryFacts.bash.json),\"info\":{\"environment\":[],\"functions\":[\"xmalloc\"],\"options\":[\"-v\"],\"process\":\"/bin/bash\",\"traceType\":[\"STAP\",\"BPF\"],\"value\":[]},\"traceNo\":2}]"
                )
            }
        }
    }

    @Test("Each template rule, over HTTP: 400 naming the field, store unchanged", arguments: TemplateRuleCase.all)
    func ruleOverHTTP(_ rule: TemplateRuleCase) async throws {
        let body = try json(rule.template)
        try await withOneTemplate { client in
            try await client.execute(uri: "/trace", method: .put, headers: TestEndpoint.jsonHeaders, body: body.buffer) { response in
                #expect(response.status == .badRequest)
                #expect(response.text == errorBody("\(rule.field): \(rule.reason)"))
            }
        }
    }

    @Test(
        "Malformed bodies: 400 naming the field, store unchanged",
        arguments: [
            ("{\"process\"", "body is not valid JSON"),
            ("", "body is not valid JSON"),
            ("[]", "body: expected a JSON object"),
            (#"{"functions":["xmalloc"],"traceType":["BPF"]}"#, "process: is required"),
            (#"{"process":"/bin/bash","traceType":["BPF"]}"#, "functions: is required"),
            (#"{"process":"/bin/bash","functions":["xmalloc"]}"#, "traceType: is required"),
            (#"{"process":1,"functions":["xmalloc"],"traceType":["BPF"]}"#, "process: expected a string"),
            (#"{"process":null,"functions":["xmalloc"],"traceType":["BPF"]}"#, "process: must not be null (expected a string)"),
            (#"{"process":"/bin/bash","functions":"xmalloc","traceType":["BPF"]}"#, "functions: expected a list"),
            (#"{"process":"/bin/bash","functions":["xmalloc",7],"traceType":["BPF"]}"#, "functions[1]: expected a string"),
            (#"{"process":"/bin/bash","functions":["xmalloc"],"traceType":"BPF"}"#, "traceType: expected a list"),
            (#"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"],"options":{"a":1}}"#, "options: expected a list"),
            (
                #"{"process":"/bin/bash","functions":["a"],"funtions":["b"],"traceType":["BPF"]}"#,
                "functions: 'functions' and 'funtions' are both given and differ; send one of them"
            ),
            (#"{"process":"/bin/bash","functions":["xmalloc"],"traceType":null}"#, "traceType: must not be null (expected a list)"),
            (#"{"process":"/bin/bash","functions":null,"traceType":["BPF"]}"#, "functions: is required"),
        ]
    )
    func malformedBody(_ body: String, _ message: String) async throws {
        try await withOneTemplate { client in
            try await client.execute(uri: "/trace", method: .put, headers: TestEndpoint.jsonHeaders, body: body.buffer) { response in
                #expect(response.status == .badRequest)
                #expect(response.text == errorBody(message))
            }
        }
    }

    @Test("A body that is not declared JSON: 415, store unchanged")
    func wrongContentType() async throws {
        try await withOneTemplate { client in
            for (contentType, shown) in [
                ("text/plain", "'text/plain'"), ("application/x-www-form-urlencoded", "'application/x-www-form-urlencoded'"), (nil, "none"),
            ] as [(String?, String)] {
                var headers = TestEndpoint.authHeaders
                if let contentType { headers[.contentType] = contentType }
                for (uri, method) in [("/trace", HTTPRequest.Method.put), ("/trace/remove", .post)] {
                    try await client.execute(uri: uri, method: method, headers: headers, body: Self.bashTemplate.buffer) { response in
                        #expect(response.status == .unsupportedMediaType)
                        #expect(response.text == errorBody("Content-Type must be application/json (got \(shown))"))
                    }
                }
            }
        }
    }

    @Test("A body over 1 MiB: 413, store unchanged")
    func tooLarge() async throws {
        let padding = String(repeating: "x", count: 1 << 20)
        let body = #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"],"padding":"\#(padding)"}"#
        try await withOneTemplate { client in
            for (uri, method) in [("/trace", HTTPRequest.Method.put), ("/trace/remove", .post)] {
                try await client.execute(uri: uri, method: method, headers: TestEndpoint.jsonHeaders, body: body.buffer) { response in
                    #expect(response.status == .contentTooLarge)
                    #expect(response.text == errorBody("request body is larger than 1048576 bytes (max-body-bytes)"))
                }
            }
        }
    }

    /// `body` padded with an ignored field to exactly `size` bytes.
    static func padded(_ body: String, to size: Int) -> String {
        let bare = String(body.dropLast()) + #","padding":""}"#
        return String(body.dropLast()) + #","padding":""# + String(repeating: "x", count: size - bare.utf8.count) + #""}"#
    }

    @Test("max-body-bytes: a body of exactly the limit is read, one byte more is 413 on every route with a body")
    func bodyLimitSetting() async throws {
        try await withOneTemplate(lambda: ["max-body-bytes": "2048"]) { client in
            let routes: [(String, HTTPRequest.Method, String)] = [
                ("/trace", .put, Self.bashTemplate), ("/trace/remove", .post, #"{"removeType":"BPF","removeId":1}"#),
                ("/trace/start", .post, #"{"traceT":"BPF","traceId":1,"lasting":5}"#), ("/trace/kill", .post, #"{"killPath":"/tmp/x.trace"}"#),
            ]
            for (uri, method, body) in routes {
                let over = Self.padded(body, to: 2049)
                #expect(over.utf8.count == 2049)
                try await client.execute(uri: uri, method: method, headers: TestEndpoint.jsonHeaders, body: over.buffer) { response in
                    #expect(response.status == .contentTooLarge, "\(uri)")
                    #expect(response.text == errorBody("request body is larger than 2048 bytes (max-body-bytes)"))
                }
            }
            // The same template at exactly the limit is stored (and removed again, so the
            // store ends as it began).
            try await client.execute(
                uri: "/trace",
                method: .put,
                headers: TestEndpoint.jsonHeaders,
                body: Self.padded(Self.bashTemplate, to: 2048).buffer
            ) { response in
                #expect(response.status == .ok)
                #expect(response.text.hasSuffix(#""traceNo":2}"#))
            }
            try await client.execute(
                uri: "/trace/remove",
                method: .post,
                headers: TestEndpoint.jsonHeaders,
                body: #"{"removeType":"BPF","removeId":2}"#.buffer
            ) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test(
        "Remove requests that match nothing or are malformed change nothing",
        arguments: [
            (#"{"removeType":"STAP","removeId":1}"#, HTTPResponse.Status.notFound, "no template 1 with tracer STAP"),
            (#"{"removeType":"BPF","removeId":2}"#, .notFound, "no template 2 with tracer BPF"),
            (#"{"removeType":"DTRACE","removeId":1}"#, .badRequest, "removeType: 'DTRACE' is not a tracer type; expected one of BPF, STAP"),
            (#"{"removeType":"BPF","removeId":0}"#, .badRequest, "removeId: must be a template number (1 or more), got 0"),
            (#"{"removeType":"BPF","removeId":"1"}"#, .badRequest, "removeId: expected a whole number"),
            (#"{"removeType":"BPF","removeId":1.5}"#, .badRequest, "removeId: expected a whole number"),
            (#"{"removeType":"BPF","removeId":1e30}"#, .badRequest, "removeId: expected a whole number"),
            (#"{"removeType":"BPF","removeId":null}"#, .badRequest, "removeId: must not be null (expected a whole number)"),
            (#"{"removeType":"BPF"}"#, .badRequest, "removeId: is required"),
            (#"{"removeId":1}"#, .badRequest, "removeType: is required"),
            ("nonsense", .badRequest, "body is not valid JSON"),
        ]
    )
    func removeRefused(_ body: String, _ status: HTTPResponse.Status, _ message: String) async throws {
        try await withOneTemplate { client in
            try await client.execute(uri: "/trace/remove", method: .post, headers: TestEndpoint.jsonHeaders, body: body.buffer) { response in
                #expect(response.status == status)
                #expect(response.text == errorBody(message))
            }
        }
    }

    @Test("POST /trace/remove withdraws one tracer; the template goes with its last one")
    func remove() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        let both = #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF","STAP"]}"#
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/trace", method: .put, headers: TestEndpoint.jsonHeaders, body: both.buffer) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/trace/remove",
                method: .post,
                headers: TestEndpoint.jsonHeaders,
                body: #"{"removeType":"BPF","removeId":1}"#.buffer
            ) { response in
                #expect(response.status == .ok)
                #expect(response.text == #"{"removeType":"BPF","status":"removed","templateDeleted":false,"traceNo":1}"#)
            }
            try await client.execute(uri: "/traces", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(
                    response.text
                        == #"[{"binary":\#(BinaryFacts.bash.json),"info":{"environment":[],"functions":["xmalloc"],"options":[],"process":"/bin/bash","traceType":["STAP"],"value":[]},"traceNo":1}]"#
                )
            }
            try await client.execute(
                uri: "/trace/remove",
                method: .post,
                headers: TestEndpoint.jsonHeaders,
                body: #"{"removeType":"STAP","removeId":1}"#.buffer
            ) { response in
                #expect(response.status == .ok)
                #expect(response.text == #"{"removeType":"STAP","status":"removed","templateDeleted":true,"traceNo":1}"#)
            }
            try await client.execute(uri: "/traces", method: .get, headers: TestEndpoint.authHeaders) { #expect($0.text == "[]") }
            // A new template gets a new number, never a removed one's.
            try await client.execute(uri: "/trace", method: .put, headers: TestEndpoint.jsonHeaders, body: both.buffer) { response in
                #expect(response.text.hasSuffix(#""traceNo":2}"#))
            }
        }
    }

    @Test("Abuse limits: a full template store answers 409 and stores nothing; too many functions 400")
    func templateLimits() async throws {
        let endpoint = try TestEndpoint(lambda: ["max-templates": "1", "max-functions-per-template": "2"])
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/trace", method: .put, headers: TestEndpoint.jsonHeaders, body: Self.bashTemplate.buffer) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/trace", method: .put, headers: TestEndpoint.jsonHeaders, body: Self.bashTemplate.buffer) { response in
                #expect(response.status == .conflict)
                #expect(
                    response.text == errorBody("the endpoint already stores 1 templates (max-templates); remove some with POST /trace/remove first")
                )
            }
            let three = #"{"process":"/bin/bash","functions":["xmalloc","xfree","main"],"traceType":["BPF"]}"#
            try await client.execute(uri: "/trace", method: .put, headers: TestEndpoint.jsonHeaders, body: three.buffer) { response in
                #expect(response.status == .badRequest)
                #expect(response.text == errorBody("functions: lists 3 functions; at most 2 are allowed"))
            }
            try await client.execute(uri: "/traces", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(response.text == "[\(Self.bashStored)]")
            }
            let remove = #"{"removeType":"BPF","removeId":1}"#
            try await client.execute(uri: "/trace/remove", method: .post, headers: TestEndpoint.jsonHeaders, body: remove.buffer) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/trace", method: .put, headers: TestEndpoint.jsonHeaders, body: Self.bashTemplate.buffer) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains(#""traceNo":2"#))
            }
        }
    }
}
