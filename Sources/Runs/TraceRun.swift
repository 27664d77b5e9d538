import EndpointCore
import Foundation
import Logging
import Submitter
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One tracer run: its child process, its output file, its delivery, its stop sequence.
///
/// Threads: the child's reader threads call `appendOutput`/`appendError`/`exited`;
/// the delivery task and the API read `status`. Shared state sits behind one mutex.
public final class TraceRun: Sendable {
    public let thread: Int
    public let filePath: String
    public let template: TraceTemplate
    public let tracer: TracerType
    public let startedAt: Date
    public let deadline: Date
    let privilege: TracerPrivilege
    let progress = ProgressSignal()

    struct State {
        var bytesWritten: Int64 = 0
        var readyProbe: [UInt8] = []
        var ready = false
        var stopRequested = false
        var exit: TracerExit?
        var stderr = StderrCapture()
        var delivery = DeliveryCounters()
        var writeError: String?
        var child: ChildProcess?
    }

    private let state = Mutex(State())
    private let outputFD: Int32

    /// The line bpftrace's `-f json` prints for the program's BEGIN marker (and the
    /// SystemTap program prints by hand): probes are attached once it appears.
    static let readyMarker = Array(#"{"type": "value", "data": ["ready","#.utf8)
    /// How far into the output to look for the marker.
    static let readySearchLimit = 16 * 1024

    init(thread: Int, filePath: String, outputFD: Int32, template: TraceTemplate, tracer: TracerType, lastingSeconds: Int, privilege: TracerPrivilege) {
        self.thread = thread
        self.filePath = filePath
        self.outputFD = outputFD
        self.template = template
        self.tracer = tracer
        self.startedAt = Date()
        self.deadline = startedAt.addingTimeInterval(TimeInterval(lastingSeconds))
        self.privilege = privilege
    }

    /// Spawns the tracer. A tracer that cannot be executed at all (missing binary, no
    /// permission) still makes a run: it ends at once with code 127, as a shell would
    /// report it, and the reason in its stderr, so the platform hears of it the same way
    /// as of any other tracer failure.
    func launch(_ invocation: TracerInvocation) {
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: invocation.executable,
                arguments: invocation.arguments,
                environment: invocation.environment,
                standardInput: invocation.standardInput,
                onOutput: { [self] in appendOutput($0) },
                onError: { [self] bytes in state.withLock { $0.stderr.append(bytes) } },
                onExit: { [self] code in exited(code: code) })
        } catch {
            let message = Array("lambda-endpoint: \(error.description)\n".utf8)
            message.withUnsafeBytes { bytes in state.withLock { $0.stderr.append(bytes) } }
            exited(code: 127)
            return
        }
        state.withLock { $0.child = child }
    }

    /// Writes a block of the tracer's stdout to the run file, whole.
    func appendOutput(_ bytes: UnsafeRawBufferPointer) {
        var written = 0
        while written < bytes.count {
            let result = write(outputFD, bytes.baseAddress! + written, bytes.count - written)
            if result > 0 {
                written += result
            } else if result < 0 && errno == EINTR {
                continue
            } else {
                // Disk full or similar: the bytes cannot be kept. Record it loudly and stop
                // the tracer rather than deliver a stream with a silent hole.
                let reason = String(cString: strerror(errno))
                state.withLock { $0.writeError = "cannot write the run file: \(reason)" }
                stop(grace: .seconds(1))
                break
            }
        }
        state.withLock { state in
            state.bytesWritten += Int64(written)
            if !state.ready, state.readyProbe.count < Self.readySearchLimit {
                state.readyProbe.append(contentsOf: bytes.prefix(Self.readySearchLimit - state.readyProbe.count))
                state.ready = state.readyProbe.firstRange(of: Self.readyMarker) != nil
                if state.ready { state.readyProbe = [] }
            }
        }
        progress.signal()
    }

    func exited(code: Int32) {
        close(outputFD)
        state.withLock { state in
            var stderr = state.stderr.text
            if let writeError = state.writeError { stderr += "\n[lambda-endpoint: \(writeError)]\n" }
            state.exit = TracerExit(code: code, stderr: stderr)
        }
        progress.signal()
    }

    var deliveryProgress: DeliveryProgress {
        state.withLock { DeliveryProgress(bytesWritten: $0.bytesWritten, exit: $0.exit) }
    }

    func updateDelivery(_ counters: DeliveryCounters) {
        state.withLock { $0.delivery = counters }
    }

    public var hasExited: Bool { state.withLock { $0.exit != nil } }

    /// Stops the tracer: SIGINT (tracers print their final maps and exit 0), then after
    /// `grace` SIGTERM, then SIGKILL. Signals go to the direct child: through sudo, the
    /// invoking user may signal sudo, which relays SIGINT and SIGTERM to the root tracer.
    /// SIGKILL to sudo is not relayed (the in-program timer bounds an orphan).
    func stop(grace: Duration) {
        let child: ChildProcess? = state.withLock { state in
            guard state.exit == nil, !state.stopRequested else { return nil }
            state.stopRequested = true
            return state.child
        }
        guard let child else { return }
        Task {
            for signal in [SIGINT, SIGTERM] {
                child.send(signal)
                if await waitForExit(timeout: grace) { return }
            }
            child.send(SIGKILL)
            child.sendToGroup(SIGKILL)
        }
    }

    /// True once the tracer has exited, false after `timeout`.
    func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let seen = progress.generation
            if hasExited { return true }
            await progress.wait(after: seen, timeout: deadline - ContinuousClock.now)
        }
        return hasExited
    }

    public var status: RunStatus {
        state.withLock { state in
            let runState: RunState
            if state.delivery.finishedAcknowledged {
                runState = .delivered
            } else if state.exit != nil {
                runState = .delivering
            } else if state.stopRequested {
                runState = .stopping
            } else {
                runState = state.ready ? .running : .starting
            }
            return RunStatus(
                template: template, filePath: filePath, thread: thread, traceType: tracer,
                startedAt: startedAt, deadline: deadline, state: runState,
                bytesRead: state.bytesWritten, chunksAcknowledged: state.delivery.chunksAcknowledged,
                bytesAcknowledged: state.delivery.bytesAcknowledged, retries: state.delivery.retries,
                lastDeliveryError: state.delivery.lastError, exitCode: state.exit?.code,
                failure: Self.failure(exit: state.exit, ready: state.ready, writeError: state.writeError),
                privilege: privilege.name)
        }
    }

    /// A one-line reason when the tracer failed: its non-zero code and the last
    /// meaningful stderr line (bpftrace's RLIMIT_MEMLOCK notice is known noise).
    static func failure(exit: TracerExit?, ready: Bool, writeError: String?) -> String? {
        if let writeError { return writeError }
        guard let exit, exit.code != 0 else { return nil }
        let lines = exit.stderr.split(separator: "\n").map(String.init).filter { line in
            !line.contains("couldn't set RLIMIT_MEMLOCK") && !line.trimmingCharacters(in: .whitespaces).isEmpty
        }
        let reason = lines.last.map { ": \($0.prefix(300))" } ?? ""
        return "tracer exited with code \(exit.code)\(ready ? "" : " before its probes were live")\(reason)"
    }
}
