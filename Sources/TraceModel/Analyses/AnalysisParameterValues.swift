/// Every parameter of one analysis with its validated value (the default where the
/// request gave none), in the catalogue's order. Program builders read them by name;
/// asking for a name the analysis does not declare, or as another type, is a bug in the
/// catalogue, which the program tests of every analysis would meet first.
///
/// Encoded as the JSON object a run's views show as `parameters`
/// (`{"interval": 5, "top": 0}`, every parameter, defaults included); decoding that
/// object as `[String: AnalysisParameterInput]` and validating it again gives the same
/// values back (a restarted endpoint can rebuild a run's analysis from it).
public struct AnalysisParameterValues: Sendable, Equatable, Encodable {
    public let entries: [(name: String, value: AnalysisValue)]

    init(entries: [(name: String, value: AnalysisValue)]) {
        self.entries = entries
    }

    public subscript(name: String) -> AnalysisValue? {
        entries.first { $0.name == name }?.value
    }

    public func integer(_ name: String) -> Int {
        guard case .integer(let value)? = self[name] else { preconditionFailure("the analysis has no integer parameter \(name)") }
        return value
    }

    public func text(_ name: String) -> String {
        guard case .text(let value)? = self[name] else { preconditionFailure("the analysis has no string or enum parameter \(name)") }
        return value
    }

    public func flag(_ name: String) -> Bool {
        guard case .boolean(let value)? = self[name] else { preconditionFailure("the analysis has no boolean parameter \(name)") }
        return value
    }

    public static func == (lhs: AnalysisParameterValues, rhs: AnalysisParameterValues) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.name == $1.name && $0.value == $1.value }
    }

    struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in entries { try container.encode(value, forKey: Key(stringValue: name)) }
    }
}
