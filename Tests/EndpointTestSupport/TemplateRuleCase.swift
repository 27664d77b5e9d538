import Testing
import TraceModel

/// One broken template rule and the exact error it must give: checked against the
/// validator directly and against `PUT /trace` over HTTP.
public struct TemplateRuleCase: CustomTestStringConvertible, Sendable {
    public let name: String
    public let change: @Sendable (inout TraceTemplate) -> Void
    public let field: String
    public let reason: String
    public var testDescription: String { name }

    /// A template within every rule; each case breaks one rule of it.
    public static let good = TraceTemplate(
        process: "/bin/bash",
        functions: ["xmalloc", "xfree"],
        environment: ["BPFTRACE_STRLEN", "BPFTRACE_PERF_RB_PAGES"],
        value: ["128", "1024"],
        options: ["-k"],
        traceType: ["BPF"]
    )

    /// `good` with this case's change applied.
    public var template: TraceTemplate {
        var template = Self.good
        change(&template)
        return template
    }

    /// The reason a path under /proc, /sys or /dev is refused.
    static let kernelInterface = "is a kernel interface (under /proc, /sys or /dev, also through a symlink), not a program"

    /// The caps of the numeric variables, written out here rather than read from the
    /// allow-list, so that a cap changed by mistake fails the tests.
    public static let numericCaps: [(name: String, cap: Int)] = [
        ("BPFTRACE_PERF_RB_PAGES", 4096), ("BPFTRACE_LOG_SIZE", 16_777_216), ("BPFTRACE_MAP_KEYS_MAX", 65536),
        ("BPFTRACE_MAX_PROBES", 4096), ("BPFTRACE_MAX_BPF_PROGS", 4096), ("BPFTRACE_CAT_BYTES_MAX", 65536), ("BPFTRACE_STRLEN", 200),
    ]

    /// `name` set one over its cap.
    static func overCap(_ name: String, _ cap: Int) -> TemplateRuleCase {
        TemplateRuleCase(
            name: "\(name) over its cap",
            change: {
                $0.environment = [name]
                $0.value = ["\(cap + 1)"]
            },
            field: "value[0]",
            reason: "'\(cap + 1)' is not valid for \(name): expected a whole number from 1 to \(cap)"
        )
    }
}
