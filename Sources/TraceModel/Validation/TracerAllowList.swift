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

    /// bpftrace 0.17 (`bpftrace --help`). Each number is capped at what one run may
    /// take from the host (a template may run on every endpoint of a fleet, up to
    /// `max-concurrent-runs` at once, all as root); defaults from `bpftrace --help`.
    public static let bpftrace = TracerAllowList(
        options: ["-k", "-kk", "-v", "-q", "--no-warnings"],
        environment: [
            // Bytes of BPF stack per str() (default 64): bpftrace 0.17 itself refuses
            // more than 200, as its strings live on the 512-byte BPF stack.
            "BPFTRACE_STRLEN": .number(1...200),
            // Pages per CPU of the perf ring buffer that carries every event (default
            // 64): locked kernel memory, one buffer per CPU. 4096 pages = 16 MiB per CPU
            // (1 GiB on a 64-CPU host), 64 times the default for bursts of events.
            "BPFTRACE_PERF_RB_PAGES": .number(1...4096),
            // Keys per BPF map (default 4096): maps are allocated whole when the program
            // loads, per CPU for count() and the like. 65536 keys of ~100 bytes is ~6 MiB
            // per map per CPU; our programs use no map, so more buys nothing.
            "BPFTRACE_MAP_KEYS_MAX": .number(1...65536),
            // Bytes a cat() reads (default 10 KiB), buffered in bpftrace's memory; our
            // programs never call cat(), so 64 KiB is plenty.
            "BPFTRACE_CAT_BYTES_MAX": .number(1...65536),
            // Probes attached (default 512): each is a uprobe in the kernel. A template
            // needs 2 per function (at most 2 × 1024) plus BEGIN and interval; 4096
            // covers that with room and no more.
            "BPFTRACE_MAX_PROBES": .number(1...4096),
            // BPF programs loaded (default 512): one per probe, so the same cap.
            "BPFTRACE_MAX_BPF_PROGS": .number(1...4096),
            // The verifier's log buffer (default 1,000,000 bytes), allocated by bpftrace
            // for each program it loads. 16 MiB, 16 times the default, holds the log of
            // any program that fails to load.
            "BPFTRACE_LOG_SIZE": .number(1...16_777_216),
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
