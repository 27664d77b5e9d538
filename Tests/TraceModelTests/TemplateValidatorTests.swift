import EndpointTestSupport
import Foundation
import Testing
import TraceModel

@Suite("Template validation rules")
struct TemplateValidatorTests {
    static let good = TemplateRuleCase.good

    func reason(_ change: (inout TraceTemplate) -> Void) -> TemplateValidationError? {
        var template = Self.good
        change(&template)
        do {
            try TemplateValidator().validate(template)
            return nil
        } catch {
            return error
        }
    }

    @Test("A template within every rule passes")
    func goodTemplate() throws {
        try TemplateValidator().validate(Self.good)
        try TemplateValidator().validate(TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], options: ["-v"], traceType: ["STAP", "BPF"]))
        try TemplateValidator().validate(
            TraceTemplate(
                process: "/usr/lib/x86_64-linux-gnu/libc.so.6",
                functions: ["malloc", "_ZN3foo3barEv", "_ZN4core3fmt5write17h0123456789abcdefE", "sym$with.dots_2"],
                traceType: ["STAP"]
            )
        )
    }

    @Test("Each broken rule names its field and why", arguments: TemplateRuleCase.all)
    func brokenRule(_ rule: TemplateRuleCase) {
        let error = reason(rule.change)
        #expect(error == TemplateValidationError(field: rule.field, reason: rule.reason))
    }

    @Test(
        "Each numeric variable accepts 1 and its cap, and each has its cap under test (one over it is refused: TemplateRuleCase.all, also over HTTP)"
    )
    func numericCaps() throws {
        let numeric = TracerAllowList.bpftrace.environment.filter { if case .number = $0.value { true } else { false } }.keys.sorted()
        #expect(numeric == TemplateRuleCase.numericCaps.map(\.name).sorted(), "every numeric variable has a cap under test")
        for (name, cap) in TemplateRuleCase.numericCaps {
            for value in [1, cap] {
                try TemplateValidator().validate(
                    TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], environment: [name], value: ["\(value)"], traceType: ["BPF"])
                )
            }
        }
    }

    @Test("The spec's minimum allow-list entries are present")
    func specMinimumAllowList() {
        #expect(TracerAllowList.bpftrace.options.contains("-k"))
        #expect(TracerAllowList.bpftrace.options.contains("-kk"))
        #expect(TracerAllowList.bpftrace.environment["BPFTRACE_STRLEN"] != nil)
        #expect(TracerAllowList.bpftrace.environment["BPFTRACE_PERF_RB_PAGES"] != nil)
        #expect(TracerAllowList.systemTap.options.contains("-v"))
    }

    @Test("Every allow-listed option is one the installed tracer documents")
    func allowListMatchesTracerHelp() throws {
        for (tracer, list) in [("/usr/bin/bpftrace", TracerAllowList.bpftrace), ("/usr/bin/stap", TracerAllowList.systemTap)] {
            let help = try Self.helpText(of: tracer)
            for option in list.options where option != "-vv" && option != "-vvv" {
                #expect(
                    help.contains(" \(option) ") || help.contains(" \(option)\n") || help.contains(" \(option),"),
                    "\(tracer) --help does not document \(option)"
                )
            }
            for name in list.environment.keys {
                #expect(help.contains(name), "\(tracer) --help does not document \(name)")
            }
        }
    }

    static func helpText(of tracer: String) throws -> String {
        try runCommand(tracer, ["--help"]).output
    }
}
