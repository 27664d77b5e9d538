import EndpointTestSupport
import Foundation
import PlatformWire
import Testing

/// `POST /api/sessions` and the other session routes without any endpoint answering:
/// roles, every field's 400 (naming it, storing nothing), 404s, the bound of sessions,
/// and SESSION as the API gives it.
@Suite("Sessions: roles, validation, bounds, the SESSION shape")
struct SessionValidationTests {
    static let template = #"{"process": "/bin/bash", "funtions": ["xmalloc"], "traceType": ["BPF"]}"#

    @Test("Without a token 401; a viewer reads but may not create, run or delete (403); an operator may")
    func roles() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let body = #"{"name": "n", "selector": "role=none", "template": \#(Self.template), "lasting": 5}"#
        #expect(try await platform.createSession(body, token: "").status == 401)
        #expect(try await platform.call("GET", "/api/sessions").status == 401)
        let viewer = try await platform.token("viewer")
        let refused = try await platform.createSession(body, token: viewer)
        #expect(refused.status == 403 && refused.text.contains("needs operator"))
        let operatorToken = try await platform.token("operator")
        let created = try await platform.createSession(body, token: operatorToken)
        #expect(created.status == 201)
        let id = try #require(try created.json(JSONValue.self)["id"]?.text)
        #expect(try await platform.call("GET", "/api/sessions/\(id)", bearer: viewer).status == 200)
        #expect(try await platform.call("GET", "/api/sessions", bearer: viewer).status == 200)
        #expect(try await platform.order(id, run: true, token: viewer).status == 403)
        #expect(try await platform.call("DELETE", "/api/sessions/\(id)", bearer: viewer).status == 403)
        #expect(try await platform.call("GET", "/api/containers", bearer: "").status == 401)
        #expect(try await platform.call("DELETE", "/api/sessions/\(id)", bearer: operatorToken).status == 204)
        #expect(try await platform.call("GET", "/api/sessions/\(id)", bearer: viewer).status == 404)
    }

    @Test(
        "Each bad field is a 400 naming it, and no session is stored",
        arguments: [
            (#"{"selector": "", "template": \#(template), "lasting": 5}"#, "name: expected text"),
            (#"{"name": "", "template": \#(template), "lasting": 5}"#, "name: expected text"),
            (#"{"name": "n", "selector": "role", "template": \#(template), "lasting": 5}"#, "selector: role is not key=value"),
            (#"{"name": "n", "selector": 3, "template": \#(template), "lasting": 5}"#, "selector: expected text"),
            (#"{"name": "n", "lasting": 5}"#, "template, analysis: give exactly one of them"),
            (#"{"name": "n", "template": \#(template), "analysis": {"name": "exec"}, "lasting": 5}"#, "template, analysis: give exactly one"),
            (#"{"name": "n", "template": \#(template), "lasting": 0}"#, "lasting: expected whole seconds from 1 to 86400"),
            (#"{"name": "n", "template": \#(template), "lasting": 86401}"#, "lasting: expected whole seconds from 1 to 86400"),
            (#"{"name": "n", "template": \#(template), "lasting": 1.5}"#, "lasting: expected whole seconds"),
            (#"{"name": "n", "template": \#(template)}"#, "lasting: expected whole seconds"),
            (
                #"{"name": "n", "template": \#(template), "lasting": 5, "context": "\#(String(repeating: "c", count: 4097))"}"#,
                "context: expected text of at most 4096 bytes"
            ),
            (#"{"name": "n", "template": \#(template), "lasting": 5, "traceT": "DTRACE"}"#, "traceT: expected one of BPF, STAP"),
            (#"{"name": "n", "template": \#(template), "lasting": 5, "traceT": "STAP"}"#, "traceT: STAP is not in the template's traceType"),
            (#"{"name": "n", "template": {"process": "/bin/bash"}, "lasting": 5}"#, "template: expected a TEMPLATE"),
            (#"{"name": "n", "template": {"process": "bash", "functions": ["f"], "traceType": ["BPF"]}, "lasting": 5}"#, "template.process:"),
            (
                #"{"name": "n", "template": {"process": "/bin/bash", "functions": ["a b"], "traceType": ["BPF"]}, "lasting": 5}"#,
                "template.functions[0]:"
            ),
            (#"{"name": "n", "template": {"process": "/bin/bash", "functions": ["f"], "traceType": ["X"]}, "lasting": 5}"#, "template.traceType[0]:"),
            (#"{"name": "n", "analysis": {"name": "no-such"}, "lasting": 5}"#, "analysis.name: no analysis no-such ("),
            (
                #"{"name": "n", "analysis": {"name": "syscalls", "parameters": {"interval": 0}}, "lasting": 5}"#,
                "analysis.parameters.interval: must be from"
            ),
            (#"{"name": "n", "analysis": {"name": "syscalls", "parameters": 3}, "lasting": 5}"#, "analysis.parameters: expected an object"),
            (#"{"name": "n", "analysis": {"name": "exec"}, "traceT": "STAP", "lasting": 5}"#, "traceT: analyses run with BPF"),
            (#"{"name": "n", "template": \#(template), "lasting": 5, "target": {"pid": 0}}"#, "target.pid: must be a process id"),
            (#"{"name": "n", "template": \#(template), "lasting": 5, "target": {"pid": 1, "cgroup": "/a"}}"#, "target: pid and cgroup are two kinds"),
            (#"{"name": "n", "template": \#(template), "lasting": 5, "target": {"container": "xyz"}}"#, "target.container: must be a container id"),
            (#"{"name": "n", "template": \#(template), "lasting": 5, "target": {"container": "web"}}"#, "target.container: must be a container id"),
            (#"{"name": "n", "template": \#(template), "lasting": 5, "target": "pod"}"#, "target: must be a JSON object"),
            (#"{"name": "n", "template": \#(template), "lasting": 5, "target": {"pod": "shop-$"}}"#, "target.pod: must be a glob"),
            (#"[1]"#, "expected a JSON object"),
            (#"{"name": "n", "#, "The given data was not valid JSON."),
        ]
    )
    func badFields(_ body: String, _ message: String) async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("operator")
        let answer = try await platform.createSession(body, token: token)
        #expect(answer.status == 400)
        let error = try answer.json(JSONValue.self)["error"]?.text ?? ""
        #expect(error.hasPrefix(message), "\(error)")
        #expect(try await platform.call("GET", "/api/sessions", bearer: token).text == "[]")
    }

    @Test("A new session is 201 with SESSION: the template as the endpoint stores it, not running, no endpoints yet")
    func created() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("operator", name: "olga")
        let answer = try await platform.createSession(
            #"{"name": "bash allocations", "selector": "zone=eu-1, role=db", "template": \#(Self.template), "lasting": 30, "target": {"pod": "shop-*"}, "context": "why it runs"}"#,
            token: token
        )
        #expect(answer.status == 201)
        let session = try answer.json(JSONValue.self)
        let id = try #require(session["id"]?.text)
        let created = try #require(session["created"]?.text)
        #expect(
            answer.text
                == #"{"context":"why it runs","created":"\#(created)","createdBy":"olga","endpoints":[],"id":"\#(id)","lasting":30,"name":"bash allocations","running":false,"selector":"role=db,zone=eu-1","target":{"pod":"shop-*"},"template":{"environment":[],"functions":["xmalloc"],"options":[],"process":"/bin/bash","traceType":["BPF"],"value":[]},"traceT":"BPF"}"#
        )
        #expect(try await platform.call("GET", "/api/sessions/\(id)", bearer: token).text == answer.text)
        #expect(try await platform.call("GET", "/api/sessions", bearer: token).text == "[\(answer.text)]")
        let analysis = try await platform.createSession(#"{"name": "a", "analysis": {"name": "exec"}, "lasting": 2}"#, token: token)
        #expect(analysis.status == 201)
        let analysisSession = try analysis.json(JSONValue.self)
        #expect(analysisSession["analysis"] == .object(["name": .string("exec"), "parameters": .object([:])]))
        #expect(analysisSession["template"] == nil && analysisSession["target"] == .null && analysisSession["context"] == .string(""))
    }

    @Test("Unknown ids are 404 for every route; a body without run is 400 and changes nothing")
    func unknown() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let token = try await platform.token("operator")
        for id in ["0123456789abcdef", "not-an-id", String(repeating: "a", count: 100)] {
            #expect(try await platform.call("GET", "/api/sessions/\(id)", bearer: token).status == 404)
            #expect(try await platform.order(id, run: true, token: token).status == 404)
            #expect(try await platform.call("DELETE", "/api/sessions/\(id)", bearer: token).status == 404)
        }
        let created = try await platform.createSession(#"{"name": "n", "template": \#(Self.template), "lasting": 5}"#, token: token)
        let id = try #require(try created.json(JSONValue.self)["id"]?.text)
        let refused = try await platform.call("PUT", "/api/sessions/\(id)", bearer: token, json: #"{"run": "yes"}"#)
        #expect(refused.status == 400 && refused.text == #"{"error":"run: expected true or false"}"#)
        #expect(try await platform.session(id, token: token)["running"] == .boolean(false))
    }

    @Test("max-sessions bounds the sessions kept: one more is 409 until one is deleted")
    func bound() async throws {
        let platform = try await TestPlatform { $0.maxSessions = 2 }
        defer { Task { await platform.stop() } }
        let token = try await platform.token("operator")
        let body = #"{"name": "n", "template": \#(Self.template), "lasting": 5}"#
        let first = try await platform.createSession(body, token: token)
        #expect(try await platform.createSession(body, token: token).status == 201)
        let refused = try await platform.createSession(body, token: token)
        #expect(refused.status == 409 && refused.text.contains("max-sessions"))
        let id = try #require(try first.json(JSONValue.self)["id"]?.text)
        #expect(try await platform.call("DELETE", "/api/sessions/\(id)", bearer: token).status == 204)
        #expect(try await platform.createSession(body, token: token).status == 201)
    }
}
