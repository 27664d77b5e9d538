import EndpointTestSupport
import Foundation
import Testing
import TraceModel

/// `POST /analysis/start` through the real daemon, real bpftrace and a real platform on
/// loopback: an analysis's run is a run like a template's (views, kill, delivery, the
/// restart), with the refusals docs/openapi.yaml lists, each changing nothing.
@Suite("Analysis runs through POST /analysis/start", .serialized)
struct AnalysisStartTests {
    /// The stream of a finished run that exited 0, as text lines; it must equal the run file.
    func finishedLines(_ filePath: String, _ receiver: LiveReceiver) async throws -> [String] {
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 30), "the run finishes")
        #expect(received.verdict == .complete && received.code == 0, "\(received)")
        let stream = try await receiver.stream(filePath)
        #expect(stream == FileManager.default.contents(atPath: filePath), "the run file holds what was streamed")
        return String(decoding: stream, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The values of the tuples whose first element is `event`.
    func tuples(_ event: String, in lines: [String]) throws -> [[TupleElement]] {
        try streamLines(Data(lines.joined(separator: "\n").utf8)).compactMap(\.data).filter { $0.first?.text == event }
    }

    /// The keys of every print of the map `name` (`{"type": "map", "data": {"@name": {KEY: N}}}`).
    func mapKeys(_ name: String, in lines: [String]) throws -> [String] {
        try lines.filter { $0.hasPrefix(#"{"type": "map""#) }.compactMap { try MapPrint.decode(Data($0.utf8))?.data[name]?.keyed?.keys }
            .flatMap { $0 }
    }

    @Test(
        "syscalls: TEMPLATE keys plus analysis and parameters (defaults included) while it runs and once finished; probes counted; interval and end lines, the map, complete delivery"
    )
    func syscallsRun() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let filePath = try await endpoint.startAnalysis(#"{"analysis":"syscalls","parameters":{"interval":1},"lasting":3}"#)
        let status = try await endpoint.waitForState(filePath, .running)
        let template = status.template
        #expect(template.process == "" && template.functions.isEmpty && template.environment.isEmpty && template.value.isEmpty)
        #expect(template.options.isEmpty && template.traceType == ["BPF"])
        #expect(status.traceT == "BPF")
        #expect(status.analysis == "syscalls")
        #expect(status.parameters == ["interval": .integer(1), "top": .integer(0)])
        let listed = try #require(try await endpoint.runningRuns().first { $0.filePath == filePath })
        #expect(listed.analysis == "syscalls" && listed.parameters == status.parameters)
        try await eventually("the tracer reports its probes") { try await endpoint.runStatus(filePath)?.probesAttached != nil }
        let attached = try #require(try await endpoint.runStatus(filePath))
        // BEGIN, the tracepoint, the report interval, alive, lasting, the rate check, END.
        #expect(attached.probesExpected == 7 && attached.probesAttached == 7)

        let lines = try await finishedLines(filePath, receiver)
        #expect(try tuples("ready", in: lines).count == 1)
        #expect(lines.first { $0.contains(#""data": ["ready","#) } == lines.first { $0.hasPrefix(#"{"type": "value""#) }, "ready first")
        #expect(try tuples("interval", in: lines).count >= 1)
        #expect(try tuples("end", in: lines).count == 1)
        #expect(!lines.contains { $0.contains(#"["binary","#) }, "syscalls probes no binary")
        let keys = try mapKeys("@syscalls", in: lines)
        #expect(!keys.isEmpty && keys.allSatisfy { $0.split(separator: ",").count >= 3 }, "PID,NR,COMM: \(keys.prefix(3))")
        let finished = try await endpoint.waitForState(filePath, .delivered)
        #expect(finished.analysis == "syscalls" && finished.parameters == status.parameters)
        #expect(finished.exitCode == 0)
    }

    @Test("A kill stops an analysis as any run: END prints the last maps, the stream is complete")
    func kill() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let filePath = try await endpoint.startAnalysis(#"{"analysis":"syscalls","parameters":{"interval":30},"lasting":120}"#)
        try await endpoint.waitForState(filePath, .running)
        // Attached, the tracer counts the host's system calls (the kill's own among them).
        try await eventually("the tracer reports its probes") { try await endpoint.runStatus(filePath)?.probesAttached != nil }
        let killedAt = ContinuousClock.now
        try await endpoint.kill(filePath)
        let lines = try await finishedLines(filePath, receiver)
        #expect(ContinuousClock.now - killedAt < .seconds(15))
        #expect(try tuples("interval", in: lines).isEmpty, "the interval never came")
        #expect(try tuples("end", in: lines).count == 1)
        #expect(try !mapKeys("@syscalls", in: lines).isEmpty, "END printed the map")
    }

    @Test("function-latency: the binary line after ready names /bin/bash's build; a histogram of xmalloc under a busy bash")
    func functionLatency() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let busy = try busyBash(seconds: 10)
        defer { busy.send(SIGKILL) }
        let filePath = try await endpoint.startAnalysis(
            #"{"analysis":"function-latency","parameters":{"process":"/bin/bash","function":"xmalloc","interval":1},"lasting":2}"#
        )
        let status = try await endpoint.waitForState(filePath, .running)
        #expect(status.template.process == "/bin/bash" && status.template.functions.isEmpty)
        #expect(status.parameters?["function"] == .text("xmalloc") && status.parameters?["per-process"] == .boolean(false))
        let lines = try await finishedLines(filePath, receiver)
        let ready = try #require(lines.firstIndex { $0.contains(#""data": ["ready","#) })
        #expect(lines[ready + 1] == BinaryIdentityRunTests.binaryLine("/bin/bash", BinaryFacts.bash))
        #expect(lines.contains { $0.hasPrefix(#"{"type": "hist", "data": {"@latency_ns": [{"#) }, "a histogram")
        let finished = try #require(try await endpoint.runStatus(filePath))
        #expect(finished.probesExpected == finished.probesAttached)
    }

    @Test("A pid target: every key of the syscalls map is that process's; the run shows target and resolved")
    func pidTarget() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let busy = try busyBash(seconds: 10)
        defer { busy.send(SIGKILL) }
        let filePath = try await endpoint.startAnalysis(
            #"{"analysis":"syscalls","parameters":{"interval":1},"lasting":2,"target":{"pid":\#(busy.pid)}}"#
        )
        let status = try await endpoint.waitForState(filePath, .running)
        #expect(status.target?.pid == busy.pid)
        #expect(status.resolved?.matches.first?.pids == [busy.pid])
        let lines = try await finishedLines(filePath, receiver)
        let keys = try mapKeys("@syscalls", in: lines)
        #expect(!keys.isEmpty && keys.allSatisfy { $0.hasPrefix("\(busy.pid),") }, "only the target's: \(keys.prefix(5))")
        let targets = try tuples("target", in: lines)
        #expect(targets.count == 1 && targets.first?[1] == .text("pid") && targets.first?[2] == .text("\(busy.pid)"))
    }

    @Test(
        "A container target: function-latency probes the container's own bash (/proc/PID/root/bin/bash), every probe attached, a histogram",
        .enabled(if: getuid() == 0, "needs root to make cgroups and namespaces")
    )
    func containerTarget() async throws {
        let container = try HomeMadeContainer(command: TargetedRunTests.pacedCommand)
        defer { container.remove() }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let filePath = try await endpoint.startAnalysis(
            #"{"analysis":"function-latency","parameters":{"process":"/bin/bash","function":"xmalloc","interval":1},"lasting":2,"target":{"container":"\#(container.id)"}}"#
        )
        let status = try await endpoint.waitForState(filePath, .running)
        #expect(status.resolved?.files.map(\.path) == ["/proc/\(container.initPid)/root/bin/bash"])
        #expect(status.resolved?.filter == "cgroup")
        let lines = try await finishedLines(filePath, receiver)
        let finished = try #require(try await endpoint.runStatus(filePath))
        #expect(finished.probesExpected != nil && finished.probesExpected == finished.probesAttached)
        let binaryLines = lines.filter { $0.contains(#""data": ["binary","#) }
        #expect(
            binaryLines == [BinaryIdentityRunTests.binaryLine("/proc/\(container.initPid)/root/bin/bash", BinaryFacts.bash)],
            "the container's copy"
        )
        #expect(lines.contains { $0.hasPrefix(#"{"type": "hist", "data": {"@latency_ns": [{"#) }, "the container's bash was timed")
    }

    /// `answer` must be `status` with exactly `error`, and nothing may have started.
    func expectRefused(_ endpoint: EndpointProcess, _ body: String, _ status: Int, _ error: String) async throws {
        let answer = try await endpoint.request("POST", "/analysis/start", json: body)
        #expect(answer.status == status, "\(body): \(answer.body)")
        #expect(try answer.decoded(as: ErrorAnswer.self).error == error, "\(body)")
    }

    @Test("Refusals: 404 unknown analysis or target, 400 naming the parameter or lasting, 409 not available here; nothing runs, no file is left")
    func refusals() async throws {
        let tracefs = FileManager.default.temporaryDirectory.appendingPathComponent("tracefs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: tracefs) }
        try FileManager.default.createDirectory(atPath: "\(tracefs)/events/raw_syscalls/sys_enter", withIntermediateDirectories: true)
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["tracefs-path": tracefs])
        let names = AnalysisCatalogue.names.joined(separator: ", ")
        try await expectRefused(
            endpoint,
            #"{"analysis":"nope","lasting":5}"#,
            404,
            "analysis: no analysis 'nope' (GET /analyses lists them: \(names))"
        )
        try await expectRefused(
            endpoint,
            #"{"analysis":"syscalls","parameters":{"interval":0},"lasting":5}"#,
            400,
            try #require(Self.message(#"{"analysis":"syscalls","parameters":{"interval":0},"lasting":5}"#))
        )
        try await expectRefused(
            endpoint,
            #"{"analysis":"syscalls","parameters":{"colour":1},"lasting":5}"#,
            400,
            "parameters: 'colour' is not a parameter of syscalls (its parameters: interval, top)"
        )
        try await expectRefused(
            endpoint,
            #"{"analysis":"syscalls","lasting":0}"#,
            400,
            "lasting: must be a whole number of seconds from 1 to 86400, got 0"
        )
        try await expectRefused(
            endpoint,
            #"{"analysis":"function-latency","parameters":{"process":"/bin/bash","function":"no_such_function_here"},"lasting":5}"#,
            400,
            "parameters.function: not in /bin/bash: no_such_function_here"
        )
        try await expectRefused(
            endpoint,
            #"{"analysis":"exec","lasting":5}"#,
            409,
            "analysis: exec is not available on this host: this kernel has no tracepoint sched:sched_process_exec (no \(tracefs)/events/sched/sched_process_exec)"
        )
        try await expectRefused(
            endpoint,
            #"{"analysis":"syscalls","lasting":5,"target":{"container":"0123456789ab"}}"#,
            404,
            "target: no container 0123456789ab on this host"
        )
        try await expectRefused(
            endpoint,
            #"{"analysis":"syscalls","lasting":5,"target":{"pod":""}}"#,
            400,
            try #require(Self.targetMessage(#"{"pod":""}"#))
        )
        #expect(try await endpoint.runningRuns().isEmpty)
        #expect(try await endpoint.finishedRuns().isEmpty)
        let left = try FileManager.default.contentsOfDirectory(atPath: endpoint.directory.path + "/traces")
        #expect(left.isEmpty, "no run file: \(left)")
        // What is available starts.
        let filePath = try await endpoint.startAnalysis(#"{"analysis":"syscalls","lasting":1}"#)
        #expect(await receiver.waitForFinished(filePath, timeout: 20)?.verdict == .complete)
    }

    /// The endpoint's own text for a refused body (`AnalysisStartRequest.checked`).
    static func message(_ body: String) throws -> String? {
        let request = try JSONDecoder().decode(AnalysisStartRequest.self, from: Data(body.utf8))
        do throws(AnalysisRefusal) {
            _ = try request.checked(maxLastingSeconds: 86_400, maxEventsPerSecond: 100_000)
            return nil
        } catch {
            return error.message
        }
    }

    static func targetMessage(_ target: String) throws -> String? {
        try message(#"{"analysis":"syscalls","lasting":5,"target":\#(target)}"#)
    }

    @Test("An analysis run left undelivered across a restart keeps its analysis and parameters, and is delivered whole")
    func restart() async throws {
        let until = Date().addingTimeInterval(8)
        let receiver = try await LiveReceiver(fault: { _ in Date() < until ? .serviceUnavailable : nil })
        defer { receiver.stop() }
        var endpoint = try EndpointProcess(receiver: receiver)
        let filePath = try await endpoint.startAnalysis(#"{"analysis":"syscalls","parameters":{"top":5},"lasting":1}"#)
        try await endpoint.waitForState(filePath, .delivering)
        endpoint.process.send(SIGKILL)
        #expect(endpoint.process.waitForExit(timeout: 5) == 128 + SIGKILL)
        try endpoint.restart()
        let resumed = try #require(try await endpoint.runningRuns().first { $0.filePath == filePath })
        #expect(resumed.resumed && resumed.analysis == "syscalls")
        #expect(resumed.parameters == ["interval": .integer(5), "top": .integer(5)])
        let lines = try await finishedLines(filePath, receiver)
        #expect(try tuples("end", in: lines).count == 1)
    }
}
