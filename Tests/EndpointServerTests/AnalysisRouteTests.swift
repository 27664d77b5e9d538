import EndpointTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TraceModel

@Suite("GET /analyses")
struct AnalysisRouteTests {
    func analyses(_ endpoint: TestEndpoint, _ mode: HummingbirdTesting.TestingSetup = .router) async throws -> [AnalysisAnswer] {
        try await endpoint.application().test(mode) { client in
            try await client.execute(uri: "/analyses", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                return try APIResponse.decode([AnalysisAnswer].self, from: Data(buffer: response.body))
            }
        }
    }

    @Test("Over real HTTP: the whole catalogue in its order, as this host offers it, with every parameter described")
    func catalogue() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        let answers = try await analyses(endpoint, .live)
        #expect(answers.map(\.name) == AnalysisCatalogue.names)
        for answer in answers {
            #expect(answer.tracer == "BPF")
            #expect(!answer.description.isEmpty && !answer.output.isEmpty)
            #expect(answer.available == (answer.unavailable == nil), "\(answer.name): unavailable exactly when not available")
            if answer.requires.kprobes {
                // This machine's kernel has none (docs/targets-and-analyses.md, "Analyses").
                #expect(!answer.available && answer.unavailable?.hasPrefix("this kernel has no kprobes") == true, "\(answer.name)")
            } else {
                #expect(answer.available, "\(answer.name): \(answer.unavailable ?? "")")
            }
            for parameter in answer.parameters {
                #expect(parameter.required == (parameter.default == nil))
                #expect((parameter.type == .integer) == (parameter.minimum != nil && parameter.maximum != nil))
                #expect((parameter.type == .enum) == (parameter.values != nil))
            }
        }
        let profile = try #require(answers.first { $0.name == "cpu-profile" })
        let frequency = try #require(profile.parameters.first { $0.name == "frequency" })
        #expect(frequency.type == .integer && frequency.default == .integer(49) && frequency.minimum == 1 && frequency.maximum == 1000)
        #expect(profile.requires.perfEvents && profile.requires.tracepoints.isEmpty)
        let tcp = try #require(answers.first { $0.name == "tcp" })
        #expect(tcp.parameters.first?.values == ["all", "ipv4", "ipv6"] && tcp.parameters.first?.default == .text("all"))
        #expect(tcp.requires.tracepoints == ["sock:inet_sock_set_state"])
        let latency = try #require(answers.first { $0.name == "function-latency" })
        #expect(latency.parameters.filter(\.required).map(\.name) == ["process", "function"])
        #expect(latency.parameters.first { $0.name == "per-process" }?.default == .boolean(false))
    }

    @Test("A tracefs-path lacking a tracepoint makes its analysis unavailable, with the reason")
    func missingTracepoint() async throws {
        let tracefs = FileManager.default.temporaryDirectory.appendingPathComponent("tracefs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: tracefs) }
        for tracepoint in Set(AnalysisCatalogue.all.flatMap(\.requirements.tracepoints)) where tracepoint.name != "sched_process_exec" {
            try FileManager.default.createDirectory(
                atPath: "\(tracefs)/events/\(tracepoint.category)/\(tracepoint.name)",
                withIntermediateDirectories: true
            )
        }
        let endpoint = try TestEndpoint(lambda: ["tracefs-path": tracefs])
        defer { endpoint.directory.remove() }
        let answers = try await analyses(endpoint)
        let exec = try #require(answers.first { $0.name == "exec" })
        #expect(!exec.available)
        #expect(exec.unavailable == "this kernel has no tracepoint sched:sched_process_exec (no \(tracefs)/events/sched/sched_process_exec)")
        #expect(answers.first { $0.name == "syscalls" }?.available == true)
    }

    @Test("Authenticated like every route; HEAD answers without a body; other methods 405")
    func authenticationAndMethods() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/analyses", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.text == errorBody("missing Authorization header"))
            }
            try await client.execute(uri: "/analyses", method: .head, headers: TestEndpoint.authHeaders) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/analyses", method: .post, headers: TestEndpoint.jsonHeaders, body: "{}".buffer) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD")
            }
        }
    }

    @Test(
        "POST /analysis/start: every broken parameter rule is 400 with the same text as the request's own rules, and nothing starts",
        arguments: AnalysisParameterCase.all
    )
    func parameterRefusals(_ refusal: AnalysisParameterCase) async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/analysis/start", method: .post, headers: TestEndpoint.jsonHeaders, body: refusal.body.buffer) {
                response in
                #expect(response.status == .badRequest)
                #expect(response.text == errorBody("\(refusal.field): \(refusal.reason)"))
            }
            try await client.execute(uri: "/traces/running/all", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(response.text == "[]")
            }
        }
    }
}
