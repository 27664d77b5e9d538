/// The analyses this endpoint ships (docs/targets-and-analyses.md), in the order `GET /analyses`
/// lists them. Each is defined in `Catalogue/`, one file each.
public enum AnalysisCatalogue {
    public static let all: [Analysis] = [
        .syscalls, .exec, .open, .tcp, .blockIO, .cpuProfile, .offCPU, .functionLatency, .vfsLatency,
    ]

    public static var names: [String] { all.map(\.name) }

    public static func named(_ name: String) -> Analysis? {
        all.first { $0.name == name }
    }

    /// A start's `analysis` and `parameters`, checked: the analysis must exist (else
    /// `unknownAnalysis`, 404) and its parameters pass their rules (else `invalidField`
    /// naming the parameter, 400). Pure; availability on this host is `TracingHost`'s.
    public static func validated(name: String, parameters: [String: AnalysisParameterInput]) throws(AnalysisRefusal) -> ValidatedAnalysis {
        guard let analysis = named(name) else { throw .unknownAnalysis(name: name) }
        do throws(FieldError) {
            return ValidatedAnalysis(analysis: analysis, parameters: try analysis.validatedParameters(parameters))
        } catch {
            throw .invalidField(error)
        }
    }
}
