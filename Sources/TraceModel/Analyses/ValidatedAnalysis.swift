/// An analysis with parameters its rules accepted: what a start turns into a run. It
/// gives the run's program, the template-shaped view the run's status shows (so a
/// platform decoding TEMPLATE keeps working), and the binary to check before the run
/// starts, if the analysis probes one.
public struct ValidatedAnalysis: Sendable, Equatable {
    public let analysis: Analysis
    public let parameters: AnalysisParameterValues

    public init(analysis: Analysis, parameters: AnalysisParameterValues) {
        self.analysis = analysis
        self.parameters = parameters
    }

    public var name: String { analysis.name }

    /// A binary whose functions the program probes with uprobes, as named by the
    /// parameters (the one `process`-rule parameter and every `function`-rule one).
    public struct ProbedBinary: Sendable, Equatable {
        public let process: String
        public let processField: String
        public let functions: [(name: String, field: String)]

        public static func == (lhs: ProbedBinary, rhs: ProbedBinary) -> Bool {
            lhs.process == rhs.process && lhs.processField == rhs.processField
                && lhs.functions.elementsEqual(rhs.functions) { $0.name == $1.name && $0.field == $1.field }
        }
    }

    public var probedBinary: ProbedBinary? {
        var process: (String, String)?
        var functions: [(name: String, field: String)] = []
        for parameter in analysis.parameters {
            guard case .string(let rule) = parameter.kind, case .text(let value)? = parameters[parameter.name] else { continue }
            switch rule {
            case .processPath: process = (value, parameter.field)
            case .functionName: functions.append((value, parameter.field))
            }
        }
        return process.map { ProbedBinary(process: $0.0, processField: $0.1, functions: functions) }
    }

    /// The rules of a template's binary that read the file, for `probedBinary`: a
    /// non-empty regular ELF file, and every function defined in its symbol tables
    /// (bpftrace would drop a missing one silently next to a good one). Blocking file work:
    /// run it where a start reads a template's binary (`BinaryInspection`'s threads).
    /// The file checked, still open (nil: the analysis probes no binary).
    @discardableResult
    public func inspectBinary() throws(FieldError) -> BinaryFile? {
        guard let binary = probedBinary else { return nil }
        let symbols = try TemplateValidator.openProcessBinary(binary.process, field: binary.processField)
        let missing: [String]
        do {
            missing = try symbols.missing(binary.functions.map(\.name))
        } catch {
            throw FieldError(field: binary.processField, reason: "\(quoted(binary.process)) \(error.description)")
        }
        if let first = binary.functions.first(where: { missing.contains($0.name) }) {
            throw FieldError(field: first.field, reason: "not in \(binary.process): \(missing.joined(separator: ", "))")
        }
        return symbols.file
    }

    /// The TEMPLATE keys of the run's views: `process` is the probed binary or "",
    /// `functions` is empty (the function is a parameter), `traceType` is `["BPF"]`.
    public var template: TraceTemplate {
        TraceTemplate(process: probedBinary?.process ?? "", functions: [], traceType: [analysis.tracer.rawValue])
    }

    public func programText(lastingSeconds: Int, scope: AnalysisScope = .host) -> String {
        analysis.programText(parameters, lastingSeconds: lastingSeconds, scope: scope)
    }

    /// The program a run of it runs: filtered to `scope`, and probing `probedFiles` (a
    /// targeted run's copies of `probedBinary` inside its targets) instead of the
    /// binary's host path when given.
    public func program(scope: AnalysisScope, probedFiles: [String]? = nil) -> AnalysisProgram {
        let program = analysis.program(parameters, scope: scope)
        guard let probedFiles, let binary = probedBinary else { return program }
        return program.probing(binary.process, as: probedFiles)
    }

    public static func == (lhs: ValidatedAnalysis, rhs: ValidatedAnalysis) -> Bool {
        lhs.analysis.name == rhs.analysis.name && lhs.parameters == rhs.parameters
    }
}
