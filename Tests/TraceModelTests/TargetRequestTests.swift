import Foundation
import Testing
import TraceModel

@Suite("Start targets: decoding and the rules of each shape")
struct TargetRequestTests {
    static let id = "0123456789abcdef" + String(repeating: "0", count: 48)

    func checked(_ body: String) throws(StartRefusal) -> StartRequest.Checked {
        let request: StartRequest
        do {
            request = try JSONDecoder().decode(StartRequest.self, from: Data(body.utf8))
        } catch {
            Issue.record("\(body) does not decode: \(error)")
            throw .invalidField(FieldError(field: "body", reason: "does not decode"))
        }
        return try request.checked(maxLastingSeconds: 86400, maxEventsPerSecond: 100_000)
    }

    func target(_ json: String) throws(StartRefusal) -> TargetRequest? {
        try checked(#"{"traceT":"BPF","traceId":1,"lasting":5,"target":\#(json)}"#).target
    }

    @Test("No target, or null: the host, as before")
    func noTarget() throws {
        #expect(try checked(#"{"traceT":"BPF","traceId":1,"lasting":5}"#).target == nil)
        #expect(try target("null") == nil)
    }

    @Test(
        "Each accepted shape",
        arguments: [
            (#"{"pid": 1234}"#, TargetRequest.pid(1234)),
            (#"{"container": "\#(id)"}"#, .container(idOrPrefix: id)),
            (#"{"container": "0123456789AB"}"#, .container(idOrPrefix: "0123456789ab")),
            (#"{"pod": "shop-*"}"#, .pod(pod: NameGlob("shop-*"), namespace: nil, container: nil)),
            (
                #"{"pod": "shop-?", "namespace": "prod", "container": "api"}"#,
                .pod(pod: NameGlob("shop-?"), namespace: NameGlob("prod"), container: NameGlob("api"))
            ),
            (#"{"namespace": "kube-system"}"#, .pod(pod: nil, namespace: NameGlob("kube-system"), container: nil)),
            (#"{"cgroup": "/system.slice/docker-\#(id).scope"}"#, .cgroup("/system.slice/docker-\(id).scope")),
            (#"{"cgroup": "/"}"#, .cgroup("/")),
            (#"{"cgroup": "/system.slice/app\\x2dweb.service"}"#, .cgroup(#"/system.slice/app\x2dweb.service"#)),
        ]
    )
    func accepted(json: String, expected: TargetRequest) throws {
        #expect(try target(json) == expected)
    }

    static let shapes =
        #"a target is {"pid": N}, {"container": "<id>"}, {"pod": "<glob>", "namespace": "<glob>", "container": "<glob>"} or {"cgroup": "<path>"}"#
    static let pidRule = "target.pid: must be a process id, a whole number from 1 to 4194304"
    static let containerRule = "target.container: must be a container id: its 64 hexadecimal digits or a unique prefix of at least 12"
    static let globRule = "must be a glob of 1 to 253 characters: letters, digits, '.', '-', '_', and the wildcards '*' and '?'"
    static let cgroupRule =
        #"target.cgroup: must be a normalised absolute path below the cgroup v2 mount, such as /system.slice/docker-<id>.scope (no '.', '..', '//' or trailing '/'; at most 4096 bytes of letters, digits and . _ - @ : + = , \)"#

    @Test(
        "Each refused shape: 400 naming the field, the exact message",
        arguments: [
            (#""1234""#, "target: must be a JSON object; \(shapes)"),
            ("[1]", "target: must be a JSON object; \(shapes)"),
            ("{}", "target: names nothing; \(shapes)"),
            (#"{"pid": 1, "image": "x"}"#, #"target: unknown key "image"; \#(shapes)"#),
            (#"{"pid": 1, "a\u0001b": "x"}"#, "target: unknown key (not shown: long or unusual characters); \(shapes)"),
            (#"{"pid": 1, "container": "\#(id)"}"#, "target: pid and container are two kinds of target; give one. \(shapes)"),
            (#"{"pod": "a", "cgroup": "/a"}"#, "target: pod and cgroup are two kinds of target; give one. \(shapes)"),
            (#"{"pid": 0}"#, pidRule),
            (#"{"pid": -5}"#, pidRule),
            (#"{"pid": 4194305}"#, pidRule),
            (#"{"pid": 1.5}"#, pidRule),
            (#"{"pid": "12"}"#, pidRule),
            (#"{"pid": null}"#, pidRule),
            (#"{"container": "0123456789a"}"#, containerRule),
            (#"{"container": "0123456789ag"}"#, containerRule),
            (#"{"container": "\#(id)0"}"#, containerRule),
            (#"{"container": 12}"#, containerRule),
            (#"{"pod": ""}"#, "target.pod: \(globRule)"),
            (#"{"pod": "a[b]"}"#, "target.pod: \(globRule)"),
            (#"{"pod": "\#(String(repeating: "a", count: 254))"}"#, "target.pod: \(globRule)"),
            (#"{"namespace": "a b"}"#, "target.namespace: \(globRule)"),
            (#"{"pod": "*", "container": "x\"y"}"#, "target.container: \(globRule)"),
            (#"{"cgroup": "system.slice"}"#, cgroupRule),
            (#"{"cgroup": "/system.slice/"}"#, cgroupRule),
            (#"{"cgroup": "/a//b"}"#, cgroupRule),
            (#"{"cgroup": "/a/../b"}"#, cgroupRule),
            (#"{"cgroup": "/a/./b"}"#, cgroupRule),
            (#"{"cgroup": "/a b"}"#, cgroupRule),
            (#"{"cgroup": "/\#(String(repeating: "a", count: 4096))"}"#, cgroupRule),
        ]
    )
    func refused(json: String, message: String) {
        #expect(throws: StartRefusal.self) { try target(json) }
        do {
            _ = try target(json)
        } catch {
            #expect(error.message == message)
            #expect(error.answer == .badRequest)
        }
    }

    @Test("A long cgroup path is shortened in refusals: their messages stay one short sentence")
    func longCgroupShortened() throws {
        let path = "/" + String(repeating: "a", count: 4000)
        let target = try #require(try target(#"{"cgroup": "\#(path)"}"#))
        #expect(target.description == "cgroup /" + String(repeating: "a", count: 255) + "... (4001 bytes)")
        #expect(StartRefusal.targetNotFound("process in \(target.description)").message.utf8.count < 400)
    }

    @Test("As asked: a run view shows the keys the start gave")
    func encodedAsAsked() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func json(_ target: TargetRequest) throws -> String { String(decoding: try encoder.encode(target), as: UTF8.self) }
        #expect(try json(.pid(7)) == #"{"pid":7}"#)
        #expect(try json(.pod(pod: NameGlob("shop-*"), namespace: nil, container: NameGlob("api"))) == #"{"container":"api","pod":"shop-*"}"#)
        #expect(try json(.cgroup("/a/b")) == #"{"cgroup":"/a/b"}"#)
    }
}
