import CLinux
import Foundation

/// Whether perf events can sample on this host, checked by opening the event
/// `profile:hz` uses: a cpu-clock software event at a sampling frequency, CPU-wide on
/// CPU 0 (bpftrace opens one per CPU). It is opened disabled and closed at once: one
/// system call pair, never a sample.
///
/// A CPU-wide event needs CAP_PERFMON (or `perf_event_paranoid` ≤ 0). The endpoint may run
/// as an unprivileged user and the tracer as root through sudo; such a user's EACCES or
/// EPERM says that the kernel has perf events (the call reached its permission check),
/// not that root may not open one, so it counts as working, and the detail says why. As
/// root the same refusal (a seccomp or LSM policy) means the tracer will be refused too.
public enum PerfEventSampling {
    public enum Outcome: Sendable, Equatable {
        case works(String)
        case refused(String)
    }

    @Sendable public static func check() -> Outcome {
        let descriptor = clinux_open_cpu_clock_sampling_event(-1, 0)
        let error = errno
        if descriptor >= 0 {
            close(descriptor)
            return .works("a CPU-wide cpu-clock sampling event opened (perf_event_open), as profile:hz opens one per CPU")
        }
        return outcome(
            ofError: error,
            isRoot: geteuid() == 0,
            paranoid: try? String(contentsOfFile: "/proc/sys/kernel/perf_event_paranoid", encoding: .utf8)
        )
    }

    /// The verdict on a failed open: `error` is its errno.
    public static func outcome(ofError error: Int32, isRoot: Bool, paranoid: String?) -> Outcome {
        let call = "perf_event_open of a cpu-clock sampling event failed: \(String(cString: strerror(error)))"
        switch error {
        case EACCES where !isRoot, EPERM where !isRoot:
            let level = paranoid.map { " (perf_event_paranoid \($0.trimmingCharacters(in: .whitespacesAndNewlines)))" } ?? ""
            return .works("\(call)\(level) for this unprivileged user; the tracer runs as root, which may open it")
        case ENOSYS:
            return .refused("\(call) (this kernel has no perf events)")
        case ENOENT, ENODEV, EOPNOTSUPP:
            return .refused("\(call) (this kernel cannot sample with cpu-clock)")
        default:
            return .refused(call)
        }
    }
}
