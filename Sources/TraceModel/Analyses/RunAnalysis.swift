/// The analysis a run runs, as its record and its views keep it: the name and every
/// parameter's value, defaults included (`{"interval": 5, "top": 0}`). A run's views
/// show them as `analysis` and `parameters` beside the TEMPLATE keys (docs/targets-and-analyses.md, "Analyses");
/// the record keeps them so a run picked up after a restart still shows them.
public struct RunAnalysis: Codable, Sendable, Equatable {
    public var name: String
    public var parameters: [String: AnalysisValue]

    public init(name: String, parameters: [String: AnalysisValue]) {
        self.name = name
        self.parameters = parameters
    }

    public init(_ validated: ValidatedAnalysis) {
        self.init(name: validated.name, parameters: Dictionary(validated.parameters.entries, uniquingKeysWith: { first, _ in first }))
    }
}
