import EndpointTestSupport
import Foundation
import SubmitReceiver
import Testing

/// Targeted runs of real bpftrace on home-made containers (`HomeMadeContainer`: their own
/// root with a copy of bash, their own namespaces, real cgroup v2 directories named as
/// Docker and a kubelet name them), next to busy host processes running the host's
/// /bin/bash: a filter or a probed path that is wrong shows as an event from the host.
@Suite(
    "Targeted runs: a container, a pid, a pod glob, refusals",
    .serialized,
    .enabled(if: getuid() == 0, "needs root to make cgroups and namespaces")
)
struct TargetedRunTests {
    static let podUID = "7e2b4c1d-9a3f-4e5b-8c6d-1f2a3b4c5d6e"
    static let bashTemplate = #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF","STAP"]}"#
    /// A container's bash that forks and allocates 20 times a second (`read -t` on the
    /// root's FIFO is bash's own sleep): events enough to see, few enough to read back
    /// quickly (a fully busy loop makes megabytes a second).
    static let pacedCommand = "while :; do x=$(echo a b c); y=\"$x$x\"; read -t 0.05 _ <> /hold; done"

    /// The decoded stream of a finished run that exited 0.
    func finishedStream(_ filePath: String, _ receiver: LiveReceiver) async throws -> [StreamLine] {
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 20), "the run finishes")
        #expect(received.verdict == .complete && received.code == 0, "\(received)")
        let stream = try await receiver.stream(filePath)
        #expect(stream == FileManager.default.contents(atPath: filePath), "the run file holds what was streamed")
        return try streamLines(stream)
    }

    /// The `target` lines, which must come right after `ready`.
    func targetLines(_ lines: [StreamLine]) throws -> [[TupleElement]] {
        let ready = try #require(lines.firstIndex { $0.event == "ready" }, "a ready line")
        let targets = lines[(ready + 1)...].prefix { $0.event == "target" }.compactMap(\.data)
        #expect(lines.filter { $0.event == "target" }.count == targets.count, "every target line is right after ready")
        return targets
    }

    func events(_ lines: [StreamLine]) -> [[TupleElement]] {
        lines.compactMap(\.data).filter { $0.first?.text == "entry" || $0.first?.text == "return" }
    }

    @Test(
        "A container by id prefix: its bash traced, not a busy host bash, nor the same file run outside its cgroup; target line after ready; cgroup id last in every event"
    )
    func containerTarget() async throws {
        let container = try HomeMadeContainer(command: Self.pacedCommand)
        defer { container.remove() }
        let hostBusy = try busyBash(seconds: 10)
        defer { hostBusy.send(SIGKILL) }
        // The container's own bash file, run in the root but from the test's cgroup: only
        // the cgroup filter keeps its events out.
        let sameFileOutside = try SpawnedProcess(
            executable: "/usr/sbin/chroot",
            arguments: [container.rootDirectory, "/bin/bash", "-c", HomeMadeContainer.busyCommand]
        )
        defer { sameFileOutside.send(SIGKILL) }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 2, target: #"{"container":"\#(container.id.prefix(12))"}"#)

        let status = try await endpoint.waitForState(filePath, .running)
        #expect(status.target?.container == String(container.id.prefix(12)) && status.target?.pid == nil && status.target?.pod == nil)
        let resolved = try #require(status.resolved)
        #expect(resolved.filter == "cgroup")
        #expect(resolved.matches.map(\.id) == [container.id] && resolved.matches.first?.cgroupId == container.cgroupId)
        #expect(resolved.matches.first?.pids == [container.initPid])
        #expect(resolved.files.map(\.path) == ["/proc/\(container.initPid)/root/bin/bash"])
        #expect(status.probesExpected == 7 && status.probesAttached == 7)
        #expect(try await endpoint.runningRuns().first { $0.filePath == filePath }?.resolved == resolved)

        let lines = try await finishedStream(filePath, receiver)
        let cgroupId = try #require(container.cgroupId).description
        #expect(try targetLines(lines) == [[.text("target"), .text("container"), .text(container.id), .null, .number(Int64(cgroupId)!)]])
        let events = events(lines)
        #expect(events.count > 10, "the container's busy bash was traced")
        #expect(events.allSatisfy { $0.last?.number.map(String.init) == cgroupId }, "only the container's cgroup")
        #expect(
            !events.contains { [Int64(hostBusy.pid), Int64(sameFileOutside.pid)].contains($0.dropFirst(3).first?.number) },
            "not the host's busy bash"
        )
        #expect(events.allSatisfy { $0.count == ($0.first?.text == "entry" ? 9 : 10) })
        // Its bash is a copy of the host's: the same build, named by its path inside the container.
        let file = "/proc/\(container.initPid)/root/bin/bash"
        let facts = BinaryFacts.bash
        let binary = try #require(resolved.files.first?.binary)
        #expect(binary.buildId == facts.buildId && binary.sha256 == facts.sha256 && binary.size == facts.size)
        let ready = try #require(lines.firstIndex { $0.event == "ready" })
        #expect(
            lines[ready + 2].data == [.text("binary"), .text(file), facts.buildId.map { .text($0) } ?? .null, .text(facts.sha256)],
            "the binary line follows the target line"
        )
        #expect(lines.filter { $0.event == "binary" }.count == 1)
    }

    @Test("A pid: only that process's events, its target line naming the pid")
    func pidTarget() async throws {
        let traced = try SpawnedProcess(
            executable: "/bin/bash",
            arguments: ["-c", #"end=$((SECONDS+10)); while [ $SECONDS -lt $end ]; do x=$(echo a b c); y="$x$x"; sleep 0.05; done"#]
        )
        defer { traced.send(SIGKILL) }
        let other = try busyBash(seconds: 10)
        defer { other.send(SIGKILL) }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 2, target: #"{"pid":\#(traced.pid)}"#)
        let status = try await endpoint.waitForState(filePath, .running)
        #expect(status.resolved?.filter == "pids")
        let lines = try await finishedStream(filePath, receiver)
        let targets = try targetLines(lines)
        #expect(targets.count == 1 && targets.first?.prefix(4) == [.text("target"), .text("pid"), .text("\(traced.pid)"), .null])
        let events = events(lines)
        #expect(!events.isEmpty, "the traced bash's own allocations")
        #expect(events.allSatisfy { $0.dropFirst(3).first?.number == Int64(traced.pid) }, "no event of another pid (its subshells included)")
    }

    @Test("A pod glob over two containers of a pod: two target lines named from the kubelet's links, events from both, a file each")
    func podGlob() async throws {
        let api = try HomeMadeContainer(naming: .kubernetesPod(uid: Self.podUID, qosClass: "burstable"), command: Self.pacedCommand)
        defer { api.remove() }
        let web = try HomeMadeContainer(naming: .kubernetesPod(uid: Self.podUID, qosClass: "burstable"), command: Self.pacedCommand)
        defer { web.remove() }
        let logs = try Self.logLinks([("api", api.id), ("web", web.id)])
        defer { try? FileManager.default.removeItem(atPath: logs) }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["container-log-dir": logs])
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 2, target: #"{"pod":"shop-*","namespace":"prod"}"#)
        let status = try await endpoint.waitForState(filePath, .running)
        #expect(status.resolved?.files.count == 2, "two copies of bash: a probe set each")
        #expect(status.probesExpected == 9)

        let lines = try await finishedStream(filePath, receiver)
        let byId = Dictionary(uniqueKeysWithValues: [api, web].map { ($0.id, $0) })
        let targets = try targetLines(lines)
        #expect(Set(targets.compactMap { $0.dropFirst(2).first?.text }) == Set(byId.keys))
        for line in targets {
            let container = try #require(byId[line[2].text ?? ""])
            #expect(line[3].text == (container === api ? "api" : "web"))
            #expect(line[4].number.map { UInt64($0) } == container.cgroupId)
        }
        let seen = Set(events(lines).compactMap { $0.last?.number.map { UInt64($0) } })
        #expect(seen == Set([api.cgroupId, web.cgroupId].compactMap { $0 }), "events from both containers and nothing else")
    }

    @Test("A container whose processes all exit mid-run: the run ends normally at its lasting")
    func targetExitsMidRun() async throws {
        let container = try HomeMadeContainer(command: Self.pacedCommand)
        defer { container.remove() }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let number = try await endpoint.putTemplate(Self.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 2, target: #"{"container":"\#(container.id)"}"#)
        try await endpoint.waitForState(filePath, .running)
        container.remove()
        let lines = try await finishedStream(filePath, receiver)
        #expect(try targetLines(lines).count == 1)
        let finished = try #require(try await endpoint.runStatus(filePath))
        #expect(finished.exitCode == 0 && finished.failure == nil)
    }

    @Test("Refusals: 404 naming the target that matches nothing, 400 naming the field; nothing starts")
    func refusals() async throws {
        let api = try HomeMadeContainer(naming: .kubernetesPod(uid: Self.podUID, qosClass: "burstable"))
        defer { api.remove() }
        let web = try HomeMadeContainer(naming: .kubernetesPod(uid: Self.podUID, qosClass: "burstable"))
        defer { web.remove() }
        let logs = try Self.logLinks([("api", api.id), ("web", web.id)])
        defer { try? FileManager.default.removeItem(atPath: logs) }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: ["container-log-dir": logs, "max-targets-per-run": "1"])
        let bash = try await endpoint.putTemplate(Self.bashTemplate)
        let shell = try await endpoint.putTemplate(#"{"process":"/bin/sh","functions":["xmalloc"],"traceType":["BPF"]}"#)
        let missing = try await endpoint.putTemplate(#"{"process":"/bin/bash","functions":["xmalloc","no_such_function"],"traceType":["BPF"]}"#)
        // Pinned to another build than the containers' bash (a copy of the host's).
        let pinnedElsewhere = try await endpoint.putTemplate(
            #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"],"sha256":"\#(String(repeating: "0", count: 64))"}"#
        )
        let shapes =
            #"a target is {"pid": N}, {"container": "<id>"}, {"pod": "<glob>", "namespace": "<glob>", "container": "<glob>"} or {"cgroup": "<path>"}"#
        let cases: [(traceId: Int, tracer: String, target: String, status: Int, error: String)] = [
            (bash, "BPF", #"{"container":"ffffffffffff"}"#, 404, "target: no container ffffffffffff on this host"),
            (bash, "BPF", #"{"pid":4194304}"#, 404, "target: no pid 4194304 on this host"),
            (bash, "BPF", #"{"pod":"cart-*"}"#, 404, #"target: no pod "cart-*" in namespace "*", container "*" on this host"#),
            (bash, "BPF", #"{"cgroup":"/lambda-no-such-cgroup"}"#, 404, "target: no process in cgroup /lambda-no-such-cgroup on this host"),
            (
                bash, "BPF", #"{"pod":"shop-*"}"#, 400,
                #"target: pod "shop-*" in namespace "*", container "*" matches 2 containers, more than max-targets-per-run (1); narrow it"#
            ),
            (bash, "BPF", #"{"pid":1,"cgroup":"/"}"#, 400, "target: pid and cgroup are two kinds of target; give one. \(shapes)"),
            (bash, "BPF", #"{"image":"nginx"}"#, 400, #"target: unknown key "image"; \#(shapes)"#),
            (
                bash, "BPF", #"{"container":"abc"}"#, 400,
                "target.container: must be a container id: its 64 hexadecimal digits or a unique prefix of at least 12"
            ),
            (
                bash, "BPF", #"{"pod":"a;b"}"#, 400,
                "target.pod: must be a glob of 1 to 253 characters: letters, digits, '.', '-', '_', and the wildcards '*' and '?'"
            ),
            (bash, "STAP", #"{"container":"\#(api.id)"}"#, 400, "target: STAP runs cannot be targeted (traceT); start the run with BPF"),
            (shell, "BPF", #"{"container":"\#(api.id)"}"#, 400, "process: '/bin/sh' does not exist in container \(api.id)"),
            (missing, "BPF", #"{"container":"\#(api.id)"}"#, 400, "functions: not in /bin/bash of container \(api.id): no_such_function"),
            (
                pinnedElsewhere, "BPF", #"{"container":"\#(api.id)"}"#, 409,
                "process: '/proc/\(api.initPid)/root/bin/bash' is not the build template \(pinnedElsewhere) pins: pinned sha256 \(String(repeating: "0", count: 64)), found buildId \(BinaryFacts.bash.buildId ?? "none") sha256 \(BinaryFacts.bash.sha256)"
            ),
        ]
        for refused in cases {
            let body = #"{"traceT":"\#(refused.tracer)","traceId":\#(refused.traceId),"lasting":5,"target":\#(refused.target)}"#
            let answer = try await endpoint.request("POST", "/trace/start", json: body)
            #expect(answer.status == refused.status, "\(refused.target): \(answer.body)")
            #expect((try? answer.decoded(as: ErrorAnswer.self))?.error == refused.error, "\(refused.target)")
        }
        #expect(try await endpoint.runningRuns().isEmpty, "no refused start left a run")
        // Pinned to the build the container runs: it starts.
        let pinnedHere = try await endpoint.putTemplate(
            #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"],"sha256":"\#(BinaryFacts.bash.sha256)"}"#
        )
        let filePath = try await endpoint.start(traceId: pinnedHere, lasting: 1, target: #"{"container":"\#(api.id)"}"#)
        #expect(await receiver.waitForFinished(filePath, timeout: 20)?.code == 0)
    }

    /// A kubelet-style log-link directory naming pod shop-1 in namespace prod.
    static func logLinks(_ containers: [(name: String, id: String)]) throws -> String {
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-log-containers-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        for container in containers {
            try FileManager.default.createSymbolicLink(
                atPath: logs + "/shop-1_prod_\(container.name)-\(container.id).log",
                withDestinationPath: "/var/log/pods/prod_shop-1_\(podUID)/\(container.name)/0.log"
            )
        }
        return logs
    }
}
