import HostSystem
import Logging
import PrometheusMetrics
import TraceModel

/// What a run launched by this endpoint process has and a run picked up after a restart
/// does not: its tracer is this process's child, it writes the run file, and its status
/// can say what the tracer was started with (`TraceRun.Origin`).
struct LaunchedTracer: Sendable {
    /// The run file, open for the tracer's output until it exits.
    let outputFD: Int32
    /// Stop signals go to the tracer's whole process group when the endpoint runs it
    /// directly (a tracer with helpers stops as one); through sudo only sudo can be
    /// signalled, and it relays to the tracer.
    let signalsWholeGroup: Bool
    let metrics: EndpointMetrics?
    let logger: Logger?
    /// The probes of the run's program, as bpftrace counts them (nil: not known, or a
    /// tracer that does not report them).
    let expectedProbes: [String]?
    /// A targeted run's target; its stream lines go right after the tracer's `ready` line.
    let target: RunTarget?
    /// The endpoint's own lines, written right after the tracer's `ready` line.
    let linesAfterReady: [UInt8]
    /// The run's binary is another build than the one recorded with its template.
    let binaryChanged: Bool
    /// bpftrace's limits for this run (nil: SystemTap).
    let tracerLimits: TracerLimits?
    /// The event-rate bound its program enforces (nil: none, or SystemTap).
    let rateBound: EventRateBound?
    /// The files its program names by descriptor, open until the tracer's probes are live
    /// or it exited (nil: none).
    let heldBinaries: HeldBinaries?
    /// Where its events go (nil: nowhere, as in tests of the supervisor alone).
    let events: RunEventReporter?
    /// A relaunch after a restart: what it continues (nil: a first launch).
    let continuation: RunContinuation?

    /// Lines go in after the tracer's `ready` line: a `resumed` line, targets, binaries.
    var writesAfterReady: Bool { continuation != nil || !linesAfterReady.isEmpty }

    init(
        outputFD: Int32,
        privilege: String,
        metrics: EndpointMetrics?,
        logger: Logger?,
        expectedProbes: [String]?,
        binary: TracedBinary?,
        tracerLimits: TracerLimits?,
        target: RunTarget?,
        rateBound: EventRateBound?,
        heldBinaries: HeldBinaries?,
        events: RunEventReporter?,
        continuation: RunContinuation? = nil
    ) {
        self.continuation = continuation
        self.outputFD = outputFD
        self.signalsWholeGroup = privilege == TracerPrivilege.root.name
        self.metrics = metrics
        self.logger = logger
        self.expectedProbes = expectedProbes
        self.target = target
        // The endpoint's own lines: the targets (the stream begins with them after
        // `ready`), then the binaries traced: an untargeted run's one, or one for each
        // distinct file a targeted run probes.
        let probed = target?.resolved.files.map { TracedBinary(path: $0.path, identity: $0.identity, changedSinceStored: false) } ?? []
        let binaries = probed + (binary.map { [$0] } ?? [])
        self.linesAfterReady = (target.map { TargetStreamLines.bytes(for: $0.resolved) } ?? []) + binaries.flatMap(\.streamLine)
        self.binaryChanged = binary?.changedSinceStored ?? false
        self.tracerLimits = tracerLimits
        self.rateBound = rateBound
        self.heldBinaries = heldBinaries
        self.events = events
    }
}
