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
            let deadline = ContinuousClock.now + .seconds(10)
            while await supervisor.status(filePath: path)?.exitCode == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
