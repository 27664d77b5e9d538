import EndpointTestSupport
import Foundation
import PlatformWire
import SubmitReceiver
import Testing

/// A run whose `lasting` has time left when its endpoint stops (SIGKILL, or SIGTERM from a
/// supervisor) is relaunched at the next start, for the time it has left: real bpftrace
/// as root, a real platform on loopback, the endpoint killed for real. What the platform
/// must see is one stream: the same run, chunks numbered on, a `resumed` line where the
/// gap is, one `finished` at the real end (docs/delivery.md, "Runs that outlive a restart").
@Suite("Runs relaunched after a restart", .serialized)
struct RunRelaunchTests {
    static let bashTemplate = #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#
    static let chunkSize = 4096
    /// Chunks of 4 KiB (a traced bash fills several a second), quick retries, a short
    /// grace for tracers that must stop.
    static let lambda: [String: String?] = [
        "submit-chunk-size": "\(chunkSize)", "submit-retry-initial": "0.1", "submit-retry-max": "1", "kill-grace-seconds": "2",
    ]

    /// A host bash that forks and allocates 20 times a second for `seconds`: events for
    /// the xmalloc template, few enough to read back quickly (a fully busy loop makes
    /// megabytes a second).
    static func pacedBash(seconds: Int) throws -> SpawnedProcess {
        try SpawnedProcess(
            executable: "/bin/bash",
            arguments: ["-c", #"end=$((SECONDS+\#(seconds))); while [ $SECONDS -lt $end ]; do x=$(echo a b c); y="$x$x"; sleep 0.05; done"#]
        )
    }

    /// When a run was asked for, by the test's wall clock: its tracer started between
    /// `requested` and `answered`, so its lasting ends between `requested + lasting` and
    /// `answered + lasting`.
    struct RunWindow {
        let requested: Date
        let answered: Date
        let lasting: Int

        /// `finished` is due at the real end: not a second before it, and not long after
        /// (8 s for the tracer's stop and the delivery, on a loaded 2-core machine).
        var finishedWindow: ClosedRange<Date> {
            requested.addingTimeInterval(Double(lasting) - 1)...answered.addingTimeInterval(Double(lasting) + 8)
        }
    }

    /// Starts a run with `start` and notes when, by the test's clock.
    static func timed(lasting: Int, _ start: () async throws -> String) async throws -> (String, RunWindow) {
        let requested = Date()
        let filePath = try await start()
        return (filePath, RunWindow(requested: requested, answered: Date(), lasting: lasting))
    }

    /// Waits until `seconds` have passed since `since`.
    static func wait(until seconds: Double, since: Date) async throws {
        let left = seconds - Date().timeIntervalSince(since)
        if left > 0 { try await Task.sleep(for: .seconds(left)) }
    }

    /// Waits until the run file holds `count` ready lines: that many tracers were ready.
    static func waitForReadyLines(_ count: Int, in filePath: String, timeout: Duration = .seconds(20)) async throws {
        try await eventually("\(count) ready line(s) in \(filePath)", timeout: timeout) {
            RelaunchedStream(FileManager.default.contents(atPath: filePath) ?? Data()).readyIndices.count >= count
        }
    }

    /// The shape of the stream of `tracers` tracers of one run: one ready line each, the
    /// endpoint's `resumed` line right after every ready line but the first, in its exact
    /// format and with stoppedAtNs <= resumedAtNs; a line that is not a stream line only
    /// where the endpoint died mid-line, right before a relaunched tracer's first line.
    /// Returns the gaps the resumed lines give, in order.
    static func expectStreamShape(
        _ stream: RelaunchedStream,
        tracers: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> [RelaunchStatus.Gap] {
        let ready = stream.readyIndices
        #expect(ready.count == tracers, "one ready line per tracer: \(ready.count)", sourceLocation: sourceLocation)
        #expect(
            stream.resumedIndices == ready.dropFirst().map { $0 + 1 },
            "a resumed line right after each relaunched tracer's ready line, nowhere else: ready at \(ready), resumed at \(stream.resumedIndices)",
            sourceLocation: sourceLocation
        )
        var gaps: [RelaunchStatus.Gap] = []
        for index in stream.resumedIndices {
            guard let tuple = stream.tuple(at: index), tuple.count == 3, let stopped = tuple[1].number, let resumed = tuple[2].number else {
                Issue.record("not [\"resumed\", stoppedAtNs, resumedAtNs]: \(stream.lines[index])", sourceLocation: sourceLocation)
                continue
            }
            #expect(stream.lines[index] == RelaunchedStream.resumedLine(stoppedAtNs: stopped, resumedAtNs: resumed), sourceLocation: sourceLocation)
            #expect(stopped <= resumed, "stopped after it resumed: \(stream.lines[index])", sourceLocation: sourceLocation)
            gaps.append(RelaunchStatus.Gap(stoppedAtNs: stopped, resumedAtNs: resumed))
        }
        let broken = stream.brokenIndices
        #expect(broken.count <= tracers - 1, "at most one cut line per restart: \(broken.count)", sourceLocation: sourceLocation)
        for index in broken {
            let next = index + 1 < stream.decoded.count ? stream.decoded[index + 1] : nil
            let beforeRelaunch = ready.dropFirst().contains { $0 > index } && (next?.event == "ready" || next?.type == "attached_probes")
            #expect(beforeRelaunch, "line \(index + 1) is not a stream line: \(stream.lines[index].prefix(200))", sourceLocation: sourceLocation)
        }
        return gaps
    }

    /// The platform got chunks 0..<n, each number at least once and, unless `resentAllowed`
    /// (a SIGKILL: delivery is at least once), exactly once; none with other bytes, none
    /// missing; its stream equals the run file.
    static func expectContiguousChunks(
        _ filePath: String,
        _ received: ReceivedTrace,
        log: SubmitMessageLog,
        receiver: LiveReceiver,
        resentAllowed: Bool,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(
            received.gaps.isEmpty && received.missingChunks == 0 && received.conflicts.isEmpty && received.refusedChunks == 0
                && received.irregularChunks.isEmpty && received.protocolErrors.isEmpty,
            "\(received)",
            sourceLocation: sourceLocation
        )
        let numbers = log.chunkNumbers(filePath)
        #expect(!numbers.isEmpty && Set(numbers) == Set(0..<received.chunks), "chunk numbers sent: \(numbers)", sourceLocation: sourceLocation)
        if !resentAllowed {
            #expect(numbers.count == Set(numbers).count, "a chunk sent twice: \(numbers)", sourceLocation: sourceLocation)
        }
        let delivered = try await receiver.stream(filePath)
        #expect(
            delivered == FileManager.default.contents(atPath: filePath),
            "delivered bytes differ from the run file",
            sourceLocation: sourceLocation
        )
    }

    /// Exactly one `finished` for the run, inside `window`; returned.
    static func expectOneFinished(
        _ filePath: String,
        log: SubmitMessageLog,
        window: RunWindow,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> SubmitMessageLog.Finished {
        let finished = log.finished(filePath)
        #expect(finished.count == 1, "finished sent \(finished.count) times", sourceLocation: sourceLocation)
        let first = try #require(finished.first, sourceLocation: sourceLocation)
        #expect(
            window.finishedWindow.contains(first.at),
            "finished at \(first.at), expected within \(window.finishedWindow)",
            sourceLocation: sourceLocation
        )
        return first
    }

    /// The run's events in order: run-started, a run-resumed per gap (numbered, with the
    /// gap's stop and the seconds the run had left), run-finished.
    static func expectRelaunchEvents(
        _ filePath: String,
        receiver: LiveReceiver,
        gaps: [RelaunchStatus.Gap],
        status: RelaunchStatus,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let events = try await receiver.runEvents(filePath)
        let lifecycle = events.map(\.kind).filter { ["run-started", "run-resumed", "run-finished"].contains($0) }
        #expect(
            lifecycle == ["run-started"] + Array(repeating: "run-resumed", count: gaps.count) + ["run-finished"],
            "\(lifecycle)",
            sourceLocation: sourceLocation
        )
        let lasting = status.deadline.timeIntervalSince(status.startedAt)
        for (index, (event, gap)) in zip(events.filter { $0.kind == "run-resumed" }, gaps).enumerated() {
            #expect(event.detail["resumedCount"] == .integer(Int64(index + 1)), "\(event.detail)", sourceLocation: sourceLocation)
            #expect(event.detail["stoppedAtNs"] == .integer(gap.stoppedAtNs), "\(event.detail)", sourceLocation: sourceLocation)
            let left: Double? =
                switch event.detail["secondsLeft"] {
                case .integer(let seconds): Double(seconds)
                case .number(let seconds): seconds
                default: nil
                }
            // What the deadline left at the relaunch, give or take the rounding to seconds.
            let expected = status.deadline.timeIntervalSince1970 - Double(gap.resumedAtNs) / 1e9
            #expect(
                left.map { $0 > 0 && $0 <= lasting && abs($0 - expected) <= 2 } == true,
                "secondsLeft \(String(describing: event.detail["secondsLeft"])), expected about \(expected)",
                sourceLocation: sourceLocation
            )
        }
    }

    @Test(
        "SIGKILL mid-run of a template run and an immediate restart: the same run relaunched for its time left, chunks numbered on, one resumed line after the second ready, one finished at the real end"
    )
    func sigkillTemplateRun() async throws {
        let log = SubmitMessageLog()
        let receiver = try await LiveReceiver(fault: log.fault)
        defer { receiver.stop() }
        let busy = try Self.pacedBash(seconds: 40)
        defer { busy.send(SIGKILL) }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: Self.lambda)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let (filePath, window) = try await Self.timed(lasting: 12) { try await endpoint.start(traceId: number, lasting: 12) }
        let before = try await endpoint.waitForState(filePath, .running, timeout: .seconds(20))
        try await Self.wait(until: 3, since: window.requested)
        try await eventually("some of the run delivered before the endpoint dies") {
            try await endpoint.runStatus(filePath).map { $0.chunksAcknowledged > 0 } ?? false
        }
        endpoint.killAbruptly()
        let killedAt = Date()
        let restartedAt = Date()
        try endpoint.restart()

        let received = try #require(await receiver.waitForFinished(filePath, timeout: 30), "no finished for the relaunched run")
        let finished = try Self.expectOneFinished(filePath, log: log, window: window)
        #expect(received.code == 0, "the relaunched tracer stopped at the run's end: \(received.stderr ?? "")")
        // The first tracer's stderr died with the endpoint: a note says so, then the second's.
        let note = try #require(finished.stderr.range(of: "[lambda-endpoint:"), "the endpoint's note on the restart: \(finished.stderr)")
        #expect(finished.stderr.ranges(of: "RLIMIT_MEMLOCK").allSatisfy { $0.lowerBound > note.upperBound }, "\(finished.stderr)")
        try await Self.expectContiguousChunks(filePath, received, log: log, receiver: receiver, resentAllowed: true)

        let stream = RelaunchedStream(try await receiver.stream(filePath))
        let gaps = Self.expectStreamShape(stream, tracers: 2)
        let gap = try #require(gaps.first)
        #expect(gap.stoppedAtNs >= wallClockNanoseconds(window.requested) && gap.stoppedAtNs <= wallClockNanoseconds(killedAt), "\(gap)")
        #expect(gap.resumedAtNs >= wallClockNanoseconds(restartedAt) && gap.resumedAtNs <= wallClockNanoseconds(finished.at), "\(gap)")
        // As at any start, the binary line follows the endpoint's lines after ready.
        let resumedLine = try #require(stream.resumedIndices.first)
        #expect(stream.lines[resumedLine + 1] == BinaryIdentityRunTests.binaryLine("/bin/bash", BinaryFacts.bash))
        #expect(stream.indices(of: "binary").count == 2)

        let after = try #require(try await endpoint.relaunchStatus(filePath))
        #expect(after.filePath == filePath && after.thread == before.thread)
        #expect(after.resumed && after.resumedCount == 1)
        #expect(after.gaps == gaps, "the status's gaps are the stream's")
        try await Self.expectRelaunchEvents(filePath, receiver: receiver, gaps: gaps, status: after)
    }

    /// Both tracers' stderr, in order, the endpoint's note between them. Where bpftrace
    /// cannot raise RLIMIT_MEMLOCK (docs/api.md) it says so once at each start: then
    /// there are two notices, one on each side of the note.
    static func expectTracersStderrInOrder(_ stderr: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let note = stderr.range(of: "[lambda-endpoint:") else {
            Issue.record("no note of the endpoint between the tracers' stderr: \(stderr)", sourceLocation: sourceLocation)
            return
        }
        let notices = stderr.ranges(of: "RLIMIT_MEMLOCK")
        guard !notices.isEmpty else { return }
        #expect(notices.count == 2, "one notice per tracer: \(stderr)", sourceLocation: sourceLocation)
        #expect(
            notices[0].upperBound <= note.lowerBound && note.upperBound <= notices[notices.count - 1].lowerBound,
            "\(stderr)",
            sourceLocation: sourceLocation
        )
    }

    @Test(
        "SIGTERM mid-run of an analysis: every tracer stopped, no finished; relaunched at restart; one stream, finished code 0 at the real end"
    )
    func sigtermAnalysisRun() async throws {
        let log = SubmitMessageLog()
        let receiver = try await LiveReceiver(fault: log.fault)
        defer { receiver.stop() }
        // Targeted to one paced bash. The rate bound counts every fire of the system-call
        // tracepoints, the host's included (docs/guardrails.md): with a build running beside
        // the tests the relaunched tracer met the default 10000 a second (12800) and stopped
        // itself 1.2 s before the run's end, so the bound is raised here.
        let busy = try Self.pacedBash(seconds: 40)
        defer { busy.send(SIGKILL) }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: Self.lambda.merging(["max-events-per-second": "10000000"]) { $1 })
        let (filePath, window) = try await Self.timed(lasting: 12) {
            try await endpoint.startAnalysis(
                #"{"analysis":"syscalls","parameters":{"interval":1,"top":10},"lasting":12,"target":{"pid":\#(busy.pid)}}"#
            )
        }
        let before = try await endpoint.waitForState(filePath, .running, timeout: .seconds(20))
        try await Self.waitForReadyLines(1, in: filePath)
        try await Self.wait(until: 3, since: window.requested)
        let tracers = descendants(of: endpoint.process.pid)
        try #require(!tracers.isEmpty)
        defer { for pid in tracers where isAlive(pid) { kill(pid, SIGKILL) } }
        let stoppingAt = Date()
        #expect(endpoint.stopGracefully() == 0)
        let stoppedAt = Date()
        #expect(tracers.allSatisfy { !isAlive($0) }, "tracers \(tracers.filter(isAlive)) outlived their endpoint's graceful stop")
        #expect(processes(containing: programFile(of: filePath)).isEmpty, "a tracer of the run is left")
        // A finished sent late would come within this second.
        try await Task.sleep(for: .seconds(1))
        #expect(log.finished(filePath).isEmpty, "finished sent for a run that will resume")
        // Its output so far is delivered, but for a last part-chunk the next life sends.
        let file = FileManager.default.contents(atPath: filePath) ?? Data()
        let delivered = (try? await receiver.stream(filePath)) ?? Data()
        #expect(file.starts(with: delivered) && file.count - delivered.count < Self.chunkSize, "\(delivered.count) of \(file.count) bytes delivered")

        let restartedAt = Date()
        try endpoint.restart()
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 30), "no finished for the relaunched run")
        let finished = try Self.expectOneFinished(filePath, log: log, window: window)
        #expect(received.code == 0, "\(received.stderr ?? "")")
        Self.expectTracersStderrInOrder(finished.stderr)
        try await Self.expectContiguousChunks(filePath, received, log: log, receiver: receiver, resentAllowed: false)

        let stream = RelaunchedStream(try await receiver.stream(filePath))
        let gaps = Self.expectStreamShape(stream, tracers: 2)
        #expect(stream.brokenIndices.isEmpty, "a graceful stop cuts no line")
        #expect(stream.indices(of: "end").count == 2, "each tracer's END ran: the stop's and the real end's")
        // As at any start, the target line follows the endpoint's lines after ready.
        let targetLines = stream.indices(of: "target")
        #expect(targetLines == stream.readyIndices.prefix(1).map { $0 + 1 } + stream.resumedIndices.map { $0 + 1 }, "\(targetLines)")
        #expect(targetLines.allSatisfy { stream.tuple(at: $0)?.prefix(3) == [.text("target"), .text("pid"), .text("\(busy.pid)")] })
        let gap = try #require(gaps.first)
        #expect(gap.stoppedAtNs >= wallClockNanoseconds(stoppingAt) && gap.stoppedAtNs <= wallClockNanoseconds(stoppedAt), "\(gap)")
        #expect(gap.resumedAtNs >= wallClockNanoseconds(restartedAt) && gap.resumedAtNs <= wallClockNanoseconds(finished.at), "\(gap)")

        let after = try #require(try await endpoint.relaunchStatus(filePath))
        #expect(after.thread == before.thread && after.resumed && after.resumedCount == 1)
        #expect(after.target?.pid == busy.pid)
        #expect(after.gaps == gaps)
        try await Self.expectRelaunchEvents(filePath, receiver: receiver, gaps: gaps, status: after)
    }
}
