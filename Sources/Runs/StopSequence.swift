#if canImport(Glibc)
import Glibc
#endif

/// How a tracer is stopped, as data (after swift-subprocess's `TeardownStep`): each step
/// sends one signal and waits up to `wait` for the tracer to exit before the next.
///
/// SIGINT first: bpftrace and stap run their END probes, print their maps and exit 0.
/// Then SIGTERM, then SIGKILL. bpftrace takes its probes off before END, one by one and
/// slowly: the wait after SIGINT grows with their number (`ProbeDetachTime`). Run directly as root the tracer leads its own process
/// group, and the group gets the signals (a tracer with helpers stops as one). Through
/// sudo only sudo can be signalled (the tracer is root's): sudo relays SIGINT and
/// SIGTERM, not SIGKILL, whose orphan the `alive` line and the in-program timer bound.
struct StopSequence: Equatable, Sendable {
    enum Target: Equatable, Sendable {
        case child
        case processGroup
        /// The last resort: whatever of either is still there.
        case childAndProcessGroup
    }

    struct Step: Equatable, Sendable {
        let signal: Int32
        let target: Target
        /// How long to wait for the exit before the next step; nil on the last step.
        let wait: Duration?
    }

    let steps: [Step]

    /// `detachAllowance`: how much longer than `grace` the tracer may take after SIGINT,
    /// for detaching its probes (`ProbeDetachTime`).
    static func forTracer(signalsWholeGroup: Bool, grace: Duration, detachAllowance: Duration = .zero) -> StopSequence {
        let target: Target = signalsWholeGroup ? .processGroup : .child
        return StopSequence(steps: [
            Step(signal: SIGINT, target: target, wait: grace + detachAllowance),
            Step(signal: SIGTERM, target: target, wait: grace),
            Step(signal: SIGKILL, target: .childAndProcessGroup, wait: nil),
        ])
    }
}
