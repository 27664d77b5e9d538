import EndpointStorage
import Foundation
import Glibc
import HostSystem
import Logging
import PlatformWire
import PrometheusMetrics
import Submitter
import Synchronization
import TraceModel

#if canImport(Glibc)
#endif

/// One tracer run's I/O: its child process, its output file, its delivery position. Where
/// the run is in its life, and what to do next, is `RunLifecycle`'s to say. A run resumed
/// after a restart has no child: its output is what the file holds.
///
/// Threads: the child's reader threads call `appendOutput`/`exited`; the delivery task
/// and the API read `status`. Shared state sits behind one mutex.
public final class TraceRun: Sendable {
    public let runNumber: Int
    public let filePath: String
    public let template: TraceTemplate
    /// The analysis the run runs (nil: the template's functions).
    public let analysis: RunAnalysis?
    public let tracer: TracerType
    public let startedAt: Date
    public let deadline: Date
    let privilegeName: String
    /// Stop signals go to the tracer's whole process group when the endpoint runs it
    /// directly (a tracer with helpers stops as one); through sudo only sudo can be
    /// signalled, and it relays to the tracer.
    let signalsWholeGroup: Bool
    /// Output written or the tracer exited: what the delivery waits on.
    let progress = ProgressSignal()
    /// The tracer exited: what the exit handler, the lasting bound and the stop sequence
    /// wait on. Apart from `progress` so that a busy tracer's every block of output does
    /// not wake three waiters (and make the timed ones a new timer each) for nothing.
    private let exitSignal = ProgressSignal()
    let budget: SpoolBudget
    /// True for a run picked up again after the endpoint restarted.
    let resumed: Bool
    /// False when the recorded path is not a file of trace-dir: it is then never read,
    /// sent or removed.
    let ownsFile: Bool
    let metrics: EndpointMetrics?
    /// The probes of the run's program, as bpftrace counts them (nil: not known, or a
    /// tracer that does not report them).
    let expectedProbes: [String]?
    /// A targeted run's target; its stream lines go right after the tracer's `ready` line.
    let target: RunTarget?
    private let linesAfterReady: [UInt8]
    let logger: Logger?
    /// The run's binary is another build than the one recorded with its template.
    let binaryChanged: Bool
    /// bpftrace's limits for this run (nil: SystemTap, or a resumed run).
    let tracerLimits: TracerLimits?
    /// The event-rate bound its program enforces (nil: none, SystemTap, or a resumed run).
    let rateBound: EventRateBound?
    /// The files its program names by descriptor, open until the tracer's probes are live
    /// or it exited (nil: none, or a resumed run).
    let heldBinaries: HeldBinaries?

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
    }

    private let state: Mutex<State>
    private let outputFD: Int32

    /// The line bpftrace's `-f json` prints for the program's BEGIN marker (and the
    /// SystemTap program prints by hand): probes are attached once it appears.
    static let readyMarker = Array(#"{"type": "value", "data": ["ready","#.utf8)
    /// How far into the output to look for the marker.
    static let readySearchLimit = 16 * 1024

    init(
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
        logger: Logger? = nil
    ) {
        self.heldBinaries = heldBinaries
        self.tracerLimits = tracerLimits
        self.rateBound = rateBound
        self.metrics = metrics
        self.expectedProbes = expectedProbes
        self.target = target
        // The endpoint's own lines: the targets (SPEC: the stream begins with them after
        // `ready`), then the binaries traced: an untargeted run's one, or one for each
        // distinct file a targeted run probes.
        let probed = target?.resolved.files.map { TracedBinary(path: $0.path, identity: $0.identity, changedSinceStored: false) } ?? []
        let binaries = probed + (binary.map { [$0] } ?? [])
        self.linesAfterReady = (target.map { TargetStreamLines.bytes(for: $0.resolved) } ?? []) + binaries.flatMap(\.streamLine)
        self.logger = logger
        self.binaryChanged = binary?.changedSinceStored ?? false
        self.runNumber = record.runNumber
        self.filePath = record.filePath
        self.outputFD = outputFD
        self.template = record.template
        self.analysis = record.analysis
        self.tracer = tracer
        self.startedAt = record.startedAt
        self.deadline = record.deadline
        self.privilegeName = record.privilege
        self.signalsWholeGroup = record.privilege == TracerPrivilege.root.name
        self.budget = budget
        self.resumed = false
        self.ownsFile = true
        self.state = Mutex(State(lifecycle: RunLifecycle()))
    }

    /// A run found undelivered in the database at start-up. `fileProblem` says why its
    /// file cannot be used (gone, shorter than acknowledged, outside trace-dir): then
    /// nothing more is read from it and `finished` says so.
    init(resuming stored: StoredRun, tracer: TracerType, fileSize: Int64, fileProblem: String?, ownsFile: Bool, budget: SpoolBudget) {
        let record = stored.run
        self.runNumber = record.runNumber
        self.filePath = record.filePath
        self.outputFD = -1
        self.template = record.template
        self.analysis = record.analysis
        self.tracer = tracer
        self.startedAt = record.startedAt
        self.deadline = record.deadline
        self.privilegeName = record.privilege
        self.signalsWholeGroup = false
        self.budget = budget
        self.resumed = true
        self.ownsFile = ownsFile
        self.metrics = nil
        self.expectedProbes = nil
        self.target = nil
        self.linesAfterReady = []
        self.logger = nil
        self.binaryChanged = false
        self.tracerLimits = nil
        self.rateBound = nil
        self.heldBinaries = nil
        let exit =
            record.exitCode.map { FinishedReport(code: $0, stderr: record.stderr ?? "") }
            ?? FinishedReport(code: Self.unknownExitCode, stderr: Self.unknownExitExplanation)
        var state = State(lifecycle: RunLifecycle(resumedWith: exit, fileProblem: fileProblem))
        state.bytesWritten = fileProblem == nil ? record.bytesWritten.map { min($0, fileSize) } ?? fileSize : stored.delivery.bytesAcknowledged
        state.cursor = stored.delivery
        self.state = Mutex(state)
        _ = budget.add(max(0, state.bytesWritten - stored.delivery.bytesAcknowledged))
    }

    /// Spawns the tracer. A tracer that cannot be executed at all (missing binary, no
    /// permission) still makes a run: it ends at once with code 127, as a shell would
    /// report it, and the reason in its stderr, so the platform hears of it the same way
    /// as of any other tracer failure.
    func launch(_ invocation: TracerInvocation, outputBatchWindow: Duration = .zero) {
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: invocation.executable,
                arguments: invocation.arguments,
                environment: invocation.environment,
                standardInput: invocation.standardInput,
                outputBatchWindow: outputBatchWindow,
                onOutput: { [self] in appendOutput($0) },
                onError: { [self] bytes in state.withLock { $0.stderr.append(bytes) } },
                onExit: { [self] code in exited(code: code) }
            )
        } catch {
            let message = Array("lambda-endpoint: \(error.description)\n".utf8)
            message.withUnsafeBytes { bytes in state.withLock { $0.stderr.append(bytes) } }
            exited(code: 127)
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

    /// Writes a block of the tracer's stdout to the run file, whole; a targeted run's
    /// target lines go in right after the `ready` line (the one exception SPEC makes to
    /// the stream being the tracer's stdout byte for byte).
    func appendOutput(_ bytes: UnsafeRawBufferPointer) {
        guard !linesAfterReady.isEmpty, let cut = state.withLock({ $0.readyLineEnd.scan(bytes) }) else {
            appendTracerOutput(bytes)
            return
        }
        appendTracerOutput(UnsafeRawBufferPointer(rebasing: bytes[..<cut]))
        linesAfterReady.withUnsafeBytes { appendTracerOutput($0) }
        appendTracerOutput(UnsafeRawBufferPointer(rebasing: bytes[cut...]))
    }

    private func appendTracerOutput(_ bytes: UnsafeRawBufferPointer) {
        let (written, failure) = writeAll(outputFD, bytes)
        if let failure {
            // Disk full or similar: the bytes cannot be kept (the lifecycle stops the run).
            let (action, child) = state.withLock { ($0.lifecycle.outputFailed("cannot write the run file: \(failure)"), $0.child) }
            carryOut(action, child: child)
        }
        let (bytesWritten, lost, attached, becameReady) = state.withLock { state in
            state.bytesWritten += Int64(written)
            let attachedBefore = state.notices.probesAttached
            let lost = state.notices.scan(bytes)
            let attached = attachedBefore == nil ? state.notices.probesAttached : nil
            var becameReady = false
            if !state.lifecycle.ready, state.readyProbe.count < Self.readySearchLimit {
                state.readyProbe.append(contentsOf: bytes.prefix(Self.readySearchLimit - state.readyProbe.count))
                if state.readyProbe.firstRange(of: Self.readyMarker) != nil {
                    state.lifecycle.readySeen()
                    state.readyProbe = []
                    becameReady = true
                }
            }
            return (state.bytesWritten, (now: lost, total: state.notices.eventsLost), attached, becameReady)
        }
        // The probes are attached (each holds its file): the descriptors have done their part.
        if becameReady { heldBinaries?.release() }
        metrics?.outputWritten(bytes: written)
        if lost.now > 0 {
            metrics?.tracerLostEvents(lost.now)
            if lost.total == lost.now {
                logger?.warning("The tracer lost events", metadata: ["trace.path": "\(filePath)", "trace.events_lost": "\(lost.now)"])
            }
        }
        if let attached, let expectedProbes, attached < expectedProbes.count {
            stop(
                grace: .seconds(1),
                reason:
                    "stopped: bpftrace attached \(attached) of the \(expectedProbes.count) probes of its program; one or more of these did not attach: \(expectedProbes.joined(separator: ", "))"
            )
        }
        if budget.add(Int64(written)) {
            stop(
                grace: .seconds(1),
                reason:
                    "stopped: max-spool-bytes (\(budget.capacity) bytes of undelivered output) reached; the platform is not taking output fast enough"
            )
        }
        progress.signal(level: bytesWritten)
    }

    func exited(code: Int32) {
        if outputFD >= 0 { close(outputFD) }
        heldBinaries?.release()
        state.withLock { state in
            // The program stopped itself: `finished` says why, after the tracer's own stderr.
            var rateNote: String?
            if let rateBound, let events = state.notices.rateLimitedEvents { rateNote = rateBound.note(lastSecondEvents: events) }
            if let rateNote { Array(rateNote.utf8).withUnsafeBytes { state.stderr.append($0) } }
            _ = state.lifecycle.childExited(code: code, stderr: state.stderr.text)
        }
        progress.signal()
        exitSignal.signal()
    }

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

    /// The tracer's end, once it has exited (or, for a resumed run, as recorded).
    var exit: FinishedReport? { state.withLock { $0.lifecycle.exit } }

    /// Stops the tracer: SIGINT (tracers print their final maps and exit 0), then after
    /// `grace` (and the time its probes take to detach, `ProbeDetachTime`) SIGTERM, then
    /// after `grace` SIGKILL. Through sudo the signals go to sudo itself: the
    /// invoking user may signal sudo, which relays SIGINT and SIGTERM to the root tracer.
    /// SIGKILL to sudo is not relayed (the in-program timer bounds an orphan).
    func stop(grace: Duration, reason: String? = nil) {
        let (action, child) = state.withLock { ($0.lifecycle.stopRequested(reason: reason, grace: grace), $0.child) }
        carryOut(action, child: child)
    }

    private func carryOut(_ action: RunLifecycle.Action, child: ChildProcess?) {
        switch action {
        case .none:
            return
        case .startStopSequence(let grace):
            // The lifecycle asks for it only once the child is recorded.
            guard let child else { return }
            runStopSequence(child, grace: grace)
        }
    }

    private func runStopSequence(_ child: ChildProcess, grace: Duration) {
        let sequence = StopSequence.forTracer(
            signalsWholeGroup: signalsWholeGroup,
            grace: grace,
            detachAllowance: ProbeDetachTime.allowance(for: expectedProbes)
        )
        Task {
            for step in sequence.steps {
                switch step.target {
                case .child: child.send(step.signal)
                case .processGroup: child.sendToGroup(step.signal)
                case .childAndProcessGroup:
                    child.send(step.signal)
                    child.sendToGroup(step.signal)
                }
                guard let wait = step.wait else { return }
                if await waitForExit(timeout: wait) { return }
            }
        }
    }

    /// True once the tracer has exited, false after `timeout` (nil: no limit).
    @discardableResult
    func waitForExit(timeout: Duration? = nil) async -> Bool {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while deadline.map({ ContinuousClock.now < $0 }) ?? true {
            let seen = exitSignal.generation
            if hasExited { return true }
            await exitSignal.wait(after: seen, timeout: deadline.map { $0 - ContinuousClock.now })
        }
        return hasExited
    }

    public var status: RunStatus {
        state.withLock { state in
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
                resumed: resumed,
                probesExpected: expectedProbes?.count,
                probesAttached: state.notices.probesAttached,
                eventsLost: state.notices.eventsLost,
                target: target,
                binaryChanged: binaryChanged,
                tracerLimits: tracerLimits?.byVariable,
                maxEventsPerSecond: rateBound?.maxEventsPerSecond,
                rateLimited: state.notices.rateLimitedEvents != nil,
                resourceCaps: state.resourceCaps.map(RunStatus.ResourceCaps.init)
            )
        }
    }
}
