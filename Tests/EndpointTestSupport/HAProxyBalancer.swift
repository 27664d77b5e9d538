import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Debian's haproxy in front of instances on 127.0.0.1 (two `lambda-platform serve`),
/// round robin, as a fleet's owner runs them (docs/testing.md, "PostgreSQL and haproxy in
/// tests"): a child process in the foreground (`haproxy -db -f CFG`) on a free port, its
/// config in `$TMPDIR/lambda-haproxy-<pid>-<random>`.
///
/// HTTP mode, not TCP: every request is balanced on its own (an endpoint's keep-alive
/// connection does not pin it to one instance) and `option forwardfor` adds
/// X-Forwarded-For, which the platform's `trusted-proxies` reads. Long polls and `/follow`
/// streams pass: haproxy forwards a chunked answer as it comes, and the client and server
/// timeouts (120 s of silence) are past the longest poll (30 s).
///
/// An instance that stops answering is skipped: TCP connect checks every 500 ms, down after
/// two failures (about 1 s); meanwhile a request that cannot connect is retried on another
/// instance (`retries 3`, `option redispatch`).
public final class HAProxyBalancer: Sendable {
    static let namePrefix = "lambda-haproxy-"

    public let port: Int
    public let backendPorts: [Int]
    public let directory: String
    public var url: String { "http://127.0.0.1:\(port)" }
    /// What haproxy wrote: its warnings, e.g. `Server instances/instance0 is DOWN, reason:
    /// Layer4 connection problem` (instances are named `instance<index in backendPorts>`).
    public var log: String { process.standardError + process.standardOutput }

    private let process: SpawnedProcess
    private let exitCleanup: UUID
    private let stopped = Mutex(false)

    /// Starts haproxy in front of `backendPorts` (on 127.0.0.1); returns once it accepts
    /// connections.
    public init(backendPorts: [Int]) async throws {
        guard !backendPorts.isEmpty else { throw HAProxyFailure("no backend to balance") }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(Self.namePrefix)\(getpid())-\(HomeMadeContainer.randomHex(count: 8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let process: SpawnedProcess
        do {
            (process, port) = try await TestMachineryThreads.run { try Self.launch(directory: directory, backendPorts: backendPorts) }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let pid = process.pid
        exitCleanup = ExitCleanup.register {
            kill(pid, SIGKILL)
            try? FileManager.default.removeItem(atPath: directory)
        }
        self.process = process
        self.directory = directory
        self.backendPorts = backendPorts
    }

    /// A test that failed before `stop()`: SIGKILL (the process's own deinit waits for it).
    deinit {
        guard !stopped.withLock({ $0 }) else { return }
        process.send(SIGKILL)
        ExitCleanup.cancel(exitCleanup)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stops haproxy (SIGTERM, SIGKILL after 5 s) and removes its directory. Idempotent.
    public func stop() async {
        _ = try? await TestMachineryThreads.run { [self] in stopNow() }
    }

    private func stopNow() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        process.send(SIGTERM)
        if process.waitForExit(timeout: 5) == nil {
            process.send(SIGKILL)
            process.waitForExit(timeout: 5)
        }
        ExitCleanup.cancel(exitCleanup)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A free port, taken maybe by another process before haproxy binds it: then another,
    /// three times at most.
    private static func launch(directory: String, backendPorts: [Int]) throws -> (SpawnedProcess, Int) {
        var failure = ""
        for _ in 1...3 {
            let socket = try LoopbackSocket(listening: false)
            let port = socket.port
            socket.close()
            let config = directory + "/haproxy.cfg"
            try Data(configuration(port: port, backendPorts: backendPorts).utf8).write(to: URL(fileURLWithPath: config))
            let process = try SpawnedProcess(executable: "/usr/sbin/haproxy", arguments: ["-db", "-f", config])
            // For scripts/prepare-test-machine.sh, should this test process be killed outright.
            try Data("\(process.pid)\n".utf8).write(to: URL(fileURLWithPath: directory + "/haproxy.pid"))
            let listening = process.waitWhileRunning(timeout: 20) { LoopbackSocket.accepts(port: port) ? true : nil }
            if listening == true { return (process, port) }
            process.send(SIGKILL)
            process.waitForExit(timeout: 5)
            failure = String((process.standardError + process.standardOutput).suffix(2000))
            guard failure.contains("cannot bind") else { break }
        }
        throw HAProxyFailure("haproxy did not start: \(failure)")
    }

    /// haproxy.cfg. One thread: the tests' machine has two cores and other work.
    static func configuration(port: Int, backendPorts: [Int]) -> String {
        let servers = backendPorts.enumerated().map { index, backend in
            "    server instance\(index) 127.0.0.1:\(backend) check inter 500ms fall 2 rise 1"
        }
        return
            ([
                "global",
                "    nbthread 1",
                "    maxconn 1000",
                "defaults",
                "    mode http",
                "    option forwardfor",
                "    option redispatch",
                "    retries 3",
                "    timeout connect 2s",
                "    timeout client 120s",
                "    timeout server 120s",
                "    timeout check 1s",
                "frontend balancer",
                "    bind 127.0.0.1:\(port)",
                "    default_backend instances",
                "backend instances",
                "    balance roundrobin",
            ] + servers).joined(separator: "\n") + "\n"
    }
}

/// haproxy that could not start: what it said.
public struct HAProxyFailure: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
