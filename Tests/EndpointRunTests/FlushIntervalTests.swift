import EndpointTestSupport
import Foundation
import Testing

/// `submit-flush-interval` through the real daemon, real bpftrace and a real platform on
/// loopback: a slow trace's lines reach the platform within the interval, not when a
/// chunk fills or the run ends. `RunDeliveryTests` drives `RunDelivery` alone and kept
/// passing while the daemon held such lines back (its waits were woken only by whole
/// chunks): this is the test that sees the daemon do it.
@Suite("Flush interval through the daemon", .serialized)
struct FlushIntervalTests {
    @Test("A slow exec trace (a line every 300 ms): each line is at the platform within the flush interval plus 500 ms")
    func slowTraceIsLive() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["submit-flush-interval": "0.05"])
        let filePath = try await endpoint.startAnalysis(#"{"analysis":"exec","lasting":60}"#)
        defer { Task { try? await endpoint.kill(filePath) } }
        try await eventually("the ready line is at the platform", timeout: .seconds(20)) {
            (try? await receiver.stream(filePath)).map { String(decoding: $0, as: UTF8.self).contains(#"["ready","#) } ?? false
        }
        var latencies: [Duration] = []
        for _ in 0..<5 {
            let process = try SpawnedProcess(executable: "/bin/true", arguments: [])
            let spawned = ContinuousClock.now
            _ = process.waitForExit(timeout: 5)
            // The exec line names the pid: `["exec", nsecs, PID, ppid, "true", "/bin/true"]`.
            let pid = "\(process.pid)"
            try await eventually("the exec of pid \(pid) is at the platform", timeout: .seconds(10), poll: .milliseconds(10)) {
                guard let stream = try? await receiver.stream(filePath) else { return false }
                return String(decoding: stream, as: UTF8.self).split(separator: "\n").contains { line in
                    line.contains(#"["exec","#) && line.contains(",\(pid),")
                }
            }
            latencies.append(ContinuousClock.now - spawned)
            // A line every 300 ms is the point: a trace slow enough that only the flush sends it.
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(latencies.allSatisfy { $0 < .milliseconds(550) }, "\(latencies)")
    }
}
