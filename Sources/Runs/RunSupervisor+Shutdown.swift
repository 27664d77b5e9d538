import Foundation
import Logging
import ServiceLifecycle
import Submitter

#if canImport(Glibc)
import Glibc
#endif

/// The supervisor as a `Service`: it picks runs up at start and, on graceful shutdown,
/// stops every tracer (suspending the runs it relaunches at the next start) and gives
/// deliveries `shutdownGrace`.
extension RunSupervisor {
    public func run() async throws {
        await resumeIfNeeded()
        try? await gracefulShutdown()
        acceptingRuns = false
        let live = runs.values.filter { !$0.tracerEnded }
        logger.info("Shutting down: stopping tracers", metadata: ["trace.count": "\(live.count)"])
        var suspended = 0
        for run in live {
            if relaunchesAfterStop(run) {
                run.suspend(grace: settings.killGrace)
                suspended += 1
            } else {
                run.stop(grace: settings.killGrace)
            }
        }
        if suspended > 0 { logger.notice("Runs with time left are relaunched at the next start", metadata: ["trace.count": "\(suspended)"]) }
        // Wait for each retirement or suspension (no polling), until every run is done with
        // or the grace is over.
        let deadline = ContinuousClock.now + settings.shutdownGrace
        while !runs.values.allSatisfy(isDoneForThisLife), ContinuousClock.now < deadline {
            let seen = retirements.generation
            await retirements.wait(after: seen, timeout: deadline - ContinuousClock.now)
        }
        // Exits and suspensions not yet persisted by their handlers are persisted before
        // the process ends.
        for (filePath, handler) in exitHandlers where runs[filePath]?.tracerEnded == true { await handler.value }
        if !runs.isEmpty {
            logger.notice("Undelivered runs resume at the next start", metadata: ["trace.count": "\(runs.count)"])
        }
    }

    /// A run stopped by the endpoint's stop is relaunched at the next start when it asked
    /// to be, has a second or more left, and has relaunches left; else it ends now, its
    /// `finished` carrying its tracer's last word.
    func relaunchesAfterStop(_ run: TraceRun) -> Bool {
        settings.resumeRuns && approval != nil && run.relaunch != nil && run.launched != nil
            && RelaunchDecision.secondsLeft(until: run.deadline, now: Date()) >= 1 && run.resumedCount < settings.maxRunResumes
    }

    /// A suspended run whose output is delivered but for a partial chunk (sent in the
    /// next life, with the rest): nothing more of it is sent in this one.
    func isDoneForThisLife(_ run: TraceRun) -> Bool {
        guard run.suspension != nil else { return false }
        return run.writtenOutput.bytesWritten - run.cursor.bytesAcknowledged < Int64(run.chunkSize ?? settings.chunkSize)
    }
}
