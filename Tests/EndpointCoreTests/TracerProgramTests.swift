import EndpointCore
import EndpointTestSupport
import Foundation
import Testing

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
        uprobe:/bin/bash:xmalloc { @lambda_hits[cpu]++; print(("entry", "xmalloc", probe, pid, tid, comm, cpu, nsecs)); }
        uretprobe:/bin/bash:xmalloc { @lambda_hits[cpu]++; print(("return", "xmalloc", probe, pid, tid, comm, cpu, nsecs, retval)); }
        interval:s:2 { print(("alive", nsecs)); }
        interval:s:30 { exit(); }
        interval:s:1 { $hits = @lambda_hits[0] + @lambda_hits[1] + @lambda_hits[2]; clear(@lambda_hits); if ($hits > 1000) { @lambda_over = @lambda_over + 1; } else { @lambda_over = 0; } if (@lambda_over >= 3) { print(("rate-limit", $hits)); exit(); } }
        END { clear(@lambda_hits); clear(@lambda_over); }

        """

    @Test(
        "With an event-rate bound: every probe counts per CPU, one check a second over every CPU's slot, END clears the bound's maps; probes counted with them"
    )
    func boundedGoldenText() {
        let one = TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["BPF"])
        let bound = EventRateBound(maxEventsPerSecond: 1000, seconds: 3, cpuCount: 3)
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

    @Test("bpftrace accepts the program, with and without a rate bound (`--dry-run` compiles it without attaching)")
    func bpftraceParses() throws {
        for bound in [nil, EventRateBound(maxEventsPerSecond: 100_000, seconds: 5)] {
            let program = TracerProgram.text(for: template, tracer: .bpf, lastingSeconds: 5, rateBound: bound)
            let (code, output) = try runCommand("/usr/bin/bpftrace", ["-d", "-e", program])
            #expect(code == 0, "\(output.suffix(2000))")
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
