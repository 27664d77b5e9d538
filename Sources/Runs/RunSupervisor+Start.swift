import EndpointStorage
import Foundation
import Logging
import Submitter
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// Starting a run: a slot, its files, its record, the tracer's launch, and what watches it.
extension RunSupervisor {
    /// Starts a run; returns at once, without waiting for the tracer, with the run's
    /// number and file path. The run is in the database before the tracer starts, so a
    /// crash at any point after this leaves it resumable. In order: a slot, the files,
    /// the record, the launch, the watchers (exit, lasting, delivery).
    public func start(_ request: RunRequest) async throws(StartRefusal) -> StartedRun {
        try reserveSlot()
        // The slot is given back once the run is in `runs`, where it counts from then on,
        // or when the start is refused: held through the launch as well, it counted the
        // launching run twice and refused a start that was within the limit.
        var holdsReservedSlot = true
        defer { if holdsReservedSlot { reservedStarts -= 1 } }
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
        await tellRunStarted(record, request)
        let run = makeRun(record, request, outputFD: files.outputFD)
        register(run)
        reservedStarts -= 1
        holdsReservedSlot = false
        metrics.runStarted(request.tracer)
        var startMetadata: Logger.Metadata = [
            "trace.thread": "\(record.runNumber)", "trace.tracer": "\(request.tracer.rawValue)", "trace.lasting": "\(request.lastingSeconds)",
            "trace.privilege": "\(settings.privilege.name)",
        ]
        if let analysis = request.analysis { startMetadata["trace.analysis"] = "\(analysis.name)" }
        logger(for: record.filePath).info("Trace started", metadata: startMetadata)
        await begin(run, program: files.program, lastingSeconds: request.lastingSeconds)
        return StartedRun(runNumber: record.runNumber, filePath: record.filePath)
    }

    /// The run of `request` writing to `outputFD`; a relaunch's `continuation` says what
    /// it goes on from.
    func makeRun(_ record: RunRecord, _ request: RunRequest, outputFD: Int32, continuation: RunContinuation? = nil) -> TraceRun {
        TraceRun(
            record: record,
            tracer: request.tracer,
            outputFD: outputFD,
            budget: budget,
            metrics: metrics,
            expectedProbes: request.expectedProbes,
            binary: request.binary,
            tracerLimits: request.tracer == .bpf ? settings.bpfLimits.applied(to: request.template) : nil,
            target: request.target,
            rateBound: request.rateBound,
            heldBinaries: request.heldBinaries,
            events: events.map { RunEventReporter(recorder: $0, run: record.filePath) },
            continuation: continuation,
            logger: logger
        )
    }

    /// Launches a registered run's tracer and sets what watches it: its target process,
    /// its exit, its lasting, its delivery. A start and a relaunch alike.
    func begin(_ run: TraceRun, program: TracerProgramFile, lastingSeconds: Int) async {
        await launch(run, program: program)
        endWithTargetProcess(run)
        handleExit(of: run, program: program, alreadyRecorded: false)
        boundLasting(of: run, seconds: lastingSeconds)
        Task { await self.deliver(run, chunkSize: run.chunkSize ?? settings.chunkSize) }
    }

    /// Takes a slot before the first suspension point: parallel starts cannot all pass
    /// the limits while one of them waits for the database (actor reentrancy). The
    /// caller gives it back (`reservedStarts -= 1`) once its run is in `runs` or refused.
    func reserveSlot() throws(StartRefusal) {
        guard acceptingRuns else { throw .shuttingDown }
        let tracing = runs.values.filter { !$0.tracerEnded }.count + reservedStarts + pendingRelaunches.count
        guard tracing < settings.maxConcurrentRuns else { throw .tooManyRuns(limit: settings.maxConcurrentRuns) }
        let undelivered = runs.values.filter(\.hasExited).count
        guard undelivered < settings.maxUndeliveredRuns else { throw .tooManyUndelivered(limit: settings.maxUndeliveredRuns) }
        reservedStarts += 1
    }

    /// Numbers the run and writes its row. Shutdown may begin while the row is written:
    /// no tracer may start after it, so the row is forgotten again then.
    func recordNewRun(_ request: RunRequest, files: RunFiles) async throws(StartRefusal) -> RunRecord {
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
            analysis: request.analysis.map(RunAnalysis.init),
            relaunch: request.relaunch,
            target: request.target?.recorded
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
    func launch(_ run: TraceRun, program: TracerProgramFile) async {
        let tracerPath = run.tracer == .bpf ? settings.bpfPath : settings.stapPath
        let invocation = TracerInvocation(
            template: run.template,
            tracer: run.tracer,
            programFile: program.path,
            tracerPath: tracerPath,
            privilege: settings.privilege,
            limits: run.launched?.tracerLimits
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
    func boundLasting(of run: TraceRun, seconds: Int) {
        Task { [settings, logger = logger(for: run.filePath)] in
            if await !run.waitForExit(timeout: .seconds(seconds) + settings.lastingSlack) {
                logger.notice("Trace outlived its lasting; stopping it")
                run.stop(grace: settings.killGrace)
            }
        }
    }
}
