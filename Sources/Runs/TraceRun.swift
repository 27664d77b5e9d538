import EndpointStorage
import Foundation
import HostSystem
import Logging
import PlatformWire
import PrometheusMetrics
import Submitter
import Synchronization
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// One tracer run's I/O: its child process, its output file, its delivery position. Where
/// the run is in its life, and what to do next, is `RunLifecycle`'s to say. Where it comes
/// from is `origin`'s: launched by this process (its tracer is our child), or resumed
/// after a restart (no child: its output is what the file holds).
///
/// Threads: the child's reader threads call `appendOutput`/`exited`; the delivery task
/// and the API read `status`. Shared state sits behind one mutex.
public final class TraceRun: Sendable {
    /// Where a run comes from: what it has, and what it can do, follows from it.
    enum Origin: Sendable {
        /// Started by this endpoint process: its tracer is our child.
        case launched(LaunchedTracer)
        /// Found undelivered in the database at start-up: its tracer was the previous
        /// process's child (stopped if still alive), its output is what the file holds.
        /// `ownsFile` false: the recorded path is not a file of trace-dir, so it is never
        /// read, sent or removed.
        case resumed(ownsFile: Bool)
    }

    public let runNumber: Int
    public let filePath: String
    public let template: TraceTemplate
    /// The analysis the run runs (nil: the template's functions).
    public let analysis: RunAnalysis?
    public let tracer: TracerType
    public let startedAt: Date
    public let deadline: Date
    let privilegeName: String
    let origin: Origin
    /// The start to relaunch the run from after a restart (nil: it ends at a stop).
    let relaunch: RelaunchableStart?
    /// Times the run was relaunched after a restart.
    let resumedCount: Int
    /// `submit-chunk-size` when the run started (nil: recorded before it was kept).
    let chunkSize: Int?
    /// The target as recorded at the start (`RunRecord.target`): what the status of a run
    /// picked up after a restart shows.
    let recordedTarget: [String: JSONValue]?
    /// Output written or the tracer exited: what the delivery waits on.
    let progress = ProgressSignal()
    /// The tracer exited: what the exit handler, the lasting bound and the stop sequence
    /// wait on. Apart from `progress` so that a busy tracer's every block of output does
    /// not wake three waiters (and make the timed ones a new timer each) for nothing.
    let exitSignal = ProgressSignal()
    let budget: SpoolBudget

    /// `finished.code` when the endpoint restarted while the tracer ran: the real exit
    /// status cannot be known (the tracer was not our child any more).
    public static let unknownExitCode: Int32 = -1
    static let unknownExitExplanation =
        "[lambda-endpoint: the endpoint restarted while this tracer ran; its exit status is unknown (code -1). The output below the restart point is complete up to what the tracer had written.]\n"

    struct State {
        var lifecycle: RunLifecycle
        var bytesWritten: Int64 = 0
        var readyProbe: [UInt8] = []
        var notices = TracerNoticeScanner()
        var stderr = StderrCapture()
        var cursor = DeliveryCursor()
        var child: ChildProcess?
        var resourceCaps: TracerCgroup.Outcome?
        /// Where the search for the end of the `ready` line is, while `linesAfterReady`
        /// still wait (`ReadyLineEnd`).
        var readyLineEnd = ReadyLineEnd()
        /// The gaps its relaunches left (`ResumeGap`), the last once its probes are live.
        var gaps: [ResumeGap] = []
    }

    let state: Mutex<State>

    /// The line bpftrace's `-f json` prints for the program's BEGIN marker (and the
    /// SystemTap program prints by hand): probes are attached once it appears.
    static let readyMarker = Array(#"{"type": "value", "data": ["ready","#.utf8)
    /// How far into the output to look for the marker.
    static let readySearchLimit = 16 * 1024

    convenience init(
        record: RunRecord,
        tracer: TracerType,
        outputFD: Int32,
        budget: SpoolBudget,
        metrics: EndpointMetrics? = nil,
        expectedProbes: [String]? = nil,
        binary: TracedBinary? = nil,
        tracerLimits: TracerLimits? = nil,
        target: RunTarget? = nil,
        rateBound: EventRateBound? = nil,
        heldBinaries: HeldBinaries? = nil,
        events: RunEventReporter? = nil,
        continuation: RunContinuation? = nil,
        logger: Logger? = nil
    ) {
        let launched = LaunchedTracer(
            outputFD: outputFD,
            privilege: record.privilege,
            metrics: metrics,
            logger: logger,
            expectedProbes: expectedProbes,
            binary: binary,
            tracerLimits: tracerLimits,
            target: target,
            rateBound: rateBound,
            heldBinaries: heldBinaries,
            events: events,
            continuation: continuation
        )
        var state = State(lifecycle: RunLifecycle())
        if let continuation {
            // The stream goes on after what the file holds, delivered from where it was.
            state.bytesWritten = continuation.fileSize
            state.cursor = continuation.cursor
            state.gaps = continuation.gaps
            _ = budget.add(max(0, continuation.fileSize - continuation.cursor.bytesAcknowledged))
        }
        self.init(record: record, tracer: tracer, origin: .launched(launched), budget: budget, state: state)
    }

    /// A run found undelivered in the database at start-up. `fileProblem` says why its
    /// file cannot be used (gone, shorter than acknowledged, outside trace-dir): then
    /// nothing more is read from it and `finished` says so.
    /// `exit`: its `finished` when the record holds none (a run not relaunched,
    /// `RelaunchDecision`); nil: the recorded exit, or code -1 and why it is unknown.
    convenience init(
        resuming stored: StoredRun,
        tracer: TracerType,
        fileSize: Int64,
        fileProblem: String?,
        ownsFile: Bool,
        budget: SpoolBudget,
        exit ending: FinishedReport? = nil
    ) {
        let record = stored.run
        let exit =
            record.exitCode.map { FinishedReport(code: $0, stderr: record.stderr ?? "") }
            ?? ending ?? FinishedReport(code: Self.unknownExitCode, stderr: Self.unknownExitExplanation)
        var state = State(lifecycle: RunLifecycle(resumedWith: exit, fileProblem: fileProblem))
        state.bytesWritten = fileProblem == nil ? record.bytesWritten.map { min($0, fileSize) } ?? fileSize : stored.delivery.bytesAcknowledged
        state.cursor = stored.delivery
        state.gaps = record.gaps
        self.init(record: record, tracer: tracer, origin: .resumed(ownsFile: ownsFile), budget: budget, state: state)
        _ = budget.add(max(0, state.bytesWritten - stored.delivery.bytesAcknowledged))
    }

    private init(record: RunRecord, tracer: TracerType, origin: Origin, budget: SpoolBudget, state: State) {
        self.runNumber = record.runNumber
        self.filePath = record.filePath
        self.template = record.template
        self.analysis = record.analysis
        self.tracer = tracer
        self.startedAt = record.startedAt
        self.deadline = record.deadline
        self.privilegeName = record.privilege
        self.origin = origin
        self.relaunch = record.relaunch
        self.resumedCount = record.resumedCount
        self.chunkSize = record.chunkSize
        self.recordedTarget = record.target
        self.budget = budget
        self.state = Mutex(state)
    }

    /// The launched tracer's facts (nil: a resumed run).
    var launched: LaunchedTracer? {
        guard case .launched(let tracer) = origin else { return nil }
        return tracer
    }

    /// False when the recorded path is not a file of trace-dir: it is then never read,
    /// sent or removed.
    var ownsFile: Bool {
        guard case .resumed(let ownsFile) = origin else { return true }
        return ownsFile
    }

    /// Spawns the tracer. A tracer that cannot be executed at all (missing binary, no
    /// permission) still makes a run: it ends at once with code 127, as a shell would
    /// report it, and the reason in its stderr, so the platform hears of it the same way
    /// as of any other tracer failure.
    func launch(_ invocation: TracerInvocation, outputBatchWindow: Duration = .zero) {
        // A resumed run's tracer was the previous process's: there is nothing to launch.
        guard let launched else { return }
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: invocation.executable,
                arguments: invocation.arguments,
                environment: invocation.environment,
                standardInput: invocation.standardInput,
                outputBatchWindow: outputBatchWindow,
                onOutput: { [self] in appendOutput($0, of: launched) },
                onError: { [self] bytes in state.withLock { $0.stderr.append(bytes) } },
                onExit: { [self] code in exited(code: code, of: launched) }
            )
        } catch {
            let message = Array("lambda-endpoint: \(error.description)\n".utf8)
            message.withUnsafeBytes { bytes in state.withLock { $0.stderr.append(bytes) } }
            exited(code: 127, of: launched)
            return
        }
        // A stop asked for while the child was being spawned (the spool cap on its first
        // block of output, a kill) found no child to signal: it is carried out now.
        let action = state.withLock { state in
            state.child = child
            return state.lifecycle.childRecorded()
        }
        carryOut(action, child: child)
    }

    /// Whether the tracer runs under its cgroup caps (nil: not started yet, or resumed);
    /// when applied, the cgroup to remove once it exited.
    var resourceCaps: TracerCgroup.Outcome? {
        get { state.withLock { $0.resourceCaps } }
        set { state.withLock { $0.resourceCaps = newValue } }
    }

    /// The spawned child's pid, once recorded.
    var childPID: Int32? { state.withLock { $0.child?.pid } }

    var writtenOutput: WrittenOutput {
        state.withLock { WrittenOutput(bytesWritten: $0.bytesWritten, finished: $0.lifecycle.exit) }
    }

    var cursor: DeliveryCursor { state.withLock { $0.cursor } }

    /// Takes the delivery's new position; returns the one it replaces.
    func advance(to cursor: DeliveryCursor) -> DeliveryCursor {
        state.withLock { state in
            defer { state.cursor = cursor }
            if cursor.finishedAcknowledged { state.lifecycle.finishedAcknowledged() }
            return state.cursor
        }
    }

    public var hasExited: Bool { exit != nil }

    /// The tracer is gone: the run ended, or is suspended for a relaunch.
    var tracerEnded: Bool { state.withLock { $0.lifecycle.tracerEnded } }

    /// The tracer's exit when it suspended the run for a relaunch, else nil.
    var suspension: FinishedReport? { state.withLock { $0.lifecycle.suspension } }

    /// The tracer's end, once it has exited (or, for a resumed run, as recorded).
    var exit: FinishedReport? { state.withLock { $0.lifecycle.exit } }

    public var status: RunStatus {
        let launched = self.launched
        return state.withLock { state in
            RunStatus(
                template: template,
                analysis: analysis,
                filePath: filePath,
                runNumber: runNumber,
                tracer: tracer,
                startedAt: startedAt,
                deadline: deadline,
                state: state.lifecycle.runState,
                bytesRead: state.bytesWritten,
                delivery: state.cursor,
                exitCode: state.lifecycle.exit?.code,
                failure: state.lifecycle.failure,
                privilege: privilegeName,
                resumed: launched == nil || resumedCount > 0,
                resumedCount: resumedCount,
                gaps: state.gaps,
                probesExpected: launched?.expectedProbes?.count,
                probesAttached: state.notices.probesAttached,
                eventsLost: state.notices.eventsLost,
                target: launched?.target,
                recordedTarget: launched == nil ? recordedTarget : nil,
                binaryChanged: launched?.binaryChanged ?? false,
                tracerLimits: launched?.tracerLimits?.byVariable,
                maxEventsPerSecond: launched?.rateBound?.maxEventsPerSecond,
                rateLimited: state.notices.rateLimitedEvents != nil,
                resourceCaps: state.resourceCaps.map(RunStatus.ResourceCaps.init)
            )
        }
    }
}
