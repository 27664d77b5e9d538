import Foundation
import Logging
import ServiceLifecycle
import Submitter

#if canImport(Glibc)
import Glibc
#endif

/// The supervisor as a `Service`: it resumes at start and, on graceful shutdown, stops
/// every tracer and gives deliveries `shutdownGrace`.
extension RunSupervisor {
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
