/// One ready-made trace of the catalogue (`AnalysisCatalogue`): what it shows, the
/// parameters it takes, what its output lines hold, what it needs of the kernel, and how
/// its bpftrace program is built from validated parameters (the only input it has).
public struct Analysis: Sendable {
    public let name: String
    /// One line: what the analysis shows.
    public let description: String
    public let parameters: [AnalysisParameter]
    /// What its lines hold, position by position (docs/targets-and-analyses.md, "Analyses", shows real ones).
    public let output: String
    public let requirements: AnalysisRequirements
    let program: @Sendable (AnalysisParameterValues, AnalysisScope) -> AnalysisProgram

    public init(
        name: String,
        description: String,
        parameters: [AnalysisParameter],
        output: String,
        requirements: AnalysisRequirements,
        program: @escaping @Sendable (AnalysisParameterValues, AnalysisScope) -> AnalysisProgram
    ) {
        self.name = name
        self.description = description
        self.parameters = parameters
        self.output = output
        self.requirements = requirements
        self.program = program
    }

    /// Every analysis runs with bpftrace: SystemTap's BPF runtime cannot run here (see
    /// docs/targets-and-analyses.md) and its module runtime needs kernel headers.
    public var tracer: TracerType { .bpf }

    /// The request's `parameters` object checked against this analysis's parameters:
    /// an unknown name, a wrong type, a value out of range or not among the values, or a
    /// missing required one is a `FieldError` naming it. Pure: no file is read (the
    /// binary a name points to is checked at start, `ValidatedAnalysis.inspectBinary()`).
    public func validatedParameters(_ inputs: [String: AnalysisParameterInput]) throws(FieldError) -> AnalysisParameterValues {
        let known = Set(parameters.map(\.name))
        if let unknown = inputs.keys.sorted().first(where: { !known.contains($0) }) {
            let listed = parameters.isEmpty ? "it takes none" : "its parameters: " + parameters.map(\.name).joined(separator: ", ")
            throw FieldError(field: "parameters", reason: "\(quoted(unknown)) is not a parameter of \(name) (\(listed))")
        }
        var entries: [(name: String, value: AnalysisValue)] = []
        for parameter in parameters {
            entries.append((parameter.name, try parameter.validated(inputs[parameter.name])))
        }
        return AnalysisParameterValues(entries: entries)
    }

    /// The program's text for validated `values`, bounded to `lastingSeconds` and
    /// filtered to `scope`.
    public func programText(_ values: AnalysisParameterValues, lastingSeconds: Int, scope: AnalysisScope = .host) -> String {
        program(values, scope).text(lastingSeconds: lastingSeconds, scope: scope)
    }

    /// The program for validated `values` and `scope`, as parts.
    public func program(_ values: AnalysisParameterValues, scope: AnalysisScope) -> AnalysisProgram {
        program(values, scope)
    }
}
