import PlatformWire
import Submitter
import TraceModel

/// Where one run is in its life, as a value: events in, actions out, no I/O (after
/// async-http-client's `RequestBag.StateMachine`). `TraceRun` owns one behind its lock,
/// feeds it what its threads see, and carries out what it returns.
///
///     starting ──readySeen──▶ running
///        │                       │
///        └──stopRequested / outputFailed──▶ stopping
///                                              │
///     (any of the three) ──childExited──▶ exited ──finishedAcknowledged──▶ delivered
///
///     starting / running ──suspendRequested──▶ suspending ──childExited──▶ suspended
///
/// A suspension is the endpoint's graceful stop of a run it relaunches at its next start
/// (docs/delivery.md, "Runs that outlive a restart"): the tracer is stopped as for a
/// stop, but its exit is not the run's end, so no `finished` follows it.
///
/// A stop asked for before the child is recorded (the spool cap on its very first
/// block of output, a kill racing the spawn) is kept, and the stop sequence starts as
/// soon as the child is recorded. Events that make no sense in a phase (a second stop,
/// readiness after the exit, a second exit, an acknowledgement before the exit) change
/// nothing and ask for nothing.
struct RunLifecycle: Equatable, Sendable {
    enum Phase: Equatable, Sendable {
        case starting
        case running
        case stopping
        /// The tracer exited; its output and `finished` (its code, its stderr and the
        /// endpoint's notes) are being delivered.
        case exited(FinishedReport)
        /// `finished` was acknowledged.
        case delivered(FinishedReport)
        /// The tracer exited for the endpoint's restart (its code and stderr); the run goes
        /// on in the endpoint's next life.
        case suspended(FinishedReport)
    }

    enum Action: Equatable, Sendable {
        case none
        /// Send the stop sequence (`StopSequence`) to the recorded child.
        case startStopSequence(grace: Duration)
    }

    private(set) var phase: Phase
    /// The ready line was seen: the probes were live (kept through stopping and exit,
    /// for the failure text).
    private(set) var ready: Bool
    private(set) var hasChild = false
    /// Why the endpoint itself stopped the run (the spool cap; a kill gives none).
    private(set) var stopReason: String?
    /// Why the output could not be kept or read (disk full, a damaged resumed file).
    private(set) var outputFailure: String?
    private var pendingStopGrace: Duration?
    /// The stop under way is a suspension (`suspendRequested`).
    private(set) var suspending = false

    /// A run about to be spawned.
    init() {
        phase = .starting
        ready = false
    }

    /// A run resumed after a restart: its tracer is gone, its exit recorded (or unknown),
    /// and `fileProblem` says why nothing more can be read from its file, if so.
    init(resumedWith exit: FinishedReport, fileProblem: String?) {
        var exit = exit
        if let fileProblem { exit.stderr += Self.note(fileProblem) }
        phase = .exited(exit)
        ready = true
        outputFailure = fileProblem
    }

    mutating func childRecorded() -> Action {
        guard !hasChild else { return .none }
        hasChild = true
        guard phase == .stopping, let grace = pendingStopGrace else { return .none }
        pendingStopGrace = nil
        return .startStopSequence(grace: grace)
    }

    mutating func readySeen() {
        ready = true
        if phase == .starting { phase = .running }
    }

    mutating func stopRequested(reason: String?, grace: Duration) -> Action {
        guard phase == .starting || phase == .running else { return .none }
        phase = .stopping
        stopReason = reason
        guard hasChild else {
            pendingStopGrace = grace
            return .none
        }
        return .startStopSequence(grace: grace)
    }

    /// The endpoint is stopping and relaunches the run at its next start: the tracer is
    /// stopped as for a stop, and its exit suspends the run instead of ending it. A run
    /// already stopping (a kill, the spool cap) ends as that stop asked.
    mutating func suspendRequested(grace: Duration) -> Action {
        guard phase == .starting || phase == .running else { return .none }
        let action = stopRequested(reason: nil, grace: grace)
        suspending = true
        return action
    }

    /// The run file cannot take the tracer's output: keep the reason, stop the tracer
    /// rather than deliver a stream with a silent hole.
    mutating func outputFailed(_ reason: String) -> Action {
        if outputFailure == nil { outputFailure = reason }
        return stopRequested(reason: nil, grace: .seconds(1))
    }

    /// The child was reaped: `stderr` is what it wrote; the endpoint's own notes (why it
    /// stopped the run, what could not be written) follow it. Returns the exit that
    /// `finished` carries, nil when the exit was already known.
    mutating func childExited(code: Int32, stderr: String) -> FinishedReport? {
        switch phase {
        case .exited, .delivered, .suspended:
            return nil
        case .starting, .running, .stopping:
            var text = stderr
            if let stopReason { text += Self.note(stopReason) }
            if let outputFailure { text += Self.note(outputFailure) }
            let exit = FinishedReport(code: code, stderr: text)
            // A failed write is the run's end: a relaunch would leave a hole in the stream.
            if suspending, outputFailure == nil {
                phase = .suspended(exit)
                return nil
            }
            phase = .exited(exit)
            return exit
        }
    }

    mutating func finishedAcknowledged() {
        if case .exited(let exit) = phase { phase = .delivered(exit) }
    }

    var exit: FinishedReport? {
        switch phase {
        case .exited(let exit), .delivered(let exit): return exit
        case .starting, .running, .stopping, .suspended: return nil
        }
    }

    /// The tracer's exit when it suspended the run (its code and stderr), else nil.
    var suspension: FinishedReport? {
        guard case .suspended(let exit) = phase else { return nil }
        return exit
    }

    /// The tracer is gone: the run ended, or is suspended.
    var tracerEnded: Bool { exit != nil || suspension != nil }

    /// The phase as the API names it.
    var runState: RunState {
        switch phase {
        case .starting: return .starting
        case .running: return .running
        case .stopping: return .stopping
        case .exited: return .delivering
        case .delivered: return .delivered
        case .suspended: return .suspended
        }
    }

    /// A one-line reason when the run did not end as asked: what the endpoint saw go
    /// wrong, else the tracer's non-zero code and its last meaningful stderr line
    /// (bpftrace's RLIMIT_MEMLOCK notice is known noise).
    var failure: String? {
        if let outputFailure { return outputFailure }
        if let stopReason { return stopReason }
        guard let exit, exit.code != 0 else { return nil }
        if exit.code == TraceRun.unknownExitCode {
            // The last stderr line says why: ChildProcess.reap's note, or a resumed run's.
            return TracerStderr.lastMeaningfulLine(exit.stderr) ?? "exit status unknown"
        }
        let reason = TracerStderr.lastMeaningfulLine(exit.stderr).map { ": \($0)" } ?? ""
        return "tracer exited with code \(exit.code)\(ready ? "" : " before its probes were live")\(reason)"
    }

    static func note(_ text: String) -> String { "\n[lambda-endpoint: \(text)]\n" }
}
