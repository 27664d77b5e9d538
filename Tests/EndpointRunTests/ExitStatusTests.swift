import EndpointTestSupport
import Foundation
import Testing

@testable import Runs

/// `finished.code` is the tracer's real exit status whatever signal handling the
/// endpoint inherited from whoever started it.
@Suite("Real exit codes")
struct ExitStatusTests {
    @Test(
        "Started with SIGCHLD and SIGTERM ignored and SIGINT/SIGTERM blocked: bpftrace's code 0 is delivered, and SIGTERM still stops the endpoint with 0"
    )
    func inheritedSignalHandling() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let launcher = ["/usr/bin/env", "--ignore-signal=CHLD", "--ignore-signal=TERM", "--block-signal=TERM", "--block-signal=INT", "--"]
        let endpoint = try EndpointProcess(receiver: receiver, launcher: launcher)
        let number = try await endpoint.putTemplate(#"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#)
        let filePath = try await endpoint.start(traceId: number, lasting: 1)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 60))
        #expect(received.code == 0, "stderr: \(received.stderr ?? "")")
        let status = try #require(try await endpoint.runStatus(filePath))
        #expect(status.exitCode == 0 && status.failure == nil, "\(status)")

        endpoint.process.send(SIGTERM)
        #expect(endpoint.process.waitForExit(timeout: 20) == 0, "SIGTERM did not stop the endpoint:\n\(endpoint.process.standardError.suffix(2000))")
    }

    @Test("A waitpid failure is reported as unknown (-1) with the reason, never as a SIGKILL (137)")
    func unreadableExitStatus() {
        // pid 1 is never this process's child: waitpid fails at once with ECHILD.
        let reaped = ChildProcess.reap(1)
        #expect(reaped.code == TraceRun.unknownExitCode)
        #expect(reaped.unreadable == "cannot read the tracer's exit status: No child processes")
    }
}
