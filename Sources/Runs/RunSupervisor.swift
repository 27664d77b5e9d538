import EndpointConfig
import EndpointStorage
import Foundation
import Logging
import PrometheusMetrics
import ServiceLifecycle
import Submitter
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// Starts, lists, stops and remembers tracer runs, and sees every run's output to the
/// platform. A `Service`: when it starts it picks up every run the database says is
/// undelivered (also after SIGKILL), relaunching those with time left; on graceful
/// shutdown it stops every tracer with SIGINT (suspending the runs it relaunches at the
/// next start) and gives deliveries a bounded time, the rest resuming at the next start.
public actor RunSupervisor: Service {
    let settings: Settings
    /// Where deliveries send the runs' output (`PlatformClient`, or a test's transport).
    let client: any SubmitTransport
    let database: EndpointDatabase
    let logger: Logger
    let budget: SpoolBudget
    let metrics: EndpointMetrics
    /// Where the runs' events go (nil: nowhere, as in tests of the supervisor alone).
    let events: EventRecorder?
    /// The start rules a relaunch passes again (nil: runs are not relaunched, as in tests
    /// of the supervisor alone).
    let approval: RunApproval?
    /// Runs waiting at start-up for their relaunch, as their status shows meanwhile.
    var pendingRelaunches: [String: RunStatus] = [:]
    /// Pending relaunches a kill asked to stop: they finish instead.
    var killedBeforeRelaunch: Set<String> = []
    var runs: [String: TraceRun] = [:]
    var order: [String] = []
    var history: [RunStatus] = []
    var nextRunNumber = 1
    var acceptingRuns = true
    var resumedFromDatabase = false
    /// Starts past the limit checks that have not put their run in `runs` yet: the slot
    /// is taken before the first suspension point, so parallel starts cannot all pass the
    /// check while one of them waits for the database (actor reentrancy).
    var reservedStarts = 0
    /// Signalled whenever a run retires: what a graceful shutdown waits on.
    let retirements = ProgressSignal()
    /// Per run, the one task that handles its tracer's exit (`handleExit`): retirement
    /// and shutdown await it rather than record the exit themselves.
    var exitHandlers: [String: Task<Void, Never>] = [:]
    /// Deliveries of resumed runs sent at once after a restart: each holds a descriptor
    /// and two chunks of memory while it waits for a platform that may still be down.
    static let resumedDeliveriesAtOnce = 4
    /// Relaunches under way at once after a restart: each holds the binaries its start
    /// checked and a starting tracer (bpftrace's start is its costliest second), until
    /// its probes are live.
    static let relaunchesAtOnce = 4

    public init(
        settings: Settings,
        client: any SubmitTransport,
        database: EndpointDatabase,
        metrics: EndpointMetrics = EndpointMetrics(),
        events: EventRecorder? = nil,
        approval: RunApproval? = nil,
        logger: Logger
    ) {
        self.approval = approval
        self.settings = settings
        self.events = events
        self.metrics = metrics
        self.client = client
        self.database = database
        self.logger = logger
        self.budget = SpoolBudget(capacity: settings.maxSpoolBytes)
    }

    /// Puts a run, started or resumed, among the active ones (the newest last).
    func register(_ run: TraceRun) {
        runs[run.filePath] = run
        // A relaunch takes the place its pending status held.
        if pendingRelaunches.removeValue(forKey: run.filePath) == nil { order.append(run.filePath) }
    }

    func logger(for filePath: String) -> Logger {
        var runLogger = logger
        runLogger[metadataKey: "trace.path"] = "\(filePath)"
        return runLogger
    }

    /// The one place a tracer's end is handled: once the run has its exit, the program
    /// file goes and the exit is persisted (its code and stderr are what `finished`
    /// carries, also if the endpoint restarts before delivering it), with the run's
    /// `run-finished` after its other events. `alreadyRecorded`: a resumed run whose exit
    /// (and event) the database holds.
    func handleExit(of run: TraceRun, program: TracerProgramFile?, alreadyRecorded: Bool) {
        exitHandlers[run.filePath] = Task {
            await run.waitForExit()
            program?.remove()
            if case .applied(_, let directories) = run.resourceCaps { await StartThread.run { TracerCgroup(directories: directories).remove() } }
            await run.launched?.events?.finish()
            if let suspension = run.suspension {
                await self.recordSuspension(of: run, suspension)
                return
            }
            guard !alreadyRecorded, let exit = run.exit else { return }
            do {
                try await recordExit(of: run, exit)
            } catch {
                logger(for: run.filePath).error("Cannot record the tracer's exit", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: - Queries and kill

    public func status(filePath: String) -> RunStatus? { runs[filePath]?.status ?? pendingRelaunches[filePath] }

    /// Every run not yet retired, oldest first.
    public func activeRuns() -> [RunStatus] { order.compactMap { runs[$0]?.status ?? pendingRelaunches[$0] } }

    /// The last finished runs, oldest first.
    public func finishedRuns() -> [RunStatus] { history }

    /// Stops the run at `filePath`; an unknown path is ignored.
    public func kill(filePath: String) {
        if pendingRelaunches[filePath] != nil { killedBeforeRelaunch.insert(filePath) }
        guard let run = runs[filePath] else { return }
        logger.info("Trace kill requested", metadata: ["trace.path": "\(filePath)"])
        run.stop(grace: settings.killGrace)
    }
}
