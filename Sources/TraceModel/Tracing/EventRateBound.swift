/// The bound on a run's overhead that the tracer enforces on itself (docs/guardrails.md):
/// every probe counts each time it fires, in the kernel, and once a second the program
/// checks the count; once `seconds` of the last `windowSeconds` seconds were above
/// `maxEventsPerSecond` it prints `["rate-limit", events]` (the last second's count) and
/// exits, so END runs and everything printed before still reaches the platform.
///
/// **Every fire counts**, before any filter (a target's predicate, an analysis's
/// condition): a uprobe costs the process that hits it whether or not the run keeps the
/// event, so a targeted probe on a file host processes also run must not let them pay
/// uncounted (`TracerProgram`, `AnalysisProgram`: count, then `if` the filter).
///
/// **A window, not seconds in a row**: a load above the bound 4 seconds of every 5 never
/// stopped a run that needed 5 in a row. The last `windowSeconds` (at most 60) are one bit
/// each in `@lambda_window`, and `@lambda_over` counts the set bits as they enter and
/// leave: O(1) a second.
///
/// **Counting without a per-CPU sum**: each CPU counts in its own slot
/// (`@lambda_hits[cpu]`, so CPUs do not race on one value for every event) and adds its
/// slot to the shared `@lambda_events` every `batch` events. The check reads that one
/// value, whatever the number of possible CPUs; summing one slot per possible CPU
/// instead made the program grow with them (measured with bpftrace 0.17: 4096 slots took
/// 2.3 s more to start, 8192 crashed bpftrace with SIGSEGV; `/sys/devices/system/cpu/possible`
/// may list many more CPUs than are online, up to the kernel's NR_CPUS). What waits in a slot (less than `batch`) is
/// carried to the next second, not lost; two CPUs adding at the same instant can lose one
/// batch (a read-modify-write of a few nanoseconds, once every `batch` events). Measured
/// here, two hot bash loops on both CPUs under a uprobe for 8 s: 5.8 million fires, 0.11%
/// of them lost with batches of 10, against 2.1% when every fire is added to the shared
/// value.
///
/// bpftrace only: SystemTap runs rely on its own overload check (`STP_OVERLOAD`),
/// docs/guardrails.md.
public struct EventRateBound: Sendable, Equatable {
    public var maxEventsPerSecond: Int
    /// Seconds above the rate, within the window, that stop the run.
    public var seconds: Int
    /// How many of the last seconds the check looks at (`seconds` to `maxWindowSeconds`).
    public var windowSeconds: Int

    /// The longest window: its seconds are bits of one 64-bit value.
    public static let maxWindowSeconds = 60

    public init(maxEventsPerSecond: Int, seconds: Int, windowSeconds: Int) {
        self.maxEventsPerSecond = max(1, maxEventsPerSecond)
        self.windowSeconds = min(max(1, windowSeconds), Self.maxWindowSeconds)
        self.seconds = min(max(1, seconds), self.windowSeconds)
    }

    /// Events a CPU counts in its own slot before adding them to the shared count: 1% of
    /// the bound, from 1 to 1000. So what waits unadded is at most 1% of the bound per CPU,
    /// and a CPU recording 100000 events a second writes the shared value 1000 times a
    /// second, not 100000.
    public var batch: Int { min(1000, max(1, maxEventsPerSecond / 100)) }

    /// What every probe does first, before its filter and its own statements.
    public var countStatement: String {
        "$lambda_n = @lambda_hits[cpu] + 1; if ($lambda_n >= \(batch)) { @lambda_events = @lambda_events + $lambda_n; $lambda_n = 0; } "
            + "@lambda_hits[cpu] = $lambda_n;"
    }

    /// `statements` run only when `filter` holds, after the count: the body of a probe
    /// that counts every fire but keeps only the filtered events.
    public func countThenFilter(_ filter: String?, _ statements: String) -> String {
        guard let filter else { return "\(countStatement) \(statements)" }
        return "\(countStatement) if (\(filter)) { \(statements) }"
    }

    /// The once-a-second check, a probe of its own: the second leaving the window takes
    /// its bit off the count, the new one puts its bit in. (Written with `if`s, not
    /// `$over + $above - $leaving`: bpftrace 0.17 warns on stderr about mixing the signed
    /// and unsigned integers that arithmetic gives, and stderr is `finished`'s.)
    public var checkProbe: (attachTo: String, action: String) {
        let leaving = UInt64(1) << UInt64(windowSeconds - 1)
        let mask = (UInt64(1) << UInt64(windowSeconds)) - 1
        return (
            "interval:s:1",
            "$hits = @lambda_events; @lambda_events = 0; if (@lambda_window & \(leaving)) { @lambda_over = @lambda_over - 1; } "
                + "@lambda_window = (@lambda_window << 1) & \(mask); "
                + "if ($hits > \(maxEventsPerSecond)) { @lambda_window = @lambda_window | 1; @lambda_over = @lambda_over + 1; } "
                + "if (@lambda_over >= \(seconds)) { print((\"rate-limit\", $hits)); exit(); }"
        )
    }

    /// What END does, so that bpftrace does not print the bound's maps at exit.
    public static let endStatements = ["clear(@lambda_hits);", "clear(@lambda_events);", "clear(@lambda_window);", "clear(@lambda_over);"]

    /// What a run's `finished` stderr ends with once the tracer stopped itself.
    public func note(lastSecondEvents: Int64) -> String {
        "[lambda-endpoint: the tracer stopped itself: its probes fired more than \(maxEventsPerSecond) times a second in \(seconds) of the last \(windowSeconds) seconds (\(lastSecondEvents) in the last one; max-events-per-second, rate-limit-seconds, rate-limit-window-seconds); the output up to then is complete]\n"
    }
}
