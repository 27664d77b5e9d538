import EndpointTestSupport
import Foundation
import SubmitReceiver
import Testing

/// The limits on runs hold against a hostile or simply busy platform: parallel starts,
/// runs that pile up undelivered, templates whose programs are large. Real processes,
/// real HTTP; fake tracers where only a flood or a count matters.
@Suite("Run limits", .serialized)
struct RunLimitTests {
    static let template = #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#

    @Test("max-concurrent-runs holds under 16 parallel starts: at most the limit answer 200, the rest 429")
    func parallelStartsRespectTheLimit() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            lambda: [
                "bpf-path": EndpointProcess.fixture("fake-tracer-sleeps.sh"), "max-concurrent-runs": "2", "kill-grace-seconds": "1",
            ]
        )
        let number = try await endpoint.putTemplate(Self.template)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try await endpoint.request("POST", "/trace/start", json: #"{"traceT":"BPF","traceId":\#(number),"lasting":30}"#).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 200 }.count == 2, "\(statuses.sorted())")
        #expect(statuses.filter { $0 == 429 }.count == 14, "\(statuses.sorted())")
        let running = try await endpoint.runningRuns()
        #expect(running.count == 2)
        // Stopped for real before the endpoint goes: a fake tracer that never writes would
        // outlive a SIGKILLed endpoint (only real tracers print the `alive` line).
        for path in running.map(\.filePath) {
            try await endpoint.kill(path)
            try await endpoint.waitForState(path, .delivered, timeout: .seconds(10))
        }
    }

    @Test("A start racing SIGTERM never leaves a tracer behind")
    func startRacingShutdown() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            lambda: [
                "bpf-path": EndpointProcess.fixture("fake-tracer-sleeps.sh"), "kill-grace-seconds": "1", "shutdown-grace-seconds": "2",
            ]
        )
        let number = try await endpoint.putTemplate(Self.template)
        let earlier = Set(processes(containing: EndpointProcess.fixture("fake-tracer-sleeps.sh")))
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    _ = try? await endpoint.request("POST", "/trace/start", json: #"{"traceT":"BPF","traceId":\#(number),"lasting":60}"#)
                }
            }
            group.addTask { endpoint.process.send(SIGTERM) }
        }
        #expect(endpoint.process.waitForExit(timeout: 20) == 0)
        try await eventually("no tracer started by the racing starts is left", timeout: .seconds(5)) {
            Set(processes(containing: EndpointProcess.fixture("fake-tracer-sleeps.sh"))).subtracting(earlier).isEmpty
        }
    }

    @Test("Runs waiting for a platform that is down are capped (max-undelivered-runs): the next start is 503 naming it")
    func undeliveredRunsAreCapped() async throws {
        let receiver = try await LiveReceiver(fault: { _ in .serviceUnavailable })
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            lambda: [
                "bpf-path": EndpointProcess.fixture("fake-tracer-counter.sh"), "max-undelivered-runs": "2",
                "submit-retry-initial": "0.2", "submit-retry-max": "1", "kill-grace-seconds": "1",
            ]
        )
        let number = try await endpoint.putTemplate(Self.template)
        var paths: [String] = []
        for _ in 0..<2 {
            let path = try await endpoint.start(traceId: number, lasting: 60)
            try await endpoint.kill(path)
            try await endpoint.waitForState(path, .delivering, timeout: .seconds(10))
            paths.append(path)
        }
        let refused = try await endpoint.request("POST", "/trace/start", json: #"{"traceT":"BPF","traceId":\#(number),"lasting":60}"#)
        #expect(refused.status == 503, "\(refused.body)")
        #expect(refused.body.contains("max-undelivered-runs"), "\(refused.body)")
        #expect(processes(containing: EndpointProcess.fixture("fake-tracer-counter.sh")).isEmpty, "a refused start launched a tracer")
    }

    @Test("A restart with 8 undelivered runs resumes them without opening every run file at once")
    func resumeOpensFewFilesAtOnce() async throws {
        let receiver = try await LiveReceiver(fault: { _ in .serviceUnavailable })
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            lambda: [
                "bpf-path": EndpointProcess.fixture("fake-tracer-counter.sh"),
                "submit-retry-initial": "0.2", "submit-retry-max": "1", "kill-grace-seconds": "1",
            ]
        )
        let number = try await endpoint.putTemplate(Self.template)
        var paths: [String] = []
        for _ in 0..<8 {
            let path = try await endpoint.start(traceId: number, lasting: 60)
            try await endpoint.kill(path)
            paths.append(path)
        }
        for path in paths { try await endpoint.waitForState(path, .delivering, timeout: .seconds(10)) }
        endpoint.process.send(SIGKILL)
        endpoint.process.waitForExit(timeout: 5)
        try endpoint.restart()
        try await eventually("every pending run is listed while it waits") {
            Set(try await endpoint.runningRuns().map(\.filePath)) == Set(paths)
        }
        // The resumed deliveries keep retrying (the platform answers 503): for 2 s of that,
        // the files they hold open at any one time stay few. The window is the point.
        var most: [String] = []
        let end = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < end {
            let open = openFiles(of: endpoint.process.pid).filter { $0.hasSuffix(".trace") }
            if open.count > most.count { most = open }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(most.count <= 4, "\(most.count) run files open at once: \(most)")
    }

    @Test("A template with 1024 functions (a program far over 128 KiB) runs: code 0, never 127")
    func largeProgramRuns() async throws {
        let names = try bashFunctionNames().prefix(1024)
        try #require(names.count == 1024)
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            lambda: [
                "bpf-path": EndpointProcess.fixture("fake-tracer-counter.sh"), "stap-path": EndpointProcess.fixture("fake-tracer-counter.sh"),
                "max-functions-per-template": "1024", "kill-grace-seconds": "1",
            ]
        )
        let functions = names.map { "\"\($0)\"" }.joined(separator: ",")
        let number = try await endpoint.putTemplate(#"{"process":"/bin/bash","functions":[\#(functions)],"traceType":["BPF","STAP"]}"#)
        for tracer in ["BPF", "STAP"] {
            let path = try await endpoint.start(traceId: number, tracer: tracer, lasting: 1)
            let received = try #require(await receiver.waitForFinished(path, timeout: 20))
            #expect(received.code == 0, "\(tracer): \(received.stderr ?? "")")
        }
    }
}

/// Function names `bpftrace -l` lists for /bin/bash that the template rules accept.
func bashFunctionNames() throws -> [String] {
    let listing = try SpawnedProcess(executable: "/usr/bin/bpftrace", arguments: ["-l", "uprobe:/bin/bash:*"])
    listing.waitForExit(timeout: 60)
    var seen = Set<String>()
    return listing.standardOutput.split(separator: "\n").compactMap { line -> String? in
        guard let name = line.split(separator: ":").last.map(String.init),
            let first = name.unicodeScalars.first, first == "_" || CharacterSet.letters.contains(first),
            name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_.$".unicodeScalars.contains($0)) })
        else { return nil }
        return seen.insert(name).inserted ? name : nil
    }
}

/// The paths a process holds open, from /proc/PID/fd.
func openFiles(of pid: Int32) -> [String] {
    let directory = "/proc/\(pid)/fd"
    return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap {
        try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0)
    }
}
