/// The explicit allow-lists of what a template may pass to a tracer that runs as root.
///
/// Anything not listed here is refused: options that run commands, read or write
/// files, or lift safety checks (bpftrace `--unsafe`, `-e`, `-c`, `-p`, `-o`, `-I`,
/// `--include`, `-B`, `-f`, `-d`, `--emit-*`; stap `-g`, `-e`, `-E`, `-c`, `-x`, `-o`,
/// `-D`, `-B`, `-G`, `-I`, `-R`, `-r`, `-m`, `-k`, `-T`, `--use-server`,
/// `--suppress-*`), and environment variables that name files (`BPFTRACE_VMLINUX`,
/// `BPFTRACE_BTF`) or change how programs load (`LD_*`, `PATH`, ...).
/// Every entry below only tunes output or buffer sizes.
public struct TracerAllowList: Sendable {
    /// Options that may appear in a template's `options`, each as one argv element.
    public let options: [String]
    /// Environment variables that may appear in `environment`, with the values they accept.
    public let environment: [String: EnvironmentValueRule]

    public static func forTracer(_ tracer: TracerType) -> TracerAllowList {
        switch tracer {
        case .bpf: return .bpftrace
        case .stap: return .systemTap
        }
    }

    /// bpftrace 0.17 (`bpftrace --help`).
    public static let bpftrace = TracerAllowList(
        options: ["-k", "-kk", "-v", "-q", "--no-warnings"],
        environment: [
            "BPFTRACE_STRLEN": .number(1...200),
            "BPFTRACE_PERF_RB_PAGES": .number(1...1_048_576),
            "BPFTRACE_MAP_KEYS_MAX": .number(1...10_000_000),
            "BPFTRACE_CAT_BYTES_MAX": .number(1...1_048_576),
            "BPFTRACE_MAX_PROBES": .number(1...100_000),
            "BPFTRACE_MAX_BPF_PROGS": .number(1...100_000),
            "BPFTRACE_LOG_SIZE": .number(1...1_000_000_000),
            "BPFTRACE_NO_CPP_DEMANGLE": .flag,
            "BPFTRACE_NO_USER_SYMBOLS": .flag,
            "BPFTRACE_CACHE_USER_SYMBOLS": .flag,
        ]
    )

    /// SystemTap 4.8 (`stap --help`). No environment variable of stap only tunes
    /// output, so none is allowed.
    public static let systemTap = TracerAllowList(
        options: ["-v", "-vv", "-vvv", "-w", "-t", "-u", "-P", "--skip-badvars"],
        environment: [:]
    )
}

/// What values an allowed environment variable accepts.
public enum EnvironmentValueRule: Sendable, Equatable {
    /// A decimal whole number in the range, written without sign or leading spaces.
    case number(ClosedRange<Int>)
    /// `0` or `1`.
    case flag

    public func accepts(_ value: String) -> Bool {
        switch self {
        case .flag:
            return value == "0" || value == "1"
        case .number(let range):
            guard !value.isEmpty, value.count <= 10, value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  let number = Int(value)
            else { return false }
            return range.contains(number)
        }
    }

    public var expectation: String {
        switch self {
        case .flag: return "0 or 1"
        case .number(let range): return "a whole number from \(range.lowerBound) to \(range.upperBound)"
        }
    }
}
