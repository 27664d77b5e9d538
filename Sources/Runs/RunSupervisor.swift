import EndpointConfig
import EndpointStorage
import Foundation
import Glibc
import Logging
import PrometheusMetrics
import ServiceLifecycle
import Submitter
import TraceModel

#if canImport(Glibc)
#endif

/// Starts, lists, stops and remembers tracer runs, and sees every run's output to the
/// platform. A `Service`: when it starts it resumes every run the database says is
/// undelivered (also after SIGKILL); on graceful shutdown it stops every tracer with
/// SIGINT and gives deliveries a bounded time, the rest resuming at the next start.
public actor RunSupervisor: Service {
    public struct Settings: Sendable {
        public var traceDirectory: String
        public var bpfPath: String
        public var stapPath: String
        public var chunkSize: Int
        public var flushInterval: Duration?
        /// How long a short read of a tracer's stdout waits for more (`ChildProcess.drain`):
        /// `outputBatchLimit`, or the flush interval when that is shorter, so a live
        /// trace's flush is never held back by the batching.
        public var outputBatchWindow: Duration
        public var maxConcurrentRuns: Int
        public var maxUndeliveredRuns: Int
        public var killGrace: Duration
        /// Extra time past `lasting` before the endpoint stops a tracer whose own timer
        /// did not (the in-program timer is the first line).
        public var lastingSlack: Duration
        public var shutdownGrace: Duration
        public var historySize: Int
        public var maxSpoolBytes: Int64
        public var keepRunFiles: Bool
        public var retryPolicy: RetryPolicy
        public var privilege: TracerPrivilege
        public var bpfLimits: TracerLimits = .bpftraceDefaults
        var tracerCaps = TracerCgroup.Caps(cpuPercent: 100, memoryMiB: 1024)

        /// 2 ms: at 13 MB/s of bpftrace lines that is 26 KB per batch, well inside the 64 KiB
        /// pipe a tracer run through sudo gets, and small beside the 2.85 ms an event takes
        /// to reach the platform.
        public static let outputBatchLimit: Duration = .milliseconds(2)

        public init(lambda: LambdaSettings, privilege: TracerPrivilege) {
            self.traceDirectory = lambda.traceDirectory
            self.bpfPath = lambda.bpfPath
            self.stapPath = lambda.stapPath
            self.chunkSize = lambda.submitChunkSize
            self.flushInterval = lambda.submitFlushInterval
            self.outputBatchWindow = min(Self.outputBatchLimit, lambda.submitFlushInterval ?? Self.outputBatchLimit)
            self.maxConcurrentRuns = lambda.maxConcurrentRuns
            self.maxUndeliveredRuns = lambda.maxUndeliveredRuns
            self.killGrace = .seconds(lambda.killGraceSeconds)
            self.lastingSlack = .seconds(2)
            self.shutdownGrace = .seconds(lambda.shutdownGraceSeconds)
            self.historySize = 100
            self.maxSpoolBytes = lambda.maxSpoolBytes
            self.keepRunFiles = lambda.keepRunFiles
            self.retryPolicy = RetryPolicy(initial: lambda.submitRetryInitial, maximum: lambda.submitRetryMaximum)
            self.privilege = privilege
            self.bpfLimits = lambda.bpfLimits
            self.tracerCaps = TracerCgroup.Caps(cpuPercent: lambda.tracerCPUPercent, memoryMiB: lambda.tracerMemoryMiB)
        }
    }

    let settings: Settings
    let client: PlatformClient
    let database: EndpointDatabase
    let logger: Logger
    let budget: SpoolBudget
    let metrics: EndpointMetrics
    private var runs: [String: TraceRun] = [:]
    private var order: [String] = []
    private var history: [RunStatus] = []
    private var nextRunNumber = 1
    private var acceptingRuns = true
    private var resumedFromDatabase = false
    /// Starts past the limit checks that have not put their run in `runs` yet: the slot
    /// is taken before the first suspension point, so parallel starts cannot all pass the
    /// check while one of them waits for the database (actor reentrancy).
    private var reservedStarts = 0
    /// Signalled whenever a run retires: what a graceful shutdown waits on.
    private let retirements = ProgressSignal()
    /// Per run, the one task that handles its tracer's exit (`handleExit`): retirement
    /// and shutdown await it rather than record the exit themselves.
    private var exitHandlers: [String: Task<Void, Never>] = [:]
    /// Deliveries of resumed runs sent at once after a restart: each holds a descriptor
    /// and two chunks of memory while it waits for a platform that may still be down.
    static let resumedDeliveriesAtOnce = 4

    public init(settings: Settings, client: PlatformClient, database: EndpointDatabase, metrics: EndpointMetrics = EndpointMetrics(), logger: Logger)
    {
        self.settings = settings
        self.metrics = metrics
        self.client = client
        self.database = database
        self.logger = logger
        self.budget = SpoolBudget(capacity: settings.maxSpoolBytes)
    }

    // MARK: - Starting

    /// Starts a run; returns at once, without waiting for the tracer, with the run's
    /// number and file path. The run is in the database before the tracer starts, so a
    /// crash at any point after this leaves it resumable. In order: a slot, the files,
    /// the record, the launch, the watchers (exit, lasting, delivery).
    public func start(_ request: RunRequest) async throws(StartRefusal) -> StartedRun {
        try reserveSlot()
        defer { reservedStarts -= 1 }
        await resumeIfNeeded()
        let (traceDirectory, programText) = (settings.traceDirectory, request.programText)
        let files = try await StartThread.run {
            Result { () throws(StartRefusal) in
                // Checked again right before the launch: a file written to since its build
                // was read (its pin checked) is refused, not traced as the build it was.
                if let changed = request.heldBinaries?.changedSinceChecked().first { throw .binaryChangedBeforeLaunch(process: changed) }
                return try RunFiles(traceDirectory: traceDirectory, programText: programText, tracer: request.tracer)
            }
        }.get()
        let record = try await recordNewRun(request, files: files)
        let run = TraceRun(
            record: record,
            tracer: request.tracer,
            outputFD: files.outputFD,
            budget: budget,
            metrics: metrics,
            expectedProbes: request.expectedProbes,
            binary: request.binary,
            tracerLimits: request.tracer == .bpf ? settings.bpfLimits.applied(to: request.template) : nil,
            target: request.target,
            rateBound: request.rateBound,
            heldBinaries: request.heldBinaries,
            logger: logger
        )
        runs[record.filePath] = run
        order.append(record.filePath)
        metrics.runStarted(request.tracer)
        var startMetadata: Logger.Metadata = [
            "trace.thread": "\(record.runNumber)", "trace.tracer": "\(request.tracer.rawValue)", "trace.lasting": "\(request.lastingSeconds)",
            "trace.privilege": "\(settings.privilege.name)",
        ]
        if let analysis = request.analysis { startMetadata["trace.analysis"] = "\(analysis.name)" }
        logger(for: record.filePath).info("Trace started", metadata: startMetadata)
        await launch(run, program: files.program)
        endWithTargetProcess(run)
        handleExit(of: run, program: files.program, alreadyRecorded: false)
        boundLasting(of: run, seconds: request.lastingSeconds)
        Task { await self.deliver(run, chunkSize: settings.chunkSize) }
        return StartedRun(runNumber: record.runNumber, filePath: record.filePath)
    }

    /// Takes a slot before the first suspension point: parallel starts cannot all pass
    /// the limits while one of them waits for the database (actor reentrancy). The
    /// caller gives it back (`reservedStarts -= 1`) once its run is in `runs` or refused.
    private func reserveSlot() throws(StartRefusal) {
        guard acceptingRuns else { throw .shuttingDown }
        let tracing = runs.values.filter { !$0.hasExited }.count + reservedStarts
        guard tracing < settings.maxConcurrentRuns else { throw .tooManyRuns(limit: settings.maxConcurrentRuns) }
        let undelivered = runs.values.filter(\.hasExited).count
        guard undelivered < settings.maxUndeliveredRuns else { throw .tooManyUndelivered(limit: settings.maxUndeliveredRuns) }
        reservedStarts += 1
    }

    /// Numbers the run and writes its row. Shutdown may begin while the row is written:
    /// no tracer may start after it, so the row is forgotten again then.
    private func recordNewRun(_ request: RunRequest, files: RunFiles) async throws(StartRefusal) -> RunRecord {
        let runNumber = nextRunNumber
        nextRunNumber += 1
        let startedAt = Date()
        let record = RunRecord(
            filePath: files.outputPath,
            runNumber: runNumber,
            template: request.template,
            tracer: request.tracer.rawValue,
            lastingSeconds: request.lastingSeconds,
            startedAt: startedAt,
            deadline: startedAt.addingTimeInterval(TimeInterval(request.lastingSeconds)),
            privilege: settings.privilege.name,
            chunkSize: settings.chunkSize,
            analysis: request.analysis.map(RunAnalysis.init)
        )
        do {
            try await database.recordRunStarted(record)
        } catch {
            await StartThread.run { files.abandon() }
            throw .database("\(error)")
        }
        guard acceptingRuns else {
            await StartThread.run { files.abandon() }
            try? await database.forgetRun(filePath: files.outputPath)
            throw .shuttingDown
        }
        return record
    }

    /// Spawns the tracer and records its identity (pid and start time), by which the
    /// next life of the endpoint recognises a tracer left running.
    private func launch(_ run: TraceRun, program: TracerProgramFile) async {
        let tracerPath = run.tracer == .bpf ? settings.bpfPath : settings.stapPath
        let invocation = TracerInvocation(
            template: run.template,
            tracer: run.tracer,
            programFile: program.path,
            tracerPath: tracerPath,
            privilege: settings.privilege,
            limits: run.tracerLimits
        )
        let outputBatchWindow = settings.outputBatchWindow
        // Named by the run file's name (a uuid): run numbers restart with every database,
        // and two endpoints on a host must never share a tracer's cgroup.
        let name = URL(fileURLWithPath: run.filePath).deletingPathExtension().lastPathComponent
        let (privilege, caps) = (settings.privilege, settings.tracerCaps)
        await StartThread.run {
            var cgroup: TracerCgroup?
            if privilege == .root {
                let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
                do throws(TracerCgroup.Failure) {
                    cgroup = try TracerCgroup.make(name: name, caps: caps, mounts: mounts)
                } catch {
                    run.resourceCaps = .notApplied(reason: error.description)
                }
            } else {
                run.resourceCaps = .notApplied(reason: "the endpoint runs the tracer through sudo and cannot write the host's cgroups")
            }
            run.launch(invocation, outputBatchWindow: outputBatchWindow)
            guard let cgroup else { return }
            do throws(TracerCgroup.Failure) {
                guard let pid = run.childPID else { throw TracerCgroup.Failure(description: "the tracer did not start") }
                try cgroup.adopt(pid)
                run.resourceCaps = .applied(caps, directories: cgroup.directories)
            } catch {
                // Exited already, or the move was refused: the run goes on uncapped, and says so.
                run.resourceCaps = .notApplied(reason: error.description)
                cgroup.remove()
            }
        }
        guard let pid = run.childPID else { return }
        do {
            try await database.recordTracerLaunched(
                filePath: run.filePath,
                pid: pid,
                startTime: ProcessIdentity.startTime(of: pid),
                bootID: ProcessIdentity.bootID
            )
        } catch {
            logger(for: run.filePath).error("Cannot record the tracer's pid", metadata: ["error": "\(error)"])
        }
    }

    /// The endpoint's own bound on `lasting`, behind the program's timer.
    private func boundLasting(of run: TraceRun, seconds: Int) {
        Task { [settings, logger = logger(for: run.filePath)] in
            if await !run.waitForExit(timeout: .seconds(seconds) + settings.lastingSlack) {
                logger.notice("Trace outlived its lasting; stopping it")
                run.stop(grace: settings.killGrace)
            }
        }
    }

    func logger(for filePath: String) -> Logger {
        var runLogger = logger
        runLogger[metadataKey: "trace.path"] = "\(filePath)"
        return runLogger
    }

    /// The one place a tracer's end is handled: once the run has its exit, the program
    /// file goes and the exit is persisted (its code and stderr are what `finished`
    /// carries, also if the endpoint restarts before delivering it). `alreadyRecorded`:
    /// a resumed run whose exit the database holds.
    private func handleExit(of run: TraceRun, program: TracerProgramFile?, alreadyRecorded: Bool) {
        exitHandlers[run.filePath] = Task {
            await run.waitForExit()
            program?.remove()
            if case .applied(_, let directories) = run.resourceCaps { await StartThread.run { TracerCgroup(directories: directories).remove() } }
            guard !alreadyRecorded, let exit = run.exit else { return }
            do {
                try await database.recordTracerExit(
                    filePath: run.filePath,
                    code: exit.code,
                    stderr: exit.stderr,
                    bytesWritten: run.writtenOutput.bytesWritten,
                    failure: run.status.failure
                )
            } catch {
                logger(for: run.filePath).error("Cannot record the tracer's exit", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: - Delivering

    /// Delivers `run` from its cursor until `finished` is acknowledged; persists the
    /// cursor at every acknowledgement and retires the run at the end.
    func deliver(_ run: TraceRun, chunkSize: Int) async {
        let delivery = RunDelivery(
            filePath: run.filePath,
            chunkSize: chunkSize,
            flushInterval: settings.flushInterval,
            client: client,
            retryPolicy: settings.retryPolicy,
            releasesAcknowledgedOutput: !settings.keepRunFiles,
            logger: logger
        )
        let runLogger = logger(for: run.filePath)
        let (database, budget, metrics, killGrace) = (database, budget, metrics, settings.killGrace)
        do {
            try await delivery.run(
                from: run.cursor,
                progress: run.progress,
                current: { run.writtenOutput },
                unreadable: { reason in run.stop(grace: killGrace, reason: "stopped: \(reason)") },
                record: { cursor, durable in
                    let before = run.advance(to: cursor)
                    let acknowledged = cursor.bytesAcknowledged - before.bytesAcknowledged
                    budget.release(acknowledged)
                    metrics.delivered(bytes: acknowledged, chunks: cursor.chunksAcknowledged - before.chunksAcknowledged)
                    metrics.deliveryRetried(count: cursor.retries - before.retries)
                    metrics.deliveryRefused(count: cursor.refusedMessages - before.refusedMessages)
                    guard durable else { return true }
                    do {
                        try await database.recordDeliveryProgress(filePath: run.filePath, cursor: cursor)
                        return true
                    } catch {
                        runLogger.error("Cannot record delivery progress", metadata: ["error": "\(error)"])
                        return false
                    }
                }
            )
        } catch is CancellationError {
            return
        } catch {
            // Without a delivery nobody reads the output: stop the tracer too.
            runLogger.error("Delivery ended early; stopping the tracer", metadata: ["delivery.error": "\(error)"])
            run.stop(grace: settings.killGrace)
            return
        }
        await retire(run)
    }

    /// `finished` was acknowledged: remember the outcome, drop the file (unless kept).
    func retire(_ run: TraceRun) async {
        guard runs.removeValue(forKey: run.filePath) != nil else { return }
        order.removeAll { $0 == run.filePath }
        // Into the finished list in the same step as out of the running one: a client that
        // saw /trace/running answer 404 finds the run in /traces/finished.
        let status = run.status
        history.append(status)
        if history.count > settings.historySize { history.removeFirst(history.count - settings.historySize) }
        defer { retirements.signal() }
        // In the database, the exit is recorded before the run is marked delivered.
        await exitHandlers.removeValue(forKey: run.filePath)?.value
        do {
            try await database.recordRunDelivered(filePath: run.filePath, keepFinished: settings.historySize)
        } catch {
            logger(for: run.filePath).error("Cannot record the delivered run", metadata: ["error": "\(error)"])
        }
        if !settings.keepRunFiles, run.ownsFile { unlink(run.filePath) }
        let outcome =
            switch status.exitCode {
            case 0: "ok"
            case TraceRun.unknownExitCode: "unknown"
            default: "failed"
            }
        metrics.runFinished(run.tracer, outcome: outcome)
        logger.info(
            "Trace delivered",
            metadata: [
                "trace.path": "\(run.filePath)", "trace.code": "\(status.exitCode.map(String.init) ?? "?")", "trace.outcome": "\(outcome)",
                "trace.bytes": "\(status.bytesRead)", "trace.chunks": "\(status.delivery.chunksAcknowledged)",
            ]
        )
    }

    // MARK: - Resuming

    /// Picks up every run the database holds as undelivered: its output is whatever its
    /// file holds, its exit is the recorded one or "unknown" (code -1). A tracer of the
    /// previous life still alive is stopped first (its output has nowhere to go). Their
    /// deliveries run `resumedDeliveriesAtOnce` at a time, oldest first.
    func resumeIfNeeded() async {
        guard !resumedFromDatabase else { return }
        resumedFromDatabase = true
        if settings.privilege == .root {
            // The cgroups of tracers whose endpoint died before it could remove them.
            await StartThread.run { TracerCgroup.sweep(mounts: (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? "") }
        }
        var resumed: [(TraceRun, chunkSize: Int)] = []
        do {
            nextRunNumber = max(nextRunNumber, try await database.highestRunNumber() + 1)
            history = try await database.finishedRuns(limit: settings.historySize).compactMap(RunStatus.init(stored:))
            for stored in try await database.undeliveredRuns() {
                let record = stored.run
                guard runs[record.filePath] == nil, let tracer = TracerType(rawValue: record.tracer) else { continue }
                let runLogger = logger(for: record.filePath)
                if record.exitCode == nil, let pid = record.tracerPID {
                    LeftoverTracer(
                        pid: pid,
                        startTime: record.tracerStartTime,
                        bootID: record.tracerBootID,
                        wholeGroup: record.privilege == TracerPrivilege.root.name
                    ).stop(grace: settings.killGrace, logger: runLogger)
                }
                let file = RunFileCheck(
                    path: record.filePath,
                    traceDirectory: settings.traceDirectory,
                    bytesAcknowledged: stored.delivery.bytesAcknowledged
                )
                if file.isInsideTraceDirectory {
                    unlink(TracerProgramFile.path(forRun: record.filePath, tracer: tracer))
                }
                if let problem = file.problem {
                    runLogger.error("Run file unusable; delivering finished only", metadata: ["error": "\(problem)"])
                }
                let run = TraceRun(
                    resuming: stored,
                    tracer: tracer,
                    fileSize: file.size,
                    fileProblem: file.problem,
                    ownsFile: file.isInsideTraceDirectory,
                    budget: budget
                )
                runs[record.filePath] = run
                order.append(record.filePath)
                metrics.runResumed()
                runLogger.notice(
                    "Resuming undelivered run",
                    metadata: [
                        "chunk.no": "\(stored.delivery.chunksAcknowledged)", "trace.bytes": "\(file.size)",
                    ]
                )
                handleExit(of: run, program: nil, alreadyRecorded: record.exitCode != nil)
                resumed.append((run, record.chunkSize ?? settings.chunkSize))
            }
        } catch {
            logger.error("Cannot read undelivered runs from the database", metadata: ["error": "\(error)"])
        }
        guard !resumed.isEmpty else { return }
        Task {
            await withTaskGroup(of: Void.self) { group in
                for (index, (run, chunkSize)) in resumed.enumerated() {
                    if index >= Self.resumedDeliveriesAtOnce { await group.next() }
                    group.addTask { await self.deliver(run, chunkSize: chunkSize) }
                }
            }
        }
    }

    // MARK: - Queries and kill

    public func status(filePath: String) -> RunStatus? { runs[filePath]?.status }

    /// Every run not yet retired, oldest first.
    public func activeRuns() -> [RunStatus] { order.compactMap { runs[$0]?.status } }

    /// The last finished runs, oldest first.
    public func finishedRuns() -> [RunStatus] { history }

    /// Stops the run at `filePath`; an unknown path is ignored.
    public func kill(filePath: String) {
        guard let run = runs[filePath] else { return }
        logger.info("Trace kill requested", metadata: ["trace.path": "\(filePath)"])
        run.stop(grace: settings.killGrace)
    }

    // MARK: - Service

    public func run() async throws {
        await resumeIfNeeded()
        try? await gracefulShutdown()
        acceptingRuns = false
        let live = runs.values.filter { !$0.hasExited }
        logger.info("Shutting down: stopping tracers", metadata: ["trace.count": "\(live.count)"])
        for run in live { run.stop(grace: settings.killGrace) }
        // Wait for each retirement (no polling), until none is left or the grace is over.
        let deadline = ContinuousClock.now + settings.shutdownGrace
        while !runs.isEmpty, ContinuousClock.now < deadline {
            let seen = retirements.generation
            await retirements.wait(after: seen, timeout: deadline - ContinuousClock.now)
        }
        // Exits not yet persisted by their handlers are persisted before the process ends.
        for (filePath, handler) in exitHandlers where runs[filePath]?.hasExited == true { await handler.value }
        if !runs.isEmpty {
            logger.notice("Shutdown grace over; undelivered runs resume at the next start", metadata: ["trace.count": "\(runs.count)"])
        }
    }
}
