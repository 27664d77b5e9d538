import EndpointTestSupport
import Foundation
import Logging
import Submitter
import Testing
import TraceModel

@testable import Runs

/// The supervisor's limits, driven directly: parallel starts arrive together, with no
/// HTTP in between to spread them out.
@Suite("Run supervisor limits")
struct RunSupervisorLimitTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
        .path

    @Test("32 starts at once with max-concurrent-runs 2: exactly 2 start, 30 are refused")
    func parallelStarts() async throws {
        let directory = try TestConfigDirectory()
        defer { directory.remove() }
        let supervisor = try fakeTracerSupervisor(in: directory) { $0.maxConcurrentRuns = 2 }
        let template = TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["BPF"])
        let outcomes = await withTaskGroup(of: Result<String, StartRefusal>.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    do throws(StartRefusal) {
                        return .success(try await supervisor.start(RunRequest(template: template, tracer: .bpf, lastingSeconds: 30)).filePath)
                    } catch {
                        return .failure(error)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let started = outcomes.compactMap { try? $0.get() }
        #expect(started.count == 2, "\(started.count) runs started past max-concurrent-runs 2")
        #expect(outcomes.filter { $0 == .failure(.tooManyRuns(limit: 2)) }.count == 30)
        for path in started { await supervisor.kill(filePath: path) }
        for path in started {
            try await eventually("killed run \(path) has exited") { await supervisor.status(filePath: path)?.exitCode != nil }
        }
    }

    /// A run counts once from the moment it is among the runs: a start that reserved its
    /// slot used to keep it through the tracer's launch as well, so a second start during
    /// that launch saw the first run twice and was refused below the limit.
    @Test("With max-concurrent-runs 2, a start while another run is launching is not refused")
    func startDuringAnotherLaunch() async throws {
        let directory = try TestConfigDirectory()
        defer { directory.remove() }
        let supervisor = try fakeTracerSupervisor(in: directory) { $0.maxConcurrentRuns = 2 }
        let template = TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["BPF"])
        let request = RunRequest(template: template, tracer: .bpf, lastingSeconds: 30)
        for attempt in 1...10 {
            let first = Task { () throws(StartRefusal) in try await supervisor.start(request).filePath }
            // The first run is among the runs (its launch may still be going on): start the second now.
            try await eventually("attempt \(attempt): the first run is registered", poll: .milliseconds(1)) {
                await !supervisor.activeRuns().isEmpty
            }
            let second: Result<String, StartRefusal>
            do throws(StartRefusal) { second = .success(try await supervisor.start(request).filePath) } catch { second = .failure(error) }
            let paths = [try await first.value] + ((try? second.get()).map { [$0] } ?? [])
            #expect(second.map { _ in "started" } == .success("started"), "attempt \(attempt): \(second)")
            for path in paths { await supervisor.kill(filePath: path) }
            for path in paths {
                try await eventually("attempt \(attempt): run \(path) has exited") { await supervisor.status(filePath: path)?.exitCode != nil }
            }
            if case .failure = second { return }
        }
    }
}
