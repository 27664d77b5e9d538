import EndpointTestSupport
import Foundation
import SubmitReceiver
import Testing

/// An endpoint that dies (SIGKILL, OOM killer) must not leave a root tracer running for
/// the rest of its `lasting`, even one whose probes never fire and so never writes.
@Suite("No quiet orphans", .serialized)
struct OrphanTracerTests {
    /// A tracer of a bash copy nobody runs: its probes never fire, it prints nothing.
    func silentTemplate() throws -> (json: String, copy: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-orphan-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o755)
        let copy = directory + "/bash"
        try FileManager.default.copyItem(atPath: "/bin/bash", toPath: copy)
        return (#"{"process":"\#(copy)","functions":["xmalloc"],"traceType":["BPF"]}"#, copy)
    }

    @Test("Real bpftrace printing nothing is gone within 5 s of its endpoint's SIGKILL", arguments: [EndpointProcess.RunAs.root, .sudoNoPassword])
    func silentTracerDiesWithItsEndpoint(user: EndpointProcess.RunAs) async throws {
        let (template, copy) = try silentTemplate()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: copy).deletingLastPathComponent().path) }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(as: user, receiver: receiver)
        let number = try await endpoint.putTemplate(template)
        let path = try await endpoint.start(traceId: number, lasting: 300)
        try await endpoint.waitForState(path, .running, timeout: .seconds(20))
        let tracers = descendants(of: endpoint.process.pid)
        try #require(!tracers.isEmpty)
        defer { for pid in tracers where isAlive(pid) { kill(pid, SIGKILL) } }
        endpoint.process.send(SIGKILL)
        endpoint.process.waitForExit(timeout: 5)
        // A zombie waiting for a slow reaper counts as gone (`isAlive`).
        try await eventually(
            "tracer processes \(tracers.filter(isAlive)) gone within 5 s of their endpoint",
            timeout: .seconds(5),
            poll: .milliseconds(100)
        ) {
            tracers.allSatisfy { !isAlive($0) }
        }
    }

    @Test("At start, the endpoint stops a tracer of its previous life that is still alive")
    func restartStopsLeftoverTracer() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            lambda: [
                "bpf-path": EndpointProcess.fixture("fake-tracer-silent-survivor.sh"), "kill-grace-seconds": "1",
                // The run ends at the restart: the subject is the leftover, not the relaunch
                // (RunRelaunchTests shows a relaunch stops it as well).
                "resume-runs": "false",
            ]
        )
        let number = try await endpoint.putTemplate(#"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#)
        let path = try await endpoint.start(traceId: number, lasting: 300)
        try await endpoint.waitForState(path, .running, timeout: .seconds(10))
        endpoint.process.send(SIGKILL)
        endpoint.process.waitForExit(timeout: 5)
        // Still alive 2 s after its endpoint died is what makes it a leftover to stop.
        try await Task.sleep(for: .seconds(2))
        let survivors = processes(containing: EndpointProcess.fixture("fake-tracer-silent-survivor.sh"))
        try #require(!survivors.isEmpty, "the fake survivor should outlive its endpoint")
        defer { for pid in survivors where isAlive(pid) { kill(pid, SIGKILL) } }
        try endpoint.restart()
        try await eventually("the restarted endpoint stops the leftover tracer of its previous life", timeout: .seconds(5), poll: .milliseconds(100))
        {
            survivors.allSatisfy { !isAlive($0) }
        }
        let received = try #require(await receiver.waitForFinished(path, timeout: 20))
        #expect(received.code == -1)
    }
}

/// Alive and not a zombie.
func isAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 || errno == EPERM else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
    return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
}

/// A tracer runs as root for as long as its `lasting`: it must hold nothing of the
/// endpoint's but its three pipes. An inherited listening socket would keep the port
/// after the endpoint died; an inherited client connection would stay open from the
/// client's side after the endpoint closed it.
@Suite("What a tracer inherits")
struct TracerDescriptorTests {
    @Test("A tracer holds only its stdin, stdout and stderr: no socket, no database, no run file of another run")
    func onlyThreeDescriptors() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            lambda: [
                "bpf-path": EndpointProcess.fixture("fake-tracer-sleeps.sh"), "kill-grace-seconds": "1",
            ]
        )
        let number = try await endpoint.putTemplate(#"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#)
        let first = try await endpoint.start(traceId: number, lasting: 30)
        let second = try await endpoint.start(traceId: number, lasting: 30)
        try await endpoint.waitForState(second, .running, timeout: .seconds(10))
        let tracers = processes(containing: programFile(of: second))
        try #require(!tracers.isEmpty)
        for pid in tracers {
            let held = openFiles(of: pid)
            #expect(!held.contains { $0.hasPrefix("socket:") || $0.hasPrefix("anon_inode:") }, "tracer \(pid) holds \(held)")
            #expect(!held.contains { $0.hasSuffix(".sqlite3") || $0.hasSuffix(".sqlite3-wal") || $0 == first }, "tracer \(pid) holds \(held)")
        }
        // Each tracer must be gone before the endpoint is SIGKILLed at the end of the
        // test: this fake one never writes, so nothing else would ever stop it.
        for path in [first, second] {
            try await endpoint.kill(path)
            #expect(await receiver.waitForFinished(path, timeout: 15)?.verdict == .complete)
        }
    }
}
