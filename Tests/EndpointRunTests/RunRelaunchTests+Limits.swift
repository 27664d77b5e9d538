import EndpointTestSupport
import Foundation
import Testing

/// The runs not relaunched: opted out on the start or in the settings, or relaunched
/// `max-run-resumes` times already.
extension RunRelaunchTests {
    @Test("\"resume\": false on a start, then SIGKILL and a restart: the run finishes at the restart with code -1, no resumed line")
    func startOptsOut() async throws {
        let log = SubmitMessageLog()
        let receiver = try await LiveReceiver(fault: log.fault)
        defer { receiver.stop() }
        let busy = try Self.pacedBash(seconds: 30)
        defer { busy.send(SIGKILL) }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: Self.lambda)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let (filePath, window) = try await Self.timed(lasting: 30) {
            try await endpoint.startTrace(body: #"{"traceT":"BPF","traceId":\#(number),"lasting":30,"resume":false}"#)
        }
        try await endpoint.waitForState(filePath, .running, timeout: .seconds(20))
        try await Self.waitForReadyLines(1, in: filePath)
        endpoint.killAbruptly()
        try endpoint.restart()
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 20), "no finished after the restart")
        #expect(received.code == -1)
        #expect(received.stderr?.contains("the endpoint restarted while this tracer ran") == true, "\(received.stderr ?? "")")
        let finished = log.finished(filePath)
        #expect(finished.count == 1)
        #expect(finished.allSatisfy { $0.at < window.requested.addingTimeInterval(20) }, "finished at the restart, not at the run's end")
        let stream = RelaunchedStream(try await receiver.stream(filePath))
        #expect(stream.readyIndices.count == 1 && stream.resumedIndices.isEmpty, "no second tracer, no resumed line")
        let status = try #require(try await endpoint.relaunchStatus(filePath))
        #expect(status.resumedCount == 0 && status.gaps.isEmpty)
    }

    @Test("resume-runs: false in the settings, then SIGTERM: the run's finished is delivered at the stop, and the restart relaunches nothing")
    func settingOptsOut() async throws {
        let log = SubmitMessageLog()
        let receiver = try await LiveReceiver(fault: log.fault)
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: Self.lambda.merging(["resume-runs": "false"]) { $1 })
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 30)
        try await endpoint.waitForState(filePath, .running, timeout: .seconds(20))
        try await Self.waitForReadyLines(1, in: filePath)
        #expect(endpoint.stopGracefully() == 0)
        let finished = log.finished(filePath)
        #expect(finished.count == 1, "finished delivered before the endpoint exited")
        #expect(finished.first?.code == 0, "bpftrace stopped by SIGINT: \(finished.first?.stderr ?? "")")
        #expect(processes(containing: programFile(of: filePath)).isEmpty, "a tracer of the run is left")

        try endpoint.restart()
        // A relaunch would show within 2 s: a second ready line in the file, a tracer.
        try await Task.sleep(for: .seconds(2))
        #expect(log.finished(filePath).count == 1)
        #expect(RelaunchedStream(FileManager.default.contents(atPath: filePath) ?? Data()).readyIndices.count == 1)
        #expect(processes(containing: programFile(of: filePath)).isEmpty, "a tracer was started again")
        let status = try #require(try await endpoint.relaunchStatus(filePath))
        #expect(status.resumedCount == 0 && status.gaps.isEmpty)
    }

    @Test("max-run-resumes: 1: relaunched after the first SIGKILL; after the second, the run finishes with code -1 naming max-run-resumes")
    func resumesBounded() async throws {
        let log = SubmitMessageLog()
        let receiver = try await LiveReceiver(fault: log.fault)
        defer { receiver.stop() }
        let busy = try Self.pacedBash(seconds: 40)
        defer { busy.send(SIGKILL) }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: Self.lambda.merging(["max-run-resumes": "1"]) { $1 })
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let (filePath, window) = try await Self.timed(lasting: 30) { try await endpoint.start(traceId: number, lasting: 30) }
        try await endpoint.waitForState(filePath, .running, timeout: .seconds(20))
        try await Self.waitForReadyLines(1, in: filePath)
        endpoint.killAbruptly()
        try endpoint.restart()
        let relaunched = try await eventuallyValue("the run relaunched once and running", timeout: .seconds(20)) {
            try await endpoint.relaunchStatus(filePath).flatMap { $0.resumedCount == 1 && $0.state == "running" ? $0 : nil }
        }
        #expect(relaunched.gaps.count == 1)
        try await Self.waitForReadyLines(2, in: filePath)

        endpoint.killAbruptly()
        try endpoint.restart()
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 20), "no finished after the second restart")
        #expect(received.code == -1)
        #expect(received.stderr?.contains("max-run-resumes") == true, "\(received.stderr ?? "")")
        let finished = log.finished(filePath)
        #expect(finished.count == 1)
        #expect(finished.allSatisfy { $0.at < window.requested.addingTimeInterval(25) }, "finished at the second restart, not at the run's end")
        let stream = RelaunchedStream(try await receiver.stream(filePath))
        let gaps = Self.expectStreamShape(stream, tracers: 2)
        let status = try #require(try await endpoint.relaunchStatus(filePath))
        #expect(status.resumedCount == 1 && status.gaps == gaps)
    }
}
