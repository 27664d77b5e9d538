import EndpointTestSupport
import Foundation
import SubmitReceiver
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Targets that must stay on what they named, with real bpftrace, real processes and
/// home-made containers (`HomeMadeContainer`): a pid target ends with its process (its
/// pid may go to another), a container id borrowed by another container's sub-cgroup is
/// refused, and a subtree past the filter's cap is traced in part and says so.
@Suite(
    "Targets stay on what they named: a pid that exits, a borrowed container id, a subtree past the cap",
    .serialized,
    .enabled(if: getuid() == 0, "needs root to make cgroups and namespaces and to choose the next pid")
)
struct TargetIntegrityRunTests {
    static let bashTemplate = TargetedRunTests.bashTemplate

    /// A process given `pid` again: root writes `ns_last_pid` and the next fork takes the
    /// pid after it. Other forks on the machine may take it first: tried again then. nil
    /// when it could not be had.
    static func spawnReusing(pid: Int32, command: String) -> SpawnedProcess? {
        for _ in 0..<200 {
            try? "\(pid - 1)".write(toFile: "/proc/sys/kernel/ns_last_pid", atomically: false, encoding: .utf8)
            guard let process = try? SpawnedProcess(executable: "/bin/bash", arguments: ["-c", command]) else { return nil }
            if process.pid == pid { return process }
            process.send(SIGKILL)
            _ = process.waitForExit(timeout: 5)
        }
        return nil
    }

    @Test("A pid target whose process exits ends the run, saying so; the pid given to another process is not traced")
    func pidTargetEndsWithItsProcess() async throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-idle-\(UUID().uuidString)").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        // Blocked in read(2) on a FIFO no one writes: while traced it allocates nothing.
        let traced = try SpawnedProcess(executable: "/bin/bash", arguments: ["-c", #"read -r _ <> "$1""#, "idle", fifo])
        defer { traced.send(SIGKILL) }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 60, target: #"{"pid":\#(traced.pid)}"#)
        try await endpoint.waitForState(filePath, .running, timeout: .seconds(20))

        traced.send(SIGKILL)
        #expect(traced.waitForExit(timeout: 5) != nil)
        let reuser = Self.spawnReusing(pid: traced.pid, command: HomeMadeContainer.busyCommand)
        defer { reuser?.send(SIGKILL) }
        #expect(reuser != nil, "a busy bash was given pid \(traced.pid) again")

        let received = try #require(
            await receiver.waitForFinished(filePath, timeout: 20),
            "the run ends with its target, long before its lasting of 60 s"
        )
        #expect(received.code == 0, "bpftrace stopped with SIGINT: \(received)")
        let note = "stopped: target process \(traced.pid) exited; a pid target ends with its process, whose pid may be given to another"
        #expect(received.stderr?.contains("[lambda-endpoint: \(note)]") == true, "\(received.stderr ?? "no stderr")")
        #expect(try await endpoint.runStatus(filePath)?.failure == note)
        let stream = try await receiver.stream(filePath)
        let events = TargetedRunTests().events(try streamLines(stream))
        // The pidfd wakes the endpoint at the exit, but bpftrace detaches only after its
        // SIGINT, tens of ms later: the program's own exit mark (`TargetExitGuard`) keeps
        // the busy bash given the pid meanwhile out (1,800 to 4,600 events of it seen without the mark).
        #expect(events.isEmpty, "nothing of the process given the pid (the idle bash itself made no call): \(events.count) events")
        #expect(!String(decoding: stream, as: UTF8.self).contains("@lambda_exited"), "the exit mark is cleared unprinted")
    }

    @Test("A pid target whose process is gone when the tracer starts: the run ends at once, saying so")
    func pidTargetGoneBeforeTheTracer() async throws {
        let sleeper = try SpawnedProcess(executable: "/bin/sleep", arguments: ["30"])
        defer { sleeper.send(SIGKILL) }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        // A fake tracer that only sleeps: the run can end only because the endpoint ends it.
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["bpf-path": EndpointProcess.fixture("fake-tracer-sleeps.sh")])
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 60, target: #"{"pid":\#(sleeper.pid)}"#)
        sleeper.send(SIGKILL)
        _ = sleeper.waitForExit(timeout: 5)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 20), "the run ends, long before its lasting of 60 s")
        #expect(received.stderr?.contains("[lambda-endpoint: stopped: target process \(sleeper.pid) exited;") == true, "\(received.stderr ?? "")")
    }

    @Test(
        "A container naming a cgroup of its own after another's id: /containers shows both cgroups in conflict, a target on the id is 409 naming both"
    )
    func borrowedContainerId() async throws {
        let victim = try HomeMadeContainer(command: TargetedRunTests.pacedCommand)
        defer { victim.remove() }
        let attacker = try HomeMadeContainer(command: TargetedRunTests.pacedCommand)
        defer { attacker.remove() }
        let borrowedPath = attacker.cgroupPath + "/docker-\(victim.id).scope"
        try FileManager.default.createDirectory(atPath: attacker.cgroupMount + borrowedPath, withIntermediateDirectories: false)
        let (_, moved) = try attacker.spawn(HomeMadeContainer.busyCommand)
        try "\(moved)".write(toFile: attacker.cgroupMount + borrowedPath + "/cgroup.procs", atomically: false, encoding: .utf8)

        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let listed = try endpoint.okAnswer(try await endpoint.request("GET", "/containers"), "GET /containers", as: [ContainerAnswer].self)
        let claimed = listed.filter { $0.id == victim.id }
        #expect(claimed.map(\.cgroup) == [victim.cgroupPath, borrowedPath].sorted(), "one entry per cgroup")
        #expect(claimed.first { $0.cgroup == victim.cgroupPath }?.conflict == [borrowedPath])
        #expect(claimed.first { $0.cgroup == borrowedPath }?.conflict == [victim.cgroupPath])
        #expect(listed.first { $0.id == attacker.id }?.conflict == nil)

        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let paths = [victim.cgroupPath, borrowedPath].sorted().joined(separator: ", ")
        for asked in [victim.id, String(victim.id.prefix(12))] {
            let answer = try await endpoint.request(
                "POST",
                "/trace/start",
                json: #"{"traceT":"BPF","traceId":\#(number),"lasting":5,"target":{"container":"\#(asked)"}}"#
            )
            #expect(answer.status == 409, "\(answer.body)")
            #expect(
                (try? answer.decoded(as: ErrorAnswer.self))?.error
                    == "target: container \(victim.id) is claimed by 2 unrelated cgroups (\(paths)): a container can name a cgroup of its own after another's id, so neither is traced"
            )
        }
        #expect(try await endpoint.runningRuns().isEmpty, "nothing started")
    }

    @Test("A container with more cgroups below it than a filter holds: the first 4,096 traced, the status saying how many are not")
    func subtreePastTheCap() async throws {
        let container = try HomeMadeContainer(command: TargetedRunTests.pacedCommand)
        defer { container.remove() }
        // 4,100 real cgroups below the container's: with its own, 5 past the cap. Removed
        // by `remove()`, deepest first.
        for index in 0..<4100 { #expect(mkdir(container.cgroupDirectory + "/c\(index)", 0o755) == 0) }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        // bpftrace compiles a predicate of 4,096 comparisons per probe for seconds (5 s on an
        // idle machine here, more when loaded), and the endpoint's bound on `lasting` counts
        // from the start: a short run would be stopped before its probes attach. The status
        // is read once the run is over (the finished list keeps it), not raced while it runs.
        let filePath = try await endpoint.start(traceId: number, lasting: 15, target: #"{"container":"\#(container.id)"}"#)
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 90))
        #expect(received.code == 0, "\(received)")
        let status = try #require(try await endpoint.runStatus(filePath))
        #expect(status.probesAttached == status.probesExpected, "the program with 4,096 comparisons per probe loaded")
        let match = try #require(status.resolved?.matches.first)
        #expect(match.cgroupIds.count == 4096 && match.cgroupId == container.cgroupId)
        #expect(match.untracedSubCgroups == 5)
        #expect(
            status.warnings == [
                "container \(container.id) has 4100 cgroups below its own, more than the 4096 a filter holds: 5 of them are not traced"
            ]
        )
    }
}
