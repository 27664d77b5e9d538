import EndpointTestSupport
import Foundation
import Testing

/// Each tracer in a cgroup of its own, capped; gone when the tracer is.
@Suite("Tracer resource caps", .serialized)
struct TracerCapsTests {
    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("As root: the tracer runs in cgroups with tracer-cpu-percent and tracer-memory-mib, removed once it exits")
    func rootCapsApplied() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            lambda: ["bpf-path": EndpointProcess.fixture("fake-tracer-sleeps.sh"), "tracer-cpu-percent": "30", "tracer-memory-mib": "256"]
        )
        let number = try await endpoint.putTemplate(#"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#)
        let filePath = try await endpoint.start(traceId: number, lasting: 30)
        let running = try await endpoint.waitForState(filePath, .running)
        let caps = try #require(running.resourceCaps)
        #expect(caps.applied && caps.cpuPercent == 30 && caps.memoryMiB == 256, "\(caps)")
        let cgroups = try #require(caps.cgroups)
        #expect(!cgroups.isEmpty)
        // This endpoint's own tracer (as root, its child), not another test's.
        let fakeTracers = Set(processes(containing: "fake-tracer-sleeps.sh"))
        let tracer = try #require(descendants(of: endpoint.process.pid).first { fakeTracers.contains($0) })
        for directory in cgroups {
            #expect(Self.read(directory + "/cgroup.procs")?.split(separator: "\n").contains(Substring("\(tracer)")) == true, "\(directory)")
            if let quota = Self.read(directory + "/cpu.cfs_quota_us") {
                #expect(quota == "30000" && Self.read(directory + "/cpu.cfs_period_us") == "100000")
            } else if let limit = Self.read(directory + "/memory.limit_in_bytes") {
                #expect(limit == "\(256 << 20)")
            } else {
                #expect(Self.read(directory + "/cpu.max") == "30000 100000" || Self.read(directory + "/memory.max") == "\(256 << 20)")
            }
        }
        try await endpoint.kill(filePath)
        #expect(await receiver.waitForFinished(filePath, timeout: 15)?.verdict == .complete)
        try await eventually("the tracer's cgroups are removed") { cgroups.allSatisfy { !FileManager.default.fileExists(atPath: $0) } }
    }

    @Test("Through sudo: the caps are reported as not applied, with the reason; the run goes on")
    func sudoCapsNotApplied() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(as: .sudoNoPassword, receiver: receiver)
        let number = try await endpoint.putTemplate(#"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#)
        let filePath = try await endpoint.start(traceId: number, lasting: 1)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 20))
        #expect(received.verdict == .complete && received.code == 0)
        let finished = try #require(try await endpoint.runStatus(filePath))
        let caps = try #require(finished.resourceCaps)
        #expect(!caps.applied && caps.cgroups == nil && caps.cpuPercent == nil)
        #expect(caps.reason == "the endpoint runs the tracer through sudo and cannot write the host's cgroups")
    }
}
