import EndpointTestSupport
import Foundation
import SubmitReceiver
import Testing

/// Real bpftrace, real sudo, real HTTP. Serialized: tracers and busy loops share two cores.
@Suite("Trace runs with real tracers", .serialized)
struct TraceRunTests {
    static let bashTemplate = #"{"process":"/bin/bash","functions":["xmalloc","xfree"],"traceType":["BPF","STAP"]}"#
    /// The endpoint's line after `ready` for a run on /bin/bash.
    static let bashLine = BinaryIdentityRunTests.binaryLine("/bin/bash", BinaryFacts.bash)

    /// Checks what every successful run must give the platform.
    func expectCompleteStream(_ received: ReceivedTrace?, receiver: LiveReceiver, filePath: String, chunkSize: Int) async throws {
        let received = try #require(received)
        #expect(received.verdict == .complete, "\(received)")
        #expect(received.code == 0)
        #expect(received.started)
        #expect(received.protocolErrors.isEmpty)
        #expect(received.gaps.isEmpty && received.conflicts.isEmpty)
        #expect(received.irregularChunks.isEmpty)
        if received.chunks > 1 { #expect(received.firstChunkBytes == chunkSize) }
        let stream = try await receiver.stream(filePath)
        #expect(Int64(stream.count) == received.bytes)
        // The decoded chunks are byte for byte the tracer's stdout, kept in the run file.
        #expect(stream == FileManager.default.contents(atPath: filePath))
        let lines = try streamLines(stream)
        #expect(lines.first?.type == "attached_probes")
        let values = lines.compactMap(\.data)
        #expect(lines.contains { $0.event == "ready" })
        let entries = values.filter { $0.first?.text == "entry" && $0.dropFirst().first?.text == "xmalloc" && $0.count == 8 }
        let returns = values.filter { $0.first?.text == "return" && $0.dropFirst().first?.text == "xmalloc" && $0.count == 9 }
        #expect(!entries.isEmpty && !returns.isEmpty, "no xmalloc events")
    }

    @Test("Root endpoint: bpftrace on /bin/bash xmalloc, lasting expiry, complete stream in exact chunks, metrics that agree")
    func rootEndToEnd() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["submit-chunk-size": "16384"])
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let busy = try busyBash(seconds: 8)
        defer { busy.send(SIGKILL) }
        let filePath = try await endpoint.start(traceId: number, lasting: 3)
        try await endpoint.waitForState(filePath, .running, timeout: .seconds(10))
        let status = try #require(try await endpoint.runStatus(filePath))
        #expect(status.template.process == "/bin/bash")
        #expect(status.template.functions == ["xmalloc", "xfree"])
        #expect(status.template.traceType == ["BPF", "STAP"], "the template's tracers")
        #expect(status.traceT == "BPF" && status.privilege == "root")
        #expect(try await endpoint.runningRuns().contains { $0.filePath == filePath })

        let received = await receiver.waitForFinished(filePath, timeout: 20)
        try await expectCompleteStream(received, receiver: receiver, filePath: filePath, chunkSize: 16384)
        #expect((received?.chunks ?? 0) > 1)
        let finished = try #require(try await endpoint.runStatus(filePath))
        #expect(finished.state == .delivered)
        #expect(finished.exitCode == 0)
        #expect(finished.chunksAcknowledged == received?.chunks)
        #expect(try await endpoint.request("GET", "/trace/running?path=\(filePath)").status == 404)

        // The run as the metrics tell it.
        let page = try await endpoint.request("GET", "/metrics").body
        func sample(_ series: String) -> String? { prometheusSample(page, series) }
        let bytes = (received?.bytes).map(String.init)
        #expect(sample(#"lambda_runs_started_total{tracer="BPF"}"#) == "1")
        #expect(sample(#"lambda_runs_finished_total{tracer="BPF",outcome="ok"}"#) == "1")
        #expect(sample("lambda_runs_active") == "0.0")
        #expect(sample("lambda_output_bytes_total") == bytes)
        #expect(sample("lambda_delivered_bytes_total") == bytes)
        #expect(sample("lambda_delivered_chunks_total") == (received?.chunks).map(String.init))
    }

    @Test("Unprivileged endpoint through sudo -n: kill stops the root tracer within seconds, no tracer left")
    func sudoWithoutPasswordKill() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(as: .sudoNoPassword, receiver: receiver)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let busy = try busyBash(seconds: 20)
        defer { busy.send(SIGKILL) }
        let filePath = try await endpoint.start(traceId: number, lasting: 61)
        try await endpoint.waitForState(filePath, .running, timeout: .seconds(15))
        #expect(!processes(containing: programFile(of: filePath)).isEmpty, "the tracer should be running")
        // The stream must hold events: the kill comes once the tracer has written one.
        try await eventually("the tracer writes an xmalloc return event", timeout: .seconds(10)) {
            String(decoding: FileManager.default.contents(atPath: filePath) ?? Data(), as: UTF8.self).contains(#"["return","xmalloc","#)
        }

        let killed = try await endpoint.request("POST", "/trace/kill", json: #"{"killPath":"\#(filePath)"}"#)
        #expect(killed.status == 200 && killed.body == "Killed" && killed.contentType?.hasPrefix("text/plain") == true)
        let received = await receiver.waitForFinished(filePath, timeout: 15)
        try await expectCompleteStream(received, receiver: receiver, filePath: filePath, chunkSize: 51200)
        #expect(processes(containing: programFile(of: filePath)).isEmpty, "a tracer outlived its kill")
        #expect(try await endpoint.runStatus(filePath)?.privilege == "sudo -n")
    }

    @Test("Unprivileged endpoint through sudo -S with root-password: no secret in any child's argv or environment; lasting expiry, complete stream")
    func sudoWithPassword() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let password = try EndpointProcess.sudoPassword
        let endpoint = try EndpointProcess(as: .sudoPassword, receiver: receiver, lambda: ["root-password": "'\(password)'"])
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let busy = try busyBash(seconds: 10)
        defer { busy.send(SIGKILL) }
        let filePath = try await endpoint.start(traceId: number, lasting: 3)
        // While the tracer runs, no process the endpoint started shows the password or
        // the secret in its argv or environment (the password goes through sudo's stdin).
        try await endpoint.waitForState(filePath, .running, timeout: .seconds(15))
        let children = descendants(of: endpoint.process.pid)
        #expect(children.count >= 2, "sudo and bpftrace should be running under the endpoint")
        for pid in children + [endpoint.process.pid] {
            for file in ["cmdline", "environ"] where pid != endpoint.process.pid || file == "cmdline" {
                let text = String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/\(file)") ?? Data(), as: UTF8.self)
                #expect(!text.contains(password) && !text.contains(TestConfigDirectory.secret), "/proc/\(pid)/\(file)")
            }
        }
        let received = await receiver.waitForFinished(filePath, timeout: 25)
        try await expectCompleteStream(received, receiver: receiver, filePath: filePath, chunkSize: 51200)
        #expect(try await endpoint.runStatus(filePath)?.privilege == "sudo -S")
        #expect(!endpoint.process.standardError.contains(password))
    }

    @Test("A wrong sudo password ends the run with sudo's error and a non-zero code")
    func wrongSudoPassword() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(as: .sudoPassword, receiver: receiver, lambda: ["root-password": "'not-the-password-42'"])
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 30)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 30))
        #expect(received.verdict == .failed)
        #expect(received.code == 1)
        #expect(received.stderr?.contains("sudo:") == true, "\(received.stderr ?? "")")
        #expect(received.stderr?.contains("not-the-password-42") == false)
        let status = try #require(try await endpoint.runStatus(filePath))
        #expect(status.exitCode == 1)
        #expect(status.failure?.hasPrefix("tracer exited with code 1 before its probes were live: sudo:") == true, "\(status)")
    }

    @Test("No sudo rule: the run ends with sudo's 'a password is required' and code 1")
    func missingSudoRule() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(as: .noSudoRule, receiver: receiver)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 30)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 15))
        #expect(received.verdict == .failed)
        #expect(received.code == 1)
        #expect(received.stderr == "sudo: a password is required\n")
        #expect(received.bytes == 0)
    }

    @Test("A fake tracer flooding stderr neither stalls nor loses stdout; its code is reported")
    func stderrFlood() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["bpf-path": EndpointProcess.fixture("fake-tracer-stderr-flood.sh")])
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 30)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 30))
        #expect(received.code == 3)
        #expect(received.verdict == .failed)
        let stream = try await receiver.stream(filePath)
        #expect(
            String(decoding: stream, as: UTF8.self)
                == "{\"type\": \"value\", \"data\": [\"ready\",1]}\n\(Self.bashLine)\n{\"type\": \"value\", \"data\": [\"fake-line\",2]}\n"
        )
        let stderr = try #require(received.stderr)
        #expect(stderr.contains("bytes of stderr dropped]"))
        #expect(stderr.hasSuffix("fake tracer: last stderr line\n"))
        #expect(stderr.utf8.count < 80 * 1024)
    }

    @Test("Allow-listed variables reach the tracer; the endpoint's own environment (its secret) does not")
    func tracerEnvironment() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            lambda: ["bpf-path": EndpointProcess.fixture("fake-tracer-print-environment.sh"), "secret": "_env:LAMBDA_SECRET"],
            environment: ["LAMBDA_SECRET": TestConfigDirectory.secret]
        )
        let number = try await endpoint.putTemplate(
            #"{"process":"/bin/bash","functions":["xmalloc"],"environment":["BPFTRACE_STRLEN"],"value":["100"],"options":["-k"],"traceType":["BPF"]}"#
        )
        let filePath = try await endpoint.start(traceId: number, lasting: 30)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 15))
        #expect(received.verdict == .complete)
        let text = String(decoding: try await receiver.stream(filePath), as: UTF8.self)
        #expect(text.contains(#"{"env": "BPFTRACE_STRLEN=100"}"#))
        #expect(text.contains(#"{"env": "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}"#))
        #expect(!text.contains("LAMBDA_SECRET") && !text.contains(TestConfigDirectory.secret))
        // argv: -f json -k <program file>
        #expect(text.components(separatedBy: "arg-bytes").count - 1 == 4)
        #expect(text.contains(#"{"arg-bytes": \#(programFile(of: filePath).utf8.count)}"#))
    }

    @Test("SIGKILL of the endpoint leaves no tracer behind after a few seconds")
    func endpointKilled() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let busy = try busyBash(seconds: 20)
        defer { busy.send(SIGKILL) }
        let filePath = try await endpoint.start(traceId: number, lasting: 67)
        try await endpoint.waitForState(filePath, .running, timeout: .seconds(10))
        #expect(!processes(containing: programFile(of: filePath)).isEmpty)
        endpoint.process.send(SIGKILL)
        #expect(endpoint.process.waitForExit(timeout: 5) == 128 + SIGKILL)
        try await eventually("no tracer outlives the endpoint by 8 s", timeout: .seconds(8), poll: .milliseconds(100)) {
            processes(containing: programFile(of: filePath)).isEmpty
        }
    }

    @Test("submit-flush-interval sends a partial chunk of a quiet run while it still runs")
    func flushInterval() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            lambda: [
                "bpf-path": EndpointProcess.fixture("fake-tracer-sleeps.sh"), "submit-flush-interval": "0.2", "kill-grace-seconds": "1",
            ]
        )
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 60)
        let live = try await eventuallyValue("a first (partial) chunk reaches the platform", timeout: .seconds(10)) {
            await receiver.store.trace(filePath).flatMap { $0.chunks > 0 ? $0 : nil }
        }
        #expect(live.chunks == 1 && live.verdict == .receiving)
        #expect(
            String(decoding: try await receiver.stream(filePath), as: UTF8.self)
                == "{\"type\": \"value\", \"data\": [\"ready\",1]}\n\(Self.bashLine)\n"
        )
        try await endpoint.kill(filePath)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 10))
        #expect(received.verdict == .complete && received.chunks == 1)
    }

    @Test("A tracer binary that does not exist ends the run with code 127 and the reason")
    func missingTracerBinary() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["bpf-path": "/nonexistent/bpftrace"])
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 5)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 10))
        #expect(received.code == 127 && received.verdict == .failed)
        #expect(received.stderr == "lambda-endpoint: cannot start /nonexistent/bpftrace: No such file or directory\n")
        let status = try #require(try await endpoint.runStatus(filePath))
        #expect(
            status.failure
                == "tracer exited with code 127 before its probes were live: lambda-endpoint: cannot start /nonexistent/bpftrace: No such file or directory"
        )
    }

    @Test("STAP cannot load here: the run ends with stap's error and a non-zero code")
    func systemTapFailsCleanly() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, tracer: "STAP", lasting: 5)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 60))
        #expect(received.verdict == .failed)
        #expect((received.code ?? 0) != 0)
        #expect(received.stderr?.isEmpty == false)
    }

    @Test("Start refusals: unknown template, wrong tracer, lasting bounds, missing functions, run cap; kill and running edge cases")
    func startRefusals() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            lambda: [
                "bpf-path": EndpointProcess.fixture("fake-tracer-sleeps.sh"), "max-concurrent-runs": "1", "max-lasting": "100",
                "kill-grace-seconds": "1",
            ]
        )
        let bpfOnly = try await endpoint.putTemplate(#"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#)
        let missing = try await endpoint.putTemplate(
            #"{"process":"/bin/bash","functions":["xmalloc","no_such_function_here","another_missing"],"traceType":["BPF"]}"#
        )
        // Any local user can leave such a file to be traced: the ELF fuzzer's crash input
        // (a section-header offset past Int.max) once trapped the whole daemon. It is
        // refused at PUT /trace, and again at start when it replaced a good binary since.
        let hostileELF = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-hostile-\(UUID().uuidString).elf").path
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/elf/corpus")
        let hostileBytes = try Data(contentsOf: corpus.appendingPathComponent("regression-section-offset-overflow.bin"))
        try hostileBytes.write(to: URL(fileURLWithPath: hostileELF))
        defer { try? FileManager.default.removeItem(atPath: hostileELF) }
        let hostileTemplate = #"{"process":"\#(hostileELF)","functions":["main"],"traceType":["BPF"]}"#
        let refusedAtStore = try await endpoint.request("PUT", "/trace", json: hostileTemplate)
        #expect(refusedAtStore.status == 400 && refusedAtStore.body.contains("truncated or corrupt ELF file"), "\(refusedAtStore.body)")
        try Data(contentsOf: URL(fileURLWithPath: "/bin/bash")).write(to: URL(fileURLWithPath: hostileELF))
        let hostile = try await endpoint.putTemplate(#"{"process":"\#(hostileELF)","functions":["xmalloc"],"traceType":["BPF"]}"#)
        try hostileBytes.write(to: URL(fileURLWithPath: hostileELF))
        let cases: [(String, Int, String)] = [
            (#"{"traceT":"BPF","traceId":999,"lasting":5}"#, 404, "traceId: no template 999"),
            (#"{"traceT":"STAP","traceId":\#(bpfOnly),"lasting":5}"#, 400, "traceT: template \(bpfOnly) may run with BPF, not STAP"),
            (#"{"traceT":"DTRACE","traceId":\#(bpfOnly),"lasting":5}"#, 400, "traceT: 'DTRACE' is not a tracer type; expected one of BPF, STAP"),
            (#"{"traceT":"BPF","traceId":\#(bpfOnly),"lasting":0}"#, 400, "lasting: must be a whole number of seconds from 1 to 100, got 0"),
            (#"{"traceT":"BPF","traceId":\#(bpfOnly),"lasting":101}"#, 400, "lasting: must be a whole number of seconds from 1 to 100, got 101"),
            (#"{"traceT":"BPF","traceId":\#(bpfOnly),"lasting":2.5}"#, 400, "lasting: expected a whole number"),
            (#"{"traceT":"BPF","traceId":\#(bpfOnly),"lasting":"5"}"#, 400, "lasting: expected a whole number"),
            (#"{"traceT":"BPF","traceId":\#(missing),"lasting":5}"#, 400, "functions: not in /bin/bash: no_such_function_here, another_missing"),
        ]
        for (body, status, message) in cases {
            let answer = try await endpoint.request("POST", "/trace/start", json: body)
            #expect(answer.status == status, "\(body)")
            #expect(try answer.decoded(as: ErrorAnswer.self).error == message, "\(answer.body)")
        }
        let replaced = try await endpoint.request("POST", "/trace/start", json: #"{"traceT":"BPF","traceId":\#(hostile),"lasting":5}"#)
        #expect(replaced.status == 400 && replaced.body.contains("process: '\(hostileELF)' is a truncated or corrupt ELF file"), "\(replaced.body)")
        #expect(try await endpoint.runningRuns().isEmpty, "a refused start left a run behind")

        let first = try await endpoint.start(traceId: bpfOnly, lasting: 60)
        let second = try await endpoint.request("POST", "/trace/start", json: #"{"traceT":"BPF","traceId":\#(bpfOnly),"lasting":60}"#)
        #expect(second.status == 429)
        #expect(try second.decoded(as: ErrorAnswer.self).error == "1 traces are already running (max-concurrent-runs); stop one or retry later")

        let unknownKill = try await endpoint.request("POST", "/trace/kill", json: #"{"killPath":"/tmp/no-such.trace"}"#)
        #expect(unknownKill.status == 200 && unknownKill.body == "Killed")
        #expect(try await endpoint.request("POST", "/trace/kill", json: #"{"kill":"x"}"#).status == 400)
        #expect(try await endpoint.request("GET", "/trace/running?path=/tmp/no-such.trace").status == 404)
        #expect(try await endpoint.request("GET", "/trace/running").status == 400)

        try await endpoint.kill(first)
        let received = try #require(await receiver.waitForFinished(first, timeout: 10))
        #expect(received.code == 0 && received.verdict == .complete)
    }
}
