import Dispatch
import Runs
import Synchronization
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program for a check through the same `ChildProcess` the runs use (argv array,
/// no shell, an environment given whole, stdin from bytes, own process group), so the
/// uprobe check starts bpftrace exactly as a run would. Stdout and stderr are collected
/// together; the child is killed after `timeout`.
struct CommandRunner {
    struct Outcome {
        /// Exit status; nil when the program could not start or was killed at the timeout.
        let code: Int32?
        let output: String
    }

    /// Output kept per run: checks read a version line or the last line of an error.
    static let outputLimit = 64 * 1024

    static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = TracerInvocation.baseEnvironment,
        input: [UInt8] = [],
        timeout: Duration = .seconds(20)
    ) -> Outcome {
        let output = Mutex<[UInt8]>([])
        let collect: @Sendable (UnsafeRawBufferPointer) -> Void = { bytes in
            output.withLock { kept in kept.append(contentsOf: bytes.prefix(max(0, outputLimit - kept.count))) }
        }
        let exited = DispatchSemaphore(value: 0)
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: executable,
                arguments: arguments,
                environment: environment,
                standardInput: input,
                onOutput: collect,
                onError: collect,
                onExit: { _ in exited.signal() }
            )
        } catch {
            return Outcome(code: nil, output: error.description)
        }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let finished = exited.wait(timeout: .now() + seconds) == .success
        if !finished {
            child.sendToGroup(SIGKILL)
            child.send(SIGKILL)
            _ = exited.wait(timeout: .now() + 5)
        }
        return Outcome(code: finished ? child.exitStatus : nil, output: String(decoding: output.withLock { $0 }, as: UTF8.self))
    }
}
