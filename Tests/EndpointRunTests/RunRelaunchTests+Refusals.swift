import EndpointTestSupport
import Foundation
import Testing

/// Runs that cannot be relaunched, for what changed while the endpoint was down: each
/// finishes at the restart with code -1 and the reason, and no second tracer starts.
extension RunRelaunchTests {
    /// A run that must finish at the restart, not be relaunched: code -1, one finished well
    /// before its lasting ends, one tracer's ready line, no resumed line, no count of relaunches.
    func expectNotRelaunched(
        _ filePath: String,
        endpoint: EndpointProcess,
        receiver: LiveReceiver,
        log: SubmitMessageLog,
        window: RunWindow,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (stderr: String, status: RelaunchStatus) {
        let received = try #require(
            await receiver.waitForFinished(filePath, timeout: 20),
            "no finished after the restart",
            sourceLocation: sourceLocation
        )
        #expect(received.code == -1, "\(received.stderr ?? "")", sourceLocation: sourceLocation)
        let finished = log.finished(filePath)
        #expect(finished.count == 1, sourceLocation: sourceLocation)
        #expect(
            finished.allSatisfy { $0.at < window.requested.addingTimeInterval(Double(window.lasting) - 5) },
            "finished at the restart, not at the run's end",
            sourceLocation: sourceLocation
        )
        let stream = RelaunchedStream(try await receiver.stream(filePath))
        #expect(stream.readyIndices.count == 1 && stream.resumedIndices.isEmpty, "no second tracer, no resumed line", sourceLocation: sourceLocation)
        // The first life's tracer is stopped at the restart, within its kill grace (2 s).
        try await eventually("no tracer of the run left running", timeout: .seconds(10)) {
            processes(containing: programFile(of: filePath)).isEmpty
        }
        let events = try await receiver.runEvents(filePath)
        #expect(!events.contains { $0.kind == "run-resumed" }, "\(events.map(\.kind))", sourceLocation: sourceLocation)
        let status = try #require(try await endpoint.relaunchStatus(filePath), sourceLocation: sourceLocation)
        #expect(status.resumedCount == 0 && status.gaps.isEmpty, sourceLocation: sourceLocation)
        return (received.stderr ?? "", status)
    }

    @Test("A pinned binary replaced by another build while the endpoint was down: the run finishes with code -1 naming the pin; no second tracer")
    func pinnedBinaryReplaced() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-relaunch-pin-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        chmod(directory, 0o755)
        let program = directory + "/bash"
        try FileManager.default.copyItem(atPath: "/bin/bash", toPath: program)
        let pinned = try BinaryFacts(of: program)
        let log = SubmitMessageLog()
        let receiver = try await LiveReceiver(fault: log.fault)
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: Self.lambda)
        let number = try await endpoint.putTemplate(
            #"{"process":"\#(program)","functions":["xmalloc"],"traceType":["BPF"],"sha256":"\#(pinned.sha256)"}"#
        )
        // Nobody runs the copy: the tracer prints its ready line and waits.
        let (filePath, window) = try await Self.timed(lasting: 30) { try await endpoint.start(traceId: number, lasting: 30) }
        try await endpoint.waitForState(filePath, .running, timeout: .seconds(20))
        try await Self.waitForReadyLines(1, in: filePath)
        endpoint.killAbruptly()
        // Another build, renamed over the old file as a package upgrade installs it.
        let upgrade = directory + "/bash.new"
        try FileManager.default.copyItem(atPath: "/bin/bash", toPath: upgrade)
        let handle = try #require(FileHandle(forWritingAtPath: upgrade))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("rebuilt".utf8))
        try handle.close()
        #expect(rename(upgrade, program) == 0)
        #expect(try BinaryFacts(of: program).sha256 != pinned.sha256)

        try endpoint.restart()
        let (stderr, _) = try await expectNotRelaunched(filePath, endpoint: endpoint, receiver: receiver, log: log, window: window)
        #expect(stderr.contains("pin"), "\(stderr)")
    }

    @Test(
        "A run targeted at a container that is gone after the restart: it finishes with code -1 naming the container; its status shows the target before and after",
        .enabled(if: getuid() == 0, "needs root to make cgroups and namespaces")
    )
    func targetGone() async throws {
        let container = try HomeMadeContainer(command: TargetedRunTests.pacedCommand)
        defer { container.remove() }
        let asked = String(container.id.prefix(12))
        let log = SubmitMessageLog()
        let receiver = try await LiveReceiver(fault: log.fault)
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: Self.lambda)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let (filePath, window) = try await Self.timed(lasting: 30) {
            try await endpoint.start(traceId: number, lasting: 30, target: #"{"container":"\#(asked)"}"#)
        }
        try await endpoint.waitForState(filePath, .running, timeout: .seconds(20))
        let running = try #require(try await endpoint.relaunchStatus(filePath))
        #expect(running.target?.container == asked)
        try await Self.waitForReadyLines(1, in: filePath)
        endpoint.killAbruptly()
        container.remove()

        try endpoint.restart()
        let (stderr, status) = try await expectNotRelaunched(filePath, endpoint: endpoint, receiver: receiver, log: log, window: window)
        #expect(stderr.contains(asked), "the reason names the container: \(stderr)")
        #expect(status.target?.container == asked, "the target is still shown after the restart")
    }
}
