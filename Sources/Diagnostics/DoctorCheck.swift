/// One line of `lambda-endpoint doctor`: what was checked, the verdict, and for a
/// problem a hint at the fix.
public struct DoctorCheck: Equatable, Sendable {
    public enum Verdict: String, Sendable {
        case ok = "ok"
        case warning = "WARN"
        case failed = "FAIL"
    }

    public let name: String
    public let verdict: Verdict
    public let detail: String
    public let fix: String?

    public static func ok(_ name: String, _ detail: String) -> DoctorCheck {
        DoctorCheck(name: name, verdict: .ok, detail: detail, fix: nil)
    }

    public static func warning(_ name: String, _ detail: String, fix: String) -> DoctorCheck {
        DoctorCheck(name: name, verdict: .warning, detail: detail, fix: fix)
    }

    public static func failed(_ name: String, _ detail: String, fix: String) -> DoctorCheck {
        DoctorCheck(name: name, verdict: .failed, detail: detail, fix: fix)
    }

    /// `[FAIL] tracer bpftrace: /usr/bin/bpftrace does not exist (fix: install bpftrace or set bpf-path)`
    public var line: String {
        "[\(verdict.rawValue)] \(name): \(detail)" + (fix.map { " (fix: \($0))" } ?? "")
    }
}
