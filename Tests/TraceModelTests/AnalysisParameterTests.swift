import EndpointTestSupport
import Foundation
import Testing
import TraceModel

@Suite("Analysis starts: the catalogue's names and every parameter rule")
struct AnalysisParameterTests {
    /// Decodes `body` as `POST /analysis/start` does and checks its values.
    func checked(_ body: String) throws -> Result<AnalysisStartRequest.Checked, AnalysisRefusal> {
        let request = try JSONDecoder().decode(AnalysisStartRequest.self, from: Data(body.utf8))
        do throws(AnalysisRefusal) {
            return .success(try request.checked(maxLastingSeconds: 86400, maxEventsPerSecond: 100_000))
        } catch {
            return .failure(error)
        }
    }

    @Test("The catalogue holds the analyses docs/targets-and-analyses.md lists, each named once, all run by bpftrace")
    func catalogueNames() {
        let names = AnalysisCatalogue.names
        for required in ["syscalls", "exec", "open", "tcp", "block-io", "cpu-profile", "off-cpu", "function-latency"] {
            #expect(names.contains(required), "\(required)")
        }
        #expect(Set(names).count == names.count)
        for analysis in AnalysisCatalogue.all {
            #expect(analysis.tracer == .bpf)
            #expect(!analysis.description.isEmpty && !analysis.description.contains("\n"), "\(analysis.name): one line")
            #expect(!analysis.output.isEmpty)
            #expect(Set(analysis.parameters.map(\.name)).count == analysis.parameters.count, "\(analysis.name)")
            for parameter in analysis.parameters {
                #expect(parameter.name.wholeMatch(of: /[a-z][a-z0-9-]*/) != nil, "\(analysis.name).\(parameter.name)")
                #expect(!parameter.description.isEmpty)
            }
        }
    }

    @Test("Each broken rule is refused naming the parameter (or lasting), 400", arguments: AnalysisParameterCase.all)
    func brokenRule(_ rule: AnalysisParameterCase) throws {
        let expected = FieldError(field: rule.field, reason: rule.reason)
        #expect(try checked(rule.body) == .failure(.invalidField(expected)))
        #expect(AnalysisRefusal.invalidField(expected).answer == .badRequest)
        #expect(AnalysisRefusal.invalidField(expected).message == "\(rule.field): \(rule.reason)")
    }

    @Test("Every parameter of the catalogue has its type's rules under test")
    func everyKindCovered() {
        let covered = Set(AnalysisParameterCase.all.map { $0.field })
        for analysis in AnalysisCatalogue.all {
            for parameter in analysis.parameters where !covered.contains(parameter.field) {
                // Shared parameters are tested once, for one analysis.
                #expect(["interval", "top"].contains(parameter.name), "\(analysis.name).\(parameter.name) has no case")
            }
        }
    }

    @Test("An unknown analysis is its own refusal, 404, naming it and the known ones")
    func unknownAnalysis() throws {
        let refusal = AnalysisRefusal.unknownAnalysis(name: "strace\u{1B}[2J")
        #expect(try checked(#"{"analysis":"strace\u001B[2J","lasting":5}"#) == .failure(refusal))
        #expect(refusal.answer == .notFound)
        #expect(
            refusal.message
                == "analysis: no analysis 'strace\\u001B[2J' (GET /analyses lists them: \(AnalysisCatalogue.names.joined(separator: ", ")))"
        )
        #expect(AnalysisRefusal.unavailable(name: "vfs-latency", reason: "no kprobes").answer == .conflict)
        #expect(
            AnalysisRefusal.unavailable(name: "vfs-latency", reason: "no kprobes").message
                == "analysis: vfs-latency is not available on this host: no kprobes"
        )
    }

    @Test("Absent, null and empty parameters all take every default")
    func defaults() throws {
        for parameters in ["", #","parameters":null"#, #","parameters":{}"#, #","parameters":{"interval":null}"#] {
            let start = try checked(#"{"analysis":"cpu-profile"\#(parameters),"lasting":7,"unknown-top-level":1}"#).get()
            #expect(start.lastingSeconds == 7)
            #expect(start.analysis.name == "cpu-profile")
            #expect(start.analysis.parameters.integer("frequency") == 49)
            #expect(start.analysis.parameters.integer("interval") == 5)
            #expect(start.analysis.parameters.integer("top") == 0)
        }
    }

    @Test("Values within the rules are taken as given, bounds included")
    func acceptedValues() throws {
        let start = try checked(
            #"{"analysis":"function-latency","parameters":{"process":"/bin/bash","function":"xmalloc","interval":3600,"per-process":true},"lasting":1}"#
        ).get()
        let values = start.analysis.parameters
        #expect(values.text("process") == "/bin/bash" && values.text("function") == "xmalloc")
        #expect(values.integer("interval") == 3600 && values.flag("per-process"))
        let tcp = try checked(#"{"analysis":"tcp","parameters":{"family":"ipv6"},"lasting":1}"#).get()
        #expect(tcp.analysis.parameters.text("family") == "ipv6")
        let offCPU = try checked(#"{"analysis":"off-cpu","parameters":{"min-microseconds":0,"top":100000},"lasting":1}"#).get()
        #expect(offCPU.analysis.parameters.integer("min-microseconds") == 0 && offCPU.analysis.parameters.integer("top") == 100000)
    }

    @Test("Wrong shapes of the body are decoding errors naming the field")
    func bodyShapes() {
        let cases = [
            (#"{"analysis":"exec","parameters":[],"lasting":5}"#, "parameters: expected a JSON object"),
            (#"{"analysis":"exec","parameters":"interval=5","lasting":5}"#, "parameters: expected a JSON object"),
            (#"{"analysis":7,"lasting":5}"#, "analysis: expected a string"),
            (#"{"parameters":{},"lasting":5}"#, "analysis: is required"),
            (#"{"analysis":"exec","lasting":2.5}"#, "lasting: expected a whole number"),
        ]
        for (body, sentence) in cases {
            do {
                _ = try JSONDecoder().decode(AnalysisStartRequest.self, from: Data(body.utf8))
                Issue.record("\(body) decoded")
            } catch let error as DecodingError {
                #expect(DecodingErrorDescription.sentence(for: error) == sentence, "\(body)")
            } catch {
                Issue.record("\(body): \(error)")
            }
        }
    }

    @Test("Validated parameters encode as the views' `parameters` object and decode back to the same values")
    func parametersRoundTrip() throws {
        let start = try checked(#"{"analysis":"open","parameters":{"failed-only":true},"lasting":5}"#).get()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(start.analysis.parameters), as: UTF8.self)
        #expect(text == #"{"failed-only":true}"#)
        let offCPU = try checked(#"{"analysis":"off-cpu","lasting":5}"#).get().analysis
        let encoded = try encoder.encode(offCPU.parameters)
        #expect(String(decoding: encoded, as: UTF8.self) == #"{"interval":5,"min-microseconds":1000,"top":0,"user-stacks":true}"#)
        let inputs = try JSONDecoder().decode([String: AnalysisParameterInput].self, from: encoded)
        #expect(try AnalysisCatalogue.validated(name: "off-cpu", parameters: inputs) == offCPU)
    }

    @Test("The TEMPLATE view of an analysis run: process the probed binary or \"\", no functions, traceType BPF")
    func templateView() throws {
        let latency = try checked(#"{"analysis":"function-latency","parameters":{"process":"/bin/bash","function":"xfree"},"lasting":5}"#).get()
        #expect(latency.analysis.template == TraceTemplate(process: "/bin/bash", functions: [], traceType: ["BPF"]))
        #expect(latency.analysis.probedBinary?.process == "/bin/bash")
        #expect(latency.analysis.probedBinary?.functions.map(\.name) == ["xfree"])
        let syscalls = try checked(#"{"analysis":"syscalls","lasting":5}"#).get()
        #expect(syscalls.analysis.template == TraceTemplate(process: "", functions: [], traceType: ["BPF"]))
        #expect(syscalls.analysis.probedBinary == nil)
    }

    @Test("The probed binary is checked like a template's at start: an ELF file defining the function")
    func binaryInspection() throws {
        func inspect(_ process: String, _ function: String) throws -> FieldError? {
            let body = #"{"analysis":"function-latency","parameters":{"process":"\#(process)","function":"\#(function)"},"lasting":5}"#
            let analysis = try checked(body).get().analysis
            do throws(FieldError) {
                try analysis.inspectBinary()
                return nil
            } catch {
                return error
            }
        }
        #expect(try inspect("/bin/bash", "xmalloc") == nil)
        #expect(
            try inspect("/bin/bash", "no_such_function") == FieldError(field: "parameters.function", reason: "not in /bin/bash: no_such_function")
        )
        #expect(
            try inspect("/bin/bash", "malloc") == FieldError(field: "parameters.function", reason: "not in /bin/bash: malloc"),
            "imported, not defined"
        )
        #expect(try inspect("/etc/hostname", "xmalloc")?.field == "parameters.process")
        #expect(try inspect("/nonexistent/binary", "xmalloc")?.field == "parameters.process")
        #expect(try inspect("/proc/self/exe", "xmalloc")?.field == "parameters.process")
    }
}
