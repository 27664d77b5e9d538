import EndpointTestSupport
import Foundation
import Testing
import TraceModel

/// Property: whatever a client sends, an accepted template reaches the tracer only as
/// its validated parts. Thousands of generated templates, hostile characters mixed in;
/// for each one the validator accepts:
/// - the program is the program of placeholder names with the template's names put in
///   their places: nothing else of the template enters the text;
/// - the argv is the fixed argv plus allow-listed options, and behind sudo nothing of the
///   template comes before `--`;
/// - the environment is the base one plus allow-listed variables with accepted values.
/// Seeded, so a failure names a case that can be replayed.
@Suite("Property: accepted templates reach the tracer only as validated parts")
struct TemplatePropertyTests {
    /// SplitMix64: small, seeded, reproducible.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let hostile = ["\"", "'", ":", "*", "{", "}", ";", "\n", "\\", " ", "/", "(", ")", "$(id)", "`", "\0", "..", "é", ","]
    static let nameCharacters = Array("abcxyz_ABC019.$")

    static func name(_ random: inout Generator) -> String {
        var text =
            String(Array("abxyz_").randomElement(using: &random)!)
            + String((0..<Int.random(in: 0...11, using: &random)).map { _ in nameCharacters.randomElement(using: &random)! })
        // Now and then a name around and past bpftrace's 63-byte string literals (mangled
        // C++ and Rust names are), which the program writes only in its probes.
        if Int.random(in: 0..<10, using: &random) == 0 {
            text += String(repeating: "x", count: Int.random(in: 50...520, using: &random))
        }
        if Int.random(in: 0..<12, using: &random) == 0 {
            let at = text.index(text.startIndex, offsetBy: Int.random(in: 0...text.count, using: &random))
            text.insert(contentsOf: hostile.randomElement(using: &random)!, at: at)
        }
        return text
    }

    static func template(_ random: inout Generator) -> TraceTemplate {
        // Valid choices repeated: most templates should be accepted, so that the property
        // is checked often; every hostile choice still comes up hundreds of times.
        let valid = ["/bin/bash", "/usr/bin/bpftrace", "/usr/lib/x86_64-linux-gnu/libc.so.6"]
        let processes =
            valid + valid + valid + valid + [
                "/bin/../bin/bash", "/bin/bash\"", "/bin/bash;id",
                "bin/bash", "/bin/ba sh", "/nonexistent", "/bin/bash:xmalloc", "/tmp", "/bin//bash",
            ]
        let environmentNames = [
            "BPFTRACE_STRLEN", "BPFTRACE_PERF_RB_PAGES", "BPFTRACE_STRLEN", "BPFTRACE_PERF_RB_PAGES", "LD_PRELOAD", "PATH", "BPFTRACE_VMLINUX",
            "bpftrace_strlen",
        ]
        let values = ["64", "1", "64", "1", "100", "8", "-1", "64;id", "9999999999", "", "1 ", "$(id)", "200"]
        let options = [
            "-v", "-v", "-v", "-q", "-q", "-k", "-kk", "--no-warnings", "-w", "-t", "--unsafe", "-e", "-c", "-o", "-v; id", "-B", "--include",
            "-I/tmp",
        ]
        let tracerNames = [["BPF"], ["BPF"], ["BPF"], ["STAP"], ["BPF", "STAP"], ["STAP", "BPF"], ["bpf"], ["BPF", "BPF"], []]
        let environment = (0..<[0, 0, 1, 2].randomElement(using: &random)!).map { _ in environmentNames.randomElement(using: &random)! }
        return TraceTemplate(
            process: processes.randomElement(using: &random)!,
            functions: (0..<Int.random(in: 0...4, using: &random) + (Int.random(in: 0..<8, using: &random) == 0 ? 0 : 1)).prefix(4).map { _ in
                name(&random)
            },
            environment: environment,
            value: environment.map { _ in values.randomElement(using: &random)! },
            options: (0..<[0, 0, 1, 2].randomElement(using: &random)!).map { _ in options.randomElement(using: &random)! },
            traceType: tracerNames.randomElement(using: &random)!
        )
    }

    @Test("10000 generated templates: every accepted one yields only its validated parts", arguments: [UInt64(20_261_122), 7, 424242])
    func acceptedTemplatesStayInside(seed: UInt64) throws {
        var random = Generator(state: seed)
        let validator = TemplateValidator()
        var accepted = 0
        for index in 0..<10000 {
            let template = Self.template(&random)
            guard (try? validator.validate(template)) != nil else { continue }
            accepted += 1
            let violations = AcceptedTemplateInvariants.violations(of: template)
            #expect(violations.isEmpty, "seed \(seed) case \(index): \(template): \(violations)")
        }
        // The property must not hold vacuously.
        #expect(accepted > 300, "only \(accepted) of 10000 generated templates were accepted")
    }

    @Test("The checker catches a program that lets more of the template in")
    func checkerIsNotVacuous() {
        // A template that could never pass validation, given to the checker directly:
        // its quote would reach the program text, and the checker must say so.
        let hostile = TraceTemplate(process: "/bin/bash\"", functions: ["a;b"], options: ["--unsafe"], traceType: ["BPF"])
        let violations = AcceptedTemplateInvariants.violations(of: hostile)
        #expect(violations.contains("process has a character outside the path allow-list"))
        #expect(violations.contains("a function has a character outside the symbol allow-list"))
        #expect(violations.contains("BPF got an option outside its allow-list"))
    }
}
