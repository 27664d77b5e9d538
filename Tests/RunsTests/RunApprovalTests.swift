import EndpointConfig
import EndpointStorage
import EndpointTestSupport
import Foundation
import HostSystem
import Testing
import TraceModel

@testable import Runs

/// The start rules without HTTP: what `RunApproval` gives for a template's start and an
/// analysis's, and the typed refusal when it gives none, with the very texts the routes
/// answer (TraceRunTests, AnalysisStartTests, TargetedRunTests, RateBoundTests).
@Suite("Run approval")
struct RunApprovalTests {
    /// An approval on this host's /proc, with a real database and the given limits;
    /// `tracefs` stands for the host's tracing support.
    struct Fixture {
        let directory: TestConfigDirectory
        let database: EndpointDatabase
        let approval: RunApproval

        init(maxLastingSeconds: Int = 100, maxEventsPerSecond: Int = 1000, tracefs: String = "/sys/kernel/tracing") throws {
            directory = try TestConfigDirectory()
            var lambda = try LambdaSettings.defaults(
                platformURL: "http://127.0.0.1:9",
                secret: TestConfigDirectory.secret,
                endpointUUID: TestConfigDirectory.endpointUUID
            )
            lambda.maxLastingSeconds = maxLastingSeconds
            lambda.maxEventsPerSecond = maxEventsPerSecond
            lambda.tracefsPath = tracefs
            database = try EndpointDatabase(path: directory.databaseFile, poolSize: 2)
            approval = RunApproval(
                database: database,
                validator: TemplateValidator(),
                inventory: ContainerInventory(locations: .init(settings: lambda)),
                tracingHost: TracingHost(settings: lambda),
                limits: RunApproval.Limits(lambda: lambda)
            )
        }

        func store(_ template: TraceTemplate) async throws -> Int64 {
            try #require(try await database.storeTemplate(template)).templateId
        }

        func approve(_ json: String) async throws -> Result<RunRequest, StartRefusal> {
            let body = try JSONDecoder().decode(StartRequest.self, from: Data(json.utf8))
            do throws(StartRefusal) {
                return .success(try await approval.approve(body))
            } catch {
                return .failure(error)
            }
        }

        func approveAnalysis(_ json: String) async throws -> Result<RunRequest, AnalysisStartRefusal> {
            let body = try JSONDecoder().decode(AnalysisStartRequest.self, from: Data(json.utf8))
            do throws(AnalysisStartRefusal) {
                return .success(try await approval.approve(body))
            } catch {
                return .failure(error)
            }
        }
    }

    static let bash = TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["BPF"])

    @Test("A template's start: its refusals, typed, with the texts POST /trace/start answers")
    func templateRefusals() async throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let bpfOnly = try await fixture.store(Self.bash)
        let missing = try await fixture.store(
            TraceTemplate(process: "/bin/bash", functions: ["xmalloc", "no_such_function_here", "another_missing"], traceType: ["BPF"])
        )
        let cases: [(String, StartRefusal, RefusalAnswer, String)] = [
            (#"{"traceT":"BPF","traceId":999,"lasting":5}"#, .noTemplate(templateId: 999), .notFound, "traceId: no template 999"),
            (
                #"{"traceT":"STAP","traceId":\#(bpfOnly),"lasting":5}"#, .tracerNotAllowed(templateId: bpfOnly, allowed: ["BPF"], asked: .stap),
                .badRequest, "traceT: template \(bpfOnly) may run with BPF, not STAP"
            ),
            (
                #"{"traceT":"BPF","traceId":\#(missing),"lasting":5}"#,
                .functionsMissing(process: "/bin/bash", missing: ["no_such_function_here", "another_missing"]), .badRequest,
                "functions: not in /bin/bash: no_such_function_here, another_missing"
            ),
        ]
        for (body, refusal, answer, message) in cases {
            let outcome = try await fixture.approve(body)
            #expect(outcome.refusal == refusal, "\(body)")
            #expect(refusal.answer == answer && refusal.message == message)
        }
    }

    @Test("The limits: lasting and maxEventsPerSecond beyond the settings, refused naming the field")
    func limits() async throws {
        let fixture = try Fixture(maxLastingSeconds: 100, maxEventsPerSecond: 1000)
        defer { fixture.directory.remove() }
        let id = try await fixture.store(Self.bash)
        let cases: [(String, String)] = [
            (#"{"traceT":"DTRACE","traceId":\#(id),"lasting":5}"#, "traceT: 'DTRACE' is not a tracer type; expected one of BPF, STAP"),
            (#"{"traceT":"BPF","traceId":\#(id),"lasting":0}"#, "lasting: must be a whole number of seconds from 1 to 100, got 0"),
            (#"{"traceT":"BPF","traceId":\#(id),"lasting":101}"#, "lasting: must be a whole number of seconds from 1 to 100, got 101"),
            (
                #"{"traceT":"BPF","traceId":\#(id),"lasting":5,"maxEventsPerSecond":1001}"#,
                "maxEventsPerSecond: must be a whole number from 1 to 1000 (max-events-per-second: a start may ask for less, never more), got 1001"
            ),
        ]
        for (body, message) in cases {
            let outcome = try await fixture.approve(body)
            guard case .failure(.invalidField(let field)) = outcome else {
                Issue.record("\(body): \(outcome)")
                continue
            }
            #expect(field.message == message && StartRefusal.invalidField(field).answer == .badRequest)
        }
        // Within them: the asked rate is the run's bound, the lasting its own.
        let approved = try await fixture.approve(#"{"traceT":"BPF","traceId":\#(id),"lasting":100,"maxEventsPerSecond":1000}"#).get()
        #expect(approved.lastingSeconds == 100 && approved.rateBound?.maxEventsPerSecond == 1000)
    }

    @Test("An approved template start: the binary checked, its build read, held open for the tracer")
    func templateApproved() async throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let id = try await fixture.store(Self.bash)
        let request = try await fixture.approve(#"{"traceT":"BPF","traceId":\#(id),"lasting":5}"#).get()
        #expect(request.template == Self.bash && request.tracer == .bpf && request.lastingSeconds == 5 && request.target == nil)
        #expect(request.binary?.path == "/bin/bash" && request.binary?.changedSinceStored == false)
        #expect(request.rateBound?.maxEventsPerSecond == 1000, "the setting's rate when the start asks for none")
        #expect(request.heldBinaries?.changedSinceChecked() == [])
        request.heldBinaries?.release()
    }

    @Test("A target that resolves to nothing on this host: 404 naming it; a SystemTap start takes no target")
    func targetNotResolving() async throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let id = try await fixture.store(TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["BPF", "STAP"]))
        let cases: [(String, StartRefusal, String)] = [
            (#"{"container":"ffffffffffff"}"#, .targetNotFound("container ffffffffffff"), "target: no container ffffffffffff on this host"),
            (#"{"pid":4194304}"#, .targetNotFound("pid 4194304"), "target: no pid 4194304 on this host"),
            (
                #"{"cgroup":"/lambda-no-such-cgroup"}"#, .targetNotFound("process in cgroup /lambda-no-such-cgroup"),
                "target: no process in cgroup /lambda-no-such-cgroup on this host"
            ),
        ]
        for (target, refusal, message) in cases {
            let outcome = try await fixture.approve(#"{"traceT":"BPF","traceId":\#(id),"lasting":5,"target":\#(target)}"#)
            #expect(outcome.refusal == refusal, "\(target)")
            #expect(refusal.message == message && refusal.answer == .notFound)
        }
        let stap = try await fixture.approve(#"{"traceT":"STAP","traceId":\#(id),"lasting":5,"target":{"pid":1}}"#)
        #expect(stap.refusal == .targetNotSupported(.stap))
        #expect(StartRefusal.targetNotSupported(.stap).message == "target: STAP runs cannot be targeted (traceT); start the run with BPF")
    }

    @Test("An analysis's start: unknown, a parameter, lasting, not available here, its binary, its target; each refusal typed")
    func analysisRefusals() async throws {
        let tracefs = FileManager.default.temporaryDirectory.appendingPathComponent("tracefs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: tracefs) }
        try FileManager.default.createDirectory(atPath: "\(tracefs)/events/raw_syscalls/sys_enter", withIntermediateDirectories: true)
        let fixture = try Fixture(maxLastingSeconds: 86_400, tracefs: tracefs)
        defer { fixture.directory.remove() }
        let names = AnalysisCatalogue.names.joined(separator: ", ")
        let cases: [(String, RefusalAnswer, String)] = [
            (#"{"analysis":"nope","lasting":5}"#, .notFound, "analysis: no analysis 'nope' (GET /analyses lists them: \(names))"),
            (
                #"{"analysis":"syscalls","parameters":{"colour":1},"lasting":5}"#, .badRequest,
                "parameters: 'colour' is not a parameter of syscalls (its parameters: interval, top)"
            ),
            (#"{"analysis":"syscalls","lasting":0}"#, .badRequest, "lasting: must be a whole number of seconds from 1 to 86400, got 0"),
            (
                #"{"analysis":"function-latency","parameters":{"process":"/bin/bash","function":"no_such_function_here"},"lasting":5}"#,
                .badRequest, "parameters.function: not in /bin/bash: no_such_function_here"
            ),
            (
                #"{"analysis":"exec","lasting":5}"#, .conflict,
                "analysis: exec is not available on this host: this kernel has no tracepoint sched:sched_process_exec (no \(tracefs)/events/sched/sched_process_exec)"
            ),
            (
                #"{"analysis":"syscalls","lasting":5,"target":{"container":"0123456789ab"}}"#, .notFound,
                "target: no container 0123456789ab on this host"
            ),
        ]
        for (body, answer, message) in cases {
            let outcome = try await fixture.approveAnalysis(body)
            guard case .failure(let refusal) = outcome else {
                Issue.record("\(body) was approved")
                continue
            }
            #expect(refusal.answer == answer && refusal.message == message, "\(body)")
        }
        // Which rule refused, typed.
        #expect(try await fixture.approveAnalysis(#"{"analysis":"nope","lasting":5}"#).refusal == .analysis(.unknownAnalysis(name: "nope")))
        #expect(
            try await fixture.approveAnalysis(#"{"analysis":"syscalls","lasting":5,"target":{"container":"0123456789ab"}}"#)
                .refusal == .start(.targetNotFound("container 0123456789ab"))
        )
        guard case .failure(.analysis(.unavailable(name: "exec", _))) = try await fixture.approveAnalysis(#"{"analysis":"exec","lasting":5}"#) else {
            Issue.record("exec was not refused as unavailable")
            return
        }
        let approved = try await fixture.approveAnalysis(#"{"analysis":"syscalls","lasting":5}"#).get()
        #expect(approved.analysis?.analysis.name == "syscalls" && approved.lastingSeconds == 5 && approved.binary?.path == nil)
    }
}

extension Result {
    /// The refusal, when there is one.
    var refusal: Failure? {
        guard case .failure(let refusal) = self else { return nil }
        return refusal
    }
}
