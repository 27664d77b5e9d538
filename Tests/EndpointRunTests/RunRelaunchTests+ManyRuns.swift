import EndpointTestSupport
import Foundation
import Testing

/// A restart with many runs to relaunch: they come back a few at a time, each as one
/// stream, with the endpoint's descriptors bounded meanwhile.
extension RunRelaunchTests {
    static let manyRuns = 50
    /// Relaunched tracers starting at once, at most. Counted from the tracer processes:
    /// the runs waiting for their turn are listed as `starting` too (docs/delivery.md).
    static let relaunchesAtOnce = 4

    /// Those of `filePaths` whose tracer is alive (its program file in a command line),
    /// from one reading of /proc.
    static func runsWithTracer(_ filePaths: [String]) -> Set<String> {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        let commandLines = entries.compactMap(Int32.init).compactMap { pid in
            FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0.map { $0 == 0 ? 32 : $0 }, as: UTF8.self) }
        }
        return Set(filePaths.filter { path in commandLines.contains { $0.contains(programFile(of: path)) } })
    }

    /// The counts of a slow fake counter's stream (`fake-tracer-slow-counter.sh`): each
    /// tracer's numbers go 0, 1, 2... from its ready line, with no hole and nothing out
    /// of order, and nothing else is in the stream but the endpoint's lines.
    static func expectCountsPerTracer(_ stream: RelaunchedStream, _ filePath: String) {
        var segments: [[Int64]] = []
        for line in stream.decoded {
            guard let line else { continue }
            switch line.event {
            case "ready": segments.append([])
            case "count":
                if let value = line.data?.dropFirst().first?.number, !segments.isEmpty { segments[segments.count - 1].append(value) }
            case "resumed", "binary": break
            default: Issue.record("\(filePath): an unexpected line \(line.type) \(line.event ?? "")")
            }
        }
        for (tracer, counts) in segments.enumerated() {
            #expect(counts == (0..<Int64(counts.count)).map { $0 }, "\(filePath), tracer \(tracer + 1): a hole or a reordering")
        }
    }

    /// How many descriptors point to each kind of thing: pipes, sockets, run files...
    static func descriptorKinds(_ targets: [String]) -> [String: Int] {
        var kinds: [String: Int] = [:]
        for target in targets {
            let kind =
                target.hasSuffix(".trace")
                ? "run file" : target.hasPrefix("/") ? URL(fileURLWithPath: target).lastPathComponent : String(target.prefix { $0 != ":" })
            kinds[kind, default: 0] += 1
        }
        return kinds
    }

    @Test(
        "50 runs to relaunch at a restart: at most 4 starting at once, descriptors bounded; each with one finished, one resumed line, contiguous chunks"
    )
    func manyRunsComeBack() async throws {
        let log = SubmitMessageLog()
        let receiver = try await LiveReceiver(fault: log.fault)
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            // Chunks of 1 KiB: each run delivers its first within a second (the counter
            // writes about 2 KB a second), so its delivery holds its file open below.
            lambda: Self.lambda.merging([
                "bpf-path": EndpointProcess.fixture("fake-tracer-slow-counter.sh"), "max-concurrent-runs": "64", "kill-grace-seconds": "1",
                "submit-chunk-size": "1024",
            ]) { $1 }
        )
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let idleDescriptors = endpoint.ownDescriptors.count
        var runs: [(filePath: String, window: RunWindow)] = []
        for _ in 0..<Self.manyRuns {
            runs.append(try await Self.timed(lasting: 25) { try await endpoint.start(traceId: number, lasting: 25) })
        }
        try await eventually("all \(Self.manyRuns) runs running and delivering", timeout: .seconds(30), poll: .milliseconds(200)) {
            let running = try await endpoint.runningRuns()
            return running.count == Self.manyRuns && running.allSatisfy { $0.state == .running && $0.chunksAcknowledged > 0 }
        }
        // What the endpoint holds with the 50 runs running and delivering in its first
        // life: per run its tracer's two pipes, its output file, its delivery's reading of it.
        var runningDescriptors = 0
        for _ in 0..<10 {
            runningDescriptors = max(runningDescriptors, endpoint.ownDescriptors.count)
            try await Task.sleep(for: .milliseconds(100))
        }
        endpoint.killAbruptly()
        // The first life's tracers die of SIGPIPE at their next write: none is counted below.
        let filePaths = runs.map(\.filePath)
        try await eventually("the first life's tracers gone", timeout: .seconds(10)) { Self.runsWithTracer(filePaths).isEmpty }
        try endpoint.restart()

        // Coming back, a run holds what it held running in the first life (all counted in
        // `runningDescriptors`), and the few relaunches starting a file or two more each:
        // 32 over the first life's count covers those and the HTTP client's pooled
        // connections. Opening the files of all 50 runs once more at the restart, beside
        // their tracers' and deliveries', would pass it by far.
        let descriptorBound = runningDescriptors + 32
        var peakDescriptors: [String] = []
        // Tracers started and not yet running: the tracer processes are read first, so a
        // run seen running after is not counted, nor is one relaunched in between.
        var peakLaunching = 0
        var peakListedStarting = 0
        try await eventually("all \(Self.manyRuns) runs relaunched and running", timeout: .seconds(30), poll: .milliseconds(20)) {
            let open = endpoint.ownDescriptors
            if open.count > peakDescriptors.count { peakDescriptors = open }
            let traced = Self.runsWithTracer(filePaths)
            let listed = try await endpoint.runningRelaunchStatuses()
            peakLaunching = max(peakLaunching, listed.count { traced.contains($0.filePath) && $0.state != "running" })
            peakListedStarting = max(peakListedStarting, listed.count { $0.state == "starting" })
            return listed.count == Self.manyRuns && listed.allSatisfy { $0.state == "running" && $0.resumedCount == 1 }
        }
        #expect(Self.runsWithTracer(filePaths).count == Self.manyRuns, "every relaunched tracer found by its program file")
        print(
            "manyRunsComeBack: descriptors idle \(idleDescriptors), \(Self.manyRuns) running \(runningDescriptors), peak while relaunching \(peakDescriptors.count); tracers starting at once \(peakLaunching), runs listed starting at once \(peakListedStarting)"
        )
        #expect(peakLaunching <= Self.relaunchesAtOnce, "\(peakLaunching) relaunched tracers starting at once")
        #expect(peakLaunching > 0, "no relaunched tracer seen starting (each takes 0.3 s to be ready): the count above saw nothing")
        #expect(
            peakDescriptors.count <= descriptorBound,
            "\(peakDescriptors.count) descriptors while relaunching, bound \(descriptorBound): \(Self.descriptorKinds(peakDescriptors))"
        )

        for (filePath, window) in runs {
            let received = try #require(await receiver.waitForFinished(filePath, timeout: 40), "no finished for \(filePath)")
            #expect(received.code == 0, "\(filePath): \(received.stderr ?? "")")
            _ = try Self.expectOneFinished(filePath, log: log, window: window)
            try await Self.expectContiguousChunks(filePath, received, log: log, receiver: receiver, resentAllowed: true)
            let stream = RelaunchedStream(try await receiver.stream(filePath))
            _ = Self.expectStreamShape(stream, tracers: 2)
            Self.expectCountsPerTracer(stream, filePath)
        }
        try await eventually("every run's run-finished event arrives", timeout: .seconds(20)) {
            let finished = Set(await receiver.store.events.events().filter { $0.kind == "run-finished" }.compactMap(\.run))
            return runs.allSatisfy { finished.contains($0.filePath) }
        }
        let resumedEvents = await receiver.store.events.events().filter { $0.kind == "run-resumed" }
        for (filePath, _) in runs {
            #expect(resumedEvents.count { $0.run == filePath } == 1, "\(filePath): run-resumed events")
        }
    }
}
