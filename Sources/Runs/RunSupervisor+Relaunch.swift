import EndpointStorage
import Foundation
import Logging
import PlatformWire
import Submitter
import TraceModel

/// A run waiting at start-up for its relaunch.
struct PendingRelaunch: Sendable {
    var stored: StoredRun
    var tracer: TracerType
    /// Bytes its file held at start-up.
    var fileSize: Int64
    /// Where the gap in its stream began.
    var stoppedAt: Date
}

/// Relaunching, at start-up, the runs a stop interrupted with time left (docs/delivery.md,
/// "Runs that outlive a restart"): through the start rules again, into the same file,
/// the same delivery, a few at a time.
extension RunSupervisor {
    /// Relaunches `pending`, oldest first, `relaunchesAtOnce` at a time: a slot is free
    /// again once its tracer's probes are live (or it ended), so a restart with many runs
    /// neither starts every tracer at once nor holds every checked binary open at once.
    func relaunchAll(_ pending: [PendingRelaunch]) async {
        await withTaskGroup(of: Void.self) { group in
            for (index, relaunch) in pending.enumerated() {
                if index >= Self.relaunchesAtOnce { await group.next() }
                group.addTask { await self.relaunch(relaunch) }
            }
        }
    }

    /// Approves `pending`'s start again for the time left and launches it into its file;
    /// a run that cannot be relaunched finishes with code -1 and the reason. Returns once
    /// the relaunched tracer's probes are live, or it ended, or `relaunchReadyBound` passed.
    func relaunch(_ pending: PendingRelaunch) async {
        var record = pending.stored.run
        let filePath = record.filePath
        guard acceptingRuns else {
            // Shutting down: the run stays as recorded, for the next start.
            forgetPendingRelaunch(filePath)
            return
        }
        let lastingSeconds = RelaunchDecision.secondsLeft(until: record.deadline, now: Date())
        guard lastingSeconds >= 1, let approval, let relaunch = record.relaunch else {
            endWithoutRelaunch(pending, reason: "its lasting ended while it waited for its relaunch")
            return
        }
        let tracing = runs.values.filter { !$0.tracerEnded }.count + reservedStarts
        guard tracing < settings.maxConcurrentRuns else {
            endWithoutRelaunch(pending, reason: "max-concurrent-runs (\(settings.maxConcurrentRuns)) tracers run already")
            return
        }
        let approved = await approval.approveRelaunch(relaunch, lastingSeconds: lastingSeconds)
        guard acceptingRuns else {
            forgetPendingRelaunch(filePath)
            return
        }
        if killedBeforeRelaunch.remove(filePath) != nil {
            endWithoutRelaunch(pending, reason: "a kill stopped it before its relaunch")
            return
        }
        let request: RunRequest
        switch approved {
        case .failure(let refusal):
            endWithoutRelaunch(pending, reason: refusal.reason)
            return
        case .success(let approvedRequest):
            request = approvedRequest
        }
        let files: RunFiles
        do {
            files = try await StartThread.run {
                Result { () throws(StartRefusal) in try RunFiles(continuing: filePath, programText: request.programText, tracer: request.tracer) }
            }.get()
        } catch {
            endWithoutRelaunch(pending, reason: error.message)
            return
        }
        record.resumedCount += 1
        let earlierStderr =
            (record.earlierStderr ?? "")
            + (record.suspendedCode == nil
                ? RunLifecycle.note("the endpoint stopped abruptly while this tracer ran: its stderr and exit status were lost") : "")
            + RunLifecycle.note(
                "relaunched after the endpoint's restart for the \(lastingSeconds) s left (relaunch \(record.resumedCount) of at most \(settings.maxRunResumes))"
            )
        do {
            try await database.recordRunRelaunched(filePath: filePath, resumedCount: record.resumedCount, earlierStderr: earlierStderr)
        } catch {
            await StartThread.run { files.abandon() }
            endWithoutRelaunch(pending, reason: "the relaunch could not be recorded: \(error)")
            return
        }
        await tellRunResumed(filePath, resumedCount: record.resumedCount, stoppedAt: pending.stoppedAt, secondsLeft: lastingSeconds)
        // A shutdown that began during the awaits above has stopped every registered run
        // already: one registered now would trace on unstopped. The next start relaunches it.
        guard acceptingRuns else {
            await StartThread.run { files.abandon() }
            forgetPendingRelaunch(filePath)
            return
        }
        let (database, runLogger) = (self.database, logger(for: filePath))
        let continuation = RunContinuation(
            cursor: pending.stored.delivery,
            fileSize: files.outputSize,
            stoppedAt: pending.stoppedAt,
            earlierStderr: earlierStderr,
            gaps: record.gaps,
            gapsChanged: { gaps in
                do {
                    try database.recordRunGapsNow(filePath: filePath, gaps: gaps)
                } catch {
                    runLogger.error("Cannot record the run's gaps", metadata: ["error": "\(error)"])
                }
            }
        )
        let run = makeRun(record, request, outputFD: files.outputFD, continuation: continuation)
        register(run)
        metrics.runResumed()
        logger(for: filePath).notice(
            "Trace relaunched",
            metadata: ["trace.thread": "\(record.runNumber)", "trace.lasting": "\(lastingSeconds)", "trace.resumed_count": "\(record.resumedCount)"]
        )
        await begin(run, program: files.program, lastingSeconds: lastingSeconds)
        await run.waitUntilLive(timeout: Self.relaunchReadyBound)
    }

    /// The longest a relaunch holds its slot waiting for its tracer's probes.
    static var relaunchReadyBound: Duration { .seconds(30) }

    /// `pending` finishes without a relaunch: code -1, its earlier stderr and `reason`.
    func endWithoutRelaunch(_ pending: PendingRelaunch, reason: String) {
        let record = pending.stored.run
        logger(for: record.filePath).warning("Run not relaunched after the restart", metadata: ["reason": "\(reason)"])
        killedBeforeRelaunch.remove(record.filePath)
        let run = TraceRun(
            resuming: pending.stored,
            tracer: pending.tracer,
            fileSize: pending.fileSize,
            fileProblem: nil,
            ownsFile: true,
            budget: budget,
            exit: RelaunchDecision.notRelaunched(record, reason: reason)
        )
        register(run)
        metrics.runResumed()
        handleExit(of: run, program: nil, alreadyRecorded: false)
        Task { await self.deliver(run, chunkSize: record.chunkSize ?? settings.chunkSize) }
    }

    /// Drops a pending relaunch the endpoint will not carry out in this life.
    func forgetPendingRelaunch(_ filePath: String) {
        pendingRelaunches[filePath] = nil
        killedBeforeRelaunch.remove(filePath)
        order.removeAll { $0 == filePath }
    }
}
