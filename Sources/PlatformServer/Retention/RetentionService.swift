import Logging
import PlatformStore

/// Runs the retention sweep (`Retention`) every `retention-sweep-seconds` until its task
/// is cancelled (`lambda-platform serve` starts it). Tests call `sweep(now:)` directly.
public struct RetentionService: Sendable {
    let platform: Platform
    let retention: Retention

    public init(platform: Platform) {
        self.platform = platform
        let settings = platform.settings
        retention = Retention(database: platform.database, days: settings.retentionDays, bytes: settings.retentionBytes, maxRuns: settings.maxRuns)
    }

    /// One sweep, counted in `/metrics`; nothing when another instance sweeps now (the
    /// sweeps of instances sharing a database take turns: an advisory lock).
    @discardableResult
    public func sweep(now: Int64 = Clock.milliseconds()) async throws -> Retention.Outcome {
        let retention = retention
        guard let outcome = try await platform.database.exclusively(.retention, { try await retention.sweep(now: now) }) else {
            return Retention.Outcome()
        }
        platform.metrics.removedRuns(outcome.runsRemoved)
        if outcome != Retention.Outcome() {
            platform.logger.info(
                "Retention sweep",
                metadata: [
                    "runs.removed": "\(outcome.runsRemoved)", "bytes.removed": "\(outcome.bytesRemoved)",
                    "events.removed": "\(outcome.eventsRemoved)", "tasks.removed": "\(outcome.tasksRemoved)",
                ]
            )
        }
        return outcome
    }

    /// Sweeps at once, then every `retention-sweep-seconds`, until cancelled. A failed
    /// sweep is logged and tried again at the next.
    public func run() async {
        let interval = Duration.seconds(platform.settings.retentionSweepSeconds)
        while !Task.isCancelled {
            do {
                try await sweep()
            } catch {
                platform.logger.error("Retention sweep failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
