import EndpointStorage
import Foundation
import Submitter
import Testing
import TraceModel

@testable import Runs

/// A stop asked for before the tracer's process is recorded (the spool cap tripping on
/// the very first block of output, a kill racing the spawn) must still stop it.
@Suite("Stopping a run")
struct TraceRunStopTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
        .path

    func makeRun() throws -> (TraceRun, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString).trace").path
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        try #require(fd >= 0)
        let template = TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["BPF"])
        let record = RunRecord(
            filePath: path,
            runNumber: 1,
            template: template,
            tracer: "BPF",
            lastingSeconds: 60,
            startedAt: Date(),
            deadline: Date().addingTimeInterval(60),
            privilege: TracerPrivilege.root.name
        )
        return (TraceRun(record: record, tracer: .bpf, outputFD: fd, budget: SpoolBudget(capacity: 1 << 30)), path)
    }

    @Test("A stop requested before launch stops the tracer as soon as it is spawned")
    func stopBeforeLaunch() async throws {
        let (run, path) = try makeRun()
        defer { unlink(path) }
        run.stop(grace: .seconds(1))
        let invocation = TracerInvocation(
            template: run.template,
            tracer: .bpf,
            programFile: "/dev/null",
            tracerPath: Self.fixtures + "/fake-tracer-sleeps.sh",
            privilege: .root
        )
        run.launch(invocation)
        #expect(await run.waitForExit(timeout: .seconds(5)), "the stop asked for before the spawn was lost")
        #expect(run.status.exitCode != nil)
    }
}
