import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The bound on a run's overhead that the tracer enforces on itself (SPEC "Guardrails"):
/// every probe that records an event counts it in the kernel, and once a second the
/// program checks the count; after `seconds` seconds in a row above `maxEventsPerSecond`
/// it prints `["rate-limit", events]` (the last second's count) and exits, so END runs
/// and everything printed before still reaches the platform.
///
/// The count is kept per CPU (`@lambda_hits[cpu]++`): one plain map slot per CPU, so no
/// two CPUs ever update the same value (a single shared counter loses increments when
/// CPUs race, and bpftrace 0.17 cannot compare a `count()` value in a condition). The
/// check adds up the slots of every possible CPU. Cost: one map lookup and update per
/// event, next to a uprobe's ~3 µs; once a second, one lookup per CPU.
///
/// Only events that pass their probe's filter are counted (a target's predicate, an
/// analysis's condition): the bound is on what the run records. bpftrace only: SystemTap
/// runs rely on its own overload check (`STP_OVERLOAD`), README "Guardrails".
public struct EventRateBound: Sendable, Equatable {
    public var maxEventsPerSecond: Int
    public var seconds: Int
    /// CPUs whose slots the check adds (`possibleCPUs()` for a real run).
    public var cpuCount: Int

    public init(maxEventsPerSecond: Int, seconds: Int, cpuCount: Int = EventRateBound.possibleCPUs) {
        self.maxEventsPerSecond = maxEventsPerSecond
        self.seconds = seconds
        self.cpuCount = max(1, cpuCount)
    }

    /// What every probe that records an event does first.
    public static let countStatement = "@lambda_hits[cpu]++;"

    /// The once-a-second check, a probe of its own.
    public var checkProbe: (attachTo: String, action: String) {
        let sum = (0..<cpuCount).map { "@lambda_hits[\($0)]" }.joined(separator: " + ")
        return (
            "interval:s:1",
            "$hits = \(sum); clear(@lambda_hits); if ($hits > \(maxEventsPerSecond)) { @lambda_over = @lambda_over + 1; } else { @lambda_over = 0; } "
                + "if (@lambda_over >= \(seconds)) { print((\"rate-limit\", $hits)); exit(); }"
        )
    }

    /// What END does, so that bpftrace does not print the bound's maps at exit.
    public static let endStatements = ["clear(@lambda_hits);", "clear(@lambda_over);"]

    /// What a run's `finished` stderr ends with once the tracer stopped itself.
    public func note(lastSecondEvents: Int64) -> String {
        "[lambda-endpoint: the tracer stopped itself: its probes recorded more than \(maxEventsPerSecond) events a second for \(seconds) seconds in a row (\(lastSecondEvents) in the last one; max-events-per-second, rate-limit-seconds); the output up to then is complete]\n"
    }

    /// Processor ids the kernel may ever use, from `/sys/devices/system/cpu/possible`
    /// (`0-63`, or a list such as `0-3,8-11`): one more than the highest. Falls back to
    /// the configured count.
    public static let possibleCPUs: Int = {
        if let text = try? String(contentsOfFile: "/sys/devices/system/cpu/possible", encoding: .utf8) {
            let highest = text.split(whereSeparator: { $0 == "," || $0 == "-" || $0 == "\n" }).compactMap { Int($0) }.max()
            if let highest, highest >= 0, highest < 65536 { return highest + 1 }
        }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_CONF)))
    }()
}
