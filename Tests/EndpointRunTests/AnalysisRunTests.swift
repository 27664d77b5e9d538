import EndpointTestSupport
import Foundation
import HostSystem
import Testing
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// Every analysis this host offers, run by the real bpftrace for 2 to 3 seconds (as
/// root: these tests run as root here and in CI) while the test makes the workload the
/// analysis must see, so each expected line must appear: the probes attach, `ready`
/// comes first, and the tuples and maps have the documented shapes.
@Suite("Analyses run by real bpftrace over real workloads", .serialized)
struct AnalysisRunTests {
    /// One finished run: its stdout as stream lines (NDJSON, each line decoded), the
    /// prints of its maps in order, stderr.
    struct Output {
        let lines: [StreamLine]
        let mapPrints: [MapPrint]
        let standardError: String

        /// The `data` of every `{"type": "value"}` tuple whose first element is `tag`.
        func tuples(_ tag: String) -> [[TupleElement]] {
            lines.compactMap(\.data).filter { $0.first?.text == tag }
        }

        /// Every print of map `name` (`{"type": "map"|"hist", "data": {name: value}}`), in order.
        func prints(of name: String) -> [MapValue] {
            mapPrints.compactMap { $0.data[name] }
        }

        /// Every entry of every print of a keyed map, its key split at its first
        /// `numericKeys` commas (the documented parse: strings come last).
        func entries(of name: String) -> [(key: String, value: MapValue)] {
            prints(of: name).flatMap { $0.keyed.map { $0.map { ($0.key, $0.value) } } ?? [] }
        }
    }

    /// Runs `analysis` as a run would (`bpftrace -f json FILE`), calls `workload` once
    /// the ready line is out, and returns the output once the in-program lasting bound ended it.
    ///
    /// A bpftrace that has not exited 20 s after its lasting bound is killed and the run
    /// made once more. Why: in one CI run (2026-12-07) cpu-profile printed its interval
    /// map and then hung in its own teardown (END never ran) on a loaded 2-core machine;
    /// the endpoint bounds such a tracer with its kill-after grace, and these tests check
    /// the programs' output, not bpftrace's teardown. Two hangs in a row still fail.
    func run(_ analysis: ValidatedAnalysis, lasting: Int = 2, scope: AnalysisScope = .host, workload: () throws -> Void) throws -> Output {
        if let output = try attempt(analysis, lasting: lasting, scope: scope, lastAttempt: false, workload: workload) {
            return output
        }
        print("bpftrace running \(analysis.name) hung past its lasting bound; killed, running it once more")
        return try attempt(analysis, lasting: lasting, scope: scope, lastAttempt: true, workload: workload)!
    }

    /// One run of `analysis`; nil when the tracer hung and this is not the last attempt.
    private func attempt(
        _ analysis: ValidatedAnalysis,
        lasting: Int,
        scope: AnalysisScope,
        lastAttempt: Bool,
        workload: () throws -> Void
    ) throws -> Output? {
        let program = FileManager.default.temporaryDirectory.appendingPathComponent("analysis-\(UUID().uuidString).bt").path
        try analysis.programText(lastingSeconds: lasting, scope: scope).write(toFile: program, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: program) }
        let tracer = try SpawnedProcess(executable: "/usr/bin/bpftrace", arguments: ["-f", "json", program])
        let ready = tracer.waitWhileRunning(timeout: 30) { tracer.standardOutput.contains(#"["ready","#) ? true : nil }
        #expect(ready == true, "no ready line: \(tracer.standardError.suffix(1500))")
        try workload()
        let code = tracer.waitForExit(timeout: Double(lasting) + 20)
        if code == nil && !lastAttempt {
            tracer.send(SIGKILL)
            _ = tracer.waitForExit(timeout: 10)
            return nil
        }
        #expect(code == 0, "\(analysis.name) exited \(code.map(String.init) ?? "late"): \(tracer.standardError.suffix(1500))")
        let stdout = Data(tracer.standardOutput.utf8)
        let lines = try streamLines(stdout)
        let mapPrints = try stdout.split(separator: UInt8(ascii: "\n")).compactMap { try MapPrint.decode($0) }
        let output = Output(lines: lines, mapPrints: mapPrints, standardError: tracer.standardError)
        #expect(lines.first { $0.type == "value" }?.event == "ready", "ready is the first tuple")
        #expect(output.tuples("end").count == 1, "END ran once; the output ends: \(tracer.standardOutput.suffix(600))")
        #expect(lines.first?.type == "attached_probes")
        // Only the sandbox's RLIMIT_MEMLOCK notice: no warning, no "Struct offset mismatch".
        // bpftrace's own runtime notice when two stacks collide in its stack map
        // ("failed to look up stack id -17": EEXIST) is the tracer's, not the program's:
        // seen once in a make test run on a busy host, that sample's stack is dropped.
        // So are its teardown notices once END has run and the maps were printed
        // ("ioctl(PERF_EVENT_IOC_DISABLE) failed: Bad file descriptor", then "failed to
        // close perf event FDs for probe: interval:s:2"): seen once in CI, on cpu-profile.
        let tracerOwnNotices = ["RLIMIT_MEMLOCK", "failed to look up stack id", "PERF_EVENT_IOC_DISABLE", "close perf event FD"]
        let stderrLines = output.standardError.split(separator: "\n").filter { line in
            !tracerOwnNotices.contains { line.contains($0) }
        }
        #expect(stderrLines.isEmpty, "\(analysis.name) stderr: \(stderrLines.prefix(5))")
        return output
    }

    static func validated(_ name: String, _ parameters: [String: AnalysisParameterInput] = [:]) throws -> ValidatedAnalysis {
        try AnalysisCatalogue.validated(name: name, parameters: parameters)
    }

    /// Waits for a child without leaving it a zombie; the code, or nil after `timeout`.
    @discardableResult
    func finish(_ process: SpawnedProcess, timeout: Double = 10) -> Int32? { process.waitForExit(timeout: timeout) }

    @Test("Every analysis the catalogue lists is available on this test machine but those needing kprobes, which it lacks")
    func availableHere() {
        let host = TracingHost(tracerPath: "/usr/bin/bpftrace", tracefsPath: "/sys/kernel/tracing")
        for availability in host.availability(of: AnalysisCatalogue.all) where availability.name != "vfs-latency" {
            #expect(availability.isAvailable, "\(availability.name): \(availability.unavailableReason ?? "")")
        }
    }

    @Test("syscalls counts a burst of getppid() the test makes, keyed PID,NR,COMM")
    func syscalls() throws {
        let burst = 20_000
        let output = try run(try Self.validated("syscalls", ["interval": .integer(1)])) {
            // glibc's getppid() is the system call every time (glibc caches no pids).
            for _ in 0..<burst { _ = getppid() }
        }
        #expect(output.tuples("architecture").first?.last?.text == Self.machine)
        let ours = output.entries(of: "@syscalls").filter { $0.key.hasPrefix("\(getpid()),\(Self.getppidNumber),") }
        let calls = ours.compactMap(\.value.number).reduce(0, +)
        #expect(calls >= burst, "\(ours.prefix(5))")
        #expect(output.tuples("interval").count >= 1)
    }

    @Test("exec sees a /bin/true the test spawns, by its pid and parent")
    func exec() throws {
        var child: pid_t = 0
        let output = try run(try Self.validated("exec")) {
            let process = try SpawnedProcess(executable: "/bin/true", arguments: [])
            child = process.pid
            finish(process)
        }
        let seen = output.tuples("exec").filter { $0[2].number == Int64(child) }
        #expect(seen.count == 1, "\(output.tuples("exec").prefix(10))")
        if let tuple = seen.first {
            #expect(tuple.count == 6)
            #expect(tuple[3].number == Int64(getpid()), "ppid")
            #expect(tuple[4].text == "true")
            #expect(tuple[5].text == "/bin/true")
            #expect((tuple[1].number ?? 0) > 0, "nsecs")
        }
    }

    @Test("open sees the test's opens by their unique names; failed-only leaves out the one that succeeded")
    func open() throws {
        // Short names: bpftrace reads at most 63 bytes of a path (BPFTRACE_STRLEN 64).
        let unique = UUID().uuidString.prefix(8).lowercased()
        let missing = "/tmp/lambda-open-missing-\(unique)"
        let present = "/tmp/lambda-open-present-\(unique)"
        FileManager.default.createFile(atPath: present, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: present) }
        for failedOnly in [false, true] {
            let output = try run(try Self.validated("open", ["failed-only": .boolean(failedOnly)])) {
                for path in [missing, present] {
                    let descriptor = Glibc.open(path, O_RDONLY)
                    if descriptor >= 0 { close(descriptor) }
                }
            }
            let opens = output.tuples("open")
            let failed = opens.filter { $0[5].text == missing }
            #expect(failed.count == 1, "\(opens.suffix(10))")
            if let tuple = failed.first {
                #expect(tuple.count == 8)
                #expect(tuple[2].number == Int64(getpid()))
                #expect(tuple[7].number == -Int64(ENOENT), "result")
                #expect(tuple[6].number.map { $0 & Int64(O_ACCMODE) } == Int64(O_RDONLY), "flags")
            }
            let succeeded = opens.filter { $0[5].text == present }
            #expect(succeeded.count == (failedOnly ? 0 : 1))
            if let tuple = succeeded.first { #expect((tuple[7].number ?? -1) >= 0, "a descriptor") }
        }
    }

    @Test("tcp sees a connection the test makes to its own loopback listener: ports, addresses, states")
    func tcp() throws {
        var port = 0
        let output = try run(try Self.validated("tcp", ["family": .string("ipv4")])) {
            port = try Self.connectOnce()
        }
        let changes = output.tuples("tcp").filter { $0[6].number == Int64(port) || $0[8].number == Int64(port) }
        #expect(changes.allSatisfy { $0.count == 11 && $0[4].number == 4 })
        let listen = changes.first { $0[6].number == Int64(port) && $0[10].text == "LISTEN" }
        #expect(listen?[5].text == "127.0.0.1" && listen?[9].text == "CLOSE", "\(changes)")
        let connected = changes.first { $0[8].number == Int64(port) && $0[9].text == "SYN_SENT" && $0[10].text == "ESTABLISHED" }
        #expect(connected?[5].text == "127.0.0.1" && connected?[7].text == "127.0.0.1", "\(changes)")
        #expect(changes.contains { $0[10].text == "CLOSE" && $0[9].text != "LISTEN" }, "the close is seen")
    }

    /// A file on a block device that takes O_DIRECT writes (tmpfs and overlay do not).
    static let directIOFile: String? = {
        for directory in [FileManager.default.temporaryDirectory.path, EndpointProcess.repositoryRoot + "/.build"] {
            let path = directory + "/lambda-analysis-direct-\(UUID().uuidString)"
            let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | directIO, 0o600)
            guard descriptor >= 0 else { continue }
            close(descriptor)
            unlink(path)
            var status = stat()
            guard stat(directory, &status) == 0 else { continue }
            // glibc's major(): tmpfs, overlay and other block-less file systems have major 0.
            if (status.st_dev >> 8) & 0xfff | (status.st_dev >> 32) & ~0xfff != 0 { return path }
        }
        return nil
    }()

    @Test(
        "block-io shows a write histogram for the test's own O_DIRECT writes (targeted to its pid: only its I/O)",
        .enabled(if: directIOFile != nil, "no directory on a block device takes O_DIRECT writes here (tmpfs or overlay only): block-io not run")
    )
    func blockIO() throws {
        let path = try #require(Self.directIOFile)
        defer { unlink(path) }
        let output = try run(try Self.validated("block-io", ["interval": .integer(1)]), scope: .processes([getpid()])) {
            try Self.writeDirect(path, megabytes: 8)
        }
        let histograms = output.entries(of: "@block_io_us")
        let writes = histograms.filter { $0.key.split(separator: ",").count == 3 && $0.key.split(separator: ",")[2].contains("W") }
        let requests = writes.compactMap(\.value.histogram).joined().map(\.count).reduce(0, +)
        #expect(requests >= 1, "\(histograms)")
        #expect(output.lines.contains { $0.type == "hist" })
    }

    @Test("cpu-profile finds the stacks of a busy loop, keyed PID,USTACK,KSTACK,COMM (targeted to its pid)")
    func cpuProfile() throws {
        // Targeted: host-wide, this busy build machine's hundreds of processes would each
        // cost bpftrace a symbol lookup at every print (see `user-stacks`).
        let busy = try SpawnedProcess(executable: "/bin/bash", arguments: ["-c", "while :; do :; done"])
        defer { busy.send(SIGKILL) }
        let analysis = try Self.validated("cpu-profile", ["frequency": .integer(99), "interval": .integer(1)])
        let output = try run(analysis, scope: .processes([busy.pid])) {}
        let samples = output.entries(of: "@cpu_samples")
        #expect(samples.allSatisfy { $0.key.hasPrefix("\(busy.pid),") && $0.key.hasSuffix(",bash") }, "only the target")
        #expect(samples.compactMap(\.value.number).reduce(0, +) >= 20, "2 s at 99 Hz: \(samples.count) stacks")
        #expect(samples.contains { $0.key.hasPrefix("\(busy.pid),\n    ") }, "a user stack: \(samples.map(\.key).prefix(3))")
        let withoutUser = try run(try Self.validated("cpu-profile", ["user-stacks": .boolean(false)]), scope: .processes([busy.pid])) {}
        let keys = withoutUser.entries(of: "@cpu_samples").map(\.key)
        #expect(!keys.isEmpty && keys.allSatisfy { $0.hasPrefix("\(busy.pid),,") }, "empty user stacks: \(keys.prefix(3))")
    }

    @Test(
        "A scope of pids keeps to its processes: once the target exits, the busy bash given its pid is not counted (the program marks the exit itself)"
    )
    func processScopeEndsWithTheProcess() throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("idle-\(UUID().uuidString)").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        // Blocked in read(2) on a FIFO no one writes: no system call while traced, until killed.
        let idle = try SpawnedProcess(executable: "/bin/bash", arguments: ["-c", #"read -r _ <> "$1""#, "idle", fifo])
        defer { idle.send(SIGKILL) }
        let blocked = idle.waitWhileRunning(timeout: 10) {
            (try? String(contentsOfFile: "/proc/\(idle.pid)/wchan", encoding: .utf8))?.contains("pipe_read") == true ? true : nil
        }
        #expect(blocked == true, "the idle bash waits in its read")
        var reuser: SpawnedProcess?
        defer { reuser?.send(SIGKILL) }
        let output = try run(try Self.validated("syscalls", ["interval": .integer(1)]), lasting: 3, scope: .processes([idle.pid])) {
            idle.send(SIGKILL)
            #expect(finish(idle) != nil)
            reuser = TargetIntegrityRunTests.spawnReusing(pid: idle.pid, command: HomeMadeContainer.busyCommand)
        }
        #expect(reuser != nil, "a busy bash was given pid \(idle.pid) again")
        let counted = output.entries(of: "@syscalls")
        #expect(counted.isEmpty, "nothing of the process given the pid: \(counted.prefix(5).map(\.key))")
    }

    @Test("off-cpu sees a process that sleeps, blocked in nanosleep for its second (targeted to its pid)")
    func offCPU() throws {
        // The sleeper waits on a FIFO until the probes are live, then execs sleep (same pid).
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("offcpu-\(UUID().uuidString)").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let sleeper = try SpawnedProcess(executable: "/bin/bash", arguments: ["-c", "read -r go < \(fifo); exec /bin/sleep 1"])
        defer { sleeper.send(SIGKILL) }
        let output = try run(try Self.validated("off-cpu", ["interval": .integer(1)]), lasting: 3, scope: .processes([sleeper.pid])) {
            let writer = Glibc.open(fifo, O_WRONLY)
            #expect(writer >= 0)
            _ = write(writer, "go\n", 3)
            close(writer)
        }
        #expect(finish(sleeper) == 0)
        let blocked = output.entries(of: "@offcpu_us")
        #expect(blocked.allSatisfy { $0.key.hasPrefix("\(sleeper.pid),\(sleeper.pid),") }, "only the target")
        let sleeping = blocked.filter { $0.key.contains("nanosleep") && $0.key.hasSuffix(",sleep") }
        #expect(sleeping.compactMap(\.value.number).reduce(0, +) >= 900_000, "\(blocked.map { ($0.key.prefix(400), $0.value) })")
    }

    @Test("function-latency gives a histogram of /bin/bash xmalloc under the test's busy bash")
    func functionLatency() throws {
        let analysis = try Self.validated(
            "function-latency",
            ["process": .string("/bin/bash"), "function": .string("xmalloc"), "interval": .integer(1)]
        )
        try analysis.inspectBinary()
        let output = try run(analysis) {
            let loop = try SpawnedProcess(executable: "/bin/bash", arguments: ["-c", "for i in $(seq 200); do x=$(echo $i); done"])
            finish(loop, timeout: 30)
        }
        let histograms = output.prints(of: "@latency_ns").compactMap(\.histogram)
        let calls = histograms.joined().map(\.count).reduce(0, +)
        #expect(calls >= 200, "\(histograms.count) prints")
        #expect(histograms.joined().allSatisfy { $0.min != nil && $0.max != nil })
    }

    // O_DIRECT and the SYS_ numbers are hidden behind _GNU_SOURCE in Swift's Glibc module.
    #if arch(x86_64)
    static let directIO: Int32 = 0o40000
    static let getppidNumber = 110
    #elseif arch(arm64)
    static let directIO: Int32 = 0o200000
    static let getppidNumber = 173
    #endif

    static let machine: String = {
        var names = utsname()
        uname(&names)
        return withUnsafeBytes(of: &names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }()

    /// Listens on a loopback port, connects to it, accepts and closes both: the port.
    static func connectOnce() throws -> Int {
        let listener = try LoopbackSocket(listening: true)
        defer { listener.close() }
        let client = try listener.connect()
        let accepted = accept(listener.descriptor, nil, nil)
        close(client)
        if accepted >= 0 { close(accepted) }
        return listener.port
    }

    /// Writes `megabytes` MiB to `path` with O_DIRECT (each write a block request).
    static func writeDirect(_ path: String, megabytes: Int) throws {
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | directIO, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        let size = 1 << 20
        var buffer: UnsafeMutableRawPointer?
        guard posix_memalign(&buffer, 4096, size) == 0, let buffer else { throw POSIXError(.ENOMEM) }
        defer { free(buffer) }
        memset(buffer, 0x5a, size)
        for _ in 0..<megabytes {
            guard write(descriptor, buffer, size) == size else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
    }
}
