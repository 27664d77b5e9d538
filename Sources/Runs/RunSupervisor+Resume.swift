import EndpointStorage
import Foundation
import Logging
import PlatformWire
import Submitter
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// Picking up, at start-up, the runs an earlier life of the endpoint left undelivered.
extension RunSupervisor {
    /// Picks up every run the database holds as undelivered. A tracer of the previous
    /// life still alive is stopped first (its output has nowhere to go). A run with
    /// `lasting` left is relaunched (`RelaunchDecision`, `relaunchAll`); every other one
    /// ends: its output is whatever its file holds, its exit the recorded one or why it
    /// is unknown or not relaunched. Their deliveries run `resumedDeliveriesAtOnce` at a
    /// time, oldest first.
    func resumeIfNeeded() async {
        guard !resumedFromDatabase else { return }
        resumedFromDatabase = true
        if settings.privilege == .root {
            // The cgroups of tracers whose endpoint died before it could remove them.
            await StartThread.run { TracerCgroup.sweep(mounts: (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? "") }
        }
        var resumed: [(TraceRun, chunkSize: Int)] = []
        var relaunches: [PendingRelaunch] = []
        let rules = RelaunchDecision.Rules(resumeRuns: settings.resumeRuns, maxRunResumes: settings.maxRunResumes, canApprove: approval != nil)
        do {
            nextRunNumber = max(nextRunNumber, try await database.highestRunNumber() + 1)
            history = try await database.finishedRuns(limit: settings.historySize).compactMap(RunStatus.init(stored:))
            for stored in try await database.undeliveredRuns() {
                let record = stored.run
                guard runs[record.filePath] == nil, pendingRelaunches[record.filePath] == nil, let tracer = TracerType(rawValue: record.tracer) else {
                    continue
                }
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
                let decision = RelaunchDecision(
                    record: record,
                    fileUsable: file.problem == nil && file.isInsideTraceDirectory,
                    fileModified: file.modified,
                    now: Date(),
                    rules: rules
                )
                switch decision {
                case .relaunch(let lastingSeconds, let stoppedAt):
                    var waiting = RunStatus(stored: stored)
                    waiting?.state = .starting
                    waiting?.resumed = true
                    pendingRelaunches[record.filePath] = waiting
                    order.append(record.filePath)
                    relaunches.append(PendingRelaunch(stored: stored, tracer: tracer, fileSize: file.size, stoppedAt: stoppedAt))
                    runLogger.notice("Relaunching run after the restart", metadata: ["trace.lasting_left": "\(lastingSeconds)"])
                case .end(let exit):
                    let run = TraceRun(
                        resuming: stored,
                        tracer: tracer,
                        fileSize: file.size,
                        fileProblem: file.problem,
                        ownsFile: file.isInsideTraceDirectory,
                        budget: budget,
                        exit: exit
                    )
                    register(run)
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
            }
        } catch {
            logger.error("Cannot read undelivered runs from the database", metadata: ["error": "\(error)"])
        }
        if !relaunches.isEmpty { Task { await self.relaunchAll(relaunches) } }
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
}
