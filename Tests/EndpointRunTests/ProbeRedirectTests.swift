import EndpointTestSupport
import Foundation
import Testing

/// A container cannot redirect a targeted run's probes to a host file: the endpoint walks
/// the process's path inside the container's root and hands bpftrace the descriptor it
/// walked to (`/proc/<endpoint pid>/fd/<n>`), never a path bpftrace would resolve again,
/// later, from the host's root.
@Suite("Probes land on the file checked", .serialized, .enabled(if: getuid() == 0, "needs root to make cgroups and namespaces"))
struct ProbeRedirectTests {
    /// The container's bash, forking and allocating 20 times a second.
    static let pacedCommand = TargetedRunTests.pacedCommand

    @Test(
        "A container flipping a directory of its process's path with a symlink to / while targeted runs start: no event ever from the host's file run in its cgroup"
    )
    func flippingContainerCannotRedirect() async throws {
        let container = try HomeMadeContainer(command: Self.pacedCommand)
        defer { container.remove() }
        let layout = try FlipLayout(containerRoot: container.rootDirectory)
        defer { layout.remove() }
        // The host's own copy of bash, run under another name (its comm), in the
        // container's cgroup but not in its root: only a probe on the host file sees it,
        // and the cgroup filter lets its events through.
        let outsider = try SpawnedProcess(executable: layout.hostProgramAlias, arguments: ["-c", HomeMadeContainer.busyCommand])
        defer { outsider.send(SIGKILL) }
        try "\(outsider.pid)".write(toFile: container.cgroupDirectory + "/cgroup.procs", atomically: false, encoding: .utf8)

        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        // Stored while the host has the path too (a template's process is checked on the
        // host), then the host's link goes: inside the target only the container names it.
        try FileManager.default.createSymbolicLink(atPath: layout.hostFlip, withDestinationPath: "/")
        let number = try await endpoint.putTemplate(#"{"process":"\#(layout.process)","functions":["xmalloc"],"traceType":["BPF"]}"#)
        try FileManager.default.removeItem(atPath: layout.hostFlip)

        let flipper = layout.startFlipping()
        defer { flipper.stop() }
        var refused = 0
        var containerEvents = 0
        var outsiderEvents = 0
        var firstOutsiderEvent: [TupleElement]?
        for _ in 0..<12 {
            let body = #"{"traceT":"BPF","traceId":\#(number),"lasting":1,"target":{"container":"\#(container.id)"}}"#
            let answer = try await endpoint.request("POST", "/trace/start", json: body)
            guard answer.status == 200 else {
                // The walk met the moment the directory was renamed away: a refusal is fine.
                #expect(answer.status == 400, "\(answer.body)")
                refused += 1
                continue
            }
            let filePath = try answer.decoded(as: StartAnswer.self).filePath
            _ = try #require(await receiver.waitForFinished(filePath, timeout: 20), "the run finishes")
            let events = try streamLines(try await receiver.stream(filePath)).compactMap(\.data).filter {
                $0.first?.text == "entry" || $0.first?.text == "return"
            }
            containerEvents += events.filter { $0.dropFirst(5).first?.text == "bash" }.count
            let outside = events.filter {
                $0.dropFirst(5).first?.text == FlipLayout.aliasName || $0.dropFirst(3).first?.number == Int64(outsider.pid)
            }
            outsiderEvents += outside.count
            firstOutsiderEvent = firstOutsiderEvent ?? outside.first
        }
        #expect(outsiderEvents == 0, "a probe landed on the host's file; the first such event: \(firstOutsiderEvent.map { "\($0)" } ?? "")")
        #expect(refused < 12 && containerEvents > 0, "the container's own bash was traced (\(refused) of 12 starts refused)")
    }

    @Test("A target gone between the start's checks and the tracer's attach: its file is held open, every probe attaches, the run ends normally")
    func targetGoneBeforeAttach() async throws {
        // A container, not a pid: a pid target's run ends with its process
        // (TargetIntegrityRunTests), whereas a container's goes on to its lasting.
        let container = try HomeMadeContainer()
        defer { container.remove() }
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver)
        let number = try await endpoint.putTemplate(TargetedRunTests.bashTemplate)
        let filePath = try await endpoint.start(traceId: number, lasting: 2, target: #"{"container":"\#(container.id)"}"#)
        // bpftrace takes ~80 ms from its spawn to its probes: the processes are gone long before.
        container.remove()
        let received = try #require(await receiver.waitForFinished(filePath, timeout: 20))
        #expect(received.code == 0, "\(received.stderr ?? "")")
        let finished = try #require(try await endpoint.runStatus(filePath))
        #expect(finished.probesAttached == finished.probesExpected && finished.failure == nil, "\(finished)")
    }
}

/// The files of the flipping container and of the host, around one unique directory
/// `<tmp>/lambda-flip-<random>` (`base`), present on the host and in the container's root:
/// - the template's process is `<base>/flip<base>/bash`;
/// - in the container, `<base>/flip` is by turns a directory holding `<base>/bash` and a
///   symlink to `/`; both ways the path names the container's own bash (hard links of
///   its `/bin/bash`);
/// - on the host, `<base>/bash` is a copy of the host's bash: where a probe path that
///   went through `<base>/flip` lands when resolved from the host's root.
struct FlipLayout {
    static let aliasName = "outsidebash"
    let base: String
    let containerRoot: String

    var process: String { base + "/flip" + base + "/bash" }
    var hostFlip: String { base + "/flip" }
    /// A symlink to the host's copy, so that the process running it is named by it.
    var hostProgramAlias: String { base + "/" + Self.aliasName }

    init(containerRoot: String) throws {
        let files = FileManager.default
        base = files.temporaryDirectory.appendingPathComponent("lambda-flip-\(UUID().uuidString.prefix(8).lowercased())").path
        self.containerRoot = containerRoot
        try files.createDirectory(atPath: base, withIntermediateDirectories: true)
        try files.copyItem(atPath: "/bin/bash", toPath: base + "/bash")
        try files.createSymbolicLink(atPath: hostProgramAlias, withDestinationPath: base + "/bash")
        let inside = containerRoot + base
        try files.createDirectory(atPath: inside + "/flip.dir" + base, withIntermediateDirectories: true)
        try files.linkItem(atPath: containerRoot + "/bin/bash", toPath: inside + "/bash")
        try files.linkItem(atPath: containerRoot + "/bin/bash", toPath: inside + "/flip.dir" + base + "/bash")
        try files.createSymbolicLink(atPath: inside + "/flip.link", withDestinationPath: "/")
        try files.moveItem(atPath: inside + "/flip.dir", toPath: inside + "/flip")
    }

    /// Swaps the container's `<base>/flip` between the directory and the symlink every
    /// half millisecond (two renames each time), on a thread of its own, until stopped.
    func startFlipping() -> Flipper {
        let flipper = Flipper()
        let inside = containerRoot + base
        let thread = Thread {
            var isDirectory = true
            while !flipper.stopped {
                let parked = inside + (isDirectory ? "/flip.dir" : "/flip.link")
                let next = inside + (isDirectory ? "/flip.link" : "/flip.dir")
                rename(inside + "/flip", parked)
                rename(next, inside + "/flip")
                isDirectory.toggle()
                // The pace is the point: a flip every half millisecond races each start's path walk.
                usleep(500)
            }
            flipper.done.signal()
        }
        thread.start()
        return flipper
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: base)
    }

    final class Flipper: @unchecked Sendable {
        private let lock = NSLock()
        private var stopRequested = false
        let done = DispatchSemaphore(value: 0)

        var stopped: Bool { lock.withLock { stopRequested } }

        func stop() {
            let first = lock.withLock {
                defer { stopRequested = true }
                return !stopRequested
            }
            if first { done.wait() }
        }
    }
}
