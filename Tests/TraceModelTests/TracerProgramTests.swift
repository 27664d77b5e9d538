import EndpointTestSupport
import Foundation
import Testing
import TraceModel

@Suite("Tracer programs from templates")
struct TracerProgramTests {
    static let bpfGolden = """
        BEGIN { print(("ready", nsecs)); }
        uprobe:/bin/bash:xmalloc { print(("entry", "xmalloc", probe, pid, tid, comm, cpu, nsecs)); }
        uretprobe:/bin/bash:xmalloc { print(("return", "xmalloc", probe, pid, tid, comm, cpu, nsecs, retval)); }
        uprobe:/bin/bash:xfree { print(("entry", "xfree", probe, pid, tid, comm, cpu, nsecs)); }
        uretprobe:/bin/bash:xfree { print(("return", "xfree", probe, pid, tid, comm, cpu, nsecs, retval)); }
        interval:s:2 { print(("alive", nsecs)); }
        interval:s:30 { exit(); }

        """

    static let stapGolden = #"""
        probe begin { printf("{\"type\": \"value\", \"data\": [\"ready\",%d]}\n", gettimeofday_ns()) }
        probe process("/bin/bash").function("xmalloc").call { printf("{\"type\": \"value\", \"data\": [\"entry\",\"xmalloc\",\"process(\\\"/bin/bash\\\").function(\\\"xmalloc\\\").call\",%d,%d,%s,%d,%d]}\n", pid(), tid(), string_quoted(execname()), cpu(), gettimeofday_ns()) }
        probe process("/bin/bash").function("xmalloc").return { printf("{\"type\": \"value\", \"data\": [\"return\",\"xmalloc\",\"process(\\\"/bin/bash\\\").function(\\\"xmalloc\\\").return\",%d,%d,%s,%d,%d,%d]}\n", pid(), tid(), string_quoted(execname()), cpu(), gettimeofday_ns(), returnval()) }
        probe timer.s(2) { printf("{\"type\": \"value\", \"data\": [\"alive\",%d]}\n", gettimeofday_ns()) }
        probe timer.s(30) { exit() }

        """#

    let template = TraceTemplate(process: "/bin/bash", functions: ["xmalloc", "xfree"], traceType: ["BPF", "STAP"])

    @Test("bpftrace program: golden text")
    func bpftraceGolden() {
        #expect(TracerProgram.text(for: template, tracer: .bpf, lastingSeconds: 30) == Self.bpfGolden)
    }

    @Test("SystemTap program: golden text")
    func systemTapGolden() {
        let one = TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["STAP"])
        #expect(TracerProgram.text(for: one, tracer: .stap, lastingSeconds: 30) == Self.stapGolden)
    }

    @Test("SystemTap programs pass `stap -p1` (parse)")
    func systemTapParses() throws {
        // stap checks for a kernel build directory even to parse; this kernel has none,
        // so hand it the smallest stand-in it accepts for pass 1.
        let standIn = FileManager.default.temporaryDirectory.appendingPathComponent("stap-kbuild-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: standIn) }
        try FileManager.default.createDirectory(atPath: standIn + "/include/config", withIntermediateDirectories: true)
        try "".write(toFile: standIn + "/.config", atomically: true, encoding: .utf8)
        try "".write(toFile: standIn + "/Module.symvers", atomically: true, encoding: .utf8)
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        try (release + "\n").write(toFile: standIn + "/include/config/kernel.release", atomically: true, encoding: .utf8)

        let program = TracerProgram.text(for: template, tracer: .stap, lastingSeconds: 5)
        let (code, output) = try runCommand("/usr/bin/stap", ["-p1", "-r", standIn, "-e", program])
        #expect(code == 0, "\(output)")
        // The parsed program is printed back: every probe made it through.
        #expect(output.contains("process(\"/bin/bash\").function(\"xfree\").return"))
    }

    static let boundedGolden = """
        BEGIN { print(("ready", nsecs)); }
        uprobe:/bin/bash:xmalloc { $lambda_n = @lambda_hits[cpu] + 1; if ($lambda_n >= 10) { @lambda_events = @lambda_events + $lambda_n; $lambda_n = 0; } @lambda_hits[cpu] = $lambda_n; print(("entry", "xmalloc", probe, pid, tid, comm, cpu, nsecs)); }
        uretprobe:/bin/bash:xmalloc { $lambda_n = @lambda_hits[cpu] + 1; if ($lambda_n >= 10) { @lambda_events = @lambda_events + $lambda_n; $lambda_n = 0; } @lambda_hits[cpu] = $lambda_n; print(("return", "xmalloc", probe, pid, tid, comm, cpu, nsecs, retval)); }
        interval:s:2 { print(("alive", nsecs)); }
        interval:s:30 { exit(); }
        interval:s:1 { $hits = @lambda_events; @lambda_events = 0; if (@lambda_window & 512) { @lambda_over = @lambda_over - 1; } @lambda_window = (@lambda_window << 1) & 1023; if ($hits > 1000) { @lambda_window = @lambda_window | 1; @lambda_over = @lambda_over + 1; } if (@lambda_over >= 3) { print(("rate-limit", $hits)); exit(); } }
        END { clear(@lambda_hits); clear(@lambda_events); clear(@lambda_window); clear(@lambda_over); }

        """

    @Test(
        "With an event-rate bound: every probe counts in its CPU's slot and adds a batch to one shared count, one O(1) check a second over a window of seconds, END clears the bound's maps; probes counted with them"
    )
    func boundedGoldenText() {
        let one = TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["BPF"])
        let bound = EventRateBound(maxEventsPerSecond: 1000, seconds: 3, windowSeconds: 10)
        #expect(TracerProgram.text(for: one, tracer: .bpf, lastingSeconds: 30, rateBound: bound) == Self.boundedGolden)
        #expect(
            TracerProgram.probes(for: one, tracer: .bpf, lastingSeconds: 30, rateBound: bound) == [
                "BEGIN", "uprobe:/bin/bash:xmalloc", "uretprobe:/bin/bash:xmalloc", "interval:s:2", "interval:s:30", "interval:s:1", "END",
            ]
        )
        #expect(
            TracerProgram.text(for: one, tracer: .stap, lastingSeconds: 30, rateBound: bound)
                == TracerProgram.text(for: one, tracer: .stap, lastingSeconds: 30)
        )
    }

    @Test("The bound's batch is 1% of the rate from 1 to 1000; seconds stay within the window, the window within 60 s")
    func boundLimits() {
        #expect(EventRateBound(maxEventsPerSecond: 1, seconds: 1, windowSeconds: 1).batch == 1)
        #expect(EventRateBound(maxEventsPerSecond: 10_000, seconds: 5, windowSeconds: 10).batch == 100)
        #expect(EventRateBound(maxEventsPerSecond: 100_000_000, seconds: 5, windowSeconds: 10).batch == 1000)
        let clamped = EventRateBound(maxEventsPerSecond: 5, seconds: 90, windowSeconds: 90)
        #expect(clamped.windowSeconds == 60 && clamped.seconds == 60)
        #expect(clamped.checkProbe.action.contains("if (@lambda_window & 576460752303423488) {"), "bit 59 leaves a 60-second window")
        #expect(clamped.checkProbe.action.contains("& 1152921504606846975;"), "60 bits kept")
    }

    static let longName = "f" + String(repeating: "x", count: 499)

    @Test(
        "A function name longer than bpftrace's 63-byte string literals is not written as one: its events name it by the probe; a 63-byte name stays a literal"
    )
    func longFunctionNames() {
        let short = "g" + String(repeating: "y", count: 62)
        let template = TraceTemplate(process: "/bin/bash", functions: [short, Self.longName], traceType: ["BPF"])
        let program = TracerProgram.text(for: template, tracer: .bpf, lastingSeconds: 5)
        #expect(program.contains(#"uprobe:/bin/bash:\#(short) { print(("entry", "\#(short)", probe, pid"#))
        #expect(program.contains(#"uprobe:/bin/bash:\#(Self.longName) { print(("entry", probe, probe, pid"#))
        #expect(program.contains(#"uretprobe:/bin/bash:\#(Self.longName) { print(("return", probe, probe, pid"#))
        #expect(!program.contains("\"\(Self.longName)\""), "never a literal")
    }

    @Test(
        "bpftrace accepts the program, with and without a rate bound, with a 500-byte function name (`-d`: compiled, not attached), without a warning"
    )
    func bpftraceParses() throws {
        let long = TraceTemplate(process: "/bin/bash", functions: ["xmalloc", Self.longName], traceType: ["BPF"])
        for bound in [nil, EventRateBound(maxEventsPerSecond: 100_000, seconds: 5, windowSeconds: 10)] {
            for each in [template, long] {
                let program = TracerProgram.text(for: each, tracer: .bpf, lastingSeconds: 5, rateBound: bound)
                let (code, output) = try runCommand("/usr/bin/bpftrace", ["-d", "-e", program])
                #expect(code == 0, "\(output.suffix(2000))")
                #expect(!output.contains("WARNING") && !output.contains("String is too long"), "\(output.suffix(2000))")
            }
        }
    }

    @Test("Function symbols are read from the ELF tables; missing ones are named")
    func elfSymbols() throws {
        let bash = try ELFFunctionSymbols(path: "/bin/bash")
        #expect(try bash.missing(["xmalloc", "xfree"]) == [])
        #expect(
            try bash.missing(["xmalloc", "no_such_function", "xfree", "malloc"]) == ["no_such_function", "malloc"],
            "malloc is imported by bash, not defined"
        )
        let libc = try ELFFunctionSymbols(path: "/usr/lib/x86_64-linux-gnu/libc.so.6")
        #expect(try libc.missing(["malloc"]) == [])
        #expect(throws: ELFFunctionSymbols.ReadError.notELF) { try ELFFunctionSymbols(path: "/etc/hostname") }
        #expect(throws: ELFFunctionSymbols.ReadError.truncated) {
            var header = try Data(contentsOf: URL(fileURLWithPath: "/bin/bash")).prefix(64)
            header[0x3C] = 40  // claims 40 section headers that are not there
            return try ELFFunctionSymbols(data: header)
        }
    }

    static let elfCorpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/elf/corpus")

    /// Found by the ELF fuzzer (Fuzz/elf): a 64-bit offset past Int.max trapped on its
    /// conversion, and sums of offsets and sizes could overflow, so any local user could
    /// stop the daemon with a file it was then asked to trace. Each case sets one field
    /// of the seed shared object to all ones: section headers' offset (ELF header 0x28),
    /// or the symbol table's offset (+0x18), size (+0x20) or entry size (+0x38).
    @Test("Offsets and sizes beyond the file are refused, not trapped on", arguments: [-1, 0x18, 0x20, 0x38])
    func elfFieldsBeyondTheFile(symbolTableField: Int) throws {
        var file = try Data(contentsOf: Self.elfCorpus.appendingPathComponent("functions.so"))
        func integer(_ offset: Int, _ size: Int) -> Int {
            (0..<size).reversed().reduce(0) { $0 << 8 | Int(file[offset + $1]) }
        }
        var field = 0x28
        if symbolTableField >= 0 {
            let sections = integer(0x28, 8)
            let entrySize = integer(0x3A, 2)
            let count = integer(0x3C, 2)
            let symbolTable = try #require((0..<count).map { sections + $0 * entrySize }.first { integer($0 + 4, 4) == 2 })
            field = symbolTable + symbolTableField
        }
        for byte in 0..<8 { file[field + byte] = 0xFF }
        #expect(throws: ELFFunctionSymbols.ReadError.truncated) { try ELFFunctionSymbols(data: file).missing(["not_defined"]) }
    }

    @Test("The fuzzer's ELF seeds: a small shared object, its stripped copy, the crash input")
    func elfFuzzSeeds() throws {
        let corpus = Self.elfCorpus
        let requested = ["traced_a", "traced_b", "traced_c", "hidden", "traced_d", "traced_"]
        let full = try ELFFunctionSymbols(data: Data(contentsOf: corpus.appendingPathComponent("functions.so")))
        #expect(try full.missing(requested) == ["traced_d", "traced_"])
        let stripped = try ELFFunctionSymbols(data: Data(contentsOf: corpus.appendingPathComponent("functions-stripped.so")))
        #expect(try stripped.missing(requested) == ["hidden", "traced_d", "traced_"])
        #expect(throws: ELFFunctionSymbols.ReadError.truncated) {
            try ELFFunctionSymbols(data: Data(contentsOf: corpus.appendingPathComponent("regression-section-offset-overflow.bin")))
        }
    }
}
