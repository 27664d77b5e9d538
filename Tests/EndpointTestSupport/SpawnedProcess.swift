import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process for tests that run the real binary. Spawned with `posix_spawn` and
/// an empty signal mask: Foundation's `Process` started from async code hands the
/// thread's blocked signals to the child, which would then ignore SIGTERM.
/// Standard output and error go to files, so a chatty child can never block on a pipe.
public final class SpawnedProcess: @unchecked Sendable {
    /// Held around every spawn, and by code that briefly holds a writable descriptor
    /// that a child must not inherit.
    public static let spawnLock = NSLock()

    public let pid: pid_t
    let outputPath: String
    let errorPath: String
    private var exitStatus: Int32?

    /// `standardInput`: text the child reads on its stdin (from a 0600 file removed once
    /// the child has it open); nil: /dev/null.
    public init(executable: String, arguments: [String], environment: [String: String]? = nil, standardInput: String? = nil) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("spawn-\(UUID().uuidString)").path
        outputPath = base + ".out"
        errorPath = base + ".err"
        let inputPath = base + ".in"
        if let standardInput {
            FileManager.default.createFile(atPath: inputPath, contents: Data(standardInput.utf8), attributes: [.posixPermissions: 0o600])
        }
        defer { if standardInput != nil { try? FileManager.default.removeItem(atPath: inputPath) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, standardInput == nil ? "/dev/null" : inputPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let environment = environment ?? ProcessInfo.processInfo.environment
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = Self.spawnLock.withLock { posix_spawn(&pid, executable, &actions, &attributes, argv, envp) }
        guard result == 0 else {
            throw NSError(
                domain: "SpawnedProcess",
                code: Int(result),
                userInfo: [NSLocalizedDescriptionKey: "posix_spawn \(executable): \(String(cString: strerror(result)))"]
            )
        }
        self.pid = pid
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            _ = waitForExit(timeout: 5)
        }
        try? FileManager.default.removeItem(atPath: outputPath)
        try? FileManager.default.removeItem(atPath: errorPath)
    }

    public var standardOutput: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    public var standardError: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    public func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// The exit code (128 + signal when killed by one), or nil if still running at the deadline.
    @discardableResult
    public func waitForExit(timeout: Double) -> Int32? {
        if let exitStatus { return exitStatus }
        exitStatus = blockingEventuallyValue(timeout: .seconds(timeout)) {
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            let signal = status & 0x7f
            return signal == 0 ? (status >> 8) & 0xff : 128 + signal
        }
        return exitStatus
    }

    /// Asks `produce` again every 20 ms until it gives a value, e.g. a port file's port:
    /// nil once `timeout` passes, or at once when the process has exited without one
    /// (a failed start need not wait out the timeout).
    public func waitWhileRunning<Value>(timeout: Double, for produce: () -> Value?) -> Value? {
        var value: Value?
        _ = blockingEventuallyValue(timeout: .seconds(timeout)) { () -> Bool? in
            value = produce()
            return value != nil || waitForExit(timeout: 0) != nil ? true : nil
        }
        return value ?? produce()
    }
}
